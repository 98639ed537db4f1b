"""Identifiers: LEI (ISO 17442), ISIN (ISO 6166), Wikidata QID.

The check digits are python-stdnum's (`stdnum.lei`, `stdnum.isin`); this module adds the strict
forms RightsGraph stores (upper case, no spaces), the `checked_*` cleaners the adapters use, and
the rgfn: SPARQL functions the shapes call during SHACL validation.
"""

from __future__ import annotations

import contextlib
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


def valid_lei(value: str) -> bool:
    """ISO 17442: 18 letters or digits and two check digits (ISO 7064 MOD 97-10)."""
    return bool(_LEI.match(value)) and _lei.is_valid(value)


def lei_check_digits(prefix18: str) -> str:
    """The two check digits that complete an 18-character LEI prefix."""
    return mod_97_10.calc_check_digits(prefix18)


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
