"""Sharing levels (TLP 2.0), read from the ontology's `rg:SharingLevels` vocabulary.

Every layer orders, compares and filters sharing levels through this module; the levels and
their order are data in `vocabularies.ttl`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from rdflib import Literal

from ontology.model import RG, load_model

SCHEME = "SharingLevels"
DEFAULT = "GREEN"
"""The level of a report or source that names none."""


@cache
def _ranks() -> dict[str, int]:
    model = load_model()
    vocab = model.vocabulary(SCHEME)
    ranks: dict[str, int] = {}
    for notation, concept in vocab.concepts.items():
        rank = model.graph.value(concept, RG.rank)
        if not isinstance(rank, Literal):
            raise ValueError(f"sharing level {notation} has no rg:rank in vocabularies.ttl")
        ranks[notation] = int(rank.toPython())
    return dict(sorted(ranks.items(), key=lambda item: item[1]))


def levels() -> tuple[str, ...]:
    """Every level, most open first."""
    return tuple(_ranks())


def is_level(value: object) -> bool:
    return isinstance(value, str) and value in _ranks()


def rank(level: str) -> int:
    """0 for the most open level; KeyError for an unknown one."""
    return _ranks()[level]


def most_open() -> str:
    return levels()[0]


def most_restricted() -> str:
    return levels()[-1]


def levels_up_to(level: str) -> tuple[str, ...]:
    """Every level at or below `level`: what a caller cleared for `level` may read."""
    top = rank(level)
    return tuple(lvl for lvl, r in _ranks().items() if r <= top)


def strictest(values: Iterable[str | None], default: str = DEFAULT) -> str:
    """The most restrictive known level among `values` (`default` when there is none)."""
    known = [v for v in values if is_level(v)]
    return max(known, key=rank) if known else default


def openest(values: Iterable[str | None], default: str = DEFAULT) -> str:
    """The most open known level among `values` (`default` when there is none)."""
    known = [v for v in values if is_level(v)]
    return min(known, key=rank) if known else default
