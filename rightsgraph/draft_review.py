"""Reviewing a machine draft against the graph: each item new, same or conflicting; the reviewer
accepts or drops it; the accepted items become a reviewed report that ingests cleanly.

An entity (actor or region) is looked up by its id, then through the search index confirmed by
the resolution keys (`ingest.extract.linking.link_to_graph`, as ingest resolves); a fact
(measure, contract, ownership, demand, allegation) by its id, which the extractor builds from
what the fact links. A record the graph holds is **same** when every value the draft gives
agrees with the graph's (a value the graph lacks is an addition, listed), else **conflicting**
(each differing field with both values). A name of an entity that differs from the graph's is
no conflict: the reviewed report keeps the graph's name and carries the draft's as an alias.

Writing the reviewed report: an entity the graph holds takes the graph's id, and every
reference to it follows; a dropped entity the graph does not hold takes with it the facts that
need it (a list of several targets only loses it); sources stay while an accepted record cites
them. The Report is `reviewed`, with `reviewedBy` and `reviewedOn`.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from neo4j import Driver

from core import names
from export.mapping import ExportMapping, StoredLink
from export.reader import SUBJECT_SIDE, node_record, required_links
from ingest.extract.gazetteer import Entity
from ingest.extract.linking import link_to_graph
from ontology.model import load_model
from ontology.records import Record, RecordError, check_record
from ontology.validate import Violation, validate_records

STATUSES = ("new", "same", "conflicting")
ACCEPT_MODES = ("all", "new")  # --accept: everything, or only what the graph does not hold
IGNORED = frozenset({"id", "type", "evidence", "note", "description", "inReport", "tlp"})
NAMES = ("name", "alias")

READ_QUERY = f"""
UNWIND $ids AS id
MATCH (n:Node {{{names.ID}: id}})
CALL (n) {{
  OPTIONAL MATCH (n)-[r]-(m:Node) WHERE {SUBJECT_SIDE}
  RETURN collect({{t: type(r), out: startNode(r) = n, other: m.{names.ID},
                   props: properties(r)}}) AS links
}}
RETURN labels(n) AS labels, properties(n) AS props, links
"""


@dataclass
class ReviewItem:
    """One record of the draft, as the graph sees it."""

    record: Record
    status: str  # new | same | conflicting
    graph_id: str | None = None
    conflicts: list[tuple[str, Any, Any]] = field(default_factory=list)  # field, draft, graph
    additions: list[str] = field(default_factory=list)  # fields the graph does not hold yet
    accepted: bool = True
    graph_name: str | None = None

    @property
    def id(self) -> str:
        return self.record["id"]

    @property
    def kind(self) -> str:
        return self.record["type"]

    def summary(self) -> str:
        """A line saying what the record states."""
        r = self.record
        text = r.get("name") or r.get("description") or ""
        if len(text) > 100:
            text = text[:99] + "…"
        return text

    def quote(self) -> str | None:
        for ev in self.record.get("evidence") or []:
            if ev.get("quote"):
                return ev["quote"]
        return None


def _is_entity(type_name: str) -> bool:
    cls = load_model().cls(type_name)
    return cls.is_a("Actor") or cls.is_a("Region")


def reviewable(records: Iterable[Record]) -> list[Record]:
    """The records a person decides on: all but the Report and the Sources (kept while cited)."""
    return [r for r in records if r["type"] not in ("Report", "Source")]


def read_graph(driver: Driver, ids: list[str], database: str | None) -> dict[str, Record]:
    """The graph's records of these ids, as the writer would store them again."""
    if not ids:
        return {}
    mapping = ExportMapping(load_model())
    rows, _, _ = driver.execute_query(
        READ_QUERY,
        ids=ids,
        out=mapping.subject_types(True),
        database_=database,
        routing_="r",
        **{"in": mapping.subject_types(False)},
    )
    out: dict[str, Record] = {}
    for row in rows:
        links = [
            StoredLink(lk["t"], lk["out"], lk["other"], lk["props"] or {})
            for lk in row["links"]
            if lk["other"] is not None
        ]
        record = node_record(mapping, row["labels"], row["props"], links).record
        out[record["id"]] = record
    return out


def _norm(value: Any) -> Any:
    if isinstance(value, list):
        return frozenset(_norm(v) for v in value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return tuple(sorted((k, _norm(v)) for k, v in value.items()))
    return str(value) if value is not None else None


def _agree(mine: Any, theirs: Any) -> bool:
    if isinstance(mine, list) or isinstance(theirs, list):
        as_list = [mine, theirs]
        a, b = (x if isinstance(x, list) else [x] for x in as_list)
        return frozenset(map(_norm, a)) == frozenset(map(_norm, b))
    return _norm(mine) == _norm(theirs)


def compare(records: list[Record], driver: Driver, database: str | None = None) -> list[ReviewItem]:
    """Each reviewable record of a draft, new, same or conflicting with what the graph holds."""
    model = load_model()
    todo = reviewable(records)
    entities = [
        Entity(r["id"], r["type"], r.get("name") or r["id"], tuple(r.get("alias") or []))
        for r in todo
        if _is_entity(r["type"]) and r.get("name")
    ]
    linked = link_to_graph(entities, driver, database)  # draft id -> graph id
    ids = sorted({linked.get(r["id"], r["id"]) for r in todo})
    graph = read_graph(driver, ids, database)
    items: list[ReviewItem] = []
    for r in todo:
        gid = linked.get(r["id"], r["id"])
        held = graph.get(gid)
        if held is None or held["type"] != r["type"]:
            if held is not None:  # the id is taken by a record of another class
                items.append(ReviewItem(r, "conflicting", gid, [("type", r["type"], held["type"])]))
            else:
                items.append(ReviewItem(r, "new"))
            continue
        specs = model.properties_of(r["type"])
        item = ReviewItem(r, "same", gid, graph_name=held.get("name"))
        for name, value in r.items():
            if name in IGNORED or name in NAMES:
                continue
            if name in specs and specs[name].kind == "link":
                value = (
                    [linked.get(v, v) for v in value]
                    if isinstance(value, list)
                    else linked.get(value, value)
                )
            theirs = held.get(name)
            if theirs is None:
                item.additions.append(name)
            elif not _agree(value, theirs):
                item.conflicts.append((name, value, theirs))
        if item.conflicts:
            item.status = "conflicting"
        items.append(item)
    return items


def decide_all(items: list[ReviewItem], mode: str) -> None:
    """--accept all | new: everything, or only what the graph does not hold yet."""
    if mode not in ACCEPT_MODES:
        raise ValueError(f"--accept is one of {', '.join(ACCEPT_MODES)}, not {mode!r}")
    for item in items:
        item.accepted = mode == "all" or item.status == "new"


@dataclass
class Reviewed:
    report: Record
    records: list[Record]
    dropped: list[tuple[str, str]]  # (id, why)
    violations: list[Violation]

    @property
    def ok(self) -> bool:
        return not self.violations


def reviewed_report(
    report: Record,
    records: list[Record],
    items: list[ReviewItem],
    reviewer: str,
    on: dt.date | None = None,
    known: Callable[[list[str]], dict[str, str]] | None = None,
) -> Reviewed:
    """The accepted items as a reviewed report (ids of records the graph holds are the graph's).

    `known(ids)` gives the class of each referenced id the graph holds but the report leaves
    out (a dropped record that stays in the graph), for validation."""
    model = load_model()
    required = required_links(model)
    by_id = {i.id: i for i in items}
    rename = {i.id: i.graph_id for i in items if i.graph_id and i.graph_id != i.id}
    dropped: list[tuple[str, str]] = [
        (i.id, "dropped by the reviewer") for i in items if not i.accepted
    ]
    gone = {i.id for i in items if not i.accepted and i.status == "new"}  # not in the graph
    kept = [copy.deepcopy(r) for r in records if r["type"] not in ("Report",)]
    kept = [
        r
        for r in kept
        if r["type"] == "Source" or by_id.get(r["id"]) is None or by_id[r["id"]].accepted
    ]
    changed = True
    while changed:  # facts that need a record that is gone go too
        changed = False
        out = []
        for r in kept:
            specs = model.properties_of(r["type"])
            lost = False
            for name, value in list(r.items()):
                spec = specs.get(name)
                if spec is None or spec.kind != "link":
                    continue
                if isinstance(value, list):
                    rest = [v for v in value if v not in gone]
                    if rest != value:
                        if rest:
                            r[name] = rest
                        elif name in required.get(r["type"], []):
                            lost = True
                        else:
                            del r[name]
                elif value in gone:
                    if name in required.get(r["type"], []):
                        lost = True
                    else:
                        del r[name]
            if lost and r["type"] != "Source":
                dropped.append((r["id"], "needs a dropped record the graph does not hold"))
                gone.add(r["id"])
                changed = True
            else:
                out.append(r)
        kept = out
    cited = {
        ev.get("source") for r in kept if r["type"] != "Source" for ev in r.get("evidence") or []
    } | {v for r in kept for k, v in r.items() if k == "citedBy"}
    kept = [r for r in kept if r["type"] != "Source" or r["id"] in cited]
    for r in kept:  # the graph's ids, the graph's names
        item = by_id.get(r["id"])
        if item is not None and item.graph_id and item.status != "new":
            theirs = item.record.get("name")
            held_name = item.graph_name
            if held_name and theirs and held_name != theirs:
                r["name"] = held_name
                r["alias"] = sorted({*r.get("alias", []), theirs})
        _rename(r, rename, model)
    day = (on or dt.date.today()).isoformat()
    new_report = {
        **{k: v for k, v in report.items() if k not in ("reviewStatus",)},
        "reviewStatus": "reviewed",
        "reviewedBy": reviewer,
        "reviewedOn": day,
    }
    if str(new_report.get("name", "")).startswith("Draft: "):
        new_report["name"] = "Reviewed: " + new_report["name"][len("Draft: ") :]
    accepted = sum(1 for i in items if i.accepted)
    new_report["description"] = (
        f"{report.get('description', '').strip()} Reviewed by {reviewer} on {day}: "
        f"{accepted} of {len(items)} items accepted."
    ).strip()
    ids = {r["id"] for r in kept}
    referenced = sorted(
        {
            v
            for r in kept
            for name, value in r.items()
            if (spec := model.properties_of(r["type"]).get(name)) and spec.kind == "link"
            for v in (value if isinstance(value, list) else [value])
        }
        - ids
    )
    violations = _validate(new_report, kept, known(referenced) if known else {})
    return Reviewed(new_report, kept, dropped, violations)


def _rename(record: Record, rename: dict[str, str], model: Any) -> None:
    specs = model.properties_of(record["type"])
    record["id"] = rename.get(record["id"], record["id"])
    for name, value in list(record.items()):
        spec = specs.get(name)
        if spec is None or spec.kind != "link":
            continue
        record[name] = (
            sorted(dict.fromkeys(rename.get(v, v) for v in value))
            if isinstance(value, list)
            else rename.get(value, value)
        )


def _validate(report: Record, records: list[Record], known: dict[str, str]) -> list[Violation]:
    try:
        checked = [check_record(r) for r in [report, *records]]
    except RecordError as exc:
        return [Violation(exc.record, exc.rule, exc.message)]
    return validate_records(checked, known)


def graph_classes(driver: Driver, database: str | None) -> Callable[[list[str]], dict[str, str]]:
    """`known(ids)` for `reviewed_report`: the class of each id the graph holds."""
    model = load_model()

    def known(ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        rows, _, _ = driver.execute_query(
            f"UNWIND $ids AS id MATCH (n:Node {{{names.ID}: id}}) "
            f"RETURN n.{names.ID} AS id, labels(n) AS labels",
            ids=ids,
            database_=database,
            routing_="r",
        )
        return {r["id"]: model.class_of_labels(r["labels"]).name for r in rows}

    return known
