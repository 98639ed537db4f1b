"""A record as RDF: its own triples, the alignments partners expect, the term syntax, and the
base of the RDF writers.

The record becomes triples through `ontology.records.record_triples`, so export and import agree
by construction. On top of them the export states the alignments, all read from the ontology:
the external superclasses (schema.org, W3C ORG, PROV-O) of each class, prov:Derivation on
evidence, prov:wasDerivedFrom from a node to each of its sources, and owl:sameAs for identifier
properties that carry an `rg:sameAsPattern`. The importer ignores all of these.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

from rdflib import OWL, RDF, XSD, BNode, Literal, Namespace, URIRef
from rdflib.term import Node

from export.mapping import ExportedNode, ExportMapping
from export.writer import Writer
from ontology.model import ID_BASE, id_to_iri
from ontology.records import record_triples

PROV = Namespace("http://www.w3.org/ns/prov#")
Triple = tuple[Node, Node, Node]
SAFE_IDENTIFIER = re.compile(r"^[A-Za-z0-9._-]+$")
PN_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")


def node_triples(mapping: ExportMapping, node: ExportedNode) -> Iterator[Triple]:
    """The record's own triples, its alignments to standard vocabularies, and its link
    statements (`rg:inReport` on an evidence node, or on an rdf:Statement for a link)."""
    record = node.record
    model = mapping.model
    subject = id_to_iri(record["id"])
    sources: list[URIRef] = []
    evidence_reports = {
        json.dumps(item, sort_keys=True, default=str): reports
        for item, reports in node.link_reports.get(mapping.edge_spec.name, [])
    }
    evidence_items = iter(record.get(mapping.edge_spec.name, []))
    for triple in record_triples(record, model):
        yield triple
        s, p, o = triple
        if p == mapping.edge_spec.iri and isinstance(o, BNode):
            yield o, RDF.type, mapping.edge.iri
            for sup in mapping.external_types(mapping.edge.name):
                yield o, RDF.type, sup
            item = json.dumps(next(evidence_items), sort_keys=True, default=str)
            for report in evidence_reports.get(item, []):
                yield o, mapping.in_report.iri, id_to_iri(report)
        elif isinstance(s, BNode) and mapping.edge_props.get(_local(p)) is not None:
            if _local(p) == mapping.edge.edge_target and isinstance(o, URIRef) and o not in sources:
                sources.append(o)
        elif s == subject and p in mapping.same_as and SAFE_IDENTIFIER.match(str(o)):
            yield subject, OWL.sameAs, URIRef(mapping.same_as[p].format(value=str(o)))
    for sup in mapping.external_types(record["type"]):
        yield subject, RDF.type, sup
    for source in sources:
        yield subject, PROV.wasDerivedFrom, source
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


def _local(iri: Node) -> str:
    return str(iri).rsplit("#", 1)[-1]


def export_prefixes(mapping: ExportMapping) -> dict[str, str]:
    """Prefixes for the namespaces an export uses, named as the ontology files name them."""
    model = mapping.model
    iris: set[str] = {str(RDF.type), str(OWL.sameAs), str(PROV.wasDerivedFrom), str(XSD.decimal)}
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


def iri_term(iri: str) -> str:
    return "<" + iri.translate(_IRI_ESCAPES) + ">"


def literal_body(text: str) -> str:
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
    """An RDF document; counts the triples it writes."""

    def __init__(self, mapping: ExportMapping):
        super().__init__(mapping)
        self.triples = 0

    def summary(self) -> str:
        return f"{self.triples} triples"
