"""What a caller sees of a node: its statements projected at the caller's levels (and day).

The node's stored properties are the projection at its own level, which is right for any caller
who can see it at all; a caller cleared above that level, or asking "as known on" a day, gets
the projection of the statements instead (`ingest.known.stored_view`). Every answer that shows a
node's properties goes through `node_view`; an answer of a named query asked "as known on" a
day goes through `as_known_on`, which re-projects every node it shows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from functools import cache
from typing import Any

from api.graph import Graph
from core import names
from ingest.known import StoredView, link_known, stored_view, view_search_text
from ontology import statements as st
from ontology.model import load_model

node_view = stored_view  # a node as the caller sees it (today, or as known on a day)
link_visible = link_known


@cache
def _stated_properties() -> frozenset[str]:
    """The stored names of every property a statement may state (the ontology's literals and
    vocabulary values), and the sharing level: the fields of an answer a day changes."""
    model = load_model()
    stated = {
        p.neo4j_property
        for p in model.properties.values()
        if p.kind in ("literal", "vocab", "idlist") and p.neo4j_property
    }
    return frozenset(stated | {names.TLP})


def _node_dicts(answer: Any) -> Iterator[dict[str, Any]]:
    """Every object of an answer that stands for a node (it has a string `id`)."""
    if isinstance(answer, dict):
        if isinstance(answer.get(names.ID), str):
            yield answer
        for value in answer.values():
            yield from _node_dicts(value)
    elif isinstance(answer, list):
        for item in answer:
            yield from _node_dicts(item)


def as_known_on(
    graph: Graph, answer: dict[str, Any], levels: Collection[str], day: str | None
) -> dict[str, StoredView]:
    """Re-project, in place, every node an answer shows as the caller would have seen it on
    `day` (the query chose which nodes and links count with `known_predicate`; this sets the
    values they had then: a value not yet stated, or retracted by then, becomes null). Returns
    the views by id (nothing when `day` is None: the answer is today's, as stored)."""
    if day is None:
        return {}
    shown = list(_node_dicts(answer))
    ids = sorted({d[names.ID] for d in shown})
    stored = {r["id"]: r["properties"] for r in graph.rows("nodes_by_id", ids=ids)}
    views = {
        i: v for i, props in stored.items() if (v := stored_view(props, levels, day)) is not None
    }
    stated = _stated_properties()
    for d in shown:
        view = views.get(d[names.ID])
        if view is None:
            continue
        today = stored[d[names.ID]]
        for key in d:  # (a field neither day states is the query's own default: kept)
            if key in stated and (key in view.properties or key in today):
                d[key] = view.properties.get(key)
            elif key == names.SEARCH_TEXT and isinstance(d.get("labels"), list):
                d[key] = view_search_text(view.properties, d["labels"])
    return views


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
