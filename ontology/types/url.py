"""Web addresses: only absolute http(s) URLs without spaces are kept as links."""

from __future__ import annotations

import re
from typing import Any

from rdflib import XSD, Literal

_HTTP = re.compile(r"^https?://\S+$")


def parse(value: Any) -> str | None:
    """The URL when `value` is an http(s) URL, else None (a bare domain or a path is not one)."""
    text = str(value or "").strip()
    return text if _HTTP.match(text) else None


def is_valid(value: Any) -> bool:
    return isinstance(value, str) and bool(_HTTP.match(value))


def to_rdf(value: Any) -> Literal:
    return Literal(str(value), datatype=XSD.anyURI)
