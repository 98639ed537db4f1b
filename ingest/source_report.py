"""Adapter for case reports (YAML / JSON-LD under our context) and RDF exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest import content
from ingest.adapters import Adapter
from ingest.reports import RDF_FORMATS, read_report


def _sniff_report(path: Path, start: bytes) -> bool:
    """RDF and YAML are ours whatever their name; JSON only with a JSON-LD graph or context
    (other JSON is OCDS, BODS or FtM), or when the file is named as YAML (JSON is YAML too)."""
    if path.suffix.lower() in RDF_FORMATS:
        return True
    syntax = content.detect(path)
    if syntax in ("turtle", "ntriples", "yaml", "jsonld"):  # JSON-LD: "@context" or "@graph"
        return True  # in the first 64 KB (an inline context can push "@graph" past 8 KB)
    text = start.decode("utf-8", "ignore")
    # an export's inline context may fill the head before its "@graph" key
    return (
        "@graph" in text
        or syntax == "jsonld"
        and '"@context"' in text
        or path.suffix.lower() in (".yaml", ".yml")
    )


def _read_report(path: Path, exact_ids: bool = False, **_: Any):
    return read_report(path, exact_ids=exact_ids)


ADAPTER = Adapter(
    name="report",
    suffixes=(".yaml", ".yml", ".json", ".jsonld", *RDF_FORMATS),
    sniff=_sniff_report,
    read=_read_report,
    description="case reports (YAML / JSON-LD under the RightsGraph context) and RDF exports",
    syntaxes=("yaml", "json", "jsonld", "turtle", "ntriples"),
)
