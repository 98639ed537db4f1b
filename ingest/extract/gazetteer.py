"""Known entities found in text by name and alias, tolerant of typos and glued words.

Exact matching comes first (one compiled pattern over every name and alias; a match may start
inside a word at a lower→upper case seam, as in the seed's "andZhejiang"). Then rapidfuzz
looks at word windows that share a distinctive word with a multi-word name ("Eotld Uyghur
Congress" → World Uyghur Congress) and at long capitalised words ("Hikvison"). A fuzzy match
keeps its score so the draft can say how sure it is.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from ingest.normalize import normalise_name
from ontology.model import load_model

GAZETTEER_FILE = Path(__file__).with_name("gazetteer.yaml")
FUZZY_CUTOFF = 88.0
WORD_CUTOFF = 90.0
STOPWORDS = {
    "the",
    "of",
    "for",
    "and",
    "in",
    "on",
    "de",
    "en",
    "group",
    "company",
    "technology",
    "co",
    "ltd",
    "inc",
}
EDGE_WORDS = {"the", "of", "for", "and", "in", "on", "a", "an", "to"}
_TOKEN = re.compile(r"[^\W_]+(?:[&+][^\W_]*)*")
_SEAM = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")


@dataclass(frozen=True)
class Entity:
    id: str
    type: str
    name: str
    alias: tuple[str, ...] = ()
    extra: tuple[tuple[str, Any], ...] = field(default=(), compare=False)  # country, manager …

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.alias)

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.type, "name": self.name}
        if self.alias:
            out["alias"] = list(self.alias)
        out.update(dict(self.extra))
        return out

    def is_a(self, class_name: str) -> bool:
        return load_model().cls(self.type).is_a(class_name)


@dataclass(frozen=True)
class Mention:
    entity: Entity
    start: int
    end: int
    text: str
    score: float = 100.0
    method: str = "exact"


@dataclass
class Gazetteer:
    entities: list[Entity]
    fuzzy: bool = True  # typo tolerance; off only to measure what it buys

    def __post_init__(self) -> None:
        model = load_model()
        for e in self.entities:
            if e.type not in model.classes:
                raise ValueError(f"gazetteer entity {e.id}: unknown type {e.type!r}")
        self._insensitive: dict[str, Entity] = {}
        self._sensitive: dict[str, Entity] = {}
        for e in self.entities:
            for n in e.names:
                table = self._sensitive if len(n) <= 4 or n.isupper() else self._insensitive
                table.setdefault(n if table is self._sensitive else n.casefold(), e)
        self._patterns = [
            _compile(list(self._insensitive), re.I, seam=True),
            _compile(list(self._sensitive), 0, seam=False),
        ]
        self._anchors: dict[str, list[tuple[str, int, int, Entity]]] = defaultdict(list)
        self._words: dict[str, Entity] = {}
        for e in self.entities:
            for n in e.names:
                toks = [t.casefold() for t in tokens_of(n)]
                if len(toks) >= 2 and len(n) >= 10:
                    for j, t in enumerate(toks):
                        if t not in STOPWORDS and len(t) >= 3:
                            self._anchors[t].append((normalise_name(n), j, len(toks), e))
                elif len(toks) == 1 and len(n) >= 7 and not n.isupper():
                    self._words.setdefault(toks[0], e)

    def by_id(self, entity_id: str) -> Entity | None:
        return next((e for e in self.entities if e.id == entity_id), None)

    def lookup(self, surface: str) -> Entity | None:
        """The entity a whole phrase names exactly (case-insensitive), or None."""
        return self._insensitive.get(surface.casefold()) or self._sensitive.get(surface)

    def find(self, text: str, end: int | None = None) -> list[Mention]:
        end = len(text) if end is None else end
        found: list[Mention] = []
        for pattern in self._patterns:
            if pattern is None:
                continue
            for m in pattern.finditer(text, 0, end):
                e = self.lookup(re.sub(r"\s+", " ", m.group(0)))
                if e is not None:
                    found.append(Mention(e, m.start(), m.end(), m.group(0)))
        found = _longest(found)
        if self.fuzzy:
            found += self._fuzzy(text, end, found)
        return sorted(_longest(found), key=lambda m: m.start)

    def match_phrase(self, phrase: str) -> tuple[Entity, float] | None:
        """The entity a list item names, exactly or within the fuzzy cutoff."""
        exact = self.lookup(phrase.strip())
        if exact is not None or not self.fuzzy:
            return (exact, 100.0) if exact is not None else None
        key = normalise_name(phrase)
        choices = {
            (n, e.id): normalise_name(n) for e in self.entities for n in e.names if len(n) >= 10
        }
        best = process.extractOne(key, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if best is None:
            return None
        _, score, (_, entity_id) = best
        return self.by_id(entity_id), score  # type: ignore[return-value]

    def _fuzzy(self, text: str, end: int, exact: list[Mention]) -> list[Mention]:
        covered = Spans([(m.start, m.end) for m in exact])
        toks = [(m.start(), m.end(), m.group(0).casefold()) for m in token_spans(text, end)]
        out: list[Mention] = []
        tried: set[tuple[int, int, str]] = set()
        for i, (_, _, tok) in enumerate(toks):
            for name_key, j, n, entity in self._anchors.get(tok, ()):
                s = i - j
                if s < 0 or s + n > len(toks) or (s, n, entity.id) in tried:
                    continue
                tried.add((s, n, entity.id))
                start, stop = toks[s][0], toks[s + n - 1][1]
                if not _proper_window(text[start:stop]):
                    continue
                if any(not (start <= a and b <= stop) for a, b in covered.overlapping(start, stop)):
                    continue
                score = fuzz.ratio(normalise_name(text[start:stop]), name_key)
                if score >= FUZZY_CUTOFF:
                    out.append(
                        Mention(entity, start, stop, text[start:stop], round(score, 1), "fuzzy")
                    )
        if self._words:
            words = list(self._words)
            best_of: dict[str, tuple | None] = {}
            for start, stop, tok in toks:
                if len(tok) < 7 or not text[start].isupper() or covered.overlapping(start, stop):
                    continue
                if tok not in best_of:
                    best_of[tok] = process.extractOne(
                        tok, words, scorer=fuzz.ratio, score_cutoff=WORD_CUTOFF
                    )
                best = best_of[tok]
                if best is not None and best[1] < 100:
                    out.append(
                        Mention(
                            self._words[best[0]],
                            start,
                            stop,
                            text[start:stop],
                            round(best[1], 1),
                            "fuzzy",
                        )
                    )
        return out


def _proper_window(phrase: str) -> bool:
    """A name-like window: one line, no sentence punctuation, its content words capitalised."""
    if re.search(r"[\n.,;:!?()\"“”‘’]", phrase):
        return False
    tokens = tokens_of(phrase)
    if not tokens or tokens[0].casefold() in EDGE_WORDS or tokens[-1].casefold() in EDGE_WORDS:
        return False
    words = [w for w in tokens if w.casefold() not in STOPWORDS]
    return all(w[0].isupper() or not w[0].isalpha() for w in words)


def tokens_of(text: str) -> list[str]:
    return [m.group(0) for m in token_spans(text)]


def token_spans(text: str, end: int | None = None) -> list[re.Match[str]]:
    """Word tokens; a word glued at a lower→upper seam ("andZhejiang") counts as two."""
    out = []
    for m in _TOKEN.finditer(text, 0, len(text) if end is None else end):
        seams = [s.start() for s in _SEAM.finditer(m.group(0))]
        if not seams:
            out.append(m)
            continue
        for a, b in zip([0, *seams], [*seams, len(m.group(0))], strict=True):
            sub = _TOKEN.match(text, m.start() + a, m.start() + b)
            if sub is not None:
                out.append(sub)
    return out


def _compile(names: list[str], flags: int, seam: bool) -> re.Pattern[str] | None:
    if not names:
        return None
    alternation = "|".join(
        re.escape(n).replace(r"\ ", r"\s+") for n in sorted(names, key=len, reverse=True)
    )
    left = r"(?:(?<!\w)|(?-i:(?<=[a-z])(?=[A-Z])))" if seam else r"(?<!\w)"
    return re.compile(rf"{left}(?:{alternation})(?!\w)", flags)


class Spans:
    """Disjoint spans kept sorted, so overlap checks stay logarithmic in long texts."""

    def __init__(self, spans: list[tuple[int, int]] | None = None):
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in sorted(spans or []):
            self.add(start, end)

    def overlapping(self, start: int, end: int) -> list[tuple[int, int]]:
        i = bisect_left(self.starts, end)
        out = []
        while i > 0 and self.ends[i - 1] > start:
            i -= 1
            out.append((self.starts[i], self.ends[i]))
        return out

    def add(self, start: int, end: int) -> None:
        i = bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


def _longest(mentions: list[Mention]) -> list[Mention]:
    """Drop mentions inside longer (or equally long, better scored) ones."""
    ranked = sorted(mentions, key=lambda m: (-(m.end - m.start), -m.score, m.start))
    kept: list[Mention] = []
    taken = Spans()
    for m in ranked:
        if not taken.overlapping(m.start, m.end):
            kept.append(m)
            taken.add(m.start, m.end)
    return kept


def _entity(entry: dict[str, Any]) -> Entity:
    core = {"id", "type", "name", "alias"}
    extra = tuple((k, v) for k, v in entry.items() if k not in core)
    return Entity(
        str(entry["id"]),
        str(entry["type"]),
        str(entry["name"]),
        tuple(entry.get("alias") or ()),
        extra,
    )


def load_gazetteer(path: Path | None = None) -> Gazetteer:
    """The bundled gazetteer, or another file of the same shape (groups of entity lists)."""
    data = yaml.safe_load((path or GAZETTEER_FILE).read_text(encoding="utf-8")) or {}
    groups = data.values() if isinstance(data, dict) else [data]
    return Gazetteer([_entity(e) for group in groups for e in group or []])


@cache
def bundled() -> Gazetteer:
    return load_gazetteer()
