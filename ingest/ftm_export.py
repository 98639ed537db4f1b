"""The graph → FollowTheMoney entities (JSON lines), for partners who work in Aleph or yente.

Nodes are read back as records through the ontology's Neo4j mapping (labels, relationship types
and property names all come from `ontology.model`), then each record is mapped to FtM schemata:
organisations to Company / PublicBody / Organization, Holding and Ownership to Ownership,
Contract to Contract plus one ContractAward per supplier, Measure to one Sanction per target.
Only nodes at or below the requested TLP level are exported, and only links between them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from neo4j import Driver

from ontology.model import OntologyModel, load_model
from ontology.records import Record
from ontology.types import sharing

# our class -> FtM schema for the actors; facts have their own mappers below
ACTOR_SCHEMA = {
    "Company": "Company",
    "GovernmentBody": "PublicBody",
    "CivilSocietyOrganization": "Organization",
    "Fund": "Organization",
    "Person": "Person",
}


@dataclass
class ExportStats:
    written: Counter = field(default_factory=Counter)  # FtM schema -> entities
    skipped: Counter = field(default_factory=Counter)  # our class -> nodes with no FtM form


def graph_records(
    driver: Driver,
    database: str | None = None,
    max_tlp: str = "GREEN",
    model: OntologyModel | None = None,
) -> Iterator[tuple[Record, dict[str, str]]]:
    """(record, names of the nodes it links to) for every node at or below `max_tlp`."""
    model = model or load_model()
    levels = list(sharing.levels_up_to(max_tlp))
    evidence = model.edge_class.neo4j_type
    for cls in sorted(model.node_classes, key=lambda c: c.name):
        specs = model.properties_of(cls.name)
        query = (
            f"MATCH (n:`{cls.neo4j_label}`) WHERE n.tlp IN $levels "
            "RETURN properties(n) AS props, "
            "[(n)-[r]->(m:Node) WHERE m.tlp IN $levels | [type(r), m.id, m.name, m.url]] AS outs, "
            "[(m:Node)-[r]->(n) WHERE m.tlp IN $levels | [type(r), m.id, m.name]] AS ins "
            "ORDER BY n.id"
        )
        with driver.session(database=database) as session:
            for row in session.run(query, levels=levels):
                props = row["props"]
                record: Record = {"id": props["id"], "type": cls.name}
                names: dict[str, str] = {}
                for spec in specs.values():
                    if (
                        spec.neo4j_property
                        and spec.kind != "idlist"
                        and props.get(spec.neo4j_property) is not None
                    ):
                        record[spec.name] = props[spec.neo4j_property]
                    elif spec.kind == "link" and spec.neo4j_type:
                        ends = row["outs"] if spec.direction == "out" else row["ins"]
                        ids = [e[1] for e in ends if e[0] == spec.neo4j_type]
                        names.update({e[1]: e[2] for e in ends if e[0] == spec.neo4j_type and e[2]})
                        if ids:
                            record[spec.name] = ids if spec.multiple else ids[0]
                record["sourceUrl"] = sorted(
                    {e[3] for e in row["outs"] if e[0] == evidence and e[3]}
                )
                yield record, names


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


def to_ftm(record: Record, names: dict[str, str]) -> list[dict[str, Any]]:
    """The FtM entities for one record (empty when its class has no FtM form)."""
    kind = record["type"]
    rid = record["id"]
    common = {"sourceUrl": record.get("sourceUrl"), "description": record.get("description")}
    if kind in ACTOR_SCHEMA:
        return [
            _entity(
                rid,
                ACTOR_SCHEMA[kind],
                name=record.get("name"),
                alias=record.get("alias"),
                country=(record.get("country") or "").lower() or None,
                leiCode=record.get("lei") if kind != "Person" else None,
                isinCode=record.get("isin") if kind == "Company" else None,
                wikidataId=record.get("wikidataId"),
                website=record.get("website"),
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
                sourceUrl=record.get("sourceUrl"),
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
                program=record.get("name"),
                reason=record.get("description"),
                startDate=record.get("startDate"),
                endDate=record.get("endDate"),
                date=record.get("date"),
                sourceUrl=record.get("sourceUrl"),
            )
            for target in targets
        ]
    return []


def export_ftm(
    driver: Driver, out: IO[str], database: str | None = None, max_tlp: str = "GREEN"
) -> ExportStats:
    """Write FtM JSON lines; returns counts of what was written and what has no FtM form."""
    stats = ExportStats()
    for record, names in graph_records(driver, database, max_tlp):
        entities = to_ftm(record, names)
        if not entities:
            stats.skipped[record["type"]] += 1
        for entity in entities:
            out.write(json.dumps(entity, ensure_ascii=False, sort_keys=True) + "\n")
            stats.written[entity["schema"]] += 1
    return stats
