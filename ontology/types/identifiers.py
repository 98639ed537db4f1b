"""Identifiers: LEI (ISO 17442), ISIN (ISO 6166), Wikidata QID.

The check digits are python-stdnum's (`stdnum.lei`, `stdnum.isin`); this module adds the strict
forms RightsGraph stores (upper case, no spaces), the `checked_*` cleaners the adapters use, the
pure SPARQL 1.1 checks the shapes hold (`isin_check_sparql`, `lei_check_sparql`: any SHACL
engine runs them) and the rgfn: SPARQL functions our own validator calls in their place (the
same verdicts; rdflib parses the long pure queries slowly, once per focus node).
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable
from typing import Any

from rdflib import Literal, URIRef
from rdflib.plugins.sparql.operators import register_custom_function
from stdnum import isin as _isin
from stdnum import lei as _lei
from stdnum.iso7064 import mod_97_10

RGFN = "https://w3id.org/rightsgraph/function#"

_LEI = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")
_ISIN = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$")
_QID = re.compile(r"^Q[1-9][0-9]*$")
LEI_PATTERN = _LEI.pattern
ISIN_PATTERN = _ISIN.pattern


@functools.lru_cache(maxsize=1 << 16)  # a file repeats its companies' identifiers row after row
def valid_lei(value: str) -> bool:
    """ISO 17442: 18 letters or digits and two check digits (ISO 7064 MOD 97-10)."""
    return bool(_LEI.match(value)) and _lei.is_valid(value)


def lei_check_digits(prefix18: str) -> str:
    """The two check digits that complete an 18-character LEI prefix."""
    return mod_97_10.calc_check_digits(prefix18)


@functools.lru_cache(maxsize=1 << 16)
def valid_isin(value: str) -> bool:
    """ISO 6166: a country (or XS, EU) code, nine characters and a Luhn check digit."""
    return bool(_ISIN.match(value)) and _isin.is_valid(value)


def isin_check_digit(prefix11: str) -> str:
    return _isin.calc_check_digit(prefix11)


def valid_qid(value: str) -> bool:
    return bool(_QID.match(value))


def _checked(valid: Callable[[str], bool]) -> Callable[[Any], str | None]:
    def clean(value: Any) -> str | None:
        text = str(value or "").strip().upper()
        return text if valid(text) else None

    return clean


checked_lei = _checked(valid_lei)
checked_lei.__doc__ = "The LEI in its stored form, or None when it is malformed or fails its check."
checked_isin = _checked(valid_isin)
checked_isin.__doc__ = "The ISIN in its stored form, or None when malformed or failing its check."
checked_qid = _checked(valid_qid)
checked_qid.__doc__ = "The Wikidata QID (Q123) in its stored form, or None."


def _sparql_bool(check: Callable[[str], bool]) -> Callable[..., Literal]:
    def function(value: Literal, *_: object) -> Literal:
        return Literal(check(str(value)))

    return function


def register_sparql_functions() -> None:
    """Make rgfn:validLEI and rgfn:validISIN callable from SPARQL (idempotent)."""
    for name, check in (("validLEI", valid_lei), ("validISIN", valid_isin)):
        with contextlib.suppress(ValueError):  # already registered
            register_custom_function(URIRef(RGFN + name), _sparql_bool(check))


# ---------------------------------------------------------------------- pure SPARQL checks

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _char_value(var: str, position: int) -> str:
    """SPARQL for the value of one character (0-9, A=10 … Z=35) of `var`, no cast needed."""
    return f'STRLEN(STRBEFORE("{_ALPHABET}", SUBSTR({var}, {position}, 1)))'


def isin_check_sparql(path: str = "rg:isin") -> str:
    """A SELECT for a SHACL-SPARQL constraint: every well-formed ISIN of $this whose Luhn
    check digit (ISO 6166) is wrong, in SPARQL 1.1 alone (no extension function), so any SHACL
    engine runs it. Letters become two digits (A=10), then Luhn over the digit string."""
    parts = [f"STR({_char_value('?value', k)})" for k in range(1, 12)]
    lines = [
        f"SELECT $this ?value WHERE {{ $this {path} ?value .",
        f'  FILTER (REGEX(STR(?value), "{_ISIN.pattern}"))',
        f"  BIND (CONCAT({', '.join(parts)}, SUBSTR(?value, 12, 1)) AS ?digits)",
        "  BIND (STRLEN(?digits) AS ?n)",
    ]
    terms = []
    for j in range(23):  # j-th digit from the right; every second one doubled
        digit = f'STRLEN(STRBEFORE("0123456789", SUBSTR(?digits, ?n - {j}, 1)))'
        lines.append(f"  BIND (IF(?n > {j}, {digit}, 0) AS ?d{j})")
        terms.append(f"IF(?d{j} > 4, 2 * ?d{j} - 9, 2 * ?d{j})" if j % 2 else f"?d{j}")
    lines.append(f"  BIND ({' + '.join(terms)} AS ?sum)")
    lines.append('  FILTER (!STRENDS(STR(?sum), "0")) }')
    return "\n".join(lines)


def lei_check_sparql(path: str = "rg:lei") -> str:
    """A SELECT for a SHACL-SPARQL constraint: every well-formed LEI of $this whose check
    digits (ISO 7064 MOD 97-10) are wrong, in SPARQL 1.1 alone: the number the characters
    spell (A=10) taken mod 97 one character at a time, which must leave 1."""
    lines = [
        f"SELECT $this ?value WHERE {{ $this {path} ?value .",
        f'  FILTER (REGEX(STR(?value), "{_LEI.pattern}"))',
        "  BIND (0 AS ?r0)",
    ]
    for k in range(1, 21):
        lines.append(f"  BIND ({_char_value('?value', k)} AS ?v{k})")
        lines.append(f"  BIND (?r{k - 1} * IF(?v{k} > 9, 100, 10) + ?v{k} AS ?x{k})")
        lines.append(f"  BIND (?x{k} - 97 * FLOOR(?x{k} / 97) AS ?r{k})")
    lines.append("  FILTER (?r20 != 1) }")
    return "\n".join(lines)
