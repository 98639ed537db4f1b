"""What an adapter yields: a batch of records that is written in one transaction, or not at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ingest.errors import Problem
from ontology.records import Record


@dataclass
class Batch:
    """Records from one file (or one slice of a large file).

    `report_id` names the report every record is stamped with; facts that carried this report
    id and are no longer stated are swept when the file's last batch (`final`) is written.
    RDF imports of our own exports carry their report ids in the records and set it to None.
    """

    file: str
    records: list[Record]
    report: Record | None = None
    report_id: str | None = None
    default_tlp: str = "GREEN"
    lines: dict[str, int] = field(default_factory=dict)
    final: bool = True
    position: int = 0  # index of this batch in its file, for checkpoints
    unsupported: dict[str, int] = field(default_factory=dict)  # what the adapter skipped, counted
    source_text: str | None = None  # evidentiary copy of the text the report quotes, if shipped
    # False for uploads to the API: the report may then name no file on this machine
    local_files: bool = True
    # reports behind links whose reports the writer cannot infer (our RDF exports state them)
    link_reports: dict[Any, list[str]] = field(default_factory=dict)
    resolve: bool = True  # False when the ids are the graph's own (a restore): no resolution
    # problems the adapter found while reading; the units they concern are not in `records`
    problems: list[Problem] = field(default_factory=list)
    set_aside: set[str] = field(default_factory=set)  # ids of records left out for a problem
    # the report's review status (reviewed, published, unreviewed): its statements' standing
    review_status: str | None = None
    statements: dict[str, str] = field(default_factory=dict)  # node id -> stored statements
    link_statements: dict[Any, str] = field(default_factory=dict)  # RelKey -> stored statements
    # records that only add to entities already known (a mapping file that names no entity):
    # those that resolve to none are counted under this label, not created
    attach_only: str | None = None

    @property
    def all_records(self) -> list[Record]:
        return ([self.report] if self.report else []) + self.records
