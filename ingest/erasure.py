"""Erasing a person's personal statements: `rightsgraph erase ID`.

A person named in the graph (a witness, an executive, a claimant) keeps their node, name, sharing
level and every link (what they did or said stays evidenced), but loses every other value the
ontology lets a person have — identifiers (identity numbers), aliases, description, notes,
country, website, Wikidata id, and any such property the ontology adds later (birth date,
address, …): `personal_properties`. Erasing removes them

- from the node, with the search text and resolution keys rebuilt from what is left (they
  repeated the identifiers and aliases), so no search, screening, export or backup shows them;
- from the node's statement history (`statements`, when the graph keeps one): every statement
  of those properties, live or retracted;
- for good: an erasure record (`:RgSystem:RgSystemErasure`, the API's own data, not the graph)
  names the person and the properties, and every later ingest strips them from that person's
  records before writing (`strip_erased`), so re-ingesting the report that stated them does not
  bring them back.

Who erased, when and why is in the erasure record and in the audit log (never the erased
values). Changing a value instead of erasing it is a correction: a report restating the
person with the new value, which keeps who stated it and from which source.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from neo4j import Driver, ManagedTransaction

from core import names as system
from ingest.resolve import resolution_keys, search_text
from ontology.model import OntologyModel, load_model
from ontology.records import Record

PERSON = "Person"
KEPT = ("name", "tlp")
ERASURE_LABEL = "RgSystemErasure"
STATEMENTS = "statements"


class EraseError(ValueError):
    """The id names no person."""


@dataclass(frozen=True)
class Erased:
    id: str
    properties: list[str]  # ontology names of the properties that held a value
    at: str


def personal_properties(model: OntologyModel | None = None) -> dict[str, str]:
    """Ontology name -> Neo4j property of every literal property a person may have, but its
    name and sharing level."""
    model = model or load_model()
    return {
        p.name: p.neo4j_property
        for p in model.properties_of(PERSON).values()
        if p.kind == "literal" and p.neo4j_property and p.name not in KEPT
    }


def _strip_statements(text: str | None, stored: set[str]) -> str | None:
    """The statements text without any value of the `stored` properties (items left with no
    value kept: they state the node itself)."""
    if not text:
        return text
    items = json.loads(text)
    if not isinstance(items, list):
        return text
    for item in items:
        values = item.get("v") if isinstance(item, dict) else None
        if isinstance(values, dict):
            item["v"] = {k: v for k, v in values.items() if k not in stored}
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def _erase(tx: ManagedTransaction, node_id: str, by: str, reason: str, at: str) -> Erased:
    model = load_model()
    label = model.cls(PERSON).neo4j_label
    found = tx.run(f"MATCH (n:`{label}` {{id: $id}}) RETURN properties(n) AS p", id=node_id)
    row = found.single()
    if row is None:
        raise EraseError(f"no person with id {node_id!r} in the graph")
    props: dict[str, Any] = row["p"]
    personal = personal_properties(model)
    held = sorted(name for name, stored in personal.items() if props.get(stored) is not None)
    left = {k: v for k, v in props.items() if k not in personal.values()}
    specs = model.properties_of(PERSON)
    record: Record = {
        p.name: left[p.neo4j_property]
        for p in specs.values()
        if p.neo4j_property and left.get(p.neo4j_property) is not None
    }
    ids, names = resolution_keys(record, model)
    updates: dict[str, Any] = {
        system.RESOLVE_KEYS: sorted(set(ids + names)),
        system.SEARCH_TEXT: search_text(record, model),
    }
    if STATEMENTS in props:
        erased = set(personal) | set(personal.values())  # by ontology or stored name
        updates[STATEMENTS] = _strip_statements(props[STATEMENTS], erased)
    tx.run(
        f"MATCH (n:`{label}` {{id: $id}}) SET n = $props",
        id=node_id,
        props={**left, **updates},
    )
    tx.run(
        f"MERGE (e:`{system.SYSTEM_LABEL}`:`{ERASURE_LABEL}` {{rgsystemId: $id}}) "
        "SET e.rgsystemProperties = $all, e.rgsystemAt = $at, e.rgsystemBy = $by, "
        "e.rgsystemReason = $reason",
        id=node_id,
        all=sorted(personal),
        at=at,
        by=by,
        reason=reason,
    )
    return Erased(node_id, held, at)


def erase_person(
    driver: Driver, node_id: str, *, by: str, reason: str, database: str | None = None
) -> Erased:
    """Erase the personal values of one person (one transaction) and record the erasure."""
    if not reason.strip():
        raise EraseError("say why (--reason): the erasure record and the audit log keep it")
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with driver.session(database=database) as session:
        return session.execute_write(_erase, node_id, by, reason.strip(), at)


def erased_properties(driver: Driver, ids: list[str], database: str | None = None) -> dict:
    """Person id -> the ontology names erased for good, for the ids that have an erasure."""
    if not ids:
        return {}
    rows, _, _ = driver.execute_query(
        f"MATCH (e:`{ERASURE_LABEL}`) WHERE e.rgsystemId IN $ids "
        "RETURN e.rgsystemId AS id, e.rgsystemProperties AS props",
        ids=ids,
        database_=database,
        routing_="r",
    )
    return {r["id"]: set(r["props"]) for r in rows}


def strip_erased(records: list[Record], erased: dict[str, set[str]]) -> list[Record]:
    """The records without the erased properties of erased people."""
    if not erased:
        return records
    return [
        {k: v for k, v in r.items() if k not in erased[r["id"]]} if r.get("id") in erased else r
        for r in records
    ]
