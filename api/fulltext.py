"""Full-text search: plain words in, a safe Lucene query out, run through queries/search.cypher.

User text never reaches Lucene's parser as syntax: it is cut into words, lower-cased (so AND, OR,
NOT are words, not operators) and escaped. Each word matches exactly (boosted), as a prefix and,
when long enough, with one or two typos; all words must match, and when nothing does, any word
may.
"""

from __future__ import annotations

import re
from typing import Any

from api.graph import Graph

_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 16
MAX_WORD_LENGTH = 64


def escape(text: str) -> str:
    """Backslash-escape every character Lucene's query parser treats as syntax."""
    return _SPECIAL.sub(r"\\\1", text)


def words(text: str) -> list[str]:
    return [w.casefold()[:MAX_WORD_LENGTH] for w in _WORD.findall(text)][:MAX_WORDS]


def word_query(word: str) -> str:
    """hikvision -> (hikvision^3 OR hikvision* OR hikvision~2)"""
    w = escape(word)
    parts = [f"{w}^3"]
    if len(word) >= 3:
        parts.append(f"{w}*")
    if len(word) >= 4:
        parts.append(f"{w}~{1 if len(word) < 8 else 2}")
    return "(" + " OR ".join(parts) + ")"


def lucene_query(text: str, require_all: bool = True) -> str | None:
    """The Lucene query for plain text, or None when it holds no word."""
    found = words(text)
    if not found:
        return None
    return (" AND " if require_all else " OR ").join(word_query(w) for w in found)


def search(
    graph: Graph,
    text: str,
    tlp: list[str],
    limit: int,
    offset: int,
    labels: list[str] | None = None,
) -> tuple[str | None, dict[str, Any]]:
    """(Lucene query run, search row): every word first, any word when that finds nothing."""
    empty: dict[str, Any] = {"total": 0, "hits": []}
    strict = lucene_query(text, require_all=True)
    if strict is None:
        return None, empty
    params = {"types": labels, "tlp": tlp, "limit": limit, "offset": offset}
    row = graph.row("search", query=strict, **params) or empty
    loose = lucene_query(text, require_all=False)
    if row["total"] == 0 and loose != strict:
        return loose, graph.row("search", query=loose, **params) or empty
    return strict, row
