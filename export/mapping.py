"""What the export needs from the ontology, computed once per model, and the shape a node
travels in from the reader to the writers (`ExportedNode`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from rdflib import RDFS, URIRef
from rdflib.term import Node

from ontology.model import RG, OntologyModel, PropertySpec
from ontology.records import Record
from ontology.statements import Statement

# what `node_triples` does beside a triple of a property (`ExportMapping.predicate_roles`)
PLAIN, EVIDENCE, EVIDENCE_TARGET, SAME_AS = range(4)
RecordPlan = tuple[list[tuple[str, str, bool]], dict[str, PropertySpec]]
"""`ExportMapping.record_plan`: (name, Neo4j property, is an id list) per value; links by type."""


@dataclass(frozen=True)
class StoredLink:
    """A relationship seen from one of its ends: `out` when that end is the start node.

    `other_props` holds the properties of the other end that a writer asked for
    (`Writer.neighbour_properties`), by ontology property name."""

    type: str
    out: bool
    other: str
    props: dict[str, Any]
    other_reports: list[str] = field(default_factory=list)
    other_props: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExportedNode:
    """A record, and what the writers need beside it.

    `link_reports`: the reports behind those of its links whose reports the importer cannot
    infer (it infers the reports both ends share, else the subject's): property name ->
    [(target id or evidence item, report ids)].
    `neighbours`: id of each node it links to -> the properties a writer asked for."""

    record: Record
    link_reports: dict[str, list[tuple[Any, list[str]]]] = field(default_factory=dict)
    neighbours: dict[str, dict[str, Any]] = field(default_factory=dict)
    statements: list[Statement] = field(default_factory=list)
    """With `--statements`: the node's statements the export may show."""
    link_statements: list[tuple[str, Any, list[Statement]]] = field(default_factory=list)
    """With `--statements`: (property name, target id or evidence item, statements) per link."""


class ExportMapping:
    """The ontology facts every reader and writer of one export shares."""

    def __init__(self, model: OntologyModel):
        self.model = model
        self.edge = model.edge_class
        self.edge_spec = next(p for p in model.properties.values() if p.kind == "edge")
        self.edge_props = model.properties_of(self.edge.name)
        self._record_plans: dict[str, RecordPlan] = {}

    def record_plan(self, class_name: str) -> RecordPlan:
        """What a stored node of the class gives its record, worked out once per class: its
        stored values in property-name order, as (name, Neo4j property, is an id list), and
        its link properties by relationship type."""
        plan = self._record_plans.get(class_name)
        if plan is None:
            specs = self.model.properties_of(class_name)
            values: list[tuple[str, str, bool]] = []
            by_type: dict[str, PropertySpec] = {}
            for name in sorted(specs):
                spec = specs[name]
                if spec.kind == "link" and spec.neo4j_type:
                    by_type[spec.neo4j_type] = spec
                elif spec.kind in ("literal", "vocab", "idlist") and spec.neo4j_property:
                    values.append((name, spec.neo4j_property, spec.kind == "idlist"))
            plan = self._record_plans[class_name] = (values, by_type)
        return plan

    @cached_property
    def subject_direction(self) -> dict[str, bool]:
        """Relationship type -> True when its subject is the start node (as the writer reads it)."""
        out: dict[str, bool] = {self.edge.neo4j_type or "EVIDENCED_BY": True}
        for spec in self.model.relationship_properties():
            direction = spec.direction == "out"
            if out.setdefault(spec.neo4j_type or "", direction) != direction:
                raise ValueError(f"{spec.neo4j_type} is used in both directions by the ontology")
        return out

    def subject_types(self, out: bool) -> list[str]:
        return sorted(t for t, d in self.subject_direction.items() if d == out)

    def external_types(self, class_name: str) -> list[URIRef]:
        """Superclasses outside our namespace (schema.org, ORG, PROV), from rdfs:subClassOf."""
        return self._external_types[class_name]

    @cached_property
    def _external_types(self) -> dict[str, list[URIRef]]:
        graph = self.model.graph
        types: dict[str, list[URIRef]] = {}
        for cls in self.model.classes.values():
            found: set[URIRef] = set()
            for ancestor in cls.ancestors:
                for sup in graph.objects(self.model.classes[ancestor].iri, RDFS.subClassOf):
                    if isinstance(sup, URIRef) and not str(sup).startswith(str(RG)):
                        found.add(sup)
            types[cls.name] = sorted(found)
        return types

    def own_types(self, class_name: str) -> list[URIRef]:
        """Every class of ours a node of this class is an instance of (rg:Company, rg:Organization,
        rg:Actor, rg:Node), so an export states the types the shapes target on its own."""
        return self._own_types[class_name]

    @cached_property
    def _own_types(self) -> dict[str, list[URIRef]]:
        classes = self.model.classes
        return {
            c.name: sorted((classes[a].iri for a in c.ancestors), key=str) for c in classes.values()
        }

    @cached_property
    def standard_properties(self) -> dict[Node, list[URIRef]]:
        """Our property IRI -> its super-properties outside our namespace (rdfs:subPropertyOf,
        followed through our own super-properties): schema:name and rdfs:label for rg:name,
        prov:qualifiedDerivation for rg:evidence, …"""
        graph = self.model.graph
        out: dict[Node, list[URIRef]] = {}
        for spec in self.model.properties.values():
            found: set[URIRef] = set()
            stack, seen = [spec.iri], set()
            while stack:
                current = stack.pop()
                if current in seen:
                    continue
                seen.add(current)
                for sup in graph.objects(current, RDFS.subPropertyOf):
                    if not isinstance(sup, URIRef):
                        continue
                    if str(sup).startswith(str(RG)):
                        stack.append(sup)
                    else:
                        found.add(sup)
            if found:
                out[spec.iri] = sorted(found, key=str)
        return out

    @cached_property
    def by_iri(self) -> dict[Node, PropertySpec]:
        return {spec.iri: spec for spec in self.model.properties.values()}

    @cached_property
    def same_as(self) -> dict[URIRef, str]:
        """Identifier property IRI -> IRI pattern of the same thing in another dataset."""
        graph = self.model.graph
        return {
            spec.iri: str(pattern)
            for spec in self.model.properties.values()
            if (pattern := graph.value(spec.iri, RG.sameAsPattern)) is not None
        }

    @cached_property
    def in_report(self) -> PropertySpec:
        """The property naming the reports that state a node (stored as a list of ids)."""
        report = self.model.cls("Report").name
        return next(
            p for p in self.model.properties.values() if p.kind == "idlist" and p.range == report
        )

    @cached_property
    def predicate_roles(self) -> dict[Node, tuple[PropertySpec, list[URIRef], int]]:
        """Our property IRI -> (its spec, its standard super-properties, its role): an evidence
        link, an evidence entry's source, an identifier with a same-as pattern, else plain. Read once, so the per-triple work is one dictionary lookup."""
        roles: dict[Node, tuple[PropertySpec, list[URIRef], int]] = {}
        target = self.edge_props.get(self.edge.edge_target or "")
        for iri, spec in self.by_iri.items():
            if iri == self.edge_spec.iri:
                role = EVIDENCE
            elif target is not None and iri == target.iri:
                role = EVIDENCE_TARGET
            elif iri in self.same_as:
                role = SAME_AS
            else:
                role = PLAIN
            roles[iri] = (spec, self.standard_properties.get(iri, []), role)
        return roles
