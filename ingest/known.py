"""What the graph held: a stored node projected for a caller's levels and a day, and the one
Cypher predicate of "known to these levels on that day".

A node's stored properties are the projection of its statements at its own level, today; a
caller cleared above that level, or asking "as known on" a day, gets the projection of the
statements instead (`ontology.statements.project`). The API's answers, and the export, go
through `stored_view`; the named queries and the export's visibility test a node or relationship
with `known_predicate` (the queries spell it out as it is, so they run in cypher-shell;
tests/test_known.py checks that every one of them is this text).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from core import names
from ingest.resolve import search_text
from ingest.writer import DERIVED, NOT_STATED, RUN_PROPERTY
from ontology import statements as st
from ontology.model import load_model
from ontology.types import sharing

HIDDEN = {*DERIVED, RUN_PROPERTY, *names.HIDDEN_PROPERTIES} - {names.SOURCE_IDS}
"""Stored properties no view shows (reportIds and sourceIds are projected)."""
SPAN_DAYS = 10  # "YYYY-MM-DD": the fixed width of each day in a span


def known_predicate(var: str, levels: str = "$tlp", day: str = "$as_known_on") -> str:
    """Cypher: `var` (a node or relationship) counts for a caller cleared for `levels` — today
    (`day` null: its stored level, as before) or on the day `day` (some statement group at one
    of the levels first stated on or before it and not retracted by then: `knownSpans`)."""
    w = SPAN_DAYS
    return (
        f"({var}.{names.TLP} IN {levels} AND {day} IS NULL OR any(k IN {var}.{names.KNOWN_SPANS}"
        f" WHERE left(k, {w}) <= {day} < substring(k, {w + 1}, {w})"
        f" AND substring(k, {2 * w + 2}) IN {levels}))"
    )


@dataclass
class StoredView:
    """What a caller sees of a stored node: its properties and the values not chosen."""

    properties: dict[str, Any]
    others: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def stored_view(
    stored: dict[str, Any], levels: Collection[str], as_known_on: str | None = None
) -> StoredView | None:
    """The properties a caller cleared for `levels` sees of a stored node, today or as known
    on a day (None: nothing of it), with the values not chosen and who states them."""
    statements = st.decode(stored.get(names.STATEMENTS))
    if not statements:  # a node without statements (not migrated): as stored
        if as_known_on is not None:
            return None
        return StoredView({k: v for k, v in stored.items() if k not in HIDDEN})
    seen = st.project(statements, levels, as_known_on, order=sharing.levels())
    if not seen.visible:
        return None
    props = {k: v for k, v in stored.items() if k not in HIDDEN and k in NOT_STATED}
    props.update(seen.properties)
    props[names.TLP] = seen.level
    props[names.REPORT_IDS] = seen.report_ids
    props[names.SOURCE_IDS] = seen.source_ids
    others = {p: [a.as_dict() for a in alts] for p, alts in seen.others.items()}
    return StoredView(props, others)


def link_known(
    stored: dict[str, Any] | None, levels: Collection[str], as_known_on: str | None = None
) -> bool:
    """Whether a relationship (by its stored statements) counts for the caller on the day."""
    text = (stored or {}).get(names.STATEMENTS)
    if not text:
        return as_known_on is None
    return bool(st.visible(st.decode(text), levels, as_known_on))


def view_search_text(properties: dict[str, Any], labels: list[str]) -> str:
    """The `searchText` a node would have with these (projected) properties: the texts search
    matches words against, as known on a day."""
    model = load_model()
    cls = model.class_of_labels(labels)
    specs = model.properties_of(cls.name)
    record = {
        p.name: properties.get(p.neo4j_property)
        for p in specs.values()
        if p.neo4j_property and properties.get(p.neo4j_property) is not None
    }
    return search_text(record, model)
