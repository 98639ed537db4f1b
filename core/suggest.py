"""'Did you mean …?' for a word that is not one of the known ones (rapidfuzz's WRatio)."""

from __future__ import annotations

from collections.abc import Iterable

CUTOFF = 70


def closest(word: str, choices: Iterable[str], cutoff: float = CUTOFF) -> str | None:
    """The known choice most like `word`, or None when none is close enough."""
    from rapidfuzz import fuzz, process, utils

    found = process.extractOne(
        word,
        list(choices),
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        score_cutoff=cutoff,
    )
    return found[0] if found else None


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = CUTOFF) -> str:
    """' (did you mean "X"?)' for the closest choice, or "" when none is close."""
    found = closest(word, choices, cutoff)
    return f' (did you mean "{found}"?)' if found else ""
