"""The ontology read as data: classes, properties, vocabularies and their Neo4j mapping.

Everything that knows a label, a relationship type or a property name asks this module; the
module asks the Turtle files. So do the behaviour flags (which classes are resolved, which
properties are identity keys, searchable, united or indexed): adding a class or property to the
ontology adds no Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal
from urllib.parse import quote, unquote

from rdflib import OWL, RDF, RDFS, XSD, Graph, Namespace, URIRef
from rdflib import Literal as RdfLiteral
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
    resolved: bool = False
    """Records are entities, matched to the graph's own by identity keys (rg:resolved)."""
    resolved_by_name: bool = False
    """Records also match by normalised name or alias (rg:resolvedByName)."""

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
    identity_key: bool = False
    """An identity key for resolution (rg:identityKey)."""
    searchable: bool = False
    """Its values go into searchText, covered by the full-text index (rg:searchable)."""
    union: bool = False
    """A list several reports add to: united with the graph's values, not replaced (rg:union)."""
    indexed: bool = False
    """Has a Neo4j range index on its domain's label (rg:indexed)."""
    rank: int | None = None
    """Order among flagged properties (rg:rank): identity keys are tried in this order."""


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


def _flag(g: Graph, subject: URIRef, predicate: URIRef) -> bool:
    """A boolean annotation such as `rg:union true` (absent is false)."""
    value = g.value(subject, predicate)
    return bool(value.toPython()) if isinstance(value, RdfLiteral) else False


def _ranked(props: Iterable[PropertySpec]) -> tuple[PropertySpec, ...]:
    """Properties in rank order; unranked ones last, by name."""
    return tuple(sorted(props, key=lambda p: (p.rank is None, p.rank or 0, p.name)))


class OntologyError(ValueError):
    """The Turtle files contradict themselves (a flag where it cannot hold)."""


class OntologyModel:
    """Classes, properties and vocabularies of the RightsGraph ontology."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.classes: dict[str, ClassSpec] = {}
        self.properties: dict[str, PropertySpec] = {}
        self.vocabularies: dict[str, Vocabulary] = {}
        self._properties_of: dict[str, dict[str, PropertySpec]] = {}
        self._labels_of: dict[str, tuple[str, ...]] = {}  # asked per record and per node
        self._class_of_labels: dict[tuple[str, ...], ClassSpec] = {}
        self._read_classes()
        self._read_vocabularies()
        self._read_properties()
        self._check_flags()
        flagged = self.properties.values()
        self._identifiers = _ranked(p for p in flagged if p.identity_key)
        self._searchable = _ranked(p for p in flagged if p.searchable)
        self._union = _ranked(p for p in flagged if p.union)
        self._indexed = tuple(
            (self.cls(p.domain).neo4j_label, p.neo4j_property)
            for p in sorted(flagged, key=lambda p: (p.domain, p.name))
            if p.indexed
        )
        self.__dict__.pop("_node_classes", None)  # computed from the classes as finally read

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
            ancestors = self._ancestors(iri)
            self.classes[_local(iri)] = ClassSpec(
                name=_local(iri),
                iri=iri,
                label=_text(g, iri, RDFS.label) or "",
                definition=_text(g, iri, SKOS.definition) or "",
                ancestors=ancestors,
                neo4j_label=_text(g, iri, RG.neo4jLabel),
                abstract=bool(g.value(iri, RG.abstract)),
                neo4j_type=_text(g, iri, RG.neo4jType),
                edge_target=_local(target) if target is not None else None,
                resolved=any(_flag(g, RG[a], RG.resolved) for a in ancestors),
                resolved_by_name=any(_flag(g, RG[a], RG.resolvedByName) for a in ancestors),
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
            identity_key=_flag(g, iri, RG.identityKey),
            searchable=_flag(g, iri, RG.searchable),
            union=_flag(g, iri, RG.union),
            indexed=_flag(g, iri, RG.indexed),
            rank=int(rank.toPython())
            if isinstance(rank := g.value(iri, RG.rank), RdfLiteral)
            else None,
        )

    def _check_flags(self) -> None:
        """Refuse flags that cannot hold, so a wrong annotation fails at load, not at ingest."""
        for c in self.classes.values():
            if c.resolved_by_name and not c.resolved:
                raise OntologyError(f"class {c.name}: rg:resolvedByName without rg:resolved")
        for p in self.properties.values():
            if p.union and not p.multiple:
                raise OntologyError(f"property {p.name}: rg:union needs rg:multiple true")
            if p.identity_key and p.kind != "literal":
                raise OntologyError(f"property {p.name}: rg:identityKey on a non-literal")
            if (p.identity_key or p.searchable or p.indexed) and not p.neo4j_property:
                raise OntologyError(f"property {p.name}: a flag needs rg:neo4jProperty")
            if p.indexed and not self.cls(p.domain).neo4j_label:
                raise OntologyError(f"property {p.name}: rg:indexed on a domain without a label")

    # ------------------------------------------------------------------ queries
    @property
    def node_classes(self) -> list[ClassSpec]:
        """Concrete classes: a record's type, stored as a Neo4j node."""
        found = self.__dict__.get("_node_classes")
        if found is None:  # asked per record: the classes never change once read
            found = self._node_classes = tuple(
                c for c in self.classes.values() if c.neo4j_label and not c.abstract
            )
        return list(found)

    def labels_of(self, class_name: str) -> list[str]:
        """Every Neo4j label a node of this class carries, most general first."""
        labels = self._labels_of.get(class_name)
        if labels is None:
            classes = [self.classes[a] for a in self.cls(class_name).ancestors]
            ranked = sorted((c for c in classes if c.neo4j_label), key=lambda c: len(c.ancestors))
            labels = self._labels_of[class_name] = tuple(c.neo4j_label for c in ranked)  # type: ignore[misc]
        return list(labels)

    def class_of_labels(self, labels: list[str]) -> ClassSpec:
        """The concrete class of a node from its labels."""
        key = tuple(labels)
        cls = self._class_of_labels.get(key)
        if cls is None:
            cls = next(c for c in self.node_classes if c.neo4j_label in labels)
            self._class_of_labels[key] = cls
        return cls

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

    # ------------------------------------------------------------------ behaviour flags
    def resolved_classes(self) -> list[ClassSpec]:
        """Concrete classes whose records are resolved entities (rg:resolved, inherited)."""
        return [c for c in self.node_classes if c.resolved]

    def identifier_properties(self) -> tuple[PropertySpec, ...]:
        """Identity keys for resolution (rg:identityKey), in the order they are tried."""
        return self._identifiers

    def searchable_properties(self) -> tuple[PropertySpec, ...]:
        """Properties written into searchText (rg:searchable), in rank order."""
        return self._searchable

    def union_properties(self) -> tuple[PropertySpec, ...]:
        """List properties that several reports add to (rg:union)."""
        return self._union

    def indexed_properties(self) -> tuple[tuple[str, str], ...]:
        """(Neo4j label, Neo4j property) of each range index the ontology asks for (rg:indexed)."""
        return self._indexed  # type: ignore[return-value]


_ID_SAFE = ":@-._~"
_UNQUOTED = re.compile(r"[A-Za-z0-9:@\-._~]*")
"""The ids `quote` leaves as they are (ASCII letters, digits and the safe marks): most."""
_ID_IRI_CACHE_SIZE = 20_000
_id_iris: dict[str, URIRef] = {}
"""Bounded: ids that many triples point at (sources, reports, companies) are made once."""


def id_to_iri(node_id: str) -> URIRef:
    iri = _id_iris.get(node_id)
    if iri is None:
        tail = node_id if _UNQUOTED.fullmatch(node_id) else quote(node_id, safe=_ID_SAFE)
        iri = URIRef(ID_BASE + tail)
        if len(_id_iris) >= _ID_IRI_CACHE_SIZE:
            _id_iris.clear()
        _id_iris[node_id] = iri
    return iri


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
