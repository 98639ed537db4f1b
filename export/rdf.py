"""A record as RDF: its own triples, the standard terms partners expect, the term syntax, and
the base of the RDF writers.

The record becomes triples through `ontology.records.record_triples`, so export and import agree
by construction. Beside them the export states, all read from the ontology:

- every class of ours the node is an instance of (rg:Company, rg:Organization, rg:Actor,
  rg:Node), so the export conforms to the shapes without the ontology loaded, and the external
  superclasses (schema.org, W3C ORG, PROV-O) of each;
- for each value of a property with a super-property outside our namespace (rdfs:subPropertyOf:
  rg:name → schema:name and rdfs:label, rg:alias → skos:altLabel, rg:date → dcterms:date, …) the
  same value under that property, in the form a consumer of it expects: a URL as an IRI
  (schema:url), a date typed xsd:date, xsd:gYearMonth or xsd:gYear by its precision;
- PROV qualified derivation: prov:wasDerivedFrom from a node to each of its sources, and each
  evidence entry as a prov:Derivation with a stable IRI (`evidence_iri`: hashed from the node
  and the entry: source, quote, locator), reached by prov:qualifiedDerivation and naming its
  source by prov:entity (the super-properties of rg:evidence and rg:source);
- owl:sameAs for identifier properties that carry an `rg:sameAsPattern`;
- the SKOS concepts the values use (`concept_triples`, once per document).

The importer reads only our own terms and counts the rest as ignored.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator

from rdflib import OWL, RDF, XSD, BNode, Literal, Namespace, URIRef
from rdflib.term import Node

from export.mapping import (
    EVIDENCE,
    EVIDENCE_TARGET,
    SAME_AS,
    ExportedNode,
    ExportMapping,
)
from export.writer import Writer
from ontology.model import ID_BASE, PropertySpec, id_to_iri
from ontology.provenance import node_statement_triples, statement_triples
from ontology.records import Record, record_triples
from ontology.types import dates

PROV = Namespace("http://www.w3.org/ns/prov#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
EVIDENCE_BASE = ID_BASE + "evidence/"
"""Evidence IRIs: inside our id space, never a node id (ids have no slash)."""
Triple = tuple[Node, Node, Node]
SAFE_IDENTIFIER = re.compile(r"^[A-Za-z0-9._-]+$")
PN_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
WEB_IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
DATE_TYPES = {"year": XSD.gYear, "month": XSD.gYearMonth, "day": XSD.date}
# looked up once: an attribute of an rdflib namespace is a slow call in a per-triple loop
TYPE, SAME_AS_IRI, DERIVED_FROM, STRING = RDF.type, OWL.sameAs, PROV.wasDerivedFrom, XSD.string
ANY_URI, DATE = XSD.anyURI, XSD.date


def evidence_iri(node_id: str, item: Record) -> URIRef:
    """The stable IRI of one evidence entry of a node (its source, quote, locator)."""
    text = json.dumps([node_id, item], sort_keys=True, ensure_ascii=False, default=str)
    return URIRef(EVIDENCE_BASE + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32])


def standard_value(spec: PropertySpec, value: Node) -> Node | None:
    """The value as a standard super-property of `spec` expects it, or None when it has no
    such form (a URL that is not an absolute web address, a date that is not a date)."""
    if not isinstance(value, Literal):
        return value
    text = str(value)
    if spec.datatype == ANY_URI:
        return URIRef(text) if WEB_IRI.match(text) else None
    if spec.partial_date or spec.datatype == DATE:
        try:
            parsed = dates.parse(text)
        except ValueError:
            return None
        if parsed != text:
            return None
        return Literal(text, datatype=DATE_TYPES[dates.precision(text)])
    return value


def node_triples(
    mapping: ExportMapping, node: ExportedNode, concepts: set[URIRef] | None = None
) -> Iterator[Triple]:
    """The record's own triples, the standard terms beside them (see the module), and its link
    statements (`rg:inReport` on an evidence node, or on an rdf:Statement for a link).
    Vocabulary concepts the record uses are added to `concepts`."""
    record = node.record
    model = mapping.model
    subject = id_to_iri(record["id"])
    sources: list[URIRef] = []
    evidence_reports = {
        json.dumps(item, sort_keys=True, default=str): reports
        for item, reports in node.link_reports.get(mapping.edge_spec.name, [])
    }
    evidence_items = iter(record.get(mapping.edge_spec.name, []))
    roles = mapping.predicate_roles
    for triple in record_triples(record, model, evidence_node=evidence_iri):
        yield triple
        s, p, o = triple
        role = roles.get(p)
        if role is None:
            continue
        spec, sups, kind = role
        if concepts is not None and spec.kind == "vocab":
            concepts.add(o)  # type: ignore[arg-type]
        for sup in sups:
            if (standard := standard_value(spec, o)) is not None:
                yield s, sup, standard
        if kind == EVIDENCE:
            yield o, TYPE, mapping.edge.iri
            for sup in mapping.external_types(mapping.edge.name):
                yield o, TYPE, sup
            item = next(evidence_items)
            if evidence_reports:  # rare: the key is only worth making when there are some
                key = json.dumps(item, sort_keys=True, default=str)
                for report in evidence_reports.get(key, []):
                    yield o, mapping.in_report.iri, id_to_iri(report)
        elif kind == EVIDENCE_TARGET:
            if s != subject and isinstance(o, URIRef) and o not in sources:
                sources.append(o)
        elif kind == SAME_AS and s == subject and SAFE_IDENTIFIER.match(str(o)):
            yield subject, SAME_AS_IRI, URIRef(mapping.same_as[p].format(value=str(o)))
    own = model.cls(record["type"]).iri
    for cls in mapping.own_types(record["type"]):
        if cls != own:
            yield subject, TYPE, cls
    for sup in mapping.external_types(record["type"]):
        yield subject, TYPE, sup
    for source in sources:
        yield subject, DERIVED_FROM, source
    yield from provenance_triples(mapping, node)
    for name, statements in sorted(node.link_reports.items()):
        if name == mapping.edge_spec.name:
            continue
        for target, reports in statements:
            statement = BNode()
            yield statement, RDF.type, RDF.Statement
            yield statement, RDF.subject, subject
            yield statement, RDF.predicate, model.properties[name].iri
            yield statement, RDF.object, id_to_iri(target)
            for report in reports:
                yield statement, mapping.in_report.iri, id_to_iri(report)


def provenance_triples(mapping: ExportMapping, node: ExportedNode) -> Iterator[Triple]:
    """With `--statements`: each statement of the node and of its links, reified
    (`ontology.provenance`)."""
    record = node.record
    model = mapping.model
    yield from node_statement_triples(model, record["id"], record["type"], node.statements)
    subject = id_to_iri(record["id"])
    for name, value, statements in node.link_statements:
        spec = model.properties[name]
        target = evidence_iri(record["id"], value) if spec.kind == "edge" else id_to_iri(value)
        for s in statements:
            yield from statement_triples(subject, spec.iri, target, s)


def concept_triples(mapping: ExportMapping, concepts: Iterable[URIRef]) -> Iterator[Triple]:
    """What the ontology says of each concept (skos:prefLabel, skos:notation, skos:inScheme,
    …) and of the schemes they are in: so a reader without our vocabularies sees their labels."""
    graph = mapping.model.graph
    schemes: set[Node] = set()
    for concept in sorted(set(concepts), key=str):
        for p, o in sorted(graph.predicate_objects(concept)):
            if not isinstance(o, BNode):
                yield concept, p, o
            if p == SKOS.inScheme:
                schemes.add(o)
    for scheme in sorted(schemes, key=str):
        for p, o in sorted(graph.predicate_objects(scheme)):
            if not isinstance(o, BNode):
                yield scheme, p, o


def by_subject(triples: Iterable[Triple]) -> dict[Node, list[tuple[Node, Node]]]:
    """(predicate, object) pairs per subject, subjects in order of first appearance."""
    out: dict[Node, list[tuple[Node, Node]]] = {}
    for s, p, o in triples:
        out.setdefault(s, []).append((p, o))
    return out


def export_prefixes(mapping: ExportMapping) -> dict[str, str]:
    """Prefixes for the namespaces an export uses, named as the ontology files name them."""
    model = mapping.model
    iris: set[str] = {str(RDF.type), str(OWL.sameAs), str(PROV.wasDerivedFrom), str(XSD.decimal)}
    iris.update(str(t) for t in DATE_TYPES.values())
    iris.update(str(sup) for sups in mapping.standard_properties.values() for sup in sups)
    iris.add(str(SKOS.prefLabel))
    for cls in model.classes.values():
        iris.add(str(cls.iri))
        iris.update(str(t) for t in mapping.external_types(cls.name))
    for spec in model.properties.values():
        iris.add(str(spec.iri))
        if spec.datatype is not None:
            iris.add(str(spec.datatype))
    for vocab in model.vocabularies.values():
        iris.update(str(c) for c in vocab.concepts.values())
    declared = {str(ns): prefix for prefix, ns in model.graph.namespaces() if prefix}
    declared.setdefault(str(PROV), "prov")
    used: dict[str, str] = {}
    for ns, prefix in sorted(declared.items(), key=lambda kv: kv[1]):
        if any(iri.startswith(ns) and PN_LOCAL.match(iri[len(ns) :]) for iri in iris):
            used[prefix] = ns
    used["id"] = ID_BASE
    return used


# ---------------------------------------------------------------------- term syntax

_ESCAPES = {
    ord("\\"): "\\\\",
    ord('"'): '\\"',
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
    ord("\b"): "\\b",
    ord("\f"): "\\f",
}
_ESCAPES.update({c: f"\\u{c:04X}" for c in [*range(0x20), 0x7F] if c not in _ESCAPES})
# IRIREF excludes controls, space and <>"{}|^`\ : written as UCHAR escapes
_IRI_ESCAPES = {c: f"\\u{c:04X}" for c in [*range(0x21), *map(ord, '<>"{}|^`\\')]}


# most text needs no escape: a search finds that far faster than `str.translate` walks it
_NEEDS_ESCAPE = re.compile("[" + re.escape("".join(map(chr, _ESCAPES))) + "]")
_IRI_NEEDS_ESCAPE = re.compile("[" + re.escape("".join(map(chr, _IRI_ESCAPES))) + "]")


def iri_term(iri: str) -> str:
    if _IRI_NEEDS_ESCAPE.search(iri) is None:
        return "<" + iri + ">"
    return "<" + iri.translate(_IRI_ESCAPES) + ">"


def literal_body(text: str) -> str:
    if _NEEDS_ESCAPE.search(text) is None:
        return '"' + text + '"'
    return '"' + text.translate(_ESCAPES) + '"'


def nt_term(term: Node, blank: Callable[[BNode], str]) -> str:
    """A term in N-Triples syntax (also valid Turtle)."""
    if isinstance(term, URIRef):
        return iri_term(str(term))
    if isinstance(term, BNode):
        return "_:" + blank(term)
    if isinstance(term, Literal):
        body = literal_body(str(term))
        if term.language:
            return f"{body}@{term.language}"
        if term.datatype is not None and term.datatype != XSD.string:
            return f"{body}^^{iri_term(str(term.datatype))}"
        return body
    raise TypeError(f"not an RDF term: {term!r}")


# ---------------------------------------------------------------------- writers' base


class RdfWriter(Writer):
    """An RDF document; counts the triples it writes. Each node's triples come from
    `triples(node)`; the document ends with the concepts its values used and, when the options
    ask for it, the ontology and the shapes (`closing_triples`)."""

    def __init__(self, mapping: ExportMapping, with_ontology: bool = False):
        super().__init__(mapping)
        self.triples = 0
        self.concepts: set[URIRef] = set()
        self.with_ontology = with_ontology

    def node_triples(self, node: ExportedNode) -> list[Triple]:
        out = list(node_triples(self.mapping, node, self.concepts))
        self.triples += len(out)
        return out

    def closing_triples(self) -> list[Triple]:
        out = list(concept_triples(self.mapping, self.concepts))
        if self.with_ontology:
            from ontology.model import shapes_graph

            seen = dict.fromkeys(out)
            for graph in (self.mapping.model.graph, shapes_graph()):
                seen.update(dict.fromkeys(sorted(graph)))
            out = list(seen)
        self.triples += len(out)
        return out

    def summary(self) -> str:
        return f"{self.triples} triples"
