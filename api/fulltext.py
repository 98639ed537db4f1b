"""Full-text search: plain words in, a safe Lucene query out, run through queries/search.cypher.

User text never reaches Lucene's parser as syntax: it is cut into words, lower-cased (so AND, OR,
NOT are words, not operators) and escaped. Each word matches exactly (boosted), as a prefix and,
when long enough, with one or two typos; all words must match, and when nothing does, any word
may.

What the caller may not see counts for nothing (docs/security.md, "Existence oracles"):
- the Lucene query itself carries the caller's sharing levels (`sharing_filter`, on the index's
  `tlp` field), so hidden nodes are no hits at all; and the named queries filter by level before
  any limit (no `{limit}` in the index call), so either lock alone keeps hidden nodes from
  crowding visible ones out of the first 1,000;
- hits are ranked by `rank`, a score computed from the query words and the hit's own names and
  identifiers only, never Lucene's (whose term statistics count every node in the index, hidden
  ones too); totals count visible hits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rapidfuzz.distance import Levenshtein

from api import projection
from api.graph import Graph
from core import names as system
from ontology.types import sharing

_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 16
MAX_WORD_LENGTH = 64
FIELDS = ("name", system.SEARCH_TEXT)  # what words match; the index also holds `tlp`
LEVEL_FIELD = system.TLP
MAX_HITS = 1000  # visible hits ranked per search (queries/search.cypher)
EXACT, PREFIX, TYPO = 3.0, 2.0, 1.0


def escape(text: str) -> str:
    """Backslash-escape every character Lucene's query parser treats as syntax."""
    return _SPECIAL.sub(r"\\\1", text)


def words(text: str) -> list[str]:
    return [w.casefold()[:MAX_WORD_LENGTH] for w in _WORD.findall(text)][:MAX_WORDS]


def typos(word: str) -> int:
    """How many edits a word may be off by: none below 4 letters, 1 below 8, else 2."""
    return 0 if len(word) < 4 else 1 if len(word) < 8 else 2


def word_query(word: str) -> str:
    """hikvision -> (name:hikvision^3 OR searchText:hikvision^3 OR name:hikvision* OR …)"""
    w = escape(word)
    parts = [f"{w}^3"]
    if len(word) >= 3:
        parts.append(f"{w}*")
    if typos(word):
        parts.append(f"{w}~{typos(word)}")
    return "(" + " OR ".join(f"{field}:{part}" for part in parts for field in FIELDS) + ")"


def level_tokens(level: str) -> set[str]:
    """The terms Lucene's standard analyzer makes of a sharing level (AMBER+STRICT: amber,
    strict)."""
    return set(_WORD.findall(level.casefold()))


def sharing_filter(tlp: Iterable[str]) -> str:
    """The Lucene clause keeping only nodes at one of the levels `tlp`:
    `(tlp:clear OR tlp:green OR tlp:amber) AND NOT tlp:strict AND NOT tlp:red` for AMBER.
    Raises ValueError should the levels' terms not tell every level apart."""
    allowed = set(tlp)
    if not allowed:
        return f"{LEVEL_FIELD}:{escape('-none-')}"
    kept = set().union(*(level_tokens(level) for level in allowed))
    others = [level for level in sharing.levels() if level not in allowed]
    banned = set().union(set(), *(level_tokens(level) for level in others)) - kept
    for level in others:
        if not level_tokens(level) & banned:
            raise ValueError(f"the index cannot tell {level} apart from {sorted(allowed)}")
    clause = "(" + " OR ".join(f"{LEVEL_FIELD}:{escape(t)}" for t in sorted(kept)) + ")"
    return clause + "".join(f" AND NOT {LEVEL_FIELD}:{escape(t)}" for t in sorted(banned))


def lucene_query(
    text: str, require_all: bool = True, tlp: Iterable[str] | None = None
) -> str | None:
    """The Lucene query for plain text (only at the levels `tlp`, when given), or None when it
    holds no word."""
    found = words(text)
    if not found:
        return None
    query = (" AND " if require_all else " OR ").join(word_query(w) for w in found)
    return query if tlp is None else f"({query}) AND {sharing_filter(tlp)}"


def hit_score(query_words: list[str], texts: Iterable[str | None], require_all: bool) -> float:
    """A hit's score from its own texts only: per query word 3 for an exact word, 2 for a
    prefix, 1 for a word within `typos` edits (0 when none, which only a loose query lets
    through)."""
    tokens = {w.casefold() for t in texts if t for w in _WORD.findall(t)}
    score = 0.0
    for word in query_words:
        if word in tokens:
            score += EXACT
        elif len(word) >= 3 and any(t.startswith(word) for t in tokens):
            score += PREFIX
        elif typos(word) and any(
            Levenshtein.distance(word, t, score_cutoff=typos(word)) <= typos(word) for t in tokens
        ):
            score += TYPO
        elif require_all:
            score += TYPO  # matched by a rule of Lucene's this one does not repeat
    return score


def coverage(query_words: list[str], labels: Iterable[str | None]) -> float:
    """The largest share of one name's or alias's words that are query words (1.0 when a label
    is exactly the query): "Hikvision" beats "Hikvision Lookalike 7" for `hikvision`."""
    wanted = set(query_words)
    best = 0.0
    for label in labels:
        found = [w.casefold() for w in _WORD.findall(label or "")]
        if found:
            best = max(best, sum(w in wanted for w in found) / len(found))
    return best


def _texts(hit: dict[str, Any], fields: Iterable[str]) -> list[str | None]:
    """The texts of a hit's `fields` (lists flattened)."""
    texts: list[str | None] = []
    for field in fields:
        value = hit.get(field)
        texts.extend(value if isinstance(value, list) else [value])
    return texts


def rank(
    text: str, hits: list[dict[str, Any]], require_all: bool, text_of: Iterable[str]
) -> list[dict[str, Any]]:
    """Hits with their own `score` (a source's counts half), best first; ties by shorter name,
    then id. `text_of` names the fields of a hit that are matched; the score is the words'
    (`hit_score`) plus the best `coverage` of its name and aliases."""
    query_words = words(text)
    fields = list(text_of)
    scored = []
    for hit in hits:
        texts = _texts(hit, fields)
        labels = [hit.get("name"), *(hit.get("aliases") or [])]
        score = hit_score(query_words, texts, require_all) + coverage(query_words, labels)
        if "Source" in (hit.get("labels") or []):
            score *= 0.5
        scored.append({**hit, "score": score})
    return sorted(scored, key=lambda h: (-h["score"], len(h.get("name") or ""), h["id"]))


def search(
    graph: Graph,
    text: str,
    tlp: list[str],
    limit: int,
    offset: int,
    labels: list[str] | None = None,
    as_known_on: str | None = None,
) -> tuple[str | None, dict[str, Any]]:
    """(Lucene query run, search row): every word first, any word when that finds nothing.
    Every visible hit (up to MAX_HITS) is ranked by `rank`, then the page is cut.

    As known on a day: the index finds nodes by today's texts; the query keeps those known
    that day at the caller's levels, `as_known_on` re-projects them, and a hit whose texts of
    that day match no query word is dropped (a name stated only later finds nothing)."""
    empty: dict[str, Any] = {"total": 0, "hits": []}
    strict = lucene_query(text, require_all=True, tlp=tlp)
    if strict is None:
        return None, empty
    params = {
        "types": labels,
        "tlp": tlp,
        "as_known_on": as_known_on,
        "limit": MAX_HITS,
        "offset": 0,
    }
    query, require_all = strict, True
    row = graph.row("search", query=strict, **params) or empty
    loose = lucene_query(text, require_all=False, tlp=tlp)
    if row["total"] == 0 and loose != strict:
        query, require_all = loose, False
        row = graph.row("search", query=loose, **params) or empty
    found = row["hits"]
    if as_known_on is not None:
        projection.as_known_on(graph, row, tlp, as_known_on)
        strict_words = words(text)
        fields = ("name", "aliases", system.SEARCH_TEXT)
        found = [h for h in found if hit_score(strict_words, _texts(h, fields), False) > 0]
    ranked = rank(text, found, require_all, ("name", "aliases", system.SEARCH_TEXT))
    if as_known_on is not None:
        row = {**row, "total": len(found)}
    hits = [
        {k: v for k, v in hit.items() if k != system.SEARCH_TEXT}
        for hit in ranked[offset : offset + limit]
    ]
    return query, {"total": row["total"], "hits": hits}
