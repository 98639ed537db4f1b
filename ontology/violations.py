"""A broken SHACL rule as a person reads it: the one form both validation engines report in.

Shared by `ontology.validate` (pyshacl) and `ontology.fast_validate` (compiled shapes), so
neither imports the other's module for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Namespace

from ontology.model import ID_BASE, iri_to_id

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class Violation:
    """One broken rule: which record, which rule (the shape's name), on which value."""

    record: str
    rule: str
    message: str
    path: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = f".{self.path}" if self.path else ""
        value = f" (value: {self.value})" if self.value is not None else ""
        return f"record {self.record}{where}: {self.message}{value} [rule {self.rule}]"


def short_name(node) -> str:
    """A node as violations show it: a record id, or the local name of any other IRI or text."""
    text = str(node)
    if text.startswith(ID_BASE):
        return iri_to_id(text)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def sorted_violations(violations: Iterable[Violation]) -> list[Violation]:
    """One order for any set of violations (a missing value sorts before an empty one)."""
    return sorted(
        violations,
        key=lambda v: (v.record, v.rule, v.path or "", v.value is not None, v.value or ""),
    )
