"""The interface every export writer keeps: text for the start, each node, and the end."""

from __future__ import annotations

from export.mapping import ExportedNode, ExportMapping


class Writer:
    """One export document: `begin()`, `node(n)` per exported node, `end()`; each returns text,
    so a document of any size is written in constant memory."""

    media_type = "text/plain"
    extension = ".txt"
    description = ""
    """A few words for `--help`."""
    neighbour_properties: tuple[str, ...] = ()
    """Ontology properties of the nodes a node links to that this writer reads (`neighbours`)."""
    by_class = False
    """True: nodes come class by class (classes by name, each in id order); else all by id."""

    def __init__(self, mapping: ExportMapping):
        self.mapping = mapping

    def begin(self) -> str:
        return ""

    def node(self, node: ExportedNode) -> str:
        raise NotImplementedError

    def end(self) -> str:
        return ""

    def summary(self) -> str:
        """What was written, for the command line (`exported …`)."""
        raise NotImplementedError
