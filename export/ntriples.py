"""N-Triples: one line per triple, blank nodes numbered in document order.

Terms become text through a bounded cache of IRIs (predicates, classes, concepts and the ids
that many triples point at repeat), so most terms cost one dictionary lookup."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from export.mapping import ExportedNode, ExportMapping
from export.rdf import STRING, RdfWriter, Triple, iri_term, literal_body

IRI_CACHE_SIZE = 50_000
"""IRIs kept as text; the cache starts again when full, so memory stays flat."""


class NTriplesWriter(RdfWriter):
    media_type = "application/n-triples"
    extension = ".nt"
    description = "N-Triples"

    def __init__(self, mapping: ExportMapping, with_ontology: bool = False):
        super().__init__(mapping, with_ontology)
        self._blank = 0
        self._iris: dict[str, str] = {}

    def node(self, node: ExportedNode) -> str:
        return self._lines(self.node_triples(node))

    def end(self) -> str:
        return self._lines(self.closing_triples())

    def _lines(self, triples: Iterable[Triple]) -> str:
        labels: dict[BNode, str] = {}  # blank nodes never span two calls
        term = self._term
        return "".join(
            [f"{term(s, labels)} {term(p, labels)} {term(o, labels)} .\n" for s, p, o in triples]
        )

    def _term(self, term: Node, labels: dict[BNode, str]) -> str:
        """A term in N-Triples syntax; blank-node labels unique in the document and stable
        from one run to the next."""
        kind = type(term)
        if kind is URIRef:
            key = str(term)  # a plain str key: rdflib's __eq__ is Python code, str's is not
            text = self._iris.get(key)
            if text is None:
                text = iri_term(key)
                if len(self._iris) >= IRI_CACHE_SIZE:
                    self._iris.clear()
                self._iris[key] = text
            return text
        if kind is Literal:
            body = literal_body(str(term))
            if term.language:  # type: ignore[attr-defined]
                return f"{body}@{term.language}"  # type: ignore[attr-defined]
            datatype = term.datatype  # type: ignore[attr-defined]
            if datatype is not None and str.__ne__(datatype, STRING):
                return f"{body}^^{self._term(datatype, labels)}"
            return body
        if kind is BNode:
            label = labels.get(term)  # type: ignore[call-overload]
            if label is None:
                self._blank += 1
                label = labels[term] = f"e{self._blank}"  # type: ignore[index]
            return "_:" + label
        if isinstance(term, Literal):  # a subclass of a term (rare): as its base class
            plain = Literal(str(term), lang=term.language, datatype=term.datatype)
            return self._term(plain, labels)
        if isinstance(term, URIRef | BNode):
            return self._term(URIRef(term) if isinstance(term, URIRef) else BNode(term), labels)
        raise TypeError(f"not an RDF term: {term!r}")
