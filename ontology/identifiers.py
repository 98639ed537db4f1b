"""Identifier checks used by the shapes: LEI (ISO 17442), ISIN (ISO 6166), Wikidata QID.

The two check-digit functions are registered with rdflib's SPARQL engine under the rgfn:
namespace, so the SPARQL constraints in shapes.ttl can call them during SHACL validation.
"""

from __future__ import annotations

import contextlib
import re

from rdflib import Literal, URIRef
from rdflib.plugins.sparql.operators import register_custom_function

RGFN = "https://w3id.org/rightsgraph/function#"

_LEI = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")
_ISIN = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$")
_QID = re.compile(r"^Q[1-9][0-9]*$")


def _alnum_to_digits(text: str) -> str:
    """Letters become two digits (A=10 … Z=35), digits stay."""
    return "".join(str(int(ch, 36)) for ch in text)


def valid_lei(value: str) -> bool:
    """ISO 17442: the 20 characters, letters as numbers, are 1 modulo 97."""
    return bool(_LEI.match(value)) and int(_alnum_to_digits(value)) % 97 == 1


def lei_check_digits(prefix18: str) -> str:
    """The two check digits that complete an 18-character LEI prefix."""
    return f"{98 - int(_alnum_to_digits(prefix18 + '00')) % 97:02d}"


def valid_isin(value: str) -> bool:
    """ISO 6166: Luhn over the digits of the 11 characters gives the 12th."""
    return bool(_ISIN.match(value)) and isin_check_digit(value[:11]) == value[11]


def isin_check_digit(prefix11: str) -> str:
    digits = _alnum_to_digits(prefix11)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:  # rightmost digit of the payload is doubled
            n *= 2
            n = n - 9 if n > 9 else n
        total += n
    return str((10 - total % 10) % 10)


def valid_qid(value: str) -> bool:
    return bool(_QID.match(value))


def _sparql_bool(check):
    def function(value: Literal, *_: object) -> Literal:
        return Literal(check(str(value)))

    return function


def register_sparql_functions() -> None:
    """Make rgfn:validLEI and rgfn:validISIN callable from SPARQL (idempotent)."""
    for name, check in (("validLEI", valid_lei), ("validISIN", valid_isin)):
        with contextlib.suppress(ValueError):  # already registered
            register_custom_function(URIRef(RGFN + name), _sparql_bool(check))
