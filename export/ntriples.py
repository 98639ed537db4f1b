"""N-Triples: one line per triple, blank nodes numbered in document order."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rdflib import BNode

from export.mapping import ExportedNode, ExportMapping
from export.rdf import RdfWriter, Triple, nt_term


class NTriplesWriter(RdfWriter):
    media_type = "application/n-triples"
    extension = ".nt"
    description = "N-Triples"

    def __init__(self, mapping: ExportMapping, with_ontology: bool = False):
        super().__init__(mapping, with_ontology)
        self._blank = 0

    def node(self, node: ExportedNode) -> str:
        return self._lines(self.node_triples(node))

    def end(self) -> str:
        return self._lines(self.closing_triples())

    def _lines(self, triples: Iterable[Triple]) -> str:
        blank = self._blank_labels()
        return "".join(
            f"{nt_term(s, blank)} {nt_term(p, blank)} {nt_term(o, blank)} .\n"
            for s, p, o in triples
        )

    def _blank_labels(self) -> Callable[[BNode], str]:
        """Blank-node labels unique in the document and stable from one run to the next."""
        labels: dict[BNode, str] = {}

        def label(node: BNode) -> str:
            if node not in labels:
                self._blank += 1
                labels[node] = f"e{self._blank}"
            return labels[node]

        return label
