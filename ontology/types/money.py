"""Numbers and amounts of money as published: "1 241 058 528", "12,41 mill", "NOK 1.48bn".

`parse_number` reads a plain number (thousands separators and a decimal comma or point) and
refuses trailing text, so "12,41 mill" in a count column is an error rather than 12.
`parse_amount` is for columns that say they hold amounts: it also reads a scale word in
English, Norwegian (bokmål and nynorsk), Danish, Swedish, German or French ("1,2 milliarder",
"200 millionar", "DKK17m") and an ISO 4217 currency code or symbol before or after the figure.
Numbers are `Decimal` in records, Neo4j integers or floats in the graph, `xsd:decimal` in RDF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from rdflib import XSD, Literal

# No amount, share count or value in any currency comes near this: 1e18 dong is ~4e13 USD.
# Above it a cell is a typo or an attack (1e308 overflows sums to infinity), not a fact.
MAX_NUMBER = Decimal("1e18")
EMPTY = frozenset({"", "-", "–", "n/a", "N/A", "NA"})

SCALES: dict[str, int] = {
    **dict.fromkeys(("k", "thousand", "thousands", "tusen", "tsd", "tausend", "mille"), 10**3),
    **dict.fromkeys(
        (
            "m",
            "mn",
            "mln",
            "mill",
            "mio",
            "million",
            "millions",
            "millioner",  # nb, da
            "millionar",  # nn
            "millionen",  # de
            "miljon",
            "miljoner",  # sv
        ),
        10**6,
    ),
    **dict.fromkeys(
        (
            "b",
            "bn",
            "bln",
            "billion",
            "billions",
            "mrd",
            "md",
            "mia",
            "milliard",
            "milliards",  # fr
            "milliarder",  # nb, da
            "milliardar",  # nn
            "milliarden",  # de
            "miljard",
            "miljarder",  # sv
        ),
        10**9,
    ),
    # in the Scandinavian languages and German a "billion" is 10^12
    **dict.fromkeys(("tn", "trillion", "trillions", "billioner", "billionar", "billionen"), 10**12),
}
SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_THOUSANDS_COMMA = re.compile(r"-?\d{1,3}(,\d{3})+")
_LEADING_FIGURE = re.compile(r"[-+−]?\d[\d\s\u00a0\u202f.,']*")
_SYMBOL = "|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True))
_AMOUNT = re.compile(
    rf"^(?P<pre>[A-Za-z]{{3}}|{_SYMBOL})?\s*"
    r"(?P<num>[-+−]?\s*\d[\d\s\u00a0\u202f.,']*)"
    r"\s*(?P<scale>[A-Za-zæøåäöé]+\.?)?"
    r"\s*(?P<post>[A-Za-z]{3})?$"
)


@dataclass(frozen=True)
class Money:
    """An amount and, when the text named one, its currency (an ISO 4217 code)."""

    amount: Decimal
    currency: str | None = None


@cache
def currency_codes() -> frozenset[str]:
    """ISO 4217 codes, from pycountry."""
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)


def _plausible(value: Any, number: Decimal) -> Decimal:
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    if abs(number) > MAX_NUMBER:
        raise ValueError(f"{value!r} is implausibly large (above {MAX_NUMBER:.0E})")
    return number


def _digits(value: Any, text: str) -> Decimal:
    """A Decimal from the figure of a cell: "1,241,058,528", "1 241 058,5", "12,41"."""
    text = _SPACES.sub("", text).replace("'", "").replace("−", "-")
    if "," in text and "." in text:
        text = text.replace("," if text.rfind(",") < text.rfind(".") else ".", "")
        text = text.replace(",", ".")
    elif "," in text:
        text = text.replace(",", "") if _THOUSANDS_COMMA.fullmatch(text) else text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        figure = _LEADING_FIGURE.match(str(value).strip())
        if figure and figure.group(0).strip() != str(value).strip():
            rest = str(value).strip()[figure.end() :].strip()
            raise ValueError(f"{value!r} is not a number: text {rest!r} after the figure") from None
        raise ValueError(f"{value!r} is not a number") from None
    return _plausible(value, number)


def parse_number(value: Any) -> Decimal | None:
    """A number from a cell: 1241058528, "1,241,058,528", "1 241 058,5"; None for "" or "-".

    Raises ValueError for anything else, a figure followed by text ("12,41 mill") included.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):  # JSON's NaN and Infinity are floats too
        return _plausible(value, Decimal(str(value)))
    text = str(value).strip()
    if _SPACES.sub("", text) in EMPTY:
        return None
    return _digits(value, text)


def parse_amount(value: Any, currency: str | None = None) -> Money | None:
    """An amount of money from a cell of an amounts column: a number, optionally with a scale
    word and a currency code or symbol ("NOK 1.48bn", "DKK17m", "1,2 milliarder"); None when
    empty. `currency` is the column's currency: a cell naming another one is an error, as is
    any text that is neither a known scale nor a currency."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Money(_plausible(value, Decimal(str(value))), currency)
    text = str(value).strip()
    if _SPACES.sub("", text) in EMPTY:
        return None
    match = _AMOUNT.match(text)
    if not match:
        raise ValueError(f"{value!r} is not an amount (a number, a scale word, a currency)")
    pre, num, scale, post = match.group("pre", "num", "scale", "post")
    if scale and not post and scale.upper() in currency_codes() and scale not in SCALES:
        scale, post = None, scale  # "100 NOK"
    named = [_currency(value, c) for c in (pre, post) if c]
    if len(set(named)) > 1:
        raise ValueError(f"{value!r} names two currencies")
    if named and currency and named[0] != currency.upper():
        raise ValueError(f"{value!r} is in {named[0]}, but the column holds {currency.upper()}")
    number = _digits(value, num)
    if scale:
        factor = SCALES.get(scale.rstrip(".").casefold())
        if factor is None:
            raise ValueError(
                f"{value!r}: {scale!r} is neither a scale word (such as thousand, mill, "
                "million, milliarder, bn, Mrd) nor a currency code"
            )
        number = _plausible(value, number * factor)
    return Money(number, named[0] if named else currency)


def _currency(value: Any, text: str) -> str:
    code = SYMBOLS.get(text) or text.upper()
    if code not in currency_codes():
        raise ValueError(f"{value!r}: {text!r} is not an ISO 4217 currency code")
    return code


def percent_to_fraction(value: Any) -> Decimal | None:
    """A percentage, written "0.32", "0.32%" or "-0,46", as a fraction: 0.0032."""
    if isinstance(value, str):
        value = value.strip().rstrip("%").strip()
    number = parse_number(value)
    return None if number is None else number / 100


def canonical(value: Any) -> str | None:
    """A number as a plain decimal string (no exponent), or None when it is not a number."""
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def to_neo4j(value: Decimal) -> int | float:
    """Whole numbers as integers (while a float would hold them exactly), others as floats."""
    if value == value.to_integral_value() and abs(value) < 2**53:
        return int(value)
    return float(value)


def to_rdf(value: Any) -> Literal:
    """An `xsd:decimal` literal in canonical form (ill-typed when `value` is not a number)."""
    text = canonical(value)
    return Literal(text if text is not None else str(value), datatype=XSD.decimal)
