"""Keyword rules as data: harm categories, allegation, demand and contract cues, affected groups.

The bundled `harm_rules.yaml` is the default; `--rules FILE` adds to it (lists are extended,
mappings merged). Harm categories are checked against the ontology's SKOS scheme, so a rule
can only produce a category the shapes accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ontology.model import load_model

RULES_FILE = Path(__file__).with_name("harm_rules.yaml")


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


def load_rules(extra: list[Path] | None = None) -> Rules:
    data = _read(RULES_FILE)
    for path in extra or []:
        data = merge(data, _read(path))
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
        )
    except re.error as exc:
        raise RulesError(f"a rule is not a valid regular expression: {exc}") from None
