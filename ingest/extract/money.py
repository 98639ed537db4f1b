"""Money in running text: "more than $1 billion" → at least 1e9 USD, with the words that bound it.

This module only *finds* amounts in prose and reads the words around them; the figure itself
(decimal comma or point, thousands separators, scale words in English, Norwegian, Danish,
Swedish and German, ISO codes and symbols) is read by `ontology.types.money.parse_amount`, the
parser every adapter uses. A qualifier before the figure says which bound it is: "more than",
"mer enn", "mehr als" give a lower bound (amountMin); "nearly", "nesten", "bis zu" an upper
bound (amountMax); "about", "om lag", "rund" an approximate figure; "between X and Y" both.
"kroner" is NOK in Norwegian text and DKK in Danish; "kronor" is SEK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from ontology.types.money import SCALES, SYMBOLS, parse_amount

Bound = Literal["exact", "min", "max", "approx", "range"]

EXTRA_SYMBOLS = {"US$": "USD", "C$": "CAD", "A$": "AUD", "HK$": "HKD", "RMB": "CNY", "¥": "CNY"}
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
    "yen": "JPY",
    "kronor": "SEK",
    "svenska kronor": "SEK",
    "swedish kronor": "SEK",
    "norwegian kroner": "NOK",
    "norske kroner": "NOK",
    "danish kroner": "DKK",
    "danske kroner": "DKK",
    "franken": "CHF",
}
# "kroner" / "kr" / "krone(r)": the language of the text decides
KRONER = {"da": "DKK", "sv": "SEK", "nb": "NOK", "nn": "NOK"}
KRONER_WORDS = ("kroner", "kronen", "krone", "kr")
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "en": 1,
    "ein": 1,
    "eine": 1,
    "ett": 1,
    "eitt": 1,
    "et": 1,
}
QUALIFIERS: dict[str, Bound] = {
    **dict.fromkeys(
        (
            "more than",
            "over",
            "at least",
            "in excess of",
            "upwards of",
            "above",
            "exceeding",
            "no less than",
            "a minimum of",
            "mer enn",
            "meir enn",
            "mer end",
            "mere end",
            "mer än",
            "mehr als",
            "über",
            "minst",
            "mindst",
            "mindestens",
            "over",
            "utover",
        ),
        "min",
    ),
    **dict.fromkeys(
        (
            "nearly",
            "almost",
            "up to",
            "less than",
            "under",
            "below",
            "as much as",
            "no more than",
            "just under",
            "nesten",
            "nær",
            "opptil",
            "opp til",
            "inntil",
            "næsten",
            "op til",
            "nästan",
            "upp till",
            "fast",
            "knapp",
            "bis zu",
            "weniger als",
        ),
        "max",
    ),
    **dict.fromkeys(
        (
            "about",
            "around",
            "approximately",
            "roughly",
            "some",
            "an estimated",
            "estimated",
            "circa",
            "om lag",
            "omlag",
            "omtrent",
            "rundt",
            "cirka",
            "ca.",
            "omkring",
            "ungefär",
            "runt",
            "etwa",
            "rund",
            "ungefähr",
        ),
        "approx",
    ),
}

_NUM = r"\d{1,3}(?:[,.\u202f\u00a0 ]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_SYMS = {**SYMBOLS, **EXTRA_SYMBOLS}
_SYM = "|".join(re.escape(s) for s in sorted(_SYMS, key=len, reverse=True))
_CODE = "|".join(CODES)
_SCALE = "|".join(
    re.escape(s) for s in sorted(SCALES, key=len, reverse=True) if len(s) > 1 or s in "mbk"
)
_WORD = "|".join(re.escape(w) for w in sorted([*WORDS, *KRONER_WORDS], key=len, reverse=True))
_QUAL = "|".join(re.escape(q) for q in sorted(QUALIFIERS, key=len, reverse=True))
_NUMWORD = "|".join(NUMBER_WORDS)
_SC = rf"(?:[\s-]?(?P<scale{{i}}>{_SCALE})\.?(?![\w]))"
_FIGURE = (
    rf"(?:(?P<sym>{_SYM})\s?|(?P<code>{_CODE})\s?)(?P<num>{_NUM}){_SC.format(i='')}?"
    rf"|(?P<num2>{_NUM}|(?:{_NUMWORD})(?=\s+(?:{_SCALE})\b)){_SC.format(i='2')}?\s?"
    rf"(?:(?P<code2>{_CODE})\b|(?P<word>{_WORD})(?![\w]))"
)
AMOUNT = re.compile(
    rf"(?<![\w.,])(?:(?P<qual>{_QUAL})\s+)?(?P<fig>{_FIGURE})"
    rf"(?:(?:\s*[-–]\s*|\s+(?:and|to|og|till|och|und|bis)\s+)(?P<hi>(?:{_SYM}|{_CODE})?\s?"
    rf"(?P<hi_num>{_NUM})(?:[\s-]?(?P<hi_scale>{_SCALE})\b)?))?",
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


def _value(num: str, scale: str | None, english: bool) -> Decimal | None:
    """The figure, read by the shared amount parser ("1,2 milliarder", "1.48bn")."""
    num = NUMBER_WORDS.get(num.lower(), num) if num.isalpha() else num
    if english and re.fullmatch(r"\d{1,3}(?:,\d{3})+", str(num)):
        num = str(num).replace(",", "")
    elif not english and re.fullmatch(r"\d{1,3}(?:\.\d{3})+", str(num)):
        num = str(num).replace(".", "")  # "1.200 millioner": a thousands point
    try:
        money = parse_amount(f"{num} {scale.rstrip('.')}" if scale else str(num))
    except ValueError:
        return None
    return money.amount if money is not None else None


def _currency(groups: dict[str, str | None], language: str) -> str | None:
    sym, code = groups.get("sym"), groups.get("code") or groups.get("code2")
    word = (groups.get("word") or "").lower()
    if sym:
        return _SYMS.get(sym) or _SYMS.get(sym.upper())
    if code:
        code = code.upper()
        return "CNY" if code == "RMB" else code
    if word in KRONER_WORDS:
        return KRONER.get(language, "NOK")
    if word:
        return WORDS.get(word)
    return None


def find_amounts(
    text: str, start: int = 0, end: int | None = None, language: str = "en"
) -> list[Amount]:
    """Amounts with a currency between `start` and `end`; `language` decides what "kroner" is."""
    end = len(text) if end is None else end
    english = language == "en"
    out: list[Amount] = []
    for m in AMOUNT.finditer(text, start, end):
        g = m.groupdict()
        currency = _currency(g, language)
        if currency is None:
            continue
        value = _value(g["num"] or g["num2"], g["scale"] or g["scale2"], english)
        if value is None:
            continue
        bound: Bound = QUALIFIERS.get((g["qual"] or "").lower(), "exact")
        high = None
        if g["hi"]:
            hi_scale = g["hi_scale"]
            high = _value(g["hi_num"], hi_scale, english)
            if not (g["scale"] or g["scale2"]) and hi_scale:  # "$1-2 billion"
                value = _value(g["num"] or g["num2"], hi_scale, english) or value
            bound = "range" if high is not None else bound
        s = m.start()
        out.append(Amount(value, currency, bound, s, m.end(), text[s : m.end()], high))
    return out
