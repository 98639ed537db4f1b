"""The ontology read as data: classes, properties, vocabularies and their Neo4j mapping.

Everything that knows a label, a relationship type or a property name asks this module; the
module asks the Turtle files. Adding a class or property to the ontology adds no Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal
from urllib.parse import quote, unquote

from rdflib import OWL, RDF, RDFS, XSD, Graph, Namespace, URIRef
from rdflib.namespace import SKOS

ONTOLOGY_DIR = Path(__file__).resolve().parent
ONTOLOGY_FILES = ("rightsgraph.ttl", "vocabularies.ttl")
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"

RG = Namespace("https://w3id.org/rightsgraph/ontology#")
ID_BASE = "https://w3id.org/rightsgraph/id/"
CONTEXT_URL = "https://w3id.org/rightsgraph/context.jsonld"

PropertyKind = Literal["literal", "link", "vocab", "edge", "idlist"]


@dataclass(frozen=True)
class ClassSpec:
    name: str
    iri: URIRef
    label: str
    definition: str
    ancestors: frozenset[str]
    neo4j_label: str | None = None
    abstract: bool = False
    neo4j_type: str | None = None  # for edge classes (stored as relationships)
    edge_target: str | None = None

    @property
    def is_edge(self) -> bool:
        return self.edge_target is not None

    def is_a(self, name: str) -> bool:
        return name in self.ancestors


@dataclass(frozen=True)
class PropertySpec:
    name: str
    iri: URIRef
    label: str
    definition: str
    kind: PropertyKind
    domain: str
    range: str  # class local name, or XSD local name for literals
    datatype: URIRef | None = None
    neo4j_property: str | None = None
    neo4j_type: str | None = None
    direction: Literal["out", "in"] | None = None
    multiple: bool = False
    partial_date: bool = False
    vocabulary: str | None = None


@dataclass(frozen=True)
class Vocabulary:
    name: str
    label: str
    concepts: dict[str, URIRef]  # notation -> IRI
    labels: dict[str, str] = field(default_factory=dict)  # notation -> preferred label

    def notation_of(self, iri: URIRef | str) -> str | None:
        for notation, concept in self.concepts.items():
            if str(concept) == str(iri):
                return notation
        return None


def _local(iri: URIRef | str) -> str:
    text = str(iri)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _text(g: Graph, subject: URIRef, predicate: URIRef) -> str | None:
    value = g.value(subject, predicate)
    return str(value) if value is not None else None


class OntologyModel:
    """Classes, properties and vocabularies of the RightsGraph ontology."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.classes: dict[str, ClassSpec] = {}
        self.properties: dict[str, PropertySpec] = {}
        self.vocabularies: dict[str, Vocabulary] = {}
        self._properties_of: dict[str, dict[str, PropertySpec]] = {}
        self._read_classes()
        self._read_vocabularies()
        self._read_properties()

    # ------------------------------------------------------------------ reading
    def _ancestors(self, iri: URIRef) -> frozenset[str]:
        seen: set[str] = set()
        stack = [iri]
        while stack:
            current = stack.pop()
            if not str(current).startswith(str(RG)):
                continue
            name = _local(current)
            if name in seen:
                continue
            seen.add(name)
            stack.extend(
                o for o in self.graph.objects(current, RDFS.subClassOf) if isinstance(o, URIRef)
            )
        return frozenset(seen)

    def _read_classes(self) -> None:
        g = self.graph
        for iri in sorted(g.subjects(RDF.type, OWL.Class)):
            if not isinstance(iri, URIRef) or not str(iri).startswith(str(RG)):
                continue
            target = g.value(iri, RG.neo4jEdgeTarget)
            self.classes[_local(iri)] = ClassSpec(
                name=_local(iri),
                iri=iri,
                label=_text(g, iri, RDFS.label) or "",
                definition=_text(g, iri, SKOS.definition) or "",
                ancestors=self._ancestors(iri),
                neo4j_label=_text(g, iri, RG.neo4jLabel),
                abstract=bool(g.value(iri, RG.abstract)),
                neo4j_type=_text(g, iri, RG.neo4jType),
                edge_target=_local(target) if target is not None else None,
            )

    def _read_vocabularies(self) -> None:
        g = self.graph
        for scheme in sorted(g.subjects(RDF.type, SKOS.ConceptScheme)):
            concepts: dict[str, URIRef] = {}
            labels: dict[str, str] = {}
            for concept in sorted(g.subjects(SKOS.inScheme, scheme)):
                notation = _text(g, concept, SKOS.notation) or _local(concept)
                concepts[notation] = concept
                labels[notation] = _text(g, concept, SKOS.prefLabel) or notation
            name = _local(scheme)
            self.vocabularies[name] = Vocabulary(
                name, _text(g, scheme, SKOS.prefLabel) or name, concepts, labels
            )

    def _read_properties(self) -> None:
        g = self.graph
        for ptype in (OWL.DatatypeProperty, OWL.ObjectProperty):
            for iri in sorted(g.subjects(RDF.type, ptype)):
                if not str(iri).startswith(str(RG)):
                    continue
                self.properties[_local(iri)] = self._read_property(iri, ptype)

    def _read_property(self, iri: URIRef, ptype: URIRef) -> PropertySpec:
        g = self.graph
        name = _local(iri)
        domain = g.value(iri, RDFS.domain)
        rng = g.value(iri, RDFS.range)
        vocabulary = g.value(iri, RG.vocabulary)
        neo4j_type = _text(g, iri, RG.neo4jType)
        neo4j_property = _text(g, iri, RG.neo4jProperty)
        datatype: URIRef | None = None
        kind: PropertyKind
        if ptype == OWL.DatatypeProperty:
            kind, datatype = "literal", rng if isinstance(rng, URIRef) else XSD.string
        elif vocabulary is not None:
            kind = "vocab"
        elif (
            rng is not None
            and self.classes.get(_local(rng), None)
            and self.classes[_local(rng)].is_edge
        ):
            kind = "edge"
        elif neo4j_type is not None:
            kind = "link"
        elif neo4j_property is not None:
            kind = "idlist"
        else:
            kind = "link"  # edge-class member such as rg:source
        return PropertySpec(
            name=name,
            iri=iri,
            label=_text(g, iri, RDFS.label) or "",
            definition=_text(g, iri, SKOS.definition) or "",
            kind=kind,
            domain=_local(domain) if domain is not None else "Node",
            range=_local(rng) if rng is not None else "string",
            datatype=datatype,
            neo4j_property=neo4j_property,
            neo4j_type=neo4j_type,
            direction=_text(g, iri, RG.neo4jDirection),  # type: ignore[arg-type]
            multiple=bool(g.value(iri, RG.multiple)),
            partial_date=bool(g.value(iri, RG.partialDate)),
            vocabulary=_local(vocabulary) if vocabulary is not None else None,
        )

    # ------------------------------------------------------------------ queries
    @property
    def node_classes(self) -> list[ClassSpec]:
        """Concrete classes: a record's type, stored as a Neo4j node."""
        return [c for c in self.classes.values() if c.neo4j_label and not c.abstract]

    def labels_of(self, class_name: str) -> list[str]:
        """Every Neo4j label a node of this class carries, most general first."""
        classes = [self.classes[a] for a in self.cls(class_name).ancestors]
        ranked = sorted((c for c in classes if c.neo4j_label), key=lambda c: len(c.ancestors))
        return [c.neo4j_label for c in ranked]  # type: ignore[misc]

    def class_of_labels(self, labels: list[str]) -> ClassSpec:
        """The concrete class of a node from its labels."""
        return next(c for c in self.node_classes if c.neo4j_label in labels)

    @property
    def edge_class(self) -> ClassSpec:
        return next(c for c in self.classes.values() if c.is_edge)

    def cls(self, name: str) -> ClassSpec:
        try:
            return self.classes[name]
        except KeyError:
            raise KeyError(f"unknown type {name!r}") from None

    def class_by_label(self, label: str) -> ClassSpec:
        return next(c for c in self.node_classes if c.neo4j_label == label)

    def properties_of(self, class_name: str) -> dict[str, PropertySpec]:
        """All properties a record of this class may carry (its own and inherited)."""
        cached = self._properties_of.get(class_name)
        if cached is None:  # asked for every record an adapter, the writer or SHACL touches
            ancestors = self.cls(class_name).ancestors
            cached = {n: p for n, p in self.properties.items() if p.domain in ancestors}
            self._properties_of[class_name] = cached
        return cached

    def relationship_properties(self) -> list[PropertySpec]:
        return [p for p in self.properties.values() if p.kind == "link" and p.neo4j_type]

    def property_by_type(self, rel_type: str) -> PropertySpec:
        return next(p for p in self.relationship_properties() if p.neo4j_type == rel_type)

    def vocabulary(self, name: str) -> Vocabulary:
        return self.vocabularies[name]

    def text_properties(self) -> list[str]:
        """Neo4j properties indexed for full-text search: names, aliases and identifiers."""
        names = ("name", "alias", "identifier", "lei", "isin", "ticker", "wikidataId", "iso3166")
        return [
            self.properties[n].neo4j_property for n in names if self.properties[n].neo4j_property
        ]  # type: ignore[misc]


def id_to_iri(node_id: str) -> URIRef:
    return URIRef(ID_BASE + quote(node_id, safe=":@-._~"))


def iri_to_id(iri: str) -> str:
    if not iri.startswith(ID_BASE):
        raise ValueError(f"{iri} is not a RightsGraph id IRI")
    return unquote(iri[len(ID_BASE) :])


@cache
def load_model() -> OntologyModel:
    graph = Graph()
    for name in ONTOLOGY_FILES:
        graph.parse(ONTOLOGY_DIR / name, format="turtle")
    return OntologyModel(graph)


@cache
def shapes_graph() -> Graph:
    graph = Graph()
    graph.parse(SHAPES_FILE, format="turtle")
    return graph
