"""One fact, many sources: a fact's id is derived from what it is about, after resolution.

A holding is (fund, company, as-of) and an ownership (owner, asset, kind of interest, date):
two sources that state the same one (a case report citing a holdings file, the file itself) give the same id, so
one node carries both evidence links. The parts are the resolved ids, so the id does not depend
on which source came first or how it spelt the company. The OCDS adapter already derives a
contract's id from its ocid and award id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ingest.normalize import slug
from ontology.records import Record

# class -> (id prefix, the properties whose values make the key, in order)
FACT_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Holding": ("holding", ("fund", "company", "asOf")),
    # the kind of interest too: one BODS statement may state a shareholding and voting rights
    "Ownership": ("ownership", ("owner", "owned", "interestType", "date")),
}
MAX_ID = 120


def _part(value: object) -> str | None:
    if value is None or value == []:
        return None
    if isinstance(value, list):
        return "+".join(sorted(str(v) for v in value))
    return str(value)


def fact_id(record: Record) -> str | None:
    """The key-derived id of a keyed fact, or None (not a keyed class, or a part missing)."""
    spec = FACT_KEYS.get(record["type"])
    if spec is None:
        return None
    prefix, props = spec
    parts = [_part(record.get(p)) for p in props]
    if any(p is None for p in parts[:2]):  # the participants are required, the date is not
        return None
    text = "-".join(slug(p, 200) for p in parts if p is not None)
    out = f"{prefix}-{text}"
    if len(out) > MAX_ID:
        digest = hashlib.sha1("\n".join(p or "" for p in parts).encode()).hexdigest()[:16]
        out = f"{prefix}-{digest}"
    return out


def assign_fact_ids(records: Iterable[Record]) -> dict[str, str]:
    """record id -> its key-derived id, for the keyed facts whose id differs from it."""
    renames = {}
    for record in records:
        new = fact_id(record)
        if new is not None and new != record["id"]:
            renames[record["id"]] = new
    return renames
