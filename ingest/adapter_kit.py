"""What the source adapters share: checked records, file provenance, batching and value parsing.

Adapters for external formats (holdings tables, OCDS, BODS, FollowTheMoney) all turn rows or
statements into records, stamp them with one import Report per file, cite the file as a dataset
Source, and stream Batches whose last one is marked `final`. Keeping that here means each
`source_*.py` holds only its field mapping.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ingest.batch import Batch
from ingest.errors import IngestError, Problem, more_problems
from ingest.normalize import normalise_name, slug
from ingest.resolve import merge_records
from ontology.model import load_model
from ontology.records import ID_PATTERN, Record, RecordError, check_record
from ontology.types import dates, money, url
from ontology.types.identifiers import checked_isin as checked_isin  # re-exported for adapters
from ontology.types.identifiers import checked_lei as checked_lei
from ontology.types.identifiers import checked_qid as checked_qid
from ontology.types.identifiers import valid_isin, valid_lei

DEFAULT_BATCH_SIZE = 2000
MAX_PROBLEMS = 50


# ---------------------------------------------------------------------- ids


def safe_id(prefix: str, key: str) -> str:
    """`prefix-key` when that is a valid record id, else a slug with a short hash of the key."""
    candidate = f"{prefix}-{key}"
    if ID_PATTERN.match(candidate) and len(candidate) <= 160:
        return candidate
    digest = hashlib.sha1(key.encode()).hexdigest()[:10]
    return f"{prefix}-{slug(key, 60)}-{digest}"


def name_key(name: str) -> str:
    """The id fragment of an organisation known only by name: its normalised name, slugged."""
    return slug(normalise_name(name) or name)


def org_id(prefix: str, name: str, lei: str | None = None, isin: str | None = None) -> str:
    """Ids from identifiers first (`lei-…`, `isin-…`), else `<prefix>-<normalised name>`."""
    if lei:
        return f"lei-{lei}"
    if isin:
        return f"isin-{isin}"
    return f"{prefix}-{name_key(name)}"


def identifier(scheme: str, value: Any) -> str | None:
    """`scheme:value` with whitespace squeezed out of the scheme, or None when either is empty."""
    scheme = re.sub(r"[\s:]+", "-", str(scheme or "").strip()).strip("-")
    text = str(value if value is not None else "").strip()
    if not scheme or not text:
        return None
    return f"{scheme}:{text}"


def organisation_ids(scheme: str | None, value: Any) -> dict[str, Any]:
    """Record properties for one registry identifier: LEI and ISIN where they check out."""
    text = str(value or "").strip()
    if not text:
        return {}
    upper = text.upper().replace(" ", "")
    if scheme and scheme.upper() in ("XI-LEI", "LEI") and valid_lei(upper):
        return {"lei": upper}
    if scheme and scheme.upper() == "ISIN" and valid_isin(upper):
        return {"isin": [upper]}
    ident = identifier(scheme or "id", text)
    return {"identifier": [ident]} if ident else {}


# ---------------------------------------------------------------------- values
# The value types live in ontology/types/; these names are what the adapters call them.

parse_decimal = money.parse_number
parse_amount = money.parse_amount
percent_to_fraction = money.percent_to_fraction
iso_date = dates.parse_full
checked_partial_date = dates.parse
partial_date = dates.lenient
http_url = url.parse


def first(values: Any) -> Any:
    """The first non-empty value of a list (or the value itself)."""
    if isinstance(values, list):
        return next((v for v in values if v not in (None, "")), None)
    return values


# ---------------------------------------------------------------------- provenance


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_source(path: Path, sha256: str, **props: Any) -> Record:
    """The Source record for a data file: id from its content hash, name = the file's name."""
    record = {
        "id": f"src-sha256-{sha256[:16]}",
        "type": "Source",
        "name": path.name,
        "sourceType": "dataset",
        "sha256": sha256,
    }
    record.update({k: v for k, v in props.items() if v not in (None, "", [])})
    return record


def url_source(
    url: str, name: str | None = None, source_type: str = "webpage", **props: Any
) -> Record:
    """A Source known by its URL (a register page, an OCDS package URI, an FtM sourceUrl)."""
    record = {
        "id": safe_id("src-url", slug(url, 100)),
        "type": "Source",
        "name": name or url,
        "url": url,
        "sourceType": source_type,
    }
    record.update({k: v for k, v in props.items() if v not in (None, "", [])})
    return record


def import_report(kind: str, path: Path, description: str) -> Record:
    """One Report per imported file; its stable id makes re-ingest idempotent and lets a changed
    version of the same file sweep the facts it no longer states."""
    return {
        "id": f"report-{kind}-{slug(path.name)}",
        "type": "Report",
        "name": f"{description}: {path.name}",
        "reviewStatus": "unreviewed",
    }


# ---------------------------------------------------------------------- batching


class BatchBuilder:
    """Collects checked records (merging repeats of one id) and cuts them into Batches.

    Problems are gathered rather than raised one by one, so a rejected file names every bad
    record (up to MAX_PROBLEMS, with the total) with its line. An input unit (a row, a
    release, a statement) with a problem adds nothing: `unit_done` undoes the records it added,
    so a quarantined load never keeps half of a row. The batches carry the problems; the
    pipeline rejects the file or quarantines the units (`--on-invalid`).
    """

    def __init__(self, path: Path, report: Record, batch_size: int = DEFAULT_BATCH_SIZE):
        self.file = str(path)
        self.report = check_record(report)
        self.batch_size = batch_size
        self.model = load_model()
        self.records: dict[str, Record] = {}
        self.lines: dict[str, int] = {}
        self.unsupported: Counter = Counter()
        self.problems: list[Problem] = []
        self.total_problems = 0  # found in this batch, listed or not
        self.units = 0
        self.position = 0
        self._undo: list[tuple[str, Record | None]] = []  # this unit's adds, to take back
        self._unit_failed = False

    def add(self, record: Record, where: str = "", line: int | None = None) -> str | None:
        """Check and keep one record; returns its id, or None when it was rejected."""
        try:
            checked = check_record(
                {k: v for k, v in record.items() if v not in (None, "", [])}, self.model, where
            )
        except RecordError as exc:
            self.problem(exc.record if exc.record != "?" else where, exc.rule, exc.message, line)
            return None
        rid = checked["id"]
        existing = self.records.get(rid)
        self._undo.append((rid, existing))
        self.records[rid] = merge_records(existing, checked, self.model) if existing else checked
        if line is not None:
            self.lines.setdefault(rid, line)
        return rid

    def problem(self, record: str, rule: str, message: str, line: int | None = None) -> None:
        self._unit_failed = True
        self.total_problems += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.file, record, rule, message, line))

    def date(
        self, value: Any, field: str, where: str, rule: str, line: int | None = None
    ) -> str | None:
        """`value` as a partial date; a value that is not one is a problem (naming `field`), so
        the file is rejected instead of the date silently dropped."""
        try:
            return checked_partial_date(value)
        except ValueError as exc:
            self.problem(where, rule, f"{field}: {exc}", line)
            return None

    def skip(self, what: str, count: int = 1) -> None:
        """Count a part of the input this adapter does not map: reported, never silently dropped."""
        if count:
            self.unsupported[what] += count

    def unit_done(self) -> bool:
        """Mark one input unit (row, release, statement) read, taking back what it added when it
        had a problem; True when a batch is full."""
        if self._unit_failed:
            for rid, previous in reversed(self._undo):
                if previous is None:
                    self.records.pop(rid, None)
                    self.lines.pop(rid, None)
                else:
                    self.records[rid] = previous
        self._undo.clear()
        self._unit_failed = False
        self.units += 1
        return self.units >= self.batch_size

    def cut(self) -> Batch | None:
        """The records gathered so far as a Batch (not yet final), with the problems found."""
        if self._undo or self._unit_failed:  # records added after the last unit: one more unit
            self.units -= 1
            self.unit_done()
        if not self.records and not self.problems:
            return None
        problems = list(self.problems)
        if self.total_problems > len(problems):
            problems.append(more_problems(self.file, self.total_problems - len(problems)))
        batch = Batch(
            file=self.file,
            records=list(self.records.values()),
            report=self.report if self.position == 0 else None,
            report_id=self.report["id"],
            lines=self.lines,
            final=False,
            position=self.position,
            unsupported=dict(self.unsupported),
            problems=problems,
        )
        self.position += 1
        self.records, self.lines, self.unsupported, self.units = {}, {}, Counter(), 0
        self.problems, self.total_problems = [], 0
        return batch


def finalised(batches: Iterable[Batch | None]) -> Iterator[Batch]:
    """Yield the batches with `final=True` on the last one only (one batch of look-ahead)."""
    pending: Batch | None = None
    for batch in batches:
        if batch is None:
            continue
        if pending is not None:
            yield pending
        pending = batch
    if pending is not None:
        pending.final = True
        yield pending


def fail(path: Path, record: str, rule: str, message: str, line: int | None = None) -> IngestError:
    return IngestError([Problem(str(path), record, rule, message, line)])
