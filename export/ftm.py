"""FollowTheMoney entities (JSON lines), for partners who work in Aleph or yente.

Each record the reader yields is mapped to FtM schemata: organisations to Company / PublicBody /
Organization, Holding and Ownership to Ownership, Contract to Contract plus one ContractAward per
supplier, Measure to one Sanction per target. Every entity's `sourceUrl` holds the URLs of its
evidence Sources; a sanction's `authority` is the name of the body that imposed it (both read
from the linked nodes, as `neighbour_properties`). Classes with no FtM form are counted, not
written. Entities come class by class, each class in id order.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from typing import Any

from export.mapping import ExportedNode, ExportMapping
from export.writer import Writer
from ontology.records import Record

# our class -> FtM schema for the actors; facts have their own mappers below
ACTOR_SCHEMA = {
    "Company": "Company",
    "GovernmentBody": "PublicBody",
    "CivilSocietyOrganization": "Organization",
    "Fund": "Organization",
    "Person": "Person",
}
SOURCE_URL = "sourceUrl"
# our property -> FtM property, for every actor, for persons, for organisations
ACTOR_DETAILS = {"topic": "topics", "idNumber": "idNumber", "taxNumber": "taxNumber"}
ACTOR_DETAILS |= {"address": "address"}
PERSON_DETAILS = {
    "birthDate": "birthDate",
    "birthPlace": "birthPlace",
    "position": "position",
    "firstName": "firstName",
    "lastName": "lastName",
    "gender": "gender",
    "personTitle": "title",
}
ORGANISATION_DETAILS = {
    "registrationNumber": "registrationNumber",
    "incorporationDate": "incorporationDate",
    "sector": "sector",
    "legalForm": "legalForm",
}
# our interval facts -> (FtM schema, our link -> FtM property, our text -> FtM property)
TIES = {
    "Directorship": ("Directorship", {"director": "director", "directorshipOf": "organization"}),
    "Employment": ("Employment", {"employee": "employee", "employer": "employer"}),
}
RELATIONS = {"family": ("Family", "relative"), "associate": ("Associate", "associate")}
FTM_ID = "ftm:"  # our identifier scheme for the FtM ids an entity was imported under


class FtmWriter(Writer):
    media_type = "application/x-ndjson"
    extension = ".ijson"
    description = "FollowTheMoney entities, JSON lines"
    neighbour_properties = ("name", "url")
    by_class = True

    def __init__(self, mapping: ExportMapping):
        super().__init__(mapping)
        self.written: Counter[str] = Counter()  # FtM schema -> entities
        self.skipped: Counter[str] = Counter()  # our class -> nodes with no FtM form

    def node(self, node: ExportedNode) -> str:
        entities = to_ftm(self.ftm_record(node), _names(node))
        if not entities:
            self.skipped[node.record["type"]] += 1
        for entity in entities:
            self.written[entity["schema"]] += 1
        return "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entities)

    def ftm_record(self, node: ExportedNode) -> Record:
        """The record with `sourceUrl`: the URLs of its evidence sources."""
        mapping = self.mapping
        evidence = node.record.get(mapping.edge_spec.name) or []
        target = mapping.edge.edge_target or "source"
        urls = {node.neighbours.get(item[target], {}).get("url") for item in evidence}
        return {**node.record, SOURCE_URL: sorted(u for u in urls if u)}

    def summary(self) -> str:
        total = sum(self.written.values())
        written = ", ".join(f"{n} {s}" for s, n in sorted(self.written.items())) or "nothing"
        skipped = ", ".join(f"{n} {c}" for c, n in sorted(self.skipped.items()))
        return f"{total} FtM entities ({written}" + (
            f"; no FtM form for {skipped})" if skipped else ")"
        )


def _names(node: ExportedNode) -> dict[str, str]:
    return {i: props["name"] for i, props in node.neighbours.items() if props.get("name")}


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _percent(fraction: Any) -> str | None:
    if fraction is None:
        return None
    number = Decimal(str(fraction)) * 100
    return format(number.normalize(), "f")


def _entity(eid: str, schema: str, **props: Any) -> dict[str, Any]:
    properties: dict[str, list[str]] = {}
    for name, value in props.items():
        values = value if isinstance(value, list) else [value]
        values = [_text(v) for v in values if v not in (None, "")]
        if values:
            properties[name] = values
    return {"id": eid, "schema": schema, "properties": properties}


def _lower(values: Any) -> list[str] | None:
    return [str(v).lower() for v in values] if isinstance(values, list) else None


def _fields(record: Record) -> dict[str, Any]:
    """OpenSanctions' entity fields: `referents` (the FtM ids it was imported under, kept as
    `ftm:` identifiers), `first_seen`, `last_seen`."""
    out: dict[str, Any] = {}
    referents = [
        str(i)[len(FTM_ID) :] for i in record.get("identifier") or [] if str(i).startswith(FTM_ID)
    ]
    if referents:
        out["referents"] = sorted(referents)
    for ours, theirs in (("firstSeen", "first_seen"), ("lastSeen", "last_seen")):
        if record.get(ours):
            out[theirs] = record[ours]
    return out


def to_ftm(record: Record, names: dict[str, str]) -> list[dict[str, Any]]:
    """The FtM entities for one record (empty when its class has no FtM form); `names` gives
    the names of the nodes it links to."""
    return [{**entity, **_fields(record)} for entity in _to_ftm(record, names)]


def _to_ftm(record: Record, names: dict[str, str]) -> list[dict[str, Any]]:
    kind = record["type"]
    rid = record["id"]
    common = {"sourceUrl": record.get(SOURCE_URL), "description": record.get("description")}
    if kind in ACTOR_SCHEMA:
        person = kind == "Person"
        details = {**ACTOR_DETAILS, **(PERSON_DETAILS if person else ORGANISATION_DETAILS)}
        return [
            _entity(
                rid,
                ACTOR_SCHEMA[kind],
                name=record.get("name"),
                alias=record.get("alias"),
                country=(record.get("country") or "").lower() or None,
                nationality=_lower(record.get("nationality")) if person else None,
                leiCode=record.get("lei") if not person else None,
                isinCode=record.get("isin") if kind == "Company" else None,
                wikidataId=record.get("wikidataId"),
                website=record.get("website"),
                **{theirs: record.get(ours) for ours, theirs in details.items()},
                **common,
            )
        ]
    if kind in TIES:
        schema, links = TIES[kind]
        return [
            _entity(
                rid,
                schema,
                **{theirs: record.get(ours) for ours, theirs in links.items()},
                role=record.get("role"),
                startDate=record.get("startDate"),
                endDate=record.get("endDate"),
                date=record.get("date"),
                **common,
            )
        ]
    if kind == "Relation" and record.get("relationKind") in RELATIONS:
        schema, other = RELATIONS[record["relationKind"]]
        return [
            _entity(
                rid,
                schema,
                person=record.get("person"),
                relationship=record.get("relationship"),
                startDate=record.get("startDate"),
                endDate=record.get("endDate"),
                **{other: record.get("relative")},
                **common,
            )
        ]
    if kind == "Ownership":
        return [
            _entity(
                rid,
                "Ownership",
                owner=record.get("owner"),
                asset=record.get("owned"),
                percentage=_percent(record.get("share")),
                startDate=record.get("startDate"),
                endDate=record.get("endDate"),
                date=record.get("date"),
                ownershipType=record.get("interestType"),
                **common,
            )
        ]
    if kind == "Holding":
        if record.get("held") is False:
            return []
        return [
            _entity(
                rid,
                "Ownership",
                owner=record.get("fund"),
                asset=record.get("company"),
                percentage=_percent(record.get("ownershipShare")),
                date=record.get("asOf"),
                sharesCount=record.get("shares"),
                sharesValue=record.get("marketValue"),
                sharesCurrency=record.get("currency"),
                ownershipType="holding",
                **common,
            )
        ]
    if kind == "Contract":
        contract = _entity(
            rid,
            "Contract",
            title=record.get("name"),
            name=record.get("name"),
            authority=record.get("buyer"),
            amount=record.get("amount"),
            currency=record.get("currency"),
            contractDate=record.get("date"),
            **common,
        )
        awards = [
            _entity(
                f"{rid}-award-{supplier}",
                "ContractAward",
                contract=rid,
                supplier=supplier,
                amount=record.get("amount"),
                currency=record.get("currency"),
                date=record.get("date"),
                startDate=record.get("startDate"),
                endDate=record.get("endDate"),
                sourceUrl=record.get(SOURCE_URL),
            )
            for supplier in record.get("supplier") or []
        ]
        return [contract, *awards]
    if kind == "Measure":
        authority = names.get(record.get("imposedBy") or "")
        targets = record.get("appliesTo") or []
        return [
            _entity(
                f"{rid}-{target}" if len(targets) > 1 else rid,
                "Sanction",
                entity=target,
                authority=authority,
                program=record.get("program") or record.get("name"),
                reason=record.get("description"),
                startDate=record.get("startDate"),
                endDate=record.get("endDate"),
                date=record.get("date"),
                sourceUrl=record.get(SOURCE_URL),
            )
            for target in targets
        ]
    return []
