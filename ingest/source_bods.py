"""Beneficial Ownership Data Standard 0.2–0.4 → Company / GovernmentBody / Person / Ownership.

BODS 0.2 and 0.3 publish statements (`statementType` entityStatement, personStatement,
ownershipOrControlStatement) that refer to each other by statementID; 0.4 publishes records
(`recordType` entity, person, relationship) that refer to each other by recordId, a later
statement of a record replacing the earlier. Both are read in two passes: an index of every
statement by the id others use, then the mapping, which pulls each relationship's subject and
interested party into the same batch. Each interest becomes one Ownership with its share
(percent → fraction), interest type, dates and directness. See docs/adapters.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.adapter_kit import (
    BatchBuilder,
    file_sha256,
    file_source,
    finalised,
    http_url,
    import_report,
    organisation_ids,
    partial_date,
    percent_to_fraction,
    safe_id,
    url_source,
)
from ingest.adapters import Adapter
from ingest.batch import Batch
from ingest.jsondocs import LineIndex, MemoryIndex, head_text, is_json_lines, iter_items
from ingest.regions import country_code

BATCH_STATEMENTS = 2000
KINDS = {
    "entityStatement": "entity",
    "personStatement": "person",
    "ownershipOrControlStatement": "relationship",
    "entity": "entity",
    "person": "person",
    "relationship": "relationship",
}
GOVERNMENT_ENTITY_TYPES = ("state", "stateBody")


def _unpack(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and isinstance(value.get("statements"), list):
        return value["statements"]
    return [value]


def statement_id(statement: dict) -> str:
    return str(statement.get("statementId") or statement.get("statementID") or "")


def kind_of(statement: dict) -> str | None:
    return KINDS.get(str(statement.get("recordType") or statement.get("statementType") or ""))


def key_of(statement: dict) -> str:
    """The id other statements use for this one: recordId (0.4) or statementID (0.2, 0.3)."""
    return str(statement.get("recordId") or statement_id(statement))


def details(statement: dict) -> dict:
    return (
        statement.get("recordDetails")
        if isinstance(statement.get("recordDetails"), dict)
        else statement
    )


def _ref(value: Any) -> str | None:
    """A statement reference: a plain id (0.4) or {"describedBy…Statement": id} (0.2, 0.3)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("describedByEntityStatement", "describedByPersonStatement"):
            if value.get(key):
                return str(value[key])
    return None


class BodsReader:
    def __init__(self, path: Path, batch_size: int):
        self.path = path
        self.builder = BatchBuilder(
            path, import_report("bods", path, "BODS ownership statements"), batch_size
        )
        self.sha = file_sha256(path)
        self.file_source: dict | None = None
        self.replaced: set[str] = set()
        self.index: LineIndex | MemoryIndex = (
            LineIndex(path) if is_json_lines(path) else MemoryIndex()
        )

    # ------------------------------------------------------------------ pass 1
    def build_index(self) -> None:
        for line, offset, statement in iter_items(self.path, _unpack):
            if not isinstance(statement, dict) or not kind_of(statement):
                continue
            self.replaced.update(str(s) for s in statement.get("replacesStatements") or [])
            if isinstance(self.index, LineIndex):
                if offset is not None:
                    self.index.add(key_of(statement), line or 0, offset)
            else:
                self.index.add(key_of(statement), line, statement)
            if self.file_source is None and isinstance(statement.get("publicationDetails"), dict):
                pub = statement["publicationDetails"]
                publisher = pub.get("publisher") or {}
                self.file_source = file_source(
                    self.path,
                    self.sha,
                    publisher=publisher.get("name") if isinstance(publisher, dict) else None,
                    published=partial_date(pub.get("publicationDate")),
                )
        self.file_source = self.file_source or file_source(self.path, self.sha)

    # ------------------------------------------------------------------ pass 2
    def batches(self) -> Iterator[Batch | None]:
        b = self.builder
        try:
            for line, _, statement in iter_items(self.path, _unpack):
                if not isinstance(statement, dict):
                    b.problem(
                        f"line {line}" if line else "-",
                        "bods-form",
                        "a statement must be a JSON object",
                        line,
                    )
                    continue
                kind = kind_of(statement)
                sid = statement_id(statement)
                if kind is None:
                    declared = statement.get("recordType") or statement.get("statementType")
                    b.skip(f"BODS statements of type {declared!r}")
                elif sid in self.replaced:
                    b.skip("BODS statements replaced by later ones")
                elif statement_id(self.index.get(key_of(statement)) or {}) != sid:
                    b.skip("BODS statements superseded by a later statement of the same record")
                elif kind == "relationship":
                    self.relationship(statement, line)
                else:
                    self.party(statement, line)
                if b.unit_done():
                    yield b.cut()
            yield b.cut()
        finally:
            self.index.close()

    def evidence(self, statement: dict) -> list[dict]:
        sid = statement_id(statement)
        if self.file_source["id"] not in self.builder.records:  # type: ignore[index]
            self.builder.add(self.file_source, "publicationDetails")  # type: ignore[arg-type]
        out = [{"source": self.file_source["id"], "locator": f"statement {sid}"}]  # type: ignore[index]
        source = statement.get("source") or {}
        url = http_url(source.get("url")) if isinstance(source, dict) else None
        if url:
            types = source.get("type") or []
            record = url_source(
                url,
                name=source.get("description") or url,
                source_type="register" if "officialRegister" in types else "webpage",
                retrieved=partial_date(source.get("retrievedAt"))
                if len(str(source.get("retrievedAt") or "")) >= 10
                else None,
            )
            self.builder.add(record, f"statement {sid}")
            out.append({"source": record["id"], "locator": f"statement {sid}"})
        return out

    def party(self, statement: dict, line: int | None) -> str | None:
        """The Company, GovernmentBody or Person record of an entity or person statement."""
        d = details(statement)
        key = key_of(statement)
        sid = statement_id(statement)
        where = f"statement {sid}"
        idents = [f"bods:{sid}"] + (
            [f"bods-record:{statement['recordId']}"] if statement.get("recordId") else []
        )
        evidence = self.evidence(statement)
        if kind_of(statement) == "person":
            names = d.get("names") or []
            chosen = next(
                (n for n in names if n.get("type") in ("individual", "legal")),
                names[0] if names else {},
            )
            name = chosen.get("fullName") or " ".join(
                str(chosen[k]) for k in ("givenName", "familyName") if chosen.get(k)
            )
            nationality = next(
                (n.get("code") for n in d.get("nationalities") or [] if isinstance(n, dict)), None
            )
            return self.builder.add(
                {
                    "id": safe_id("bods", key),
                    "type": "Person",
                    "name": name or f"Unnamed person ({key})",
                    "alias": [
                        n.get("fullName") for n in names if n is not chosen and n.get("fullName")
                    ]
                    or None,
                    "country": country_code(nationality) if nationality else None,
                    "identifier": idents,
                    "evidence": evidence,
                },
                where,
                line,
            )
        entity_type = d.get("entityType")
        entity_type = entity_type.get("type") if isinstance(entity_type, dict) else entity_type
        cls = "GovernmentBody" if entity_type in GOVERNMENT_ENTITY_TYPES else "Company"
        props: dict[str, Any] = {"identifier": idents}
        for item in d.get("identifiers") or []:
            if isinstance(item, dict) and item.get("id"):
                found = organisation_ids(item.get("scheme") or item.get("schemeName"), item["id"])
                props["identifier"] += found.pop("identifier", [])
                props.update(
                    found if cls == "Company" else {k: v for k, v in found.items() if k == "lei"}
                )
        jurisdiction = d.get("jurisdiction") or d.get("incorporatedInJurisdiction") or {}
        code = str(jurisdiction.get("code") or "")[:2] if isinstance(jurisdiction, dict) else ""
        return self.builder.add(
            {
                "id": f"lei-{props['lei']}" if props.get("lei") else safe_id("bods", key),
                "type": cls,
                "name": d.get("name") or f"Unnamed entity ({key})",
                "alias": [a for a in d.get("alternateNames") or [] if a] or None,
                "country": country_code(code) if code else None,
                "evidence": evidence,
                **props,
            },
            where,
            line,
        )

    def referenced(self, key: str | None) -> tuple[str | None, str | None]:
        """(record id, class) of the statement a relationship refers to, added to this batch."""
        if not key or key not in self.index:
            return None, None
        statement = self.index.get(key)
        rid = self.party(statement, self.index.line(key))
        return rid, (self.builder.records.get(rid or "") or {}).get("type")

    def relationship(self, statement: dict, line: int | None) -> None:
        d = details(statement)
        b = self.builder
        sid = statement_id(statement)
        where = f"statement {sid}"
        subject, subject_cls = self.referenced(_ref(d.get("subject")))
        party, _ = self.referenced(_ref(d.get("interestedParty")))
        if subject is None or party is None:
            b.skip("BODS relationships whose subject or interested party is unspecified or absent")
            return
        if subject_cls != "Company":
            b.skip("BODS relationships whose subject is not a company (e.g. a state body)")
            return
        interests = [i for i in d.get("interests") or [] if isinstance(i, dict)] or [{}]
        closed = statement.get("recordStatus") == "closed"
        idents = [f"bods:{sid}"] + (
            [f"bods-record:{statement['recordId']}"] if statement.get("recordId") else []
        )
        statement_date = b.date(
            statement.get("statementDate"), "statementDate", where, "bods-date", line
        )
        for number, interest in enumerate(interests, start=1):
            share = interest.get("share") or {}
            try:
                values = {
                    "share": percent_to_fraction(share.get("exact")),
                    "shareMin": percent_to_fraction(
                        share.get("minimum", share.get("exclusiveMinimum"))
                    ),
                    "shareMax": percent_to_fraction(
                        share.get("maximum", share.get("exclusiveMaximum"))
                    ),
                }
            except ValueError as exc:
                b.problem(where, "bods-share", str(exc), line)
                continue
            if any(v is not None and not 0 <= v <= 1 for v in values.values()):
                b.problem(
                    where,
                    "bods-share",
                    f"share {share!r} is not a percentage between 0 and 100",
                    line,
                )
                continue
            level = interest.get("directOrIndirect") or interest.get("interestLevel")
            suffix = f"-{number}" if len(interests) > 1 else ""
            start, end = (
                b.date(interest.get(k), f"interests[{number - 1}].{k}", where, "bods-date", line)
                for k in ("startDate", "endDate")
            )
            b.add(
                {
                    "id": safe_id("bods", key_of(statement) + suffix),
                    "type": "Ownership",
                    "owner": party,
                    "owned": subject,
                    "interestType": interest.get("type"),
                    "direct": {"direct": True, "indirect": False}.get(str(level)),
                    "startDate": start,
                    "endDate": end or (statement_date if closed else None),
                    "date": statement_date,
                    "identifier": idents,
                    "evidence": self.evidence(statement),
                    **values,
                },
                where,
                line,
            )


def read_bods(path: Path, batch_size: int = BATCH_STATEMENTS, **_: Any) -> Iterator[Batch]:
    reader = BodsReader(path, batch_size)
    reader.build_index()
    yield from finalised(reader.batches())


def sniff_bods(path: Path, start: bytes) -> bool:
    text = head_text(start)
    return '"statementType"' in text or ('"recordType"' in text and '"recordDetails"' in text)


ADAPTER = Adapter(
    name="bods",
    suffixes=(".json", ".jsonl", ".ndjson"),
    sniff=sniff_bods,
    read=read_bods,
    description="Beneficial Ownership Data Standard 0.2–0.4 statements (JSON or JSON lines)",
    syntaxes=("json-lines", "json"),
)
