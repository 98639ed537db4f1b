"""The export formats: one table, read by the command line's `--help` and its errors, the API
and the reader's option check alike."""

from __future__ import annotations

from export.ftm import FtmWriter
from export.jsonld import JsonLdWriter
from export.ntriples import NTriplesWriter
from export.rdf import RdfWriter
from export.turtle import TurtleWriter
from export.writer import Writer

WRITERS: dict[str, type[Writer]] = {
    "ntriples": NTriplesWriter,
    "turtle": TurtleWriter,
    "jsonld": JsonLdWriter,
    "ftm": FtmWriter,
}
FORMATS = tuple(WRITERS)
RDF_FORMATS = tuple(name for name, cls in WRITERS.items() if issubclass(cls, RdfWriter))
"""The formats the API negotiates (`GET /export` serves RDF)."""


def unknown_format(name: str, known: tuple[str, ...] = FORMATS) -> str | None:
    """The error message for a format outside `known`, or None when it is one of them."""
    if name in known:
        return None
    return f"unknown format {name!r} (known: {', '.join(known)})"


def formats_help() -> str:
    """Every format with a few words, for `--help`: "a (A), b (B) or c (C)"."""
    named = [f"{name} ({cls.description})" for name, cls in WRITERS.items()]
    return ", ".join(named[:-1]) + " or " + named[-1]
