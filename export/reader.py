"""Nodes out of Neo4j as records, page by page, filtered once by what the options may see.

What a partner at level L receives (`--tlp L`):

- a node whose stored (effective) level is at or below L and that is in scope;
- a fact only if at least one of its evidence links points at an included Source, and only if
  every relationship the shapes require of it (`sh:minCount` ≥ 1 on a link: a holding's fund and
  company, an allegation's target, …) reaches an included node; otherwise it is left out whole;
- a relationship only when both ends are included and its own level (the most open level of
  the statements that state it) is at or below L; evidence only when its Source is included;
- `inReport` only for included reports.

Every condition is one Cypher predicate (`Visibility.predicate`), applied to the nodes paged out
and to the other end of each of their relationships, so the two can never disagree, and every
format reads through it. The predicate follows required links two levels deep, which is exact
for today's ontology (the targets of required links have no required links of their own).

`--as-known-on DAY` exports what the graph held that day: a node or relationship counts when a
statement at one of the levels was first stated on or before DAY and not retracted by then
(`ingest.known.known_predicate` on its `knownSpans`), and each node's values are its statements
projected for the levels and the day (`ingest.known.stored_view`).

`--licence URL` (repeatable) keeps only the sources under those licences (`rg:license`); a
fact then needs one of them among its evidence, like any source left out.

`--as-of DATE` leaves out facts (holdings included) whose `date`, `startDate` or `asOf` is after
DATE; a partial date ("2020", "2020-06") counts as its first day. Sources, actors and regions
are not dated and stay.

Each row becomes a record in one step, `node_record`: the node, the relationships it is the
subject of and its EVIDENCED_BY links become the record the writer would store again.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from neo4j import Driver
from rdflib import Literal, URIRef

from core import names
from export.mapping import ExportedNode, ExportMapping, StoredLink
from export.options import IDS_SCOPE, ExportError, ExportOptions, ScopeNotFound
from ingest.known import known_predicate, stored_view
from ontology.model import OntologyModel, load_model, shapes_graph
from ontology.records import Record
from ontology.statements import Statement, decode

__all__ = [
    "ExportError",
    "ExportOptions",
    "GraphReader",
    "ScopeNotFound",
    "Visibility",
    "node_record",
    "required_links",
]

PAGE_SIZE = 500
AS_OF_PROPERTIES = ("date", "startDate", "asOf")  # the ontology properties that date a fact
REQUIRED_DEPTH = 2
# the relationships a node `n` states: it is their subject (start node for "out" types)
SUBJECT_SIDE = "((startNode(r) = n AND type(r) IN $out) OR (endNode(r) = n AND type(r) IN $in))"
SH = "http://www.w3.org/ns/shacl#"
T = TypeVar("T")


# ---------------------------------------------------------------------- what may be seen


def required_links(model: OntologyModel) -> dict[str, list[str]]:
    """Class name -> names of link/evidence properties the SHACL shapes require (minCount ≥ 1)."""
    shapes = shapes_graph()
    by_iri = {p.iri: p for p in model.properties.values() if p.kind in ("link", "edge")}
    out: dict[str, list[str]] = {}
    for shape, target in shapes.subject_objects(URIRef(SH + "targetClass")):
        cls = next((c for c in model.classes.values() if c.iri == target), None)
        if cls is None or not cls.neo4j_label:
            continue
        for prop in shapes.objects(shape, URIRef(SH + "property")):
            path = shapes.value(prop, URIRef(SH + "path"))
            spec = by_iri.get(path) if isinstance(path, URIRef) else None
            count = shapes.value(prop, URIRef(SH + "minCount"))
            if spec is not None and isinstance(count, Literal) and int(count) >= 1:
                out.setdefault(cls.name, []).append(spec.name)
    return {k: sorted(set(v)) for k, v in sorted(out.items())}


@dataclass
class Visibility:
    """The Cypher predicate that decides whether a node is included, and its parameters."""

    options: ExportOptions
    model: OntologyModel
    scoped: bool = False
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.params = {
            "levels": self.options.levels,
            "asOf": self.options.as_of,
            "asKnownOn": self.options.as_known_on,
            "licences": list(self.options.licences),
        }
        self.required = required_links(self.model)
        self.edge = self.model.edge_class

    def own(self, var: str) -> str:
        """Conditions on the node's own properties: level, date, scope."""
        if self.options.complete:
            return f"{var}.{names.ID} IS NOT NULL"
        parts = [self._known(var)]
        if self.options.as_of is not None:
            fact = self.model.cls("Fact").neo4j_label
            dated = " AND ".join(
                f"coalesce({var}.`{self.model.properties[p].neo4j_property}`, '') <= $asOf"
                for p in AS_OF_PROPERTIES
            )
            parts.append(f"(NOT {var}:`{fact}` OR ({dated}))")
        if self.options.licences:
            source = self.model.cls("Source").neo4j_label
            licence = self.model.properties["license"].neo4j_property
            parts.append(f"(NOT {var}:`{source}` OR {var}.`{licence}` IN $licences)")
        if self.scoped:
            parts.append(f"{var}.{names.ID} IN $ids")
        return " AND ".join(parts)

    def predicate(self, var: str, depth: int = REQUIRED_DEPTH) -> str:
        parts = [self.own(var)]
        if depth > 0 and not self.options.complete:
            for class_name, props in self.required.items():
                label = self.model.cls(class_name).neo4j_label
                for name in props:
                    other = f"{var}_{depth}_{name}"
                    pattern = self._pattern(var, name, other)
                    inner = (
                        self.predicate(other, depth - 1)
                        if self._target_has_requirements(name)
                        else self.own(other)
                    )
                    inner += f" AND {self.link(other + '_r')}"
                    parts.append(
                        f"(NOT {var}:`{label}` OR EXISTS {{ MATCH {pattern} WHERE {inner} }})"
                    )
        return "(" + " AND ".join(parts) + ")"

    def _target_has_requirements(self, name: str) -> bool:
        """Whether a node this property points at may itself need required links."""
        spec = self.model.properties[name]
        target = self.edge.edge_target if spec.kind == "edge" else None
        rng = self.model.properties[target].range if target else spec.range
        return (
            any(self.model.cls(c).is_a(rng) or self.model.cls(rng).is_a(c) for c in self.required)
            if rng in self.model.classes
            else False
        )

    def link(self, var: str) -> str:
        """The condition on a relationship: its own level (the most open of the statements
        that state it), so a link only a restricted report states is left out."""
        return "true" if self.options.complete else self._known(var)

    def _known(self, var: str) -> str:
        """The level test of a node or relationship: its stored level, or (as known on a day)
        `known_predicate` — only then, since that predicate makes the plan of the export's
        large queries far slower to build."""
        if self.options.as_known_on is None:
            return f"{var}.{names.TLP} IN $levels"
        return known_predicate(var, "$levels", "$asKnownOn")

    def _pattern(self, var: str, name: str, other: str) -> str:
        spec = self.model.properties[name]
        rel = f"{other}_r"
        if spec.kind == "edge":
            return f"({var})-[{rel}:`{self.edge.neo4j_type}`]->({other}:Node)"
        if spec.direction == "out":
            return f"({var})-[{rel}:`{spec.neo4j_type}`]->({other}:Node)"
        return f"({var})<-[{rel}:`{spec.neo4j_type}`]-({other}:Node)"


# ---------------------------------------------------------------------- node -> record


def node_record(
    mapping: ExportMapping,
    labels: list[str],
    props: dict[str, Any],
    links: Iterable[StoredLink],
    keep_report: Callable[[str], bool] | None = None,
    shown: Callable[[Statement], Statement | None] | None = None,
) -> ExportedNode:
    """The record a stored node stands for; `links` are those the node is the subject of.

    The one place where stored properties and relationships become record values: literal,
    vocabulary and report-list properties by the ontology's Neo4j names, links as sorted target
    ids, EVIDENCED_BY relationships as evidence items; reports `keep_report` refuses are dropped.
    With `shown` (an export `--statements`), the node's and its links' statements as `shown`
    lets them through (None: left out).
    """
    keep = keep_report or (lambda _: True)
    cls = mapping.model.class_of_labels(labels)
    specs = mapping.model.properties_of(cls.name)
    record: Record = {"id": props[names.ID], "type": cls.name}
    values, by_type = mapping.record_plan(cls.name)
    for name, stored, is_list in values:
        value = props.get(stored)
        if value is None:
            continue
        if is_list:
            value = [v for v in value if keep(v)]
        if value == []:
            continue
        record[name] = value
    in_report = mapping.in_report.neo4j_property or ""
    own_reports = [r for r in props.get(in_report) or [] if keep(r)]
    linked: dict[str, list[str]] = {}
    evidence: list[Record] = []
    exported = ExportedNode(record)
    if shown is not None:
        exported.statements = _shown(props.get(names.STATEMENTS), shown)
    for link in links:
        if link.out != mapping.subject_direction.get(link.type):
            continue
        if link.type == mapping.edge.neo4j_type:
            name, value = mapping.edge_spec.name, _evidence_item(mapping, link)
            evidence.append(value)
        elif link.type in by_type:
            name, value = by_type[link.type].name, link.other
            linked.setdefault(name, []).append(value)
        else:
            continue
        if shown is not None:
            kept = _shown(link.props.get(names.STATEMENTS), shown)
            if kept:
                exported.link_statements.append((name, value, kept))
        if link.other_props:
            exported.neighbours[link.other] = link.other_props
        stated = sorted(r for r in link.props.get(in_report) or [] if keep(r))
        other = {r for r in link.other_reports if keep(r)}
        inferred = sorted(set(own_reports) & other) or sorted(own_reports)
        if stated and stated != inferred:
            exported.link_reports.setdefault(name, []).append((value, stated))
    for name, targets in sorted(linked.items()):
        targets = sorted(set(targets))
        record[name] = targets if specs[name].multiple or len(targets) > 1 else targets[0]
    if evidence:
        key = sorted(evidence, key=lambda e: json.dumps(e, sort_keys=True, default=str))
        record[mapping.edge_spec.name] = key
    return exported


def _shown(text: str | None, shown: Callable[[Statement], Statement | None]) -> list[Statement]:
    return [kept for s in decode(text) if (kept := shown(s)) is not None]


def _evidence_item(mapping: ExportMapping, link: StoredLink) -> Record:
    item: Record = {mapping.edge.edge_target or "source": link.other}
    for name, spec in sorted(mapping.edge_props.items()):
        if spec.neo4j_property and link.props.get(spec.neo4j_property) is not None:
            item[name] = link.props[spec.neo4j_property]
    return item


# ---------------------------------------------------------------------- reading the graph


class GraphReader:
    """Pages of records out of Neo4j for one set of options.

    Checks the options and resolves the scope when made (so a bad option or an unknown scope
    fails before the first byte is written); `pages()` then reads."""

    def __init__(
        self,
        driver: Driver,
        options: ExportOptions,
        database: str | None = None,
        mapping: ExportMapping | None = None,
    ):
        self.driver = driver
        self.options = options.checked()
        self.database = database
        self.mapping = mapping or ExportMapping(load_model())
        self.model = self.mapping.model
        self.visibility = Visibility(self.options, self.model)
        self.ids: list[str] | None = None
        if self.options.scope != "all":
            self.ids = sorted(self._scope_ids())
            self.visibility.scoped = True
            self.visibility.params["ids"] = self.ids
        self.reports = self._visible("Report")
        self.sources = self._visible("Source") if self.options.statements else set()

    def _visible(self, class_name: str) -> set[str]:
        """Ids of the nodes of a class the export includes."""
        return set(
            self._query(
                f"MATCH (n:`{self.model.cls(class_name).neo4j_label}`) "
                f"WHERE {self.visibility.predicate('n')} RETURN n.{names.ID} AS id"
            )
        )

    def shown(self, s: Statement) -> Statement | None:
        """A statement as the export may show it: at the export's levels, of an included
        report, citing only included sources (others left out of it); None: not at all."""
        if s.level not in self.options.levels or (s.report and s.report not in self.reports):
            return None
        sources = tuple(x for x in s.sources if x in self.sources)
        return s if sources == s.sources else replace(s, sources=sources)

    def _query(self, cypher: str, **params: Any) -> list[Any]:
        rows, _, _ = self.driver.execute_query(
            cypher, {**self.visibility.params, **params}, database_=self.database, routing_="r"
        )
        return [row[0] if len(row) == 1 else row for row in rows]

    # -- scope: the seed nodes, then everything they refer to

    def _scope_ids(self) -> set[str]:
        own = self.visibility.own("m")
        if self.options.scope == IDS_SCOPE:
            return self._listed_ids(own)
        kind, ident = self.options.scope.split(":", 1)
        if kind == "report":  # looked up at the export's level: a hidden report is no report
            found = f"MATCH (m:Node {{{names.ID}: $rid}}) WHERE {own} RETURN m.{names.ID}"
            if not self._query(found, rid=ident):
                raise ScopeNotFound(f"no report {ident!r} visible at {self.options.tlp}")
            reports = self.mapping.in_report.neo4j_property
            cypher = f"MATCH (m:Node) WHERE $rid IN m.`{reports}` AND {own} RETURN m.{names.ID}"
            return self._closure(set(self._query(cypher, rid=ident)))
        found = f"MATCH (m:Node {{{names.ID}: $id}}) WHERE {own} RETURN m.{names.ID}"
        if not self._query(found, id=ident):
            raise ScopeNotFound(f"no entity {ident!r} visible at {self.options.tlp}")
        seeds = frontier = {ident}
        step = (
            f"MATCH (n:Node)-[r]-(m:Node) WHERE n.{names.ID} IN $frontier "
            f"AND type(r) <> $evidence AND {own} RETURN DISTINCT m.{names.ID}"
        )
        for _ in range(self.options.hops):
            evidence = self.mapping.edge.neo4j_type
            found_ids = set(self._query(step, frontier=sorted(frontier), evidence=evidence))
            frontier = found_ids - seeds
            seeds = seeds | frontier
        return self._closure(seeds)

    def _listed_ids(self, own: str) -> set[str]:
        """The listed nodes visible at the export's level, the sources their evidence cites
        and the reports that state them; nothing else (a fact whose required link points
        outside the list is then left out, as ever)."""
        found = f"MATCH (m:Node) WHERE m.{names.ID} IN $listed AND {own} RETURN m.{names.ID}"
        ids = set(self._query(found, listed=sorted(set(self.options.ids))))
        if not ids:
            raise ScopeNotFound(f"none of the {len(self.options.ids)} ids is visible")
        reports = self.mapping.in_report.neo4j_property
        cited = (
            f"MATCH (n:Node)-[:`{self.mapping.edge.neo4j_type}`]->(m:Node) "
            f"WHERE n.{names.ID} IN $ids AND {own} RETURN DISTINCT m.{names.ID}"
        )
        ids |= set(self._query(cited, ids=sorted(ids)))
        stated = (
            f"MATCH (n:Node) WHERE n.{names.ID} IN $ids UNWIND coalesce(n.`{reports}`, []) AS rid "
            f"MATCH (m:Node {{{names.ID}: rid}}) WHERE {own} RETURN DISTINCT m.{names.ID}"
        )
        return ids | set(self._query(stated, ids=sorted(ids)))

    def _closure(self, ids: set[str]) -> set[str]:
        """Add what the nodes refer to (their links, sources and reports) until nothing is new."""
        reports = self.mapping.in_report.neo4j_property
        own = self.visibility.own("m")
        cypher = (
            f"MATCH (n:Node) WHERE n.{names.ID} IN $frontier "
            f"CALL {{ WITH n MATCH (n)-[r]-(m:Node) WHERE {SUBJECT_SIDE} AND {own} "
            f"RETURN collect(m.{names.ID}) AS linked }} "
            f"UNWIND linked + coalesce(n.`{reports}`, []) AS id RETURN DISTINCT id"
        )
        frontier = set(ids)
        while frontier:
            found = set(self._query(cypher, frontier=sorted(frontier), **self._sides))
            frontier = found - ids
            ids |= frontier
        return ids

    @property
    def _sides(self) -> dict[str, list[str]]:
        return {"out": self.mapping.subject_types(True), "in": self.mapping.subject_types(False)}

    # -- pages

    def pages(
        self,
        page_size: int = PAGE_SIZE,
        neighbour_properties: Sequence[str] = (),
        by_class: bool = False,
    ) -> Iterator[list[ExportedNode]]:
        """Nodes in id order (or class by class, each in id order), keyset-paged
        (`n.id > $after`), each with the links it states and, for each link, the
        `neighbour_properties` of its other end."""
        labels = (
            [f"Node:`{c.neo4j_label}`" for c in sorted(self.model.node_classes, key=_name)]
            if by_class
            else ["Node"]
        )
        for label in labels:
            yield from self._pages(label, page_size, neighbour_properties)

    def _pages(
        self, label: str, page_size: int, neighbour_properties: Sequence[str]
    ) -> Iterator[list[ExportedNode]]:
        reports = self.mapping.in_report.neo4j_property
        stored = {name: self.model.properties[name].neo4j_property for name in neighbour_properties}
        projection = ", ".join(f".`{p}`" for p in stored.values())
        link = (
            f"{{t: type(r), out: startNode(r) = n, other: m.{names.ID}, props: properties(r), "
            f"reports: m.`{reports}`" + (f", near: m{{{projection}}}" if stored else "") + "}"
        )
        cypher = (
            f"MATCH (n:{label}) WHERE n.{names.ID} > $after AND {self.visibility.predicate('n')} "
            f"WITH n ORDER BY n.{names.ID} LIMIT $page "
            "CALL { WITH n OPTIONAL MATCH (n)-[r]-(m:Node) "
            f"WHERE {SUBJECT_SIDE} AND {self.visibility.link('r')} "
            f"AND {self.visibility.predicate('m')} "
            f"RETURN collect({link}) AS links }} "
            f"RETURN labels(n) AS labels, properties(n) AS props, links ORDER BY n.{names.ID}"
        )

        def row_pages() -> Iterator[list[Any]]:
            after = ""
            while True:
                rows = self._query(cypher, after=after, page=page_size, **self._sides)
                if rows:
                    yield rows
                if len(rows) < page_size:
                    return
                after = rows[-1]["props"][names.ID]

        for rows in prefetched(row_pages()):
            yield [self._node(row, stored) for row in rows]

    def _node(self, row: Any, stored: dict[str, str | None]) -> ExportedNode:
        links = [
            StoredLink(
                link["t"],
                link["out"],
                link["other"],
                link["props"] or {},
                link["reports"] or [],
                {n: v for n, p in stored.items() if (v := link["near"].get(p)) is not None}
                if stored
                else {},
            )
            for link in row["links"]
            if link["other"] is not None
        ]
        props = row["props"]
        if self.options.as_known_on is not None:  # the values it had that day
            view = stored_view(props, self.options.levels, self.options.as_known_on)
            props = view.properties if view is not None else props
        return node_record(
            self.mapping,
            row["labels"],
            props,
            links,
            self.reports.__contains__,
            self.shown if self.options.statements else None,
        )


def prefetched(pages: Iterator[T], depth: int = 1) -> Iterator[T]:
    """`pages`, read `depth` pages ahead in a thread of their own: Neo4j finds the next page
    while this process turns the last one into text. Memory: `depth` + 1 pages. Closing the
    iterator (a client gone) stops the thread after its current query."""
    ahead: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for page in pages:
                if not put(("page", page)):
                    return
            put(("end", None))
        except BaseException as error:  # noqa: BLE001 - raised again in the reading thread
            put(("error", error))

    thread = threading.Thread(target=work, name="export-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = ahead.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join()


def _name(cls: Any) -> str:
    return cls.name
