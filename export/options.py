"""The options of one export, checked before anything is read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from export.formats import RDF_FORMATS, unknown_format
from ontology.types import sharing

SCOPE_KINDS = ("entity", "report")
MAX_HOPS = 5
MAX_IDS = 5000
IDS_SCOPE = "ids"  # exactly the nodes of `ids`, the sources their evidence cites, their reports


class ExportError(ValueError):
    """Options that do not make an export (unknown level, scope or format)."""


class ScopeNotFound(ExportError):
    """The entity or report a scope names is not in the graph (or not visible at the level)."""


@dataclass(frozen=True)
class ExportOptions:
    format: str = "turtle"
    tlp: str = "CLEAR"
    scope: str = "all"  # all | entity:ID | report:ID | ids (the nodes of `ids`)
    ids: tuple[str, ...] = ()
    hops: int = 1
    as_of: str | None = None
    as_known_on: str | None = None  # what the graph held that day (YYYY-MM-DD)
    complete: bool = False  # a backup: every node and relationship, whatever its level or shape
    with_ontology: bool = False  # RDF: the ontology and the shapes after the data
    statements: bool = False  # RDF: each value's provenance, as reified rdf:Statements
    licences: tuple[str, ...] = ()  # only sources under these licences (and what rests on them)

    def checked(self) -> ExportOptions:
        if (problem := unknown_format(self.format)) is not None:
            raise ExportError(problem)
        for flag, name in (
            (self.with_ontology, "--with-ontology"),
            (self.statements, "--statements"),
        ):
            if flag and unknown_format(self.format, RDF_FORMATS) is not None:
                raise ExportError(f"{name} is for the RDF formats ({', '.join(RDF_FORMATS)})")
        if not sharing.is_level(self.tlp):
            raise ExportError(
                f"unknown sharing level {self.tlp!r} (known: {', '.join(sharing.levels())})"
            )
        if (self.scope == IDS_SCOPE) != bool(self.ids):
            raise ExportError("the ids scope and a list of ids go together")
        if len(self.ids) > MAX_IDS:
            raise ExportError(f"at most {MAX_IDS} ids, not {len(self.ids)}")
        kind = self.scope.split(":", 1)[0]
        if self.scope not in ("all", IDS_SCOPE) and (
            kind not in SCOPE_KINDS or ":" not in self.scope
        ):
            raise ExportError(f"scope must be all, entity:ID or report:ID, not {self.scope!r}")
        if self.hops < 0 or self.hops > MAX_HOPS:
            raise ExportError(f"hops must be between 0 and {MAX_HOPS}")
        for name, value in (("as-of", self.as_of), ("as-known-on", self.as_known_on)):
            if value is None:
                continue
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ExportError(f"{name} must be a date YYYY-MM-DD, not {value!r}") from None
        return self

    @property
    def levels(self) -> list[str]:
        return list(sharing.levels_up_to(self.tlp))
