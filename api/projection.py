"""What a caller sees of a node: its statements projected at the caller's levels (and day).

The node's stored properties are the projection at its own level, which is right for any caller
who can see it at all; a caller cleared above that level, or asking "as known on" a day, gets
the projection of the statements instead (`ontology.statements.project`). Every answer that
shows a node's properties goes through `node_view`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from core import names
from ingest.writer import DERIVED, NOT_STATED, RUN_PROPERTY
from ontology import statements as st
from ontology.types import sharing

SHOWN_SYSTEM = (names.ID, names.TLP)
"""System properties a node answer shows as stored (reportIds and sourceIds are projected)."""
HIDDEN = {*DERIVED, RUN_PROPERTY, *names.HIDDEN_PROPERTIES} - {names.SOURCE_IDS}


@dataclass
class NodeView:
    properties: dict[str, Any]
    others: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def node_view(
    stored: dict[str, Any], levels: Collection[str], as_known_on: str | None = None
) -> NodeView | None:
    """The properties a caller cleared for `levels` sees (None: nothing of the node), with the
    values not chosen and who states them."""
    statements = st.decode(stored.get(names.STATEMENTS))
    if not statements:  # a node without statements (not migrated): as stored
        if as_known_on is not None:
            return None
        return NodeView({k: v for k, v in stored.items() if k not in HIDDEN})
    seen = st.project(statements, levels, as_known_on, order=sharing.levels())
    if not seen.visible:
        return None
    props = {k: v for k, v in stored.items() if k not in HIDDEN and k in NOT_STATED}
    props.update(seen.properties)
    props[names.TLP] = seen.level
    props[names.REPORT_IDS] = seen.report_ids
    props[names.SOURCE_IDS] = seen.source_ids
    others = {p: [a.as_dict() for a in alts] for p, alts in seen.others.items()}
    return NodeView(props, others)


def link_visible(
    stored: dict[str, Any] | None, levels: Collection[str], as_known_on: str | None = None
) -> bool:
    """Whether a relationship (by its stored statements) counts for the caller on the day."""
    text = (stored or {}).get(names.STATEMENTS)
    if not text:
        return as_known_on is None
    return bool(st.visible(st.decode(text), levels, as_known_on))


def statement_view(
    stored: dict[str, Any], levels: Collection[str], evidence: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Per property, each value with every statement of it at the caller's levels (live and
    retracted): report, standing, level, first stated, retracted, and its sources with the
    quotes and locators its report gives (only the evidence in `evidence`: the caller's)."""
    cited: dict[str, list[tuple[set[str | None], dict[str, Any]]]] = {}
    for e in evidence:  # each quote with the reports that state it (its link's statements)
        reports = {x.report for x in st.decode(e.get(names.STATEMENTS))}
        item = {"source": e["source"], "quote": e.get("quote"), "locator": e.get("locator")}
        cited.setdefault(e["source"], []).append((reports, item))
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for s in st.decode(stored.get(names.STATEMENTS)):
        if s.level not in levels:
            continue
        prop = s.prop or "exists"
        value = out.setdefault(prop, {}).setdefault(
            st.value_key(s.value), {"value": s.value, "statements": []}
        )
        value["statements"].append(
            {
                "report": s.report,
                "standing": s.standing,
                "level": s.level,
                "firstStated": s.first,
                "retracted": s.retracted,
                "sourceDate": s.date,
                "sources": [
                    item
                    for x in s.sources
                    for reports, item in cited.get(x, [])
                    if not reports or s.report in reports
                ],
            }
        )
    return {
        p: sorted(values.values(), key=lambda v: st.value_key(v["value"]))
        for p, values in sorted(out.items())
    }
