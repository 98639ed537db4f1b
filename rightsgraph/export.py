"""Export the graph as RDF, streamed from Neo4j page by page and filtered by sharing level.

What a partner at level L receives (`--tlp L`):

- a node whose stored (effective) level is at or below L and that is in scope;
- a fact only if at least one of its evidence links points at an included Source, and only if
  every relationship the shapes require of it (`sh:minCount` ≥ 1 on a link: a holding's fund and
  company, an allegation's target, …) reaches an included node; otherwise it is left out whole;
- a relationship only when both ends are included and its own level (the most open level of
  the statements that state it) is at or below L; evidence only when its Source is included;
- `inReport` only for included reports.

Every condition is one Cypher predicate (`Visibility.predicate`), applied to the nodes paged out
and to the other end of each of their relationships, so the two can never disagree. The
predicate follows required links two levels deep, which is exact for today's ontology (the
targets of required links have no required links of their own).

`--as-of DATE` leaves out facts (holdings included) whose `date`, `startDate` or `asOf` is after
DATE; a partial date ("2020", "2020-06") counts as its first day. Sources, actors and regions
are not dated and stay.
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from neo4j import Driver

from ontology.export import WRITERS, ExportedNode, ExportMapping, StoredLink, Writer
from ontology.model import OntologyModel, load_model, shapes_graph
from ontology.types import sharing

FORMATS = tuple(WRITERS)
PAGE_SIZE = 500
AS_OF_PROPERTIES = ("date", "startDate", "asOf")  # the ontology properties that date a fact
REQUIRED_DEPTH = 2
# the relationships a node `n` states: it is their subject (start node for "out" types)
SUBJECT_SIDE = "((startNode(r) = n AND type(r) IN $out) OR (endNode(r) = n AND type(r) IN $in))"


class ExportError(ValueError):
    """Options that do not make an export (unknown level, scope or format)."""


class ScopeNotFound(ExportError):
    """The entity or report a scope names is not in the graph (or not visible at the level)."""


@dataclass(frozen=True)
class ExportOptions:
    format: str = "turtle"
    tlp: str = "CLEAR"
    scope: str = "all"  # all | entity:ID | report:ID
    hops: int = 1
    as_of: str | None = None
    complete: bool = False  # a backup: every node and relationship, whatever its level or shape

    def checked(self) -> ExportOptions:
        if self.format not in WRITERS:
            raise ExportError(f"unknown format {self.format!r} (known: {', '.join(FORMATS)})")
        if not sharing.is_level(self.tlp):
            raise ExportError(
                f"unknown sharing level {self.tlp!r} (known: {', '.join(sharing.levels())})"
            )
        kind = self.scope.split(":", 1)[0]
        if self.scope != "all" and (kind not in ("entity", "report") or ":" not in self.scope):
            raise ExportError(f"scope must be all, entity:ID or report:ID, not {self.scope!r}")
        if self.hops < 0 or self.hops > 5:
            raise ExportError("hops must be between 0 and 5")
        if self.as_of is not None:
            try:
                dt.date.fromisoformat(self.as_of)
            except ValueError:
                raise ExportError(f"as-of must be a date YYYY-MM-DD, not {self.as_of!r}") from None
        return self

    @property
    def levels(self) -> list[str]:
        return list(sharing.levels_up_to(self.tlp))


# ---------------------------------------------------------------------- what may be seen


def required_links(model: OntologyModel) -> dict[str, list[str]]:
    """Class name -> names of link/evidence properties the SHACL shapes require (minCount ≥ 1)."""
    sh = "http://www.w3.org/ns/shacl#"
    from rdflib import URIRef

    shapes = shapes_graph()
    by_iri = {p.iri: p for p in model.properties.values() if p.kind in ("link", "edge")}
    out: dict[str, list[str]] = {}
    for shape, target in shapes.subject_objects(URIRef(sh + "targetClass")):
        cls = next((c for c in model.classes.values() if c.iri == target), None)
        if cls is None or not cls.neo4j_label:
            continue
        for prop in shapes.objects(shape, URIRef(sh + "property")):
            spec = by_iri.get(shapes.value(prop, URIRef(sh + "path")))  # type: ignore[arg-type]
            count = shapes.value(prop, URIRef(sh + "minCount"))
            if spec is not None and count is not None and int(count) >= 1:
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
        self.params = {"levels": self.options.levels, "asOf": self.options.as_of}
        self.required = required_links(self.model)
        self.edge = self.model.edge_class

    def own(self, var: str) -> str:
        """Conditions on the node's own properties: level, date, scope."""
        if self.options.complete:
            return f"{var}.id IS NOT NULL"
        parts = [f"{var}.tlp IN $levels"]
        if self.options.as_of is not None:
            fact = self.model.cls("Fact").neo4j_label
            dated = " AND ".join(
                f"coalesce({var}.`{self.model.properties[p].neo4j_property}`, '') <= $asOf"
                for p in AS_OF_PROPERTIES
            )
            parts.append(f"(NOT {var}:`{fact}` OR ({dated}))")
        if self.scoped:
            parts.append(f"{var}.id IN $ids")
        return " AND ".join(parts)

    def predicate(self, var: str, depth: int = REQUIRED_DEPTH) -> str:
        parts = [self.own(var)]
        if depth > 0 and not self.options.complete:
            for class_name, names in self.required.items():
                label = self.model.cls(class_name).neo4j_label
                for name in names:
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
        return "true" if self.options.complete else f"{var}.tlp IN $levels"

    def _pattern(self, var: str, name: str, other: str) -> str:
        spec = self.model.properties[name]
        rel = f"{other}_r"
        if spec.kind == "edge":
            return f"({var})-[{rel}:`{self.edge.neo4j_type}`]->({other}:Node)"
        if spec.direction == "out":
            return f"({var})-[{rel}:`{spec.neo4j_type}`]->({other}:Node)"
        return f"({var})<-[{rel}:`{spec.neo4j_type}`]-({other}:Node)"


# ---------------------------------------------------------------------- reading the graph


class GraphExport:
    """Pages of records out of Neo4j for one set of options."""

    def __init__(self, driver: Driver, options: ExportOptions, database: str | None = None):
        self.driver = driver
        self.options = options.checked()
        self.database = database
        self.model = load_model()
        self.mapping = ExportMapping(self.model)
        self.visibility = Visibility(self.options, self.model)
        self.ids: list[str] | None = None
        if self.options.scope != "all":
            self.ids = sorted(self._scope_ids())
            self.visibility.scoped = True
            self.visibility.params["ids"] = self.ids
        self.reports = set(
            self._query(
                f"MATCH (n:`{self.model.cls('Report').neo4j_label}`) "
                f"WHERE {self.visibility.predicate('n')} RETURN n.id AS id"
            )
        )

    def _query(self, cypher: str, **params: Any) -> list[Any]:
        rows, _, _ = self.driver.execute_query(
            cypher, {**self.visibility.params, **params}, database_=self.database, routing_="r"
        )
        return [row[0] if len(row) == 1 else row for row in rows]

    # -- scope: the seed nodes, then everything they refer to

    def _scope_ids(self) -> set[str]:
        kind, ident = self.options.scope.split(":", 1)
        own = self.visibility.own("m")
        if kind == "report":
            if not self._query("MATCH (r:Node {id: $rid}) RETURN r.id", rid=ident):
                raise ScopeNotFound(f"no report {ident!r} in the graph")
            reports = self.mapping.in_report.neo4j_property
            cypher = f"MATCH (m:Node) WHERE $rid IN m.`{reports}` AND {own} RETURN m.id"
            return self._closure(set(self._query(cypher, rid=ident)))
        if not self._query(f"MATCH (m:Node {{id: $id}}) WHERE {own} RETURN m.id", id=ident):
            raise ScopeNotFound(f"no entity {ident!r} visible at {self.options.tlp}")
        seeds = frontier = {ident}
        step = (
            "MATCH (n:Node)-[r]-(m:Node) WHERE n.id IN $frontier AND type(r) <> $evidence "
            f"AND {own} RETURN DISTINCT m.id"
        )
        for _ in range(self.options.hops):
            evidence = self.mapping.edge.neo4j_type
            found = set(self._query(step, frontier=sorted(frontier), evidence=evidence))
            frontier = found - seeds
            seeds = seeds | frontier
        return self._closure(seeds)

    def _closure(self, ids: set[str]) -> set[str]:
        """Add what the nodes refer to (their links, sources and reports) until nothing is new."""
        reports = self.mapping.in_report.neo4j_property
        own = self.visibility.own("m")
        cypher = (
            "MATCH (n:Node) WHERE n.id IN $frontier "
            f"CALL {{ WITH n MATCH (n)-[r]-(m:Node) WHERE {SUBJECT_SIDE} AND {own} "
            "RETURN collect(m.id) AS linked } "
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

    def pages(self, page_size: int = PAGE_SIZE) -> Iterator[list[ExportedNode]]:
        """Nodes in id order, keyset-paged (`n.id > $after`), each with the links it states."""
        reports = self.mapping.in_report.neo4j_property
        link = (
            "{t: type(r), out: startNode(r) = n, other: m.id, props: properties(r), "
            f"reports: m.`{reports}`}}"
        )
        cypher = (
            f"MATCH (n:Node) WHERE n.id > $after AND {self.visibility.predicate('n')} "
            "WITH n ORDER BY n.id LIMIT $page "
            "CALL { WITH n OPTIONAL MATCH (n)-[r]-(m:Node) "
            f"WHERE {SUBJECT_SIDE} AND {self.visibility.link('r')} "
            f"AND {self.visibility.predicate('m')} "
            f"RETURN collect({link}) AS links }} "
            "RETURN labels(n) AS labels, properties(n) AS props, links ORDER BY n.id"
        )
        after = ""
        while True:
            rows = self._query(cypher, after=after, page=page_size, **self._sides)
            if not rows:
                return
            yield [self._node(row) for row in rows]
            after = rows[-1]["props"]["id"]
            if len(rows) < page_size:
                return

    def _node(self, row: Any) -> ExportedNode:
        links = [
            StoredLink(
                link["t"], link["out"], link["other"], link["props"] or {}, link["reports"] or []
            )
            for link in row["links"]
            if link["other"] is not None
        ]
        return self.mapping.node(row["labels"], row["props"], links, self.reports.__contains__)

    def writer(self) -> Writer:
        return WRITERS[self.options.format](self.mapping)

    def stream(self, page_size: int = PAGE_SIZE, writer: Writer | None = None) -> Iterator[str]:
        """The document, one chunk of text per page of nodes."""
        writer = writer or self.writer()
        yield writer.begin()
        for page in self.pages(page_size):
            yield "".join(writer.node(n) for n in page)
        yield writer.end()


def export_stream(
    driver: Driver, options: ExportOptions, database: str | None = None
) -> Iterator[str]:
    return GraphExport(driver, options, database).stream()


def open_output(path: Path | None) -> IO[str]:
    """A text stream for the export: the file (gzip'd when it ends in .gz), else stdout."""
    import sys

    if path is None:
        return sys.stdout
    if path.suffix == ".gz":
        return gzip.open(path, "wt", encoding="utf-8", newline="")  # type: ignore[return-value]
    return path.open("w", encoding="utf-8", newline="")


def write_export(
    driver: Driver, options: ExportOptions, out: IO[str], database: str | None = None
) -> Writer:
    export = GraphExport(driver, options, database)
    writer = export.writer()
    for chunk in export.stream(writer=writer):
        out.write(chunk)
    return writer
