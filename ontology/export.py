"""The ontology's Neo4j mapping run backwards: stored nodes → records → triples, and writers.

A node, the relationships it is the subject of and its EVIDENCED_BY links become the record the
writer would store again (`StoredNode.record`); the record becomes triples through
`ontology.records.record_triples`, so export and import agree by construction. On top of the
record's own triples the export states the alignments partners expect, all read from the
ontology: the external superclasses (schema.org, W3C ORG, PROV-O) of each class, prov:Derivation
on evidence, prov:wasDerivedFrom from a node to each of its sources, and owl:sameAs for
identifier properties that carry an `rg:sameAsPattern`. The importer ignores all of these.

The writers (N-Triples, Turtle, JSON-LD) take one record at a time and return text, so an export
of any size is written in constant memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from rdflib import OWL, RDF, RDFS, XSD, BNode, Literal, Namespace, URIRef
from rdflib.term import Node

from ontology.context import build_context
from ontology.model import ID_BASE, RG, OntologyModel, PropertySpec, id_to_iri
from ontology.records import Record, canonical_decimal, record_triples

PROV = Namespace("http://www.w3.org/ns/prov#")
Triple = tuple[Node, Node, Node]
SAFE_IDENTIFIER = re.compile(r"^[A-Za-z0-9._-]+$")


# ---------------------------------------------------------------------- node -> record


@dataclass(frozen=True)
class StoredLink:
    """A relationship seen from one of its ends: `out` when that end is the start node."""

    type: str
    out: bool
    other: str
    props: dict[str, Any]
    other_reports: list[str] = field(default_factory=list)


@dataclass
class ExportedNode:
    """A record and the reports behind those of its links whose reports the importer cannot
    infer (it infers the reports both ends share, else the subject's): property name ->
    [(target id or evidence item, report ids)]."""

    record: Record
    link_reports: dict[str, list[tuple[Any, list[str]]]] = field(default_factory=dict)


class ExportMapping:
    """What the export needs from the ontology, computed once per model."""

    def __init__(self, model: OntologyModel):
        self.model = model
        self.edge = model.edge_class
        self.edge_spec = next(p for p in model.properties.values() if p.kind == "edge")
        self.edge_props = model.properties_of(self.edge.name)

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

    @cached_property
    def same_as(self) -> dict[URIRef, str]:
        """Identifier property IRI -> IRI pattern of the same thing in another dataset."""
        graph = self.model.graph
        return {
            spec.iri: str(pattern)
            for spec in self.model.properties.values()
            if (pattern := graph.value(spec.iri, RG.sameAsPattern)) is not None
        }

    def node(
        self,
        labels: list[str],
        props: dict[str, Any],
        links: Iterable[StoredLink],
        keep_report: Callable[[str], bool] | None = None,
    ) -> ExportedNode:
        """The record a node stands for; links are those the node is the subject of."""
        keep = keep_report or (lambda _: True)
        cls = self.model.class_of_labels(labels)
        specs = self.model.properties_of(cls.name)
        record: Record = {"id": props["id"], "type": cls.name}
        by_type: dict[str, PropertySpec] = {}
        for name in sorted(specs):
            spec = specs[name]
            if spec.kind == "link" and spec.neo4j_type:
                by_type[spec.neo4j_type] = spec
                continue
            if spec.kind not in ("literal", "vocab", "idlist") or not spec.neo4j_property:
                continue
            value = props.get(spec.neo4j_property)
            if value is None:
                continue
            if spec.kind == "idlist":
                value = [v for v in value if keep(v)]
            if value == []:
                continue
            record[name] = value
        own_reports = [r for r in props.get(self.in_report.neo4j_property or "") or [] if keep(r)]
        linked: dict[str, list[str]] = {}
        evidence: list[Record] = []
        exported = ExportedNode(record)
        for link in links:
            if link.out != self.subject_direction.get(link.type):
                continue
            if link.type == self.edge.neo4j_type:
                name, value = self.edge_spec.name, self._evidence(link)
                evidence.append(value)
            elif link.type in by_type:
                name, value = by_type[link.type].name, link.other
                linked.setdefault(name, []).append(value)
            else:
                continue
            stated = sorted(
                r for r in link.props.get(self.in_report.neo4j_property or "") or [] if keep(r)
            )
            other = {r for r in link.other_reports if keep(r)}
            inferred = sorted(set(own_reports) & other) or sorted(own_reports)
            if stated and stated != inferred:
                exported.link_reports.setdefault(name, []).append((value, stated))
        for name, targets in sorted(linked.items()):
            targets = sorted(set(targets))
            record[name] = targets if specs[name].multiple or len(targets) > 1 else targets[0]
        if evidence:
            key = sorted(evidence, key=lambda e: json.dumps(e, sort_keys=True, default=str))
            record[self.edge_spec.name] = key
        return exported

    def _evidence(self, link: StoredLink) -> Record:
        item: Record = {self.edge.edge_target or "source": link.other}
        for name, spec in sorted(self.edge_props.items()):
            if spec.neo4j_property and link.props.get(spec.neo4j_property) is not None:
                item[name] = link.props[spec.neo4j_property]
        return item

    # ------------------------------------------------------------------ record -> triples

    def triples(self, node: ExportedNode) -> Iterator[Triple]:
        """The record's own triples, its alignments to standard vocabularies, and its link
        statements (`rg:inReport` on an evidence node, or on an rdf:Statement for a link)."""
        record = node.record
        subject = id_to_iri(record["id"])
        sources: list[URIRef] = []
        evidence_reports = {
            json.dumps(item, sort_keys=True, default=str): reports
            for item, reports in node.link_reports.get(self.edge_spec.name, [])
        }
        evidence_items = iter(record.get(self.edge_spec.name, []))
        for triple in record_triples(record, self.model):
            yield triple
            s, p, o = triple
            if p == self.edge_spec.iri and isinstance(o, BNode):
                yield o, RDF.type, self.edge.iri
                for sup in self.external_types(self.edge.name):
                    yield o, RDF.type, sup
                item = json.dumps(next(evidence_items), sort_keys=True, default=str)
                for report in evidence_reports.get(item, []):
                    yield o, self.in_report.iri, id_to_iri(report)
            elif isinstance(s, BNode) and self.edge_props.get(_local(p)) is not None:
                if (
                    _local(p) == self.edge.edge_target
                    and isinstance(o, URIRef)
                    and o not in sources
                ):
                    sources.append(o)
            elif s == subject and p in self.same_as and SAFE_IDENTIFIER.match(str(o)):
                yield subject, OWL.sameAs, URIRef(self.same_as[p].format(value=str(o)))
        for sup in self.external_types(record["type"]):
            yield subject, RDF.type, sup
        for source in sources:
            yield subject, PROV.wasDerivedFrom, source
        for name, statements in sorted(node.link_reports.items()):
            if name == self.edge_spec.name:
                continue
            for target, reports in statements:
                statement = BNode()
                yield statement, RDF.type, RDF.Statement
                yield statement, RDF.subject, subject
                yield statement, RDF.predicate, self.model.properties[name].iri
                yield statement, RDF.object, id_to_iri(target)
                for report in reports:
                    yield statement, self.in_report.iri, id_to_iri(report)

    @cached_property
    def in_report(self) -> PropertySpec:
        """The property naming the reports that state a node (stored as a list of ids)."""
        report = self.model.cls("Report").name
        return next(
            p for p in self.model.properties.values() if p.kind == "idlist" and p.range == report
        )


def _local(iri: Node) -> str:
    return str(iri).rsplit("#", 1)[-1]


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


# ---------------------------------------------------------------------- writers


class Writer:
    """One export document: `begin()`, `node(n)` per exported node, `end()`; each returns text."""

    media_type = "text/plain"
    extension = ".txt"

    def __init__(self, mapping: ExportMapping):
        self.mapping = mapping
        self.triples = 0
        self._blank = 0

    def begin(self) -> str:
        return ""

    def node(self, node: ExportedNode) -> str:
        raise NotImplementedError

    def end(self) -> str:
        return ""

    def _blank_labels(self) -> Callable[[BNode], str]:
        """Blank-node labels unique in the document and stable from one run to the next."""
        labels: dict[BNode, str] = {}

        def label(node: BNode) -> str:
            if node not in labels:
                self._blank += 1
                labels[node] = f"e{self._blank}"
            return labels[node]

        return label


class NTriplesWriter(Writer):
    media_type = "application/n-triples"
    extension = ".nt"

    def node(self, node: ExportedNode) -> str:
        blank = self._blank_labels()
        lines = [
            f"{nt_term(s, blank)} {nt_term(p, blank)} {nt_term(o, blank)} .\n"
            for s, p, o in self.mapping.triples(node)
        ]
        self.triples += len(lines)
        return "".join(lines)


_PN_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")


class TurtleWriter(Writer):
    """Turtle with prefixes up front, one block per record, evidence inline as `[ … ]`."""

    media_type = "text/turtle"
    extension = ".ttl"

    def __init__(self, mapping: ExportMapping):
        super().__init__(mapping)
        self.prefixes = export_prefixes(mapping)
        # longest namespace first, so `harm:` wins over a shorter namespace it extends
        self._ordered = sorted(self.prefixes.items(), key=lambda kv: -len(kv[1]))
        self._cache: dict[str, str] = {}

    def begin(self) -> str:
        return "".join(f"@prefix {p}: {iri_term(ns)} .\n" for p, ns in self.prefixes.items()) + "\n"

    def _iri(self, iri: str) -> str:
        cached = self._cache.get(iri)
        if cached is not None:
            return cached
        text = iri_term(iri)
        for prefix, ns in self._ordered:
            if iri.startswith(ns) and _PN_LOCAL.match(iri[len(ns) :]):
                text = f"{prefix}:{iri[len(ns) :]}"
                break
        if len(self._cache) < 100_000 and not iri.startswith(ID_BASE):
            self._cache[iri] = text
        return text

    def _term(self, term: Node, nested: dict[BNode, list[tuple[Node, Node]]], indent: str) -> str:
        if isinstance(term, URIRef):
            return self._iri(str(term))
        if isinstance(term, BNode):
            pairs = nested.get(term, [])
            inner = indent + "    "
            body = f" ;\n{inner}".join(self._pair(p, o, nested, inner) for p, o in pairs)
            return f"[\n{inner}{body}\n{indent}]" if pairs else "[]"
        if isinstance(term, Literal):
            body = literal_body(str(term))
            if term.language:
                return f"{body}@{term.language}"
            if term.datatype is not None and term.datatype != XSD.string:
                return f"{body}^^{self._iri(str(term.datatype))}"
            return body
        raise TypeError(f"not an RDF term: {term!r}")

    def _pair(self, p: Node, o: Node, nested, indent: str) -> str:
        verb = "a" if p == RDF.type else self._iri(str(p))
        return f"{verb} {self._term(o, nested, indent)}"

    def node(self, node: ExportedNode) -> str:
        subject = id_to_iri(node.record["id"])
        own: list[tuple[Node, Node]] = []
        nested: dict[BNode, list[tuple[Node, Node]]] = {}
        inlined: set[BNode] = set()
        for s, p, o in self.mapping.triples(node):
            self.triples += 1
            if isinstance(o, BNode):
                inlined.add(o)
            if s == subject:
                own.append((p, o))
            elif isinstance(s, BNode):
                nested.setdefault(s, []).append((p, o))
            else:
                raise ValueError(f"record {node.record['id']} yields a triple about {s}")
        own.sort(key=lambda po: (po[0] != RDF.type, str(po[0])))
        body = " ;\n    ".join(self._pair(p, o, nested, "    ") for p, o in own)
        blocks = [f"{self._iri(str(subject))}\n    {body} .\n"]
        for bnode in nested:  # statements about the node's links: blank subjects of their own
            if bnode not in inlined:
                blocks.append(self._term(bnode, nested, "") + " .\n")
        return "".join(blocks) + "\n"


class JsonLdWriter(Writer):
    """Compact records under our context, as in case reports; `rightsgraph ingest` reads it back.

    Decimals are written as strings so that a JSON-LD processor types them `xsd:decimal` (a JSON
    number with a fraction would become an xsd:double lexical form). Alignments are compact IRIs
    (`owl:sameAs`, `prov:wasDerivedFrom`, `rdf:type`), which the report reader skips.
    """

    media_type = "application/ld+json"
    extension = ".jsonld"

    def __init__(self, mapping: ExportMapping):
        super().__init__(mapping)
        self._first = True
        self._context = self.context()
        self._evidence_types = [mapping.edge.name] + [
            self._compact(t) for t in mapping.external_types(mapping.edge.name)
        ]

    def context(self) -> dict[str, Any]:
        """Our context, plus the prefixes of the alignments where they name no term of ours."""
        ctx = build_context(self.mapping.model)["@context"]
        extra = {
            p: ns for p, ns in export_prefixes(self.mapping).items() if p not in ctx and p != "id"
        }
        return {**ctx, **extra}

    def begin(self) -> str:
        return (
            '{\n"@context": ' + json.dumps(self._context, ensure_ascii=False) + ',\n"@graph": [\n'
        )

    def node(self, node: ExportedNode) -> str:
        objects = [self._json_record(node), *self._statements(node)]
        self.triples += sum(1 for _ in self.mapping.triples(node))
        text = ("" if self._first else ",\n") + ",\n".join(
            json.dumps(o, ensure_ascii=False) for o in objects
        )
        self._first = False
        return text

    def _statements(self, node: ExportedNode) -> Iterator[dict[str, Any]]:
        in_report = self.mapping.in_report.name
        for name, statements in sorted(node.link_reports.items()):
            if name == self.mapping.edge_spec.name:
                continue
            for target, reports in statements:
                yield {
                    "type": "rdf:Statement",
                    "rdf:subject": {"@id": node.record["id"]},
                    "rdf:predicate": {"@id": f"rg:{name}"},
                    "rdf:object": {"@id": target},
                    in_report: reports,
                }

    def end(self) -> str:
        return "\n]}\n"

    def _json_record(self, node: ExportedNode) -> dict[str, Any]:
        record = node.record
        model = self.mapping.model
        edge = self.mapping.edge_spec.name
        evidence_reports = {
            json.dumps(item, sort_keys=True, default=str): reports
            for item, reports in node.link_reports.get(edge, [])
        }
        specs = model.properties_of(record["type"])
        out: dict[str, Any] = {}
        for key, value in record.items():
            spec = specs.get(key)
            if spec is not None and spec.kind == "literal" and spec.datatype == XSD.decimal:
                value = [_decimal(v) for v in value] if isinstance(value, list) else _decimal(value)
            elif key == edge:
                value = [self._evidence_item(e, evidence_reports) for e in value]
            out[key] = value
        types = [self._compact(t) for t in self.mapping.external_types(record["type"])]
        if types:
            out["rdf:type"] = [{"@id": t} for t in types]
        same = []
        for key, value in record.items():
            spec = specs.get(key)
            pattern = self.mapping.same_as.get(spec.iri) if spec is not None else None
            if pattern is not None:
                for v in value if isinstance(value, list) else [value]:
                    if SAFE_IDENTIFIER.match(str(v)):
                        same.append({"@id": pattern.format(value=v)})
        if same:
            out["owl:sameAs"] = same
        sources = sorted(
            {e[self.mapping.edge.edge_target] for e in record.get(self.mapping.edge_spec.name, [])}
        )
        if sources:
            out["prov:wasDerivedFrom"] = [{"@id": s} for s in sources]
        return out

    def _evidence_item(self, item: Record, reports: dict[str, list[str]]) -> Record:
        stated = reports.get(json.dumps(item, sort_keys=True, default=str))
        typed = {"type": self._evidence_types, **item}
        return {**typed, self.mapping.in_report.name: stated} if stated else typed

    def _compact(self, iri: URIRef) -> str:
        for prefix, ns in self._context.items():
            if isinstance(ns, str) and ns.endswith(("/", "#")) and str(iri).startswith(ns):
                return f"{prefix}:{str(iri)[len(ns) :]}"
        return str(iri)


def _decimal(value: Any) -> Any:
    text = canonical_decimal(value)
    return text if text is not None else value


WRITERS: dict[str, type[Writer]] = {
    "ntriples": NTriplesWriter,
    "turtle": TurtleWriter,
    "jsonld": JsonLdWriter,
}


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
        if any(iri.startswith(ns) and _PN_LOCAL.match(iri[len(ns) :]) for iri in iris):
            used[prefix] = ns
    used["id"] = ID_BASE
    return used
