"""One fact, many sources: a fact's id is derived from what it is about, after resolution.

A holding is (fund, company, as-of); an ownership (owner, asset, kind of interest, date); a
contract its OCDS ocid and award id when it carries them (`identifier` values `ocid:…` and
`ocds-award:…`: the id the OCDS adapter gives it). Measures, demands, allegations and contracts
without OCDS ids keep the ids their reports give them: a key of participants and dates splits
what one id joins whenever one source omits a date (the bundled letter's allegation, dated in
one report and not in the other), see docs/resolution.md. Two sources that state the same one (a case report
citing a holdings file, the file itself) give the same id, so one node carries both evidence
links. The participants are the resolved ids, so the id does not depend on which source came
first or how it spelt the company.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.adapter_kit import safe_id
from ingest.normalize import slug
from ontology.records import Record


@dataclass(frozen=True)
class FactKey:
    """How a class of facts is keyed: an id prefix, the properties whose values make the key
    (in order), and which of them must be there (else the record keeps its own id)."""

    prefix: str
    props: tuple[str, ...]
    required: tuple[str, ...]


FACT_KEYS: dict[str, FactKey] = {
    "Holding": FactKey("holding", ("fund", "company", "asOf"), ("fund", "company")),
    # the kind of interest too: one BODS statement may state a shareholding and voting rights
    "Ownership": FactKey(
        "ownership", ("owner", "owned", "interestType", "date"), ("owner", "owned")
    ),
}
MAX_ID = 120
OCDS_PROCESS, OCDS_AWARD = "ocid:", "ocds-award:"


def _part(value: object) -> str | None:
    if value is None or value == [] or value == "":
        return None
    if isinstance(value, list):
        return "+".join(sorted(str(v) for v in value))
    return str(value)


def ocds_contract_id(record: Record) -> str | None:
    """The OCDS adapter's id of a contract that carries its ocid and award id, else None."""
    idents = record.get("identifier") or []
    idents = idents if isinstance(idents, list) else [idents]
    ocid = next(
        (str(i)[len(OCDS_PROCESS) :] for i in idents if str(i).startswith(OCDS_PROCESS)), None
    )
    award = next((str(i)[len(OCDS_AWARD) :] for i in idents if str(i).startswith(OCDS_AWARD)), None)
    return safe_id("contract", f"{ocid}:{award}") if ocid and award else None


def fact_id(record: Record) -> str | None:
    """The key-derived id of a keyed fact, or None (not a keyed class, or a required part
    missing)."""
    if record["type"] == "Contract":
        return ocds_contract_id(record)
    spec = FACT_KEYS.get(record["type"])
    if spec is None:
        return None
    parts = {p: _part(record.get(p)) for p in spec.props}
    if any(parts[p] is None for p in spec.required):
        return None
    values = [parts[p] for p in spec.props]
    text = "-".join(slug(p, 200) for p in values if p is not None)
    out = f"{spec.prefix}-{text}"
    if len(out) > MAX_ID:
        digest = hashlib.sha1("\n".join(p or "" for p in values).encode()).hexdigest()[:16]
        out = f"{spec.prefix}-{digest}"
    return out


def assign_fact_ids(records: Iterable[Record]) -> dict[str, str]:
    """record id -> its key-derived id, for the keyed facts whose id differs from it."""
    renames = {}
    for record in records:
        new = fact_id(record)
        if new is not None and new != record["id"]:
            renames[record["id"]] = new
    return renames
