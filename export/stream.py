"""Reader → writer → text: one export document, streamed page by page."""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from neo4j import Driver

from export.formats import WRITERS
from export.options import ExportOptions
from export.rdf import RdfWriter
from export.reader import PAGE_SIZE, GraphReader
from export.writer import Writer


@dataclass
class Export:
    """One export: the reader (options checked, scope resolved) and the writer of its format."""

    reader: GraphReader
    writer: Writer

    @classmethod
    def open(cls, driver: Driver, options: ExportOptions, database: str | None = None) -> Export:
        """Raises ExportError (or ScopeNotFound) before anything is written."""
        reader = GraphReader(driver, options, database)
        kind = WRITERS[reader.options.format]
        if issubclass(kind, RdfWriter):
            return cls(reader, kind(reader.mapping, with_ontology=reader.options.with_ontology))
        return cls(reader, kind(reader.mapping))

    def chunks(self, page_size: int = PAGE_SIZE) -> Iterator[str]:
        """The document, one chunk of text per page of nodes."""
        writer = self.writer
        yield writer.begin()
        pages = self.reader.pages(page_size, writer.neighbour_properties, writer.by_class)
        for page in pages:
            yield "".join(writer.node(n) for n in page)
        yield writer.end()


def export_stream(
    driver: Driver, options: ExportOptions, database: str | None = None
) -> Iterator[str]:
    return Export.open(driver, options, database).chunks()


def write_export(
    driver: Driver, options: ExportOptions, out: IO[str], database: str | None = None
) -> Writer:
    """Write the document to `out`; returns the writer (its counts, its `summary()`)."""
    export = Export.open(driver, options, database)
    for chunk in export.chunks():
        out.write(chunk)
    return export.writer


def open_output(path: Path | None) -> IO[str]:
    """A text stream for the export: the file (gzip'd when it ends in .gz), else stdout."""
    if path is None:
        return sys.stdout
    if path.suffix == ".gz":
        return gzip.open(path, "wt", encoding="utf-8", newline="")  # type: ignore[return-value]
    return path.open("w", encoding="utf-8", newline="")
