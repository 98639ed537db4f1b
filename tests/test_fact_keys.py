"""One fact, many sources: every keyed class of fact gets an id from its participants and dates
(after resolution), so two reports stating the same fact give one node with both evidence
links. Real pipeline, real Neo4j."""

from __future__ import annotations

from pathlib import Path

import yaml
from neo4j import Driver

from core.settings import Settings
from ingest.adapter_kit import safe_id
from ingest.fact_keys import fact_id
from ingest.pipeline import ingest_paths


def test_each_keyed_class_is_keyed_by_its_participants_and_dates() -> None:
    holding = {"id": "x", "type": "Holding", "fund": "f", "company": "c", "asOf": "2019-12-31"}
    assert fact_id(holding) == "holding-f-c-2019-12-31"
    own = {"id": "x", "type": "Ownership", "owner": "o", "owned": "c", "date": "2020"}
    assert fact_id(own) == "ownership-o-c-2020"
    allegation = {"id": "a", "type": "Allegation", "against": ["b", "a"], "claimant": ["n"]}
    same = {**allegation, "id": "other", "against": ["a", "b"], "name": "worded otherwise"}
    assert fact_id(allegation) == fact_id(same) == "allegation-a-b-n"
    assert fact_id({**allegation, "date": "2020-03-11"}) == "allegation-a-b-n-2020-03-11"
    assert fact_id({"id": "a", "type": "Allegation", "claimant": ["n"]}) is None  # no target
    demand = {"id": "d", "type": "Demand", "madeBy": ["n"], "target": ["f"], "demandType": "divest"}
    assert fact_id(demand) == "demand-n-f-divest"
    assert fact_id({**demand, "target": None}) is None
    measure = {"id": "m", "type": "Measure", "imposedBy": ["us"], "appliesTo": ["c"]}
    assert fact_id({**measure, "measureType": "sanction", "date": "2019-10-07"}) == (
        "measure-us-c-sanction-2019-10-07"
    )
    contract = {"id": "k", "type": "Contract", "supplier": ["c"], "name": "Safe City"}
    assert fact_id({**contract, "buyer": "b", "date": "2017"}) == "contract-b-c-2017-safe-city"
    assert fact_id({**contract, "name": None}) is None  # a contract needs its title (or OCDS ids)
    ocds = {**contract, "identifier": ["ocid:ocds-abc-1", "ocds-award:7", "ocds-release:r1"]}
    assert fact_id(ocds) == safe_id("contract", "ocds-abc-1:7")  # the OCDS adapter's own id
    long = {**contract, "name": "A very long contract title " * 8}
    assert fact_id(long).startswith("contract-") and len(fact_id(long)) < 40


def _report(path: Path, rid: str, quote: str) -> Path:
    src = f"src-{rid}"
    ev = [{"source": src, "quote": quote}]
    records = [
        {"id": src, "type": "Source", "name": f"source {rid}", "url": f"https://e.org/{rid}"},
        {"id": "keyco", "type": "Company", "name": "Keyco Vision Ltd", "evidence": ev},
        {"id": "key-ngo", "type": "CivilSocietyOrganization", "name": "Key Watch", "evidence": ev},
        {"id": "key-gov", "type": "GovernmentBody", "name": "Key Ministry", "evidence": ev},
        {
            "id": f"{rid}-allegation",
            "type": "Allegation",
            "name": f"Keyco implicated ({rid})",
            "description": "Keyco's cameras watch a minority.",
            "harmCategory": ["mass-surveillance"],
            "status": "alleged",
            "against": ["keyco"],
            "claimant": ["key-ngo"],
            "date": "2021-05-01",
            "evidence": ev,
        },
        {
            "id": f"{rid}-demand",
            "type": "Demand",
            "name": f"Key Watch asks ({rid})",
            "demandType": "divest",
            "madeBy": ["key-ngo"],
            "target": ["key-gov"],
            "date": "2021-05-02",
            "evidence": ev,
        },
        {
            "id": f"{rid}-measure",
            "type": "Measure",
            "name": f"Key Ministry lists Keyco ({rid})",
            "measureType": "entity-list",
            "imposedBy": ["key-gov"],
            "appliesTo": ["keyco"],
            "date": "2021-06-01",
            "evidence": ev,
        },
        {
            "id": f"{rid}-contract",
            "type": "Contract",
            "name": "Keyland safe city",
            "supplier": ["keyco"],
            "buyer": "key-gov",
            "date": "2018",
            "evidence": ev,
        },
    ]
    doc = {"id": rid, "type": "Report", "name": rid, "reviewStatus": "reviewed", "tlp": "CLEAR"}
    doc["@graph"] = records
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_two_reports_of_the_same_facts_give_one_node_each_with_both_sources(
    neo4j_db: Driver, settings: Settings, tmp_path: Path
) -> None:
    db = settings.neo4j_database
    one = _report(tmp_path / "one.yaml", "report-key-one", "Keyco")
    two = _report(tmp_path / "two.yaml", "report-key-two", "Keyco, again")
    result = ingest_paths([one, two], neo4j_db, database=db)
    assert result.ok, result.problems
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (f:Fact) WHERE NOT f:Holding OPTIONAL MATCH (f)-[:EVIDENCED_BY]->(s:Source) "
        "RETURN labels(f) AS labels, f.id AS id, collect(DISTINCT s.id) AS sources ORDER BY id",
        database_=db,
    )
    facts = {r["id"]: sorted(r["sources"]) for r in rows}
    both = ["src-report-key-one", "src-report-key-two"]
    assert facts == {
        "allegation-keyco-key-ngo-2021-05-01": both,
        "contract-key-gov-keyco-2018-keyland-safe-city": both,
        "demand-key-ngo-key-gov-divest-2021-05-02": both,
        "measure-key-gov-keyco-entity-list-2021-06-01": both,
    }
    # the ids the reports gave redirect to the derived ones
    redirects, _, _ = neo4j_db.execute_query(
        "MATCH (r:Redirect) WHERE r.id STARTS WITH 'report-key-' RETURN r.id AS id, r.to AS to",
        database_=db,
    )
    assert {r["id"]: r["to"] for r in redirects}["report-key-two-allegation"] == (
        "allegation-keyco-key-ngo-2021-05-01"
    )
    again = ingest_paths([one, two], neo4j_db, database=db)
    assert again.ok and again.summary.changes == 0
