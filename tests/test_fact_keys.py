"""One fact, many sources: keyed facts get an id from what they are about (after resolution),
so two sources stating the same fact give one node with both evidence links. Real pipeline,
real Neo4j."""

from __future__ import annotations

from pathlib import Path

import yaml
from neo4j import Driver

from core.settings import Settings
from ingest.adapter_kit import safe_id
from ingest.fact_keys import fact_id
from ingest.pipeline import ingest_paths

OCDS = Path(__file__).resolve().parent / "data" / "adapters" / "ocds_releases.jsonl"


def test_keyed_classes_and_the_ones_that_keep_their_ids() -> None:
    holding = {"id": "x", "type": "Holding", "fund": "f", "company": "c", "asOf": "2019-12-31"}
    assert fact_id(holding) == "holding-f-c-2019-12-31"
    assert fact_id({**holding, "fund": None}) is None
    own = {"id": "x", "type": "Ownership", "owner": "o", "owned": "c", "date": "2020"}
    assert fact_id(own) == "ownership-o-c-2020"
    contract = {"id": "k", "type": "Contract", "supplier": ["c"], "name": "Safe City"}
    ocds = {**contract, "identifier": ["ocid:ocds-abc-1", "ocds-award:7", "ocds-release:r1"]}
    assert fact_id(ocds) == safe_id("contract", "ocds-abc-1:7")  # the OCDS adapter's own id
    assert fact_id({**contract, "identifier": ["ocid:ocds-abc-1"]}) is None  # no award id
    assert fact_id(contract) is None  # keeps the id its report gives it
    allegation = {"id": "a", "type": "Allegation", "against": ["b"], "date": "2020-03-11"}
    assert fact_id(allegation) is None
    long = {**holding, "company": "c" * 200}
    assert fact_id(long).startswith("holding-") and len(fact_id(long)) < 40


def test_a_report_citing_an_ocds_award_meets_the_ocds_contract(
    neo4j_db: Driver, settings: Settings, tmp_path: Path
) -> None:
    db = settings.neo4j_database
    src = "src-lighting-article"
    report = {
        "id": "report-lighting",
        "type": "Report",
        "name": "lighting",
        "reviewStatus": "reviewed",
        "tlp": "GREEN",  # the OCDS import's own level (a CLEAR report would stay apart)
        "@graph": [
            {"id": src, "type": "Source", "name": "An article", "url": "https://e.org/lighting"},
            {
                "id": "contract-street-lighting",
                "type": "Contract",
                "name": "Street lighting",
                "identifier": ["ocid:ocds-ex0001-42", "ocds-award:a1"],
                "supplier": ["lei-529900HIKVISION00036"],
                "evidence": [{"source": src, "quote": "street lighting"}],
            },
        ],
    }
    path = tmp_path / "lighting.yaml"
    path.write_text(yaml.safe_dump(report), encoding="utf-8")
    result = ingest_paths([OCDS, path], neo4j_db, database=db)
    assert result.ok, result.problems
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (k:Contract) OPTIONAL MATCH (k)-[:EVIDENCED_BY]->(s:Source) "
        "RETURN k.id AS id, collect(DISTINCT s.id) AS sources",
        database_=db,
    )
    assert len(rows) == 1 and rows[0]["id"] == "contract-ocds-ex0001-42:a1"
    assert src in rows[0]["sources"] and len(rows[0]["sources"]) == 2
    moved, _, _ = neo4j_db.execute_query(
        "MATCH (r:Redirect {id: 'contract-street-lighting'}) RETURN r.to AS to", database_=db
    )
    assert [r["to"] for r in moved] == ["contract-ocds-ex0001-42:a1"]
    again = ingest_paths([OCDS, path], neo4j_db, database=db)
    assert again.ok and again.summary.changes == 0
