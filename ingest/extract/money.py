"""Money in text: "more than $1 billion" → at least 1e9 USD, with the words that bound it.

A qualifier before the figure says which bound it is: "more than", "over", "at least" give a
lower bound (amountMin); "nearly", "up to", "less than" an upper bound (amountMax); "about",
"around" an approximate figure (kept as amount and flagged); a range "between X and Y" both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Bound = Literal["exact", "min", "max", "approx", "range"]

SYMBOLS = {
    "US$": "USD",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "CNY",
    "RMB": "CNY",
    "C$": "CAD",
    "A$": "AUD",
    "HK$": "HKD",
    "kr": "NOK",
}
CODES = ("USD", "EUR", "GBP", "CNY", "NOK", "SEK", "DKK", "JPY", "CHF", "CAD", "AUD", "HKD", "RMB")
WORDS = {
    "dollars": "USD",
    "dollar": "USD",
    "us dollars": "USD",
    "euros": "EUR",
    "euro": "EUR",
    "pounds": "GBP",
    "yuan": "CNY",
    "renminbi": "CNY",
    "kroner": "NOK",
    "krone": "NOK",
    "norwegian kroner": "NOK",
    "swedish kronor": "SEK",
    "kronor": "SEK",
    "yen": "JPY",
}
SCALES = {
    "thousand": 10**3,
    "k": 10**3,
    "million": 10**6,
    "mn": 10**6,
    "m": 10**6,
    "mln": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "b": 10**9,
    "bln": 10**9,
    "trillion": 10**12,
    "tn": 10**12,
}
QUALIFIERS: dict[str, Bound] = {
    "more than": "min",
    "over": "min",
    "at least": "min",
    "in excess of": "min",
    "upwards of": "min",
    "above": "min",
    "exceeding": "min",
    "no less than": "min",
    "a minimum of": "min",
    "nearly": "max",
    "almost": "max",
    "up to": "max",
    "less than": "max",
    "under": "max",
    "below": "max",
    "as much as": "max",
    "no more than": "max",
    "just under": "max",
    "about": "approx",
    "around": "approx",
    "approximately": "approx",
    "roughly": "approx",
    "some": "approx",
    "an estimated": "approx",
    "estimated": "approx",
    "circa": "approx",
}

_NUM = r"\d{1,3}(?:[,\u202f ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SYM = "|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True) if s != "kr")
_CODE = "|".join(CODES)
_SCALE = "|".join(sorted(SCALES, key=len, reverse=True))
_WORD = "|".join(re.escape(w) for w in sorted(WORDS, key=len, reverse=True))
_QUAL = "|".join(re.escape(q) for q in sorted(QUALIFIERS, key=len, reverse=True))
_FIGURE = (
    rf"(?:(?P<sym>{_SYM})\s?|(?P<code>{_CODE})\s?)(?P<num>{_NUM})(?:[\s-]?(?P<scale>{_SCALE})\b)?"
    rf"|(?P<num2>{_NUM})(?:[\s-]?(?P<scale2>{_SCALE})\b)?\s?(?:(?P<code2>{_CODE})\b|(?P<word>{_WORD})\b)"
)
AMOUNT = re.compile(
    rf"(?:(?P<qual>{_QUAL})\s+)?(?P<fig>{_FIGURE})"
    rf"(?:(?:\s*[-–]\s*|\s+(?:and|to)\s+)(?P<hi>(?:{_SYM}|{_CODE})?\s?(?P<hi_num>{_NUM})"
    rf"(?:[\s-]?(?P<hi_scale>{_SCALE})\b)?))?",
    re.I,
)


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str
    bound: Bound
    start: int
    end: int
    text: str
    high: Decimal | None = None  # the upper end of a range

    def properties(self) -> dict[str, int | float]:
        """Record properties: amount, amountMin and/or amountMax."""
        if self.bound == "range" and self.high is not None:
            return {"amountMin": _plain(self.value), "amountMax": _plain(self.high)}
        key = {"exact": "amount", "approx": "amount", "min": "amountMin", "max": "amountMax"}[
            self.bound
        ]
        return {key: _plain(self.value)}


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _value(num: str, scale: str | None) -> Decimal:
    digits = re.sub(r"[,\u202f ]", "", num)
    return Decimal(digits) * SCALES.get((scale or "").lower(), 1)


def _currency(groups: dict[str, str | None], prefix: str = "") -> str | None:
    sym, code = (
        groups.get(prefix + "sym"),
        groups.get(prefix + "code") or groups.get(prefix + "code2"),
    )
    word = groups.get(prefix + "word")
    if sym:
        return SYMBOLS[sym if sym in SYMBOLS else sym.upper()]
    if code:
        code = code.upper()
        return "CNY" if code == "RMB" else code
    if word:
        return WORDS[word.lower()]
    return None


def find_amounts(text: str, start: int = 0, end: int | None = None) -> list[Amount]:
    end = len(text) if end is None else end
    out: list[Amount] = []
    for m in AMOUNT.finditer(text, start, end):
        g = m.groupdict()
        currency = _currency(g)
        if currency is None:
            continue
        value = _value(g["num"] or g["num2"], g["scale"] or g["scale2"])
        bound: Bound = QUALIFIERS.get((g["qual"] or "").lower(), "exact")
        high = None
        if g["hi"]:
            hi_scale = g["hi_scale"]
            high = _value(g["hi_num"], hi_scale)
            if not (g["scale"] or g["scale2"]) and hi_scale:  # "$1-2 billion"
                value = _value(g["num"] or g["num2"], hi_scale)
            bound = "range"
        s = m.start()
        out.append(Amount(value, currency, bound, s, m.end(), text[s : m.end()], high))
    return out
