"""Holdings tables (CSV, XLSX): NBIM's published equity lists and a generic layout → Holdings.

Each row becomes a Holding of the Fund in a Company as of a date, citing the file (a dataset
Source, by content hash) at "row N" with the row's cells as the quote. Rows are streamed and cut
into batches, so a million-row file is read in flat memory. The column names recognised, and
where the fund and the as-of date come from, are documented in docs/adapters.md.
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from ingest import content
from ingest.adapter_kit import (
    DEFAULT_BATCH_SIZE,
    BatchBuilder,
    checked_isin,
    checked_lei,
    fail,
    file_sha256,
    file_source,
    finalised,
    import_report,
    iso_date,
    name_key,
    parse_decimal,
    percent_to_fraction,
)
from ingest.adapters import CLI_OPTIONS, Adapter, suggest
from ingest.batch import Batch
from ingest.normalize import slug
from ingest.regions import country_code
from ontology.types import money

# normalised header (lower-case letters and digits only) -> field
COLUMNS = {
    "name": "name",
    "company": "name",
    "companyname": "name",
    "issuer": "name",
    "issuername": "name",
    "security": "name",
    "securityname": "name",
    "securitydescription": "name",
    "instrument": "name",
    "instrumentname": "name",
    "holding": "name",
    "holdingname": "name",
    "isin": "isin",
    "isincode": "isin",
    "lei": "lei",
    "leicode": "lei",
    "fund": "fund",
    "fundname": "fund",
    "portfolio": "fund",
    "asof": "as_of",
    "asofdate": "as_of",
    "date": "as_of",
    "reportdate": "as_of",
    "valuationdate": "as_of",
    "positiondate": "as_of",
    "value": "value",
    "marketvalue": "value",
    "marketvaluelocal": "value",
    "fairvalue": "value",
    "positionvalue": "value",
    "holdingvalue": "value",
    "currency": "currency",
    "valuecurrency": "currency",
    "currencycode": "currency",
    "ccy": "currency",
    "shares": "shares",
    "numberofshares": "shares",
    "sharecount": "shares",
    "quantity": "shares",
    "nominal": "shares",
    "ownership": "ownership",
    "ownershippercent": "ownership",
    "ownershippct": "ownership",
    "voting": "voting",
    "votingpercent": "voting",
    "votingpct": "voting",
    "votingrights": "voting",
    "industry": "industry",
    "sector": "industry",
    "incorporationcountry": "incorporation_country",
    "countryofincorporation": "incorporation_country",
    "country": "country",
}
# a value column that names its currency: "Market Value(NOK)", "Fair value EUR" -> value_nok, …
_VALUE_IN = re.compile(r"^(marketvalue|value|fairvalue|positionvalue|holdingvalue)([a-z]{3})$")
# columns read but deliberately not mapped (see docs/adapters.md)
IGNORED = {"region", "sourcefile"}
IDENTITY_FIELDS = {"isin", "lei", "fund", "shares"}
HEADER_SCAN_ROWS = 20
FUND_NAMES = {"gpfg": "Government Pension Fund Global", "nbim": "Government Pension Fund Global"}
# how the error messages spell the headers they suggest, one per field
HEADINGS = {
    "name": ("Name", "Company", "Issuer", "Security Name"),
    "isin": ("ISIN",),
    "lei": ("LEI",),
    "fund": ("Fund",),
    "as_of": ("As Of", "Date"),
    "value": ("Market Value", "Value", "Market Value(NOK)", "Market Value(USD)"),
    "currency": ("Currency",),
    "shares": ("Shares", "Quantity"),
    "ownership": ("Ownership",),
    "voting": ("Voting",),
    "industry": ("Industry", "Sector"),
    "country": ("Country", "Incorporation Country"),
}


# how the error messages name what a recognised column holds
FIELD_NAMES = {
    "name": "the company name",
    "isin": "the ISIN",
    "lei": "the LEI",
    "fund": "the fund",
    "as_of": "the as-of date",
    "value": "the value",
    "currency": "the currency",
    "shares": "the number of shares",
    "ownership": "the ownership share",
    "voting": "the voting share",
    "industry": "the industry",
    "incorporation_country": "the country",
    "country": "the country",
}


def _field_name(field: str) -> str:
    currency = field_currency(field)
    return f"the value in {currency}" if currency else FIELD_NAMES.get(field, field)


def header_key(cell: Any) -> str:
    """Header variants such as "Market Value(NOK)" or "market value NOK" -> "marketvaluenok"."""
    return re.sub(r"[^a-z0-9]", "", str(cell or "").casefold())


def column_field(cell: Any) -> str | None:
    """The field a header cell names: COLUMNS, or `value_<currency>` for a value column that
    names an ISO 4217 currency."""
    key = header_key(cell)
    if key in COLUMNS:
        return COLUMNS[key]
    match = _VALUE_IN.match(key)
    if match and match.group(2).upper() in money.currency_codes():
        return f"value_{match.group(2)}"
    return None


def is_value_field(field: str) -> bool:
    return field == "value" or field.startswith("value_")


def field_currency(field: str) -> str | None:
    """The currency a value column names ("value_nok" -> "NOK"); None for the generic one."""
    return field[len("value_") :].upper() if field.startswith("value_") else None


def map_header(cells: list[Any]) -> dict[int, str] | None:
    """Column index -> field, when the row is a holdings header (a name and a value or id)."""
    fields = {i: f for i, c in enumerate(cells) if (f := column_field(c))}
    present = set(fields.values())
    if "name" in present and (any(is_value_field(f) for f in present) or present & IDENTITY_FIELDS):
        return fields
    return None


def explain_header(rows: list[list[Any]]) -> str:
    """Why none of `rows` is a holdings header: the columns found, what is missing, and the
    known header each unknown column most resembles."""
    cells = max(rows, key=lambda r: sum(1 for c in r if _cell(c)), default=[])
    found = [str(c).strip() for c in cells if _cell(c)]
    if not found:
        return "no header row: the first rows are empty"
    present = {f for c in found if (f := column_field(c))}
    missing = []
    if "name" not in present:
        missing.append("a name column (Name, Company, Issuer or Security Name)")
    if not any(is_value_field(f) for f in present) and not present & IDENTITY_FIELDS:
        missing.append("a value or identifier column (Market Value, ISIN, LEI, Shares or Fund)")
    headings = [h for options in HEADINGS.values() for h in options]
    hints = []
    for cell in found:
        if column_field(cell) is None and header_key(cell) not in IGNORED:
            hint = suggest(cell, headings)
            if hint:
                hints.append(f"{cell!r}{hint}")
    message = f"columns found: {', '.join(repr(c) for c in found)}"
    known = [f"{c!r} as {_field_name(f)}" for c in found if (f := column_field(c))]
    if known:
        message += f"; read {', '.join(known)}"
    if missing:
        message += "; missing " + " and ".join(missing)
    if hints:
        message += "; " + ", ".join(hints)
    return message


# ---------------------------------------------------------------------- fund and date defaults


def fund_from_name(path: Path) -> str | None:
    words = set(re.split(r"[^a-z]+", path.stem.casefold()))
    return next((FUND_NAMES[w] for w in words if w in FUND_NAMES), None)


def as_of_from_name(path: Path) -> str | None:
    """EQ_2025_06_30_Industry.xlsx -> 2025-06-30; EQ_2019_Industry.xlsx -> 2019-12-31."""
    stem = path.stem
    full = re.search(
        r"(?<!\d)(19|20)(\d{2})[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)", stem
    )
    if full:
        return f"{full.group(1)}{full.group(2)}-{full.group(3)}-{full.group(4)}"
    years = set(re.findall(r"(?<!\d)((?:19|20)\d{2})(?!\d)", stem))
    return f"{years.pop()}-12-31" if len(years) == 1 else None


# ---------------------------------------------------------------------- rows


def _rows_csv(path: Path) -> Iterator[tuple[int, list[Any]]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        try:
            sample = fh.read(16384)
        except UnicodeDecodeError as exc:
            raise fail(
                path, "line 1", "encoding", f"not UTF-8 text ({exc.reason}); re-save as UTF-8", 1
            ) from None
        fh.seek(0)
        delimiter = max(",;\t|", key=lambda d: sample.split("\n", 1)[0].count(d))
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            for row in reader:
                yield reader.line_num, row
        except UnicodeDecodeError as exc:
            raise fail(
                path,
                f"line {reader.line_num + 1}",
                "encoding",
                f"not UTF-8 text ({exc.reason}); re-save as UTF-8",
                reader.line_num + 1,
            ) from None
        except csv.Error as exc:
            raise fail(
                path, f"line {reader.line_num}", "csv-syntax", str(exc), reader.line_num
            ) from None


# An XLSX is a zip: refuse one whose parts would inflate far beyond any holdings table (a zip
# bomb) before openpyxl opens it. A million-row sheet is ~200 MB of XML, compressed ~10:1.
MAX_XLSX_PART = 1 << 30
MAX_XLSX_TOTAL = 2 << 30
MAX_XLSX_RATIO, RATIO_FROM = 100, 100 << 20  # parts above 100 MiB inflating more than 100:1


def check_xlsx_sizes(path: Path) -> None:
    """Raise IngestError when the workbook's declared uncompressed sizes are out of bounds (the
    zip reader never inflates a part past its declared size)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise fail(path, "-", "xlsx-syntax", f"not a readable XLSX workbook: {exc}") from None
    total = sum(p.file_size for p in parts)
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > MAX_XLSX_PART or (
            part.file_size > RATIO_FROM and ratio > MAX_XLSX_RATIO
        ):
            raise fail(
                path,
                "-",
                "xlsx-too-large",
                f"part {part.filename} would inflate to {part.file_size:,} bytes "
                f"({ratio:,.0f}:1): refused as a possible zip bomb",
            )
    if total > MAX_XLSX_TOTAL:
        raise fail(
            path,
            "-",
            "xlsx-too-large",
            f"the workbook would inflate to {total:,} bytes (limit {MAX_XLSX_TOTAL:,}): refused",
        )


def _rows_xlsx(path: Path) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    check_xlsx_sizes(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors
        raise fail(path, "-", "xlsx-syntax", f"not a readable XLSX workbook: {exc}") from None
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            head = []
            for number, row in enumerate(rows, start=1):
                head.append((number, list(row)))
                if map_header(list(row)) or number >= HEADER_SCAN_ROWS:
                    break
            if not any(map_header(r) for _, r in head):
                continue
            yield from head
            for number, row in enumerate(rows, start=len(head) + 1):
                yield number, list(row)
            return
    finally:
        workbook.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value).strip()


# ---------------------------------------------------------------------- reading


def read_holdings(
    path: Path,
    fund: str | None = None,
    as_of: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    option_names: dict[str, str] | None = None,
    **_: Any,
) -> Iterator[Batch]:
    names = {**CLI_OPTIONS, **(option_names or {})}
    yield from finalised(_batches(path, fund, as_of, batch_size, names))


def _batches(
    path: Path,
    fund_option: str | None,
    as_of_option: str | None,
    batch_size: int,
    names: dict[str, str],
) -> Iterator[Batch | None]:
    sha = file_sha256(path)
    source = file_source(path, sha, publisher=None)
    builder = BatchBuilder(path, import_report("holdings", path, "Holdings table"), batch_size)
    try:
        default_as_of = iso_date(as_of_option) if as_of_option else None
    except ValueError as exc:
        raise fail(path, "-", "as-of", f"{names['as_of']}: {exc}") from None
    default_fund = fund_option or fund_from_name(path)
    default_as_of = default_as_of or as_of_from_name(path)
    rows = _rows_xlsx(path) if content.detect(path) == "xlsx" else _rows_csv(path)
    fields: dict[int, str] | None = None
    unknown: list[tuple[int, str]] = []
    head: list[list[Any]] = []
    for line, cells in rows:
        if fields is None:
            fields = map_header(cells)
            head.append(cells)
            if fields is None and line >= HEADER_SCAN_ROWS:
                break
            if fields is not None:
                unknown = [
                    (i, str(c))
                    for i, c in enumerate(cells)
                    if i not in fields and c not in (None, "") and header_key(c) not in IGNORED
                ]
                if "fund" not in fields.values() and not default_fund:
                    raise fail(
                        path,
                        "-",
                        "holdings-fund",
                        f"no fund column and no fund given: pass {names['fund']} NAME "
                        "(or name the file after the fund, e.g. GPFG)",
                    )
                if "as_of" not in fields.values() and not default_as_of:
                    raise fail(
                        path,
                        "-",
                        "holdings-as-of",
                        f"no as-of column and no date given: pass {names['as_of']} YYYY-MM-DD "
                        "(or put the date in the file name, e.g. EQ_2019_Industry.xlsx)",
                    )
            continue
        if not any(_cell(c) for c in cells):
            continue
        for index, column in unknown:
            if index < len(cells) and _cell(cells[index]):
                builder.skip(f"holdings column {column!r}")
        _row(builder, path, source, fields, cells, line, default_fund, default_as_of)
        if builder.unit_done():
            yield builder.cut()
    if fields is None:
        raise fail(
            path,
            "-",
            "holdings-header",
            "no header row with a Name column and a value or identifier column in the first "
            f"rows ({explain_header(head)})",
        )
    yield builder.cut()


def _row_values(fields: dict[int, str], cells: list[Any]) -> dict[str, Any]:
    """field -> the first non-empty cell of the columns mapped to it."""
    row: dict[str, Any] = {}
    for index, field in fields.items():
        value = cells[index] if index < len(cells) else None
        if _cell(value):
            row.setdefault(field, value)
    return row


def _fund_and_date(
    builder: BatchBuilder,
    row: dict[str, Any],
    where: str,
    line: int,
    default_fund: str | None,
    default_as_of: str | None,
) -> tuple[str, str] | None:
    """(fund name, as-of date) of the row or the file's defaults; None (a problem) without."""
    try:
        as_of = iso_date(row.get("as_of")) or default_as_of
    except ValueError as exc:
        builder.problem(where, "holdings-as-of", str(exc), line)
        return None
    fund_name = _cell(row.get("fund")) or default_fund
    if not as_of or not fund_name:
        builder.problem(
            where,
            "holdings-as-of" if not as_of else "holdings-fund",
            "the row has no " + ("as-of date" if not as_of else "fund"),
            line,
        )
        return None
    return fund_name, as_of


# field, its check, and how a failure is named
CHECKED_IDS = (
    ("isin", checked_isin, "ISIN {!r} is malformed or fails its check digit"),
    ("lei", checked_lei, "LEI {!r} is malformed or fails its check digits"),
)


def _identifiers(
    builder: BatchBuilder, row: dict[str, Any], where: str, line: int
) -> tuple[str | None, str | None]:
    """(ISIN, LEI) of the row; a malformed one is a problem and is left out."""
    found: dict[str, str | None] = {}
    for key, check, message in CHECKED_IDS:
        found[key] = check(row[key]) if row.get(key) else None
        if row.get(key) and found[key] is None:
            builder.problem(where, key, message.format(_cell(row[key])), line)
    return found["isin"], found["lei"]


def _numbers(
    builder: BatchBuilder, row: dict[str, Any], where: str, line: int
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(amounts by value column and the share count, ownership and voting fractions); None (a
    problem) when one is bad. Value columns read amounts ("1,2 milliarder", "NOK 1.48bn") in
    the currency their header or the row's currency column names."""
    currency = _cell(row.get("currency")).upper() or None
    try:
        numbers: dict[str, Any] = {
            k: money.parse_amount(v, field_currency(k) or currency)
            for k, v in row.items()
            if is_value_field(k)
        }
        numbers["shares"] = parse_decimal(row.get("shares"))
        shares = {k: percent_to_fraction(row.get(k)) for k in ("ownership", "voting")}
    except ValueError as exc:
        builder.problem(where, "holdings-number", str(exc), line)
        return None
    for key, fraction in shares.items():
        if fraction is not None and not -1 <= fraction <= 1:
            builder.problem(
                where,
                "holdings-percent",
                f"{key} {_cell(row.get(key))!r} is not a percentage between -100 and 100",
                line,
            )
            return None
    return numbers, shares


def _company(
    builder: BatchBuilder,
    source: dict,
    row: dict[str, Any],
    name: str,
    ids: tuple[str | None, str | None],
    where: str,
    line: int,
) -> tuple[str, str | None]:
    """(the company's key, its record id) for the row's company."""
    isin, lei = ids
    company_key = isin or lei or name_key(name)
    country = country_code(_cell(row.get("incorporation_country")) or _cell(row.get("country")))
    company_id = builder.add(
        {
            "id": f"isin-{isin}" if isin else f"lei-{lei}" if lei else f"company-{company_key}",
            "type": "Company",
            "name": name,
            "lei": lei,
            "isin": [isin] if isin else None,
            "country": country,
            # one citation per spelling and file, not per row: a widely held company would
            # otherwise collect a link per row of every holdings file
            "evidence": [{"source": source["id"], "locator": "Name column", "quote": name}],
        },
        where,
        line,
    )
    return company_key, company_id


def _market_value(
    builder: BatchBuilder, numbers: dict[str, Any], where: str, line: int
) -> tuple[Any, str | None] | None:
    """(value, currency): NOK first, else the generic value, else another currency's column,
    else USD; None (a problem) when a value has no currency."""
    order = [
        "value_nok",
        "value",
        *sorted(k for k in numbers if k.startswith("value_")),
        "value_usd",
    ]
    amount = next((numbers[k] for k in order if numbers.get(k) is not None), None)
    if amount is None:
        return None, None
    if not amount.currency:
        builder.problem(
            where,
            "holdings-currency",
            "a value needs a currency column (or a Market Value NOK/USD column)",
            line,
        )
        return None
    return amount.amount, amount.currency


def _row(
    builder: BatchBuilder,
    path: Path,
    source: dict,
    fields: dict[int, str],
    cells: list[Any],
    line: int,
    default_fund: str | None,
    default_as_of: str | None,
) -> None:
    """One row -> the Fund, the file's Source, the Company and the Holding (or a problem)."""
    row = _row_values(fields, cells)
    where = f"row {line}"
    name = _cell(row.get("name"))
    if not name:
        builder.problem(where, "holdings-name", "the row has no company name", line)
        return
    fund_and_date = _fund_and_date(builder, row, where, line, default_fund, default_as_of)
    if fund_and_date is None:
        return
    fund_name, as_of = fund_and_date
    ids = _identifiers(builder, row, where, line)
    parsed = _numbers(builder, row, where, line)
    if parsed is None:
        return
    numbers, shares = parsed

    quote = " | ".join(_cell(c) for c in cells)
    evidence = {"source": source["id"], "locator": where, "quote": quote}
    fund_id: str | None = f"fund-{_fund_slug(fund_name)}"
    if fund_id not in builder.records:  # the fund and the file recur on every row: add once a batch
        fund_id = builder.add({"id": fund_id, "type": "Fund", "name": fund_name}, where, line)
    if source["id"] not in builder.records:
        builder.add(source, where)
    company_key, company_id = _company(builder, source, row, name, ids, where, line)
    valued = _market_value(builder, numbers, where, line)
    if valued is None or fund_id is None or company_id is None:
        return
    value, currency = valued
    usd = numbers.get("value_usd")
    fund_key = _fund_slug(fund_name)[:40].rstrip("-")
    builder.add(
        {
            "id": f"holding-{fund_key}-{slug(company_key, 60)}-{as_of}",
            "type": "Holding",
            "name": f"{fund_name} in {name}, {as_of}",
            "fund": fund_id,
            "company": company_id,
            "asOf": as_of,
            "held": True,
            "marketValue": value,
            "currency": currency,
            "marketValueUsd": usd.amount if usd is not None else None,
            "shares": numbers["shares"],
            "ownershipShare": shares["ownership"],
            "votingShare": shares["voting"],
            # a short position, as published: the signs are kept and the holding flagged
            "shortPosition": True
            if any(v is not None and v < 0 for v in shares.values())
            else None,
            "industry": _cell(row.get("industry")) or None,
            "evidence": [evidence],
        },
        where,
        line,
    )


@cache
def _fund_slug(name: str) -> str:
    return slug(name)


# ---------------------------------------------------------------------- sniffing


def sniff_holdings(path: Path, start: bytes) -> bool:
    if content.detect(path) == "xlsx":
        return True
    text = start.decode("utf-8-sig", "ignore")
    for line in text.splitlines()[:HEADER_SCAN_ROWS]:
        delimiter = max(",;\t|", key=line.count)
        if map_header(next(csv.reader([line], delimiter=delimiter), [])):
            return True
    return False


def explain_holdings(path: Path, start: bytes) -> str | None:
    """Why a table is not a holdings table: its columns, what it lacks, "did you mean"."""
    if content.detect(path) != "csv":
        return None
    text = start.decode("utf-8-sig", "ignore")
    lines = text.splitlines()[:HEADER_SCAN_ROWS]
    if not lines:
        return None
    delimiter = max(",;\t|", key=lines[0].count)
    rows = [next(csv.reader([ln], delimiter=delimiter), []) for ln in lines[:3]]
    return f"as a holdings table: {explain_header(rows)}"


ADAPTER = Adapter(
    name="holdings",
    suffixes=(".csv", ".tsv", ".xlsx", ".xlsm"),
    sniff=sniff_holdings,
    read=read_holdings,
    explain=explain_holdings,
    description="fund holdings tables (NBIM equity lists or the generic layout), CSV or XLSX",
    syntaxes=("csv", "xlsx"),
)
