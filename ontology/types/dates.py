"""Dates with their precision: a year ("2017"), a month ("2017-04") or a day ("2017-04-12").

Stored as ISO text in Neo4j: partial dates compare correctly as strings against full ones. In
RDF they are `xsd:date` literals, so SHACL reports a partial date where a full one is required.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from typing import Any

from rdflib import XSD, Literal

Precision = typing.Literal["year", "month", "day"]
PRECISIONS: tuple[Precision, ...] = ("year", "month", "day")
_FULL_FORMS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d")
_ISO_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]")
_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:$|[T ])")


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_full(value: Any) -> str | None:
    """A full date (YYYY-MM-DD) from a date, a datetime or a date written 2019-12-31,
    2019/12/31, 31.12.2019 or 20191231 (a time after an ISO date is dropped); None when empty,
    ValueError for anything else."""
    if _empty(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    match = _ISO_TIME.match(text)
    if match:
        text = match.group(1)
    for form in _FULL_FORMS:
        try:
            return dt.datetime.strptime(text, form).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")


def parse(value: Any) -> str | None:
    """A year, year-month or full date from ISO text ("2010-06-10T14:23:12Z" → "2010-06-10"),
    None when empty; ValueError for anything else, "2015-02-31" and "2017-13" included, so a
    fact's date that cannot be read is reported rather than dropped."""
    if _empty(value):
        return None
    if isinstance(value, dt.date):
        return parse_full(value)
    match = _PARTIAL.match(str(value).strip())
    if not match:
        raise ValueError(f"{value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = match.groups()
    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise ValueError(f"{value!r} is not a calendar date") from None
    return match.group(0).rstrip("T ")


def lenient(value: Any) -> str | None:
    """Like `parse`, but None for what it cannot read: for metadata such as a package's
    publication date, where a bad value loses a detail, not a fact."""
    try:
        return parse(value)
    except ValueError:
        return None


def precision(text: str) -> Precision:
    """How much of the date is known: "2017" → year, "2017-04" → month, "2017-04-12" → day."""
    return PRECISIONS[min(text.count("-"), 2)]


def is_valid(value: Any) -> bool:
    """A date as a record holds it: ISO text of a known precision (or a date object)."""
    try:
        return parse(value) is not None and (
            isinstance(value, dt.date) or parse(value) == str(value).strip()
        )
    except ValueError:
        return False


def to_neo4j(value: Any) -> Any:
    """ISO text for date objects; text stays as it is."""
    return value.isoformat() if isinstance(value, dt.date) else value


def to_rdf(value: Any) -> Literal:
    """An `xsd:date` literal (ill-typed, so SHACL reports it, for a value that is not a date)."""
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return Literal(text, datatype=XSD.date)
