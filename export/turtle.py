"""Turtle: prefixes up front, one block per subject (a record, then its evidence), blank nodes
inline as `[ … ]` where they are the object of one triple."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import RDF, BNode, Literal, URIRef
from rdflib.term import Node

from export.mapping import ExportedNode, ExportMapping
from export.rdf import (
    PN_LOCAL,
    STRING,
    TYPE,
    RdfWriter,
    Triple,
    by_subject,
    export_prefixes,
    iri_term,
    literal_body,
)
from ontology.model import ID_BASE

Pairs = dict[Node, list[tuple[Node, Node]]]
REST = RDF.rest
TYPE_TEXT = str(TYPE)
IRI_CACHE_SIZE = 100_000  # vocabulary IRIs only: node IRIs are not cached


class TurtleWriter(RdfWriter):
    media_type = "text/turtle"
    extension = ".ttl"
    description = "Turtle"

    def __init__(self, mapping: ExportMapping, with_ontology: bool = False):
        super().__init__(mapping, with_ontology)
        self.prefixes = export_prefixes(mapping)
        # longest namespace first, so `harm:` wins over a shorter namespace it extends
        self._ordered = sorted(self.prefixes.items(), key=lambda kv: -len(kv[1]))
        self._cache: dict[str, str] = {}
        self._labels: dict[BNode, str] = {}

    def begin(self) -> str:
        return "".join(f"@prefix {p}: {iri_term(ns)} .\n" for p, ns in self.prefixes.items()) + "\n"

    def node(self, node: ExportedNode) -> str:
        return self._blocks(self.node_triples(node))

    def end(self) -> str:
        return self._blocks(self.closing_triples())

    def _blocks(self, triples: Iterable[Triple]) -> str:
        """One block per subject; a blank node that is the object of exactly one triple is
        written inline there, any other blank node gets a label of its own."""
        pairs = by_subject(triples)
        uses: dict[BNode, int] = {}
        for values in pairs.values():
            for _, o in values:
                if isinstance(o, BNode):
                    uses[o] = uses.get(o, 0) + 1
        inline = {  # list cells get labels: nesting a long list would run parsers out of stack
            b
            for b, n in uses.items()
            if n == 1 and b in pairs and all(p != REST for p, _ in pairs[b])
        }
        blocks = []
        for subject, values in pairs.items():
            if subject in inline:
                continue
            values = sorted(values, key=_type_first)
            body = " ;\n    ".join(self._pair(p, o, pairs, inline, "    ") for p, o in values)
            head = self._label(subject) if isinstance(subject, BNode) else self._iri(subject)
            blocks.append(f"{head}\n    {body} .\n")
        return "".join(blocks) + ("\n" if blocks else "")

    def _label(self, node: BNode) -> str:
        return "_:" + self._labels.setdefault(node, f"t{len(self._labels) + 1}")

    def _iri(self, iri: str) -> str:
        iri = str(iri)  # a plain str key: rdflib's __eq__ is Python code, str's is not
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

    def _term(self, term: Node, pairs: Pairs, inline: set[BNode], indent: str) -> str:
        if isinstance(term, URIRef):
            return self._iri(term)
        if isinstance(term, BNode):
            if term not in inline:
                return self._label(term)
            inner = indent + "    "
            body = f" ;\n{inner}".join(
                self._pair(p, o, pairs, inline, inner) for p, o in pairs[term]
            )
            return f"[\n{inner}{body}\n{indent}]"
        if isinstance(term, Literal):
            body = literal_body(str(term))
            if term.language:
                return f"{body}@{term.language}"
            if term.datatype is not None and str.__ne__(term.datatype, STRING):
                return f"{body}^^{self._iri(term.datatype)}"
            return body
        raise TypeError(f"not an RDF term: {term!r}")

    def _pair(self, p: Node, o: Node, pairs: Pairs, inline: set[BNode], indent: str) -> str:
        verb = "a" if str.__eq__(p, TYPE_TEXT) and isinstance(p, URIRef) else self._iri(p)
        return f"{verb} {self._term(o, pairs, inline, indent)}"


def _type_first(pair: tuple[Node, Node]) -> tuple[bool, str]:
    """rdf:type first, then by predicate IRI."""
    p = str(pair[0])
    return (p != TYPE_TEXT, p)
