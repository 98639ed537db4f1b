"""Keyword rules as data: harm categories, allegation, demand, measure and contract cues, groups.

The bundled `harm_rules.yaml` (English) and one `harm_rules.<language>.yaml` per further
language beside it (nb, nn, da, sv, de) are merged into one rule set, so a text that mixes
languages is still read; each language file also lists the common words by which a text is
recognised as written in it. `--rules FILE` adds to them (lists are extended, mappings merged).
Harm categories are checked against the ontology's SKOS scheme, so a rule can only produce a
category the shapes accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ontology.model import load_model

RULES_FILE = Path(__file__).with_name("harm_rules.yaml")
WORD = re.compile(r"[^\W\d_]+", re.U)


class RulesError(ValueError):
    """A rules file that cannot be used: unreadable, or naming an unknown harm category."""


@dataclass(frozen=True)
class Hit:
    key: str  # the category, group, demand type … the cue stands for
    start: int
    end: int
    text: str
    inner: tuple[int, int] | None = None  # span of the cue's (?P<name>…) group, if it has one


def compile_cue(cue: str) -> re.Pattern[str]:
    """`re:` + a regular expression, or a phrase matched as whole words, any whitespace."""
    if cue.startswith("re:"):
        return re.compile(cue[3:], re.I)
    words = r"\s+".join(re.escape(w) for w in cue.split())
    return re.compile(rf"(?<![\w-]){words}(?![\w-])", re.I)


class CueSet:
    """Named groups of cues, searched together."""

    def __init__(self, groups: dict[str, list[str]], case_sensitive: bool = False):
        self.patterns: list[tuple[str, re.Pattern[str]]] = []
        for key, cues in groups.items():
            for cue in cues or []:
                pattern = compile_cue(str(cue))
                if case_sensitive and not str(cue).startswith("re:"):
                    pattern = re.compile(pattern.pattern)
                self.patterns.append((key, pattern))

    def find(self, text: str, start: int = 0, end: int | None = None) -> list[Hit]:
        end = len(text) if end is None else end
        hits = [
            Hit(
                key,
                m.start(),
                m.end(),
                m.group(0),
                m.span("name") if "name" in m.groupdict() else None,
            )
            for key, pattern in self.patterns
            for m in pattern.finditer(text, start, end)
        ]
        return sorted(hits, key=lambda h: (h.start, -h.end))

    def keys_in(self, text: str, start: int = 0, end: int | None = None) -> list[str]:
        return list(dict.fromkeys(h.key for h in self.find(text, start, end)))


@dataclass
class Rules:
    harm: CueSet
    allegation: CueSet
    response: CueSet
    demand: CueSet
    demand_verbs: CueSet
    contract_verbs: CueSet
    contract_nouns: CueSet
    groups: CueSet
    list_intros: CueSet
    source_credits: CueSet
    measure: CueSet
    contract_status: CueSet
    subsidiary: CueSet
    parent: CueSet
    fund_refs: CueSet
    company_refs: CueSet
    languages: dict[str, frozenset[str]]

    def language_of(self, text: str) -> str | None:
        """The bundled language whose common words make up most of the text, if any does."""
        words = [w.casefold() for w in WORD.findall(text[:200_000])]
        if len(words) < 12:
            return "en"  # too short to tell
        shares = {
            code: sum(w in common for w in words) / len(words)
            for code, common in self.languages.items()
        }
        best = max(shares, key=lambda c: shares[c], default=None)
        return best if best is not None and shares[best] >= 0.12 else None


def merge(base: Any, extra: Any) -> Any:
    """Lists are extended (without repeats), mappings merged key by key, scalars replaced."""
    if isinstance(base, dict) and isinstance(extra, dict):
        out = dict(base)
        for k, v in extra.items():
            out[k] = merge(base[k], v) if k in base else v
        return out
    if isinstance(base, list) and isinstance(extra, list):
        return base + [v for v in extra if v not in base]
    return extra


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"cannot read rules file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise RulesError(f"rules file {path} must be a mapping (see {RULES_FILE.name})")
    return data


def language_files() -> list[Path]:
    """The bundled rule files: English first, then one per further language."""
    return [RULES_FILE, *sorted(RULES_FILE.parent.glob("harm_rules.*.yaml"))]


def load_rules(extra: list[Path] | None = None) -> Rules:
    data: dict[str, Any] = {}
    languages: dict[str, frozenset[str]] = {}
    for path in [*language_files(), *(extra or [])]:
        part = _read(path)
        language = part.pop("language", None)
        if isinstance(language, dict) and language.get("code"):
            words = frozenset(str(w).casefold() for w in language.get("words") or [])
            languages[str(language["code"])] = (
                languages.get(str(language["code"]), frozenset()) | words
            )
        data = merge(data, part)
    model = load_model()
    harm_scheme = model.vocabulary(model.properties["harmCategory"].vocabulary or "")
    unknown = sorted(set(data.get("harm") or {}) - set(harm_scheme.concepts))
    if unknown:
        raise RulesError(
            f"unknown harm categories {unknown}; the harm scheme has: "
            f"{', '.join(sorted(harm_scheme.concepts))}"
        )
    try:
        return Rules(
            harm=CueSet(data.get("harm") or {}),
            allegation=CueSet({"allegation": data.get("allegation") or []}),
            response=CueSet({"response": data.get("response") or []}),
            demand=CueSet(data.get("demand") or {}),
            demand_verbs=CueSet({"verb": data.get("demand_verbs") or []}),
            contract_verbs=CueSet({"verb": data.get("contract_verbs") or []}),
            contract_nouns=CueSet({"noun": data.get("contract_nouns") or []}),
            groups=CueSet(data.get("groups") or {}, case_sensitive=True),
            list_intros=CueSet({"list": data.get("list_intros") or []}),
            source_credits=CueSet({"credit": data.get("source_credits") or []}),
            measure=CueSet(data.get("measure") or {}),
            contract_status=CueSet(data.get("contract_status") or {}),
            subsidiary=CueSet({"subsidiary": data.get("subsidiary") or []}),
            parent=CueSet({"parent": data.get("parent") or []}),
            fund_refs=CueSet({"fund": data.get("fund_refs") or []}),
            company_refs=CueSet(data.get("company_refs") or {}),
            languages=languages,
        )
    except re.error as exc:
        raise RulesError(f"a rule is not a valid regular expression: {exc}") from None
