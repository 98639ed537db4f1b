"""GLEIF's LEI data as GLEIF publishes it → organisations known by their LEI (and ISINs).

Three files, told apart by their content:

- the **golden-copy CSV** (`…-gleif-goldencopy-lei2-golden-copy.csv`): one LEI record a row,
  dotted column names (`LEI`, `Entity.LegalName`, `Entity.LegalAddress.Country`,
  `Entity.OtherEntityNames.OtherEntityName.1`, `Registration.RegistrationStatus`, …);
- **LEI-CDF 3.1 XML** (`lei:LEIData` / `lei:LEIRecords` / `lei:LEIRecord`), streamed record by
  record and flattened to the golden copy's dotted names, so both map through one table;
- the **ISIN-to-LEI mapping** (`isin_lei_….csv`, header `LEI,ISIN`): it names no entity, so
  its rows only add ISINs to organisations already known by that LEI (`Batch.attach_only`);
  rows of LEIs nobody knows are counted, not created.

The mapping, and what is counted rather than mapped, is in docs/adapters.md.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from ingest.adapter_kit import (
    DEFAULT_BATCH_SIZE,
    BatchBuilder,
    fail,
    file_sha256,
    file_source,
    finalised,
    identifier,
    import_report,
)
from ingest.adapters import Adapter
from ingest.batch import Batch
from ingest.regions import country_code, place_regions
from ontology.types import dates
from ontology.types.identifiers import valid_isin, valid_lei

LEI_NS = "http://www.gleif.org/data/schema/leidata/2016"
ISIN_MAP_HEADER = ["lei", "isin"]
# GLEIF's EntityCategory -> our class (anything else, or none, is a Company)
CATEGORY_CLASS = {
    "FUND": "Fund",
    "RESIDENT_GOVERNMENT_ENTITY": "GovernmentBody",
    "INTERNATIONAL_ORGANIZATION": "GovernmentBody",
}
ENTITY_STATUSES = {"ACTIVE", "INACTIVE"}
LEI_STATUSES = {
    "ISSUED",
    "LAPSED",
    "MERGED",
    "RETIRED",
    "ANNULLED",
    "DUPLICATE",
    "TRANSFERRED",
    "PENDING_TRANSFER",
    "PENDING_ARCHIVAL",
    "PENDING_VALIDATION",
    "CANCELLED",
}
OTHER_LEGAL_FORM = "8888"  # the ELF code for "a form not in the ELF list": the text is given
ADDRESS_PARTS = (
    "FirstAddressLine",
    "AddressNumber",
    "AddressNumberWithinBuilding",
    "AdditionalAddressLine",
    "MailRouting",
    "City",
    "Region",
    "PostalCode",
    "Country",
)
# repeated LEI-CDF elements: the golden copy numbers them (…OtherEntityName.1, .2, …)
REPEATED = {
    "OtherEntityName",
    "TransliteratedOtherEntityName",
    "AdditionalAddressLine",
    "OtherAddress",
    "TransliteratedOtherAddress",
    "LegalEntityEvent",
    "AffectedField",
    "ValidationAuthority",
    "OtherValidationAuthority",
}
# the golden copy's columns (numbers and attribute suffixes taken off) that the mapping reads
MAPPED = {
    "LEI",
    "Entity.LegalName",
    "Entity.OtherEntityNames.OtherEntityName",
    "Entity.TransliteratedOtherEntityNames.TransliteratedOtherEntityName",
    "Entity.LegalJurisdiction",
    "Entity.EntityCategory",
    "Entity.LegalForm.EntityLegalFormCode",
    "Entity.LegalForm.OtherLegalForm",
    "Entity.EntityStatus",
    "Entity.EntityCreationDate",
    "Entity.RegistrationAuthority.RegistrationAuthorityID",
    "Entity.RegistrationAuthority.OtherRegistrationAuthorityID",
    "Entity.RegistrationAuthority.RegistrationAuthorityEntityID",
    "Registration.RegistrationStatus",
} | {
    f"Entity.{kind}.{part}"
    for kind in ("LegalAddress", "HeadquartersAddress")
    for part in ADDRESS_PARTS
}
# read as part of what is mapped (languages of names and addresses, the kind of a name)
ATTRIBUTES = re.compile(r"\.(xmllang|type)$")
NUMBERED = re.compile(r"\.\d+(?=\.|$)")

Flat = dict[str, str]


# ---------------------------------------------------------------------- kinds of file


def _first_line(start: bytes) -> str:
    return start.decode("utf-8-sig", "ignore").split("\n", 1)[0].strip()


def _header_cells(line: str) -> list[str]:
    return [c.strip() for c in next(csv.reader([line]), [])]


def file_kind(start: bytes) -> str | None:
    """golden-csv, lei-cdf or isin-map, from the first bytes; None for other files."""
    line = _first_line(start)
    cells = _header_cells(line) if line else []
    if [c.casefold() for c in cells] == ISIN_MAP_HEADER:
        return "isin-map"
    if cells[:1] == ["LEI"] and "Entity.LegalName" in cells:
        return "golden-csv"
    text = start.decode("utf-8", "ignore")
    if "LEIData" in text and LEI_NS in text:
        return "lei-cdf"
    return None


# ---------------------------------------------------------------------- one LEI record


class LeiRecords:
    """Maps flattened LEI records (golden-copy columns) to our records, batch by batch."""

    def __init__(self, path: Path, builder: BatchBuilder, source: dict[str, Any]):
        self.path = path
        self.builder = builder
        self.source = source

    def add(self, row: Flat, line: int | None) -> None:
        b = self.builder
        raw = (row.get("LEI") or "").strip().upper()
        where = f"LEI {raw}" if raw else (f"row {line}" if line else "LEI record")
        if not valid_lei(raw):
            b.problem(where, "gleif-lei", f"LEI {raw!r} is not a valid LEI (ISO 17442)", line)
            return
        name = (row.get("Entity.LegalName") or "").strip()
        if not name:
            b.problem(where, "gleif-name", "the record has no Entity.LegalName", line)
            return
        category = (row.get("Entity.EntityCategory") or "").strip().upper()
        cls = CATEGORY_CLASS.get(category, "Company")
        legal = self.address(row, "LegalAddress")
        head = self.address(row, "HeadquartersAddress")
        jurisdiction = (row.get("Entity.LegalJurisdiction") or "").strip()
        country = country_code(jurisdiction.split("-", 1)[0]) or country_code(
            row.get("Entity.LegalAddress.Country")
        )
        hq_region = row.get("Entity.HeadquartersAddress.Region")
        regions = (
            place_regions(row.get("Entity.HeadquartersAddress.Country"), hq_region)
            if hq_region
            else []
        )
        if hq_region and not (regions and regions[0].get("partOf")):
            b.skip("GLEIF headquarters regions that do not resolve to a subdivision")
            regions = []
        for region in regions:
            b.add(region, where, line)
        hq = regions[0]["id"] if regions else None
        status = (row.get("Entity.EntityStatus") or "").strip().upper()
        lei_status = (row.get("Registration.RegistrationStatus") or "").strip().upper()
        if status and status not in ENTITY_STATUSES:
            b.skip(f"GLEIF EntityStatus {status}")
        if lei_status and lei_status not in LEI_STATUSES:
            b.skip(f"GLEIF RegistrationStatus {lei_status}")
        authority = (
            row.get("Entity.RegistrationAuthority.RegistrationAuthorityID")
            or row.get("Entity.RegistrationAuthority.OtherRegistrationAuthorityID")
            or ""
        ).strip()
        number = (
            row.get("Entity.RegistrationAuthority.RegistrationAuthorityEntityID") or ""
        ).strip()
        aliases = [
            v
            for v in self.many(row, "Entity.OtherEntityNames.OtherEntityName")
            + self.many(row, "Entity.TransliteratedOtherEntityNames.TransliteratedOtherEntityName")
            if v != name
        ]
        created = (row.get("Entity.EntityCreationDate") or "").strip()
        record = {
            "id": f"lei-{raw}",
            "type": cls,
            "name": name,
            "legalName": name,
            "alias": list(dict.fromkeys(aliases)) or None,
            "lei": raw,
            "country": country,
            "headquarters": hq,
            "address": list(dict.fromkeys(a for a in (legal, head) if a)) or None,
            "registrationNumber": [number] if number else None,
            "identifier": [i for i in [identifier(authority, number)] if i and authority] or None,
            "legalForm": self.legal_form(row),
            "entityStatus": status if status in ENTITY_STATUSES else None,
            "leiStatus": lei_status if lei_status in LEI_STATUSES else None,
            "incorporationDate": b.date(
                created[:10] or None, "Entity.EntityCreationDate", where, "gleif-date", line
            ),
            "evidence": self.evidence(raw, line),
        }
        b.add(record, where, line)
        self.count_unmapped(row)

    def evidence(self, lei: str, line: int | None) -> list[dict[str, str]]:
        locator = f"row {line}, LEI {lei}" if line else f"LEI {lei}"
        return [{"source": self.source["id"], "locator": locator}]

    @staticmethod
    def many(row: Flat, prefix: str) -> list[str]:
        """The values of a numbered column group (prefix.1, prefix.2, …), in order."""
        pattern = re.compile(re.escape(prefix) + r"\.(\d+)$")
        found = sorted(
            (int(m.group(1)), v.strip())
            for k, v in row.items()
            if (m := pattern.match(k)) and v and v.strip()
        )
        return [v for _, v in found]

    def address(self, row: Flat, kind: str) -> str | None:
        """One line, as the parts stand: street, number, more lines, city, region, postcode,
        country."""
        parts: list[str] = []
        for part in ADDRESS_PARTS:
            key = f"Entity.{kind}.{part}"
            values = self.many(row, key) if part == "AdditionalAddressLine" else [row.get(key)]
            parts.extend(v.strip() for v in values if v and v.strip())
        return ", ".join(dict.fromkeys(parts)) or None

    @staticmethod
    def legal_form(row: Flat) -> str | None:
        code = (row.get("Entity.LegalForm.EntityLegalFormCode") or "").strip()
        other = (row.get("Entity.LegalForm.OtherLegalForm") or "").strip()
        if code and code != OTHER_LEGAL_FORM:
            return code
        return other or None

    def count_unmapped(self, row: Flat) -> None:
        for key, value in row.items():
            if not value or not value.strip():
                continue
            column = NUMBERED.sub("", ATTRIBUTES.sub("", key))
            if column not in MAPPED and ATTRIBUTES.sub("", key) == key:
                self.builder.skip(f"GLEIF field {column}")


# ---------------------------------------------------------------------- readers


def _csv_rows(path: Path) -> Iterator[tuple[int, Flat]]:
    """(line, row by header) of a GLEIF CSV (UTF-8, comma, quoted)."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader, [])]
            for cells in reader:
                if any(c.strip() for c in cells):
                    yield reader.line_num, dict(zip(header, cells, strict=False))
        except UnicodeDecodeError as exc:
            raise fail(path, "-", "encoding", f"not UTF-8 text ({exc.reason})") from None
        except csv.Error as exc:
            raise fail(
                path, f"line {reader.line_num}", "csv-syntax", str(exc), reader.line_num
            ) from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _flatten(element: Any, prefix: str, out: Flat) -> None:
    """An LEI-CDF element as golden-copy columns: `Entity.LegalAddress.City`, numbered repeats
    (`…OtherEntityName.1`) and attributes (`….xmllang`, `….type`)."""
    seen: dict[str, int] = {}
    for child in element:
        name = _local(child.tag)
        key = f"{prefix}.{name}" if prefix else name
        if name in REPEATED:
            seen[name] = seen.get(name, 0) + 1
            key = f"{key}.{seen[name]}"
        for attribute, value in child.attrib.items():
            label = "xmllang" if _local(attribute) == "lang" else _local(attribute)
            out[f"{key}.{label}"] = value
        if len(child):
            _flatten(child, key, out)
        elif child.text and child.text.strip():
            out[key] = child.text.strip()


class Header:
    """What the LEI-CDF header says of the file (its content date)."""

    content_date: str | None = None


def date_from_name(path: Path) -> str | None:
    """GLEIF names its files by their content date: `20250630-0800-gleif-goldencopy-…`."""
    match = re.match(r"^((?:19|20)\d{2})(\d{2})(\d{2})-\d{4}-gleif", path.name)
    return dates.lenient("-".join(match.groups())) if match else None


def _xml_records(path: Path, header: Header) -> Iterator[Flat]:
    """Each LEIRecord, flattened, read as a stream (a record at a time in memory); DTDs,
    entities and external references are refused (defusedxml)."""
    container = None
    try:
        for event, element in iterparse(
            str(path), events=("start", "end"), forbid_dtd=True, forbid_entities=True
        ):
            name = _local(element.tag)
            if event == "start":
                if name == "LEIRecords":
                    container = element
                continue
            if name == "ContentDate" and element.text:
                header.content_date = dates.lenient(element.text.strip()[:10])
            elif name == "LEIRecord":
                flat: Flat = {}
                _flatten(element, "", flat)
                yield flat
                if container is not None:
                    container.clear()  # the records read so far: memory stays flat
    except DefusedXmlException as exc:
        raise fail(path, "-", "xml-forbidden", f"refused: {exc}") from None
    except SyntaxError as exc:  # xml.etree's ParseError, with line and column
        line = getattr(exc, "position", (None,))[0]
        raise fail(path, f"line {line}" if line else "-", "xml-syntax", str(exc), line) from None


def read_gleif(path: Path, batch_size: int = DEFAULT_BATCH_SIZE, **_: Any) -> Iterator[Batch]:
    with path.open("rb") as fh:
        kind = file_kind(fh.read(8192))
    if kind == "isin-map":
        yield from finalised(_isin_map_batches(path, batch_size))
        return
    sha = file_sha256(path)
    builder = BatchBuilder(path, import_report("gleif", path, "GLEIF LEI records"), batch_size)
    if kind == "lei-cdf":
        header = Header()
        rows: Iterator[tuple[int | None, Flat]] = ((None, r) for r in _xml_records(path, header))
    else:
        header, rows = Header(), _csv_rows(path)
        header.content_date = date_from_name(path)
    yield from finalised(_lei_batches(path, builder, sha, header, rows))


def _lei_batches(
    path: Path,
    builder: BatchBuilder,
    sha: str,
    header: Header,
    rows: Iterator[tuple[int | None, Flat]],
) -> Iterator[Batch | None]:
    source: dict[str, Any] = file_source(path, sha, publisher="GLEIF")
    mapper = LeiRecords(path, builder, source)
    for line, row in rows:
        if header.content_date and "published" not in source:
            source["published"] = header.content_date
        if not builder.records:
            builder.add(source, "file")
        mapper.add(row, line)
        if builder.unit_done():
            yield builder.cut()
    if not builder.records:
        builder.add(source, "file")
    yield builder.cut()


ATTACH_LABEL = "GLEIF ISIN mappings of LEIs no organisation in the graph has"


def _isin_map_batches(path: Path, batch_size: int) -> Iterator[Batch | None]:
    """Rows `LEI,ISIN` → the ISIN added to the Company known by the LEI (only: see the module)."""
    builder = BatchBuilder(
        path, import_report("gleif", path, "GLEIF ISIN-to-LEI mapping"), batch_size
    )
    source = file_source(path, file_sha256(path), publisher="GLEIF")

    def batch(cut: Callable[[], Batch | None]) -> Batch | None:
        out = cut()
        if out is not None:
            out.attach_only = ATTACH_LABEL
        return out

    for line, row in _csv_rows(path):
        if not builder.records:
            builder.add(source, "file")
        cells = {k.casefold(): (v or "").strip().upper() for k, v in row.items()}
        lei, isin = cells.get("lei", ""), cells.get("isin", "")
        where = f"row {line}"
        if not valid_lei(lei):
            builder.problem(where, "gleif-lei", f"LEI {lei!r} is not a valid LEI (ISO 17442)", line)
        elif not valid_isin(isin):
            builder.problem(where, "gleif-isin", f"ISIN {isin!r} fails its check digit", line)
        else:
            builder.add(
                {
                    "id": f"lei-{lei}",
                    "type": "Company",
                    "lei": lei,
                    "isin": [isin],
                    "evidence": [{"source": source["id"], "locator": f"row {line}"}],
                },
                where,
                line,
            )
        if builder.unit_done():
            yield batch(builder.cut)
    if not builder.records:
        builder.add(source, "file")
    yield batch(builder.cut)


def sniff_gleif(path: Path, start: bytes) -> bool:
    return file_kind(start) is not None


def explain_gleif(path: Path, start: bytes) -> str | None:
    """Why an XML file is not GLEIF's: only LEI-CDF files are read (relationship records not)."""
    text = start.decode("utf-8", "ignore")
    if "RelationshipRecord" in text or "rr/2016" in text:
        return "GLEIF relationship records (RR-CDF) are not read yet; only LEI-CDF files are"
    if text.lstrip().startswith("<"):
        return "as GLEIF data: an XML file that is not an LEI-CDF file (lei:LEIData)"
    return None


ADAPTER = Adapter(
    name="gleif",
    suffixes=(".csv", ".xml"),
    sniff=sniff_gleif,
    read=read_gleif,
    explain=explain_gleif,
    description="GLEIF LEI records (golden-copy CSV, LEI-CDF XML) and the ISIN-to-LEI mapping",
    syntaxes=("csv", "xml"),
)
