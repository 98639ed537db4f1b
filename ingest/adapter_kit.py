"""What the source adapters share: checked records, file provenance, batching and value parsing.

Adapters for external formats (holdings tables, OCDS, BODS, FollowTheMoney) all turn rows or
statements into records, stamp them with one import Report per file, cite the file as a dataset
Source, and stream Batches whose last one is marked `final`. Keeping that here means each
`source_*.py` holds only its field mapping.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ingest.batch import Batch
from ingest.errors import IngestError, Problem
from ingest.normalize import normalise_name, slug
from ingest.resolve import merge_records
from ontology.identifiers import valid_isin, valid_lei, valid_qid
from ontology.model import load_model
from ontology.records import ID_PATTERN, Record, RecordError, check_record

DEFAULT_BATCH_SIZE = 2000
# No amount, share count or value in any currency comes near this: 1e18 dong is ~4e13 USD.
# Above it a cell is a typo or an attack (1e308 overflows sums to infinity), not a fact.
MAX_NUMBER = Decimal("1e18")
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


def checked_lei(value: Any) -> str | None:
    text = str(value or "").strip().upper()
    return text if valid_lei(text) else None


def checked_isin(value: Any) -> str | None:
    text = str(value or "").strip().upper()
    return text if valid_isin(text) else None


def checked_qid(value: Any) -> str | None:
    text = str(value or "").strip().upper()
    return text if valid_qid(text) else None


# ---------------------------------------------------------------------- values


def parse_decimal(value: Any) -> Decimal | None:
    """A number from a cell: 1241058528, "1,241,058,528", "1 241 058,5", "" or "-" (None).

    Raises ValueError for text that is not a number.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):  # JSON's NaN and Infinity are floats too
        return _plausible(value, Decimal(str(value)))
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if text in ("", "-", "–", "n/a", "N/A", "NA"):
        return None
    if "," in text and "." in text:
        text = text.replace("," if text.rfind(",") < text.rfind(".") else ".", "")
        text = text.replace(",", ".")
    elif "," in text:
        text = (
            text.replace(",", "")
            if re.fullmatch(r"-?\d{1,3}(,\d{3})+", text)
            else text.replace(",", ".")
        )
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    return _plausible(value, number)


def _plausible(value: Any, number: Decimal) -> Decimal:
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    if abs(number) > MAX_NUMBER:
        raise ValueError(f"{value!r} is implausibly large (above {MAX_NUMBER:.0E})")
    return number


def percent_to_fraction(value: Any) -> Decimal | None:
    """A percentage, written "0.32" or "0.32%", as a fraction: 0.0032."""
    if isinstance(value, str):
        value = value.strip().rstrip("%").strip()
    number = parse_decimal(value)
    return None if number is None else number / 100


_DATE_FORMS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d")


def iso_date(value: Any) -> str | None:
    """A full date (YYYY-MM-DD) from a date, a datetime or an ISO-like string; ValueError if not."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    match = re.match(r"^(\d{4}-\d{2}-\d{2})[T ]", text)
    if match:
        text = match.group(1)
    for form in _DATE_FORMS:
        try:
            return dt.datetime.strptime(text, form).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")


_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:$|[T ])")


def checked_partial_date(value: Any) -> str | None:
    """A year, year-month or full date from ISO text ("2010-06-10T14:23:12Z" → "2010-06-10"),
    None when empty; ValueError for anything else, "2015-02-31" and "2017-13" included, so a
    fact's date that cannot be read is reported rather than dropped."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.date):
        return iso_date(value)
    match = _PARTIAL_DATE.match(str(value).strip())
    if not match:
        raise ValueError(f"{value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = match.groups()
    try:
        dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise ValueError(f"{value!r} is not a calendar date") from None
    return match.group(0).rstrip("T ")


def partial_date(value: Any) -> str | None:
    """Like checked_partial_date, but None for what it cannot read: for metadata such as a
    package's publication date, where a bad value loses a detail, not a fact."""
    try:
        return checked_partial_date(value)
    except ValueError:
        return None


def http_url(value: Any) -> str | None:
    text = str(value or "").strip()
    return text if re.match(r"^https?://\S+$", text) else None


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
    version of the same file sweep the facts it no longer states. A publisher's own dataset:
    its statements are `published`."""
    return {
        "id": f"report-{kind}-{slug(path.name)}",
        "type": "Report",
        "name": f"{description}: {path.name}",
        "reviewStatus": "published",
    }


# ---------------------------------------------------------------------- batching


class BatchBuilder:
    """Collects checked records (merging repeats of one id) and cuts them into Batches.

    Problems are gathered rather than raised one by one, so a rejected file names every bad
    record (up to MAX_PROBLEMS) with its line.
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
        self.units = 0
        self.position = 0

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
        self.records[rid] = merge_records(existing, checked, self.model) if existing else checked
        if line is not None:
            self.lines.setdefault(rid, line)
        return rid

    def problem(self, record: str, rule: str, message: str, line: int | None = None) -> None:
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
        """Mark one input unit (row, release, statement) read; True when a batch is full."""
        self.units += 1
        return self.units >= self.batch_size

    def cut(self) -> Batch | None:
        """The records gathered so far as a Batch (not yet final); raises on gathered problems."""
        if self.problems:
            raise IngestError(self.problems)
        if not self.records:
            return None
        batch = Batch(
            file=self.file,
            records=list(self.records.values()),
            report=self.report if self.position == 0 else None,
            report_id=self.report["id"],
            lines=self.lines,
            final=False,
            position=self.position,
            unsupported=dict(self.unsupported),
            review_status=self.report.get("reviewStatus"),
        )
        self.position += 1
        self.records, self.lines, self.unsupported, self.units = {}, {}, Counter(), 0
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
