"""Turtle: prefixes up front, one block per record, evidence inline as `[ … ]`."""

from __future__ import annotations

from rdflib import RDF, XSD, BNode, Literal, URIRef
from rdflib.term import Node

from export.mapping import ExportedNode, ExportMapping
from export.rdf import PN_LOCAL, RdfWriter, export_prefixes, iri_term, literal_body, node_triples
from ontology.model import ID_BASE, id_to_iri

Nested = dict[BNode, list[tuple[Node, Node]]]
IRI_CACHE_SIZE = 100_000  # vocabulary IRIs only: node IRIs are not cached


class TurtleWriter(RdfWriter):
    media_type = "text/turtle"
    extension = ".ttl"
    description = "Turtle"

    def __init__(self, mapping: ExportMapping):
        super().__init__(mapping)
        self.prefixes = export_prefixes(mapping)
        # longest namespace first, so `harm:` wins over a shorter namespace it extends
        self._ordered = sorted(self.prefixes.items(), key=lambda kv: -len(kv[1]))
        self._cache: dict[str, str] = {}

    def begin(self) -> str:
        return "".join(f"@prefix {p}: {iri_term(ns)} .\n" for p, ns in self.prefixes.items()) + "\n"

    def node(self, node: ExportedNode) -> str:
        subject = id_to_iri(node.record["id"])
        own: list[tuple[Node, Node]] = []
        nested: Nested = {}
        inlined: set[BNode] = set()
        for s, p, o in node_triples(self.mapping, node):
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

    def _iri(self, iri: str) -> str:
        cached = self._cache.get(iri)
        if cached is not None:
            return cached
        text = iri_term(iri)
        for prefix, ns in self._ordered:
            if iri.startswith(ns) and PN_LOCAL.match(iri[len(ns) :]):
                text = f"{prefix}:{iri[len(ns) :]}"
                break
        if len(self._cache) < IRI_CACHE_SIZE and not iri.startswith(ID_BASE):
            self._cache[iri] = text
        return text

    def _term(self, term: Node, nested: Nested, indent: str) -> str:
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

    def _pair(self, p: Node, o: Node, nested: Nested, indent: str) -> str:
        verb = "a" if p == RDF.type else self._iri(str(p))
        return f"{verb} {self._term(o, nested, indent)}"
