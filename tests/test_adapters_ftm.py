"""FollowTheMoney: entities in (JSON lines, two passes) and the graph back out as FtM."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from adapter_helpers import DATA, ingest, of_type, read_all, shared_sample

from core.dump import canonical_dump
from export.options import ExportOptions
from export.stream import write_export


def test_entities_map_to_our_classes_with_links_and_counts():
    batches, records = read_all(DATA / "ftm_entities.jsonl")
    hik = records["ftm-org-hik"]
    assert hik["type"] == "Company"  # an Organization that is owned and awarded is a company
    assert (
        hik["isin"] == ["CNE100000PM8"]
        and hik["country"] == "CN"
        and "ftm:org-hik" in hik["identifier"]
    )
    assert records["ftm-ngo-1"]["type"] == "CivilSocietyOrganization"
    assert records["ftm-ministry-1"]["type"] == "GovernmentBody"
    own = records["ftm-own-1"]
    assert (own["owner"], own["owned"], own["share"]) == (
        "ftm-person-1",
        "ftm-org-hik",
        Decimal("0.125"),
    )
    contract = records["ftm-award-1"]
    assert contract["buyer"] == "ftm-ministry-1" and contract["supplier"] == ["ftm-org-hik"]
    assert contract["name"] == "Video surveillance system" and contract["currency"] == "CNY"
    assert set(contract["identifier"]) == {"ftm:award-1", "ftm:contract-1"}
    measure = records["ftm-sanction-1"]
    assert measure["measureType"] == "sanction" and measure["appliesTo"] == ["ftm-org-hik"]
    assert records[measure["imposedBy"]]["name"] == "US Department of Commerce"
    assert any(
        s.get("url") == "https://www.federalregister.gov/d/2019-22210"
        for s in of_type(records, "Source")
    )
    assert any(s["name"] == "example_registry" for s in of_type(records, "Source"))
    assert batches[-1].unsupported == {
        "FtM property Ownership.sharesCount": 1,
        "FtM property Person.birthDate": 1,
        "FtM Contract entities without a ContractAward (no supplier)": 1,
        "FtM Directorship entities": 1,
    }


def test_references_across_batches_resolve_by_reemitting_the_referenced_entities(
    neo4j_db, settings
):
    result = ingest(neo4j_db, settings.neo4j_database, [DATA / "ftm_entities.jsonl"], batch_size=1)
    assert result.ok, result.problems
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (p:Person)-[:OWNS]->(:Ownership)-[:OWNERSHIP_OF]->(c:Company) "
        "MATCH (c)-[:SUPPLIER_OF]->(:Contract)-[:AWARDED_BY]->(b) "
        "RETURN p.name AS p, c.name AS c, b.name AS b",
        database_=settings.neo4j_database,
    )
    assert [tuple(r.values()) for r in rows] == [
        ("Chen Example", "Hikvision Digital Technology", "Xinjiang Public Security Department")
    ]


def test_malformed_lines_are_rejected_naming_line_and_reason(neo4j_db, settings):
    before = canonical_dump(neo4j_db, settings.neo4j_database)
    result = ingest(neo4j_db, settings.neo4j_database, [DATA / "ftm_bad.jsonl"])
    assert [(p.record, p.rule, p.line) for p in result.problems] == [("line 3", "json-syntax", 3)]
    assert canonical_dump(neo4j_db, settings.neo4j_database) == before


def test_missing_schema_is_rejected(tmp_path):
    from ingest.errors import IngestError

    path = tmp_path / "entities.jsonl"
    path.write_text(
        '{"id": "a", "schema": "Company", "properties": {"name": ["A"]}}\n'
        '{"id": "b", "properties": {}}\n'
    )
    with pytest.raises(IngestError) as exc:
        read_all(path, "ftm")
    assert [(p.record, p.rule, p.line) for p in exc.value.problems] == [("b", "ftm-form", 2)]


def test_partial_dates_and_written_percentages_are_read_and_impossible_ones_rejected(tmp_path):
    from ingest.errors import IngestError

    people = (
        '{"id": "p", "schema": "Person", "properties": {"name": ["P"]}}\n'
        '{"id": "c", "schema": "Company", "properties": {"name": ["C Ltd"]}}\n'
    )
    own = (
        '{"id": "o", "schema": "Ownership", "properties": {"owner": ["p"], "asset": ["c"], '
        '"percentage": ["%s"], "startDate": ["2015"], "endDate": ["2016-07"], '
        '"date": ["%s"]}}\n'
    )
    path = tmp_path / "entities.jsonl"
    path.write_text(people + own % ("12,5%", "2017-03-04T10:00:00Z"))
    _, records = read_all(path, "ftm")
    o = records["ftm-o"]
    assert (o["share"], o["startDate"], o["endDate"], o["date"]) == (
        Decimal("0.125"),
        "2015",
        "2016-07",
        "2017-03-04",
    )
    for percentage, date, rule in (
        ("150", "2017", "ftm-percentage"),
        ("5", "2017-02-29", "ftm-date"),
    ):
        path.write_text(people + own % (percentage, date))
        with pytest.raises(IngestError) as exc:
            read_all(path, "ftm")
        assert [(p.record, p.rule, p.line) for p in exc.value.problems] == [("entity o", rule, 3)]


def test_shared_donations_sample_counts_payments_as_unsupported(neo4j_db, settings):
    path = shared_sample("ftm", "donations.ijson")
    result = ingest(neo4j_db, settings.neo4j_database, [path])
    assert result.ok, result.problems
    assert result.unsupported["FtM Payment entities"] == 290
    assert result.summary.created["Person"] == 22


def test_export_is_valid_followthemoney(neo4j_db, settings):
    model = pytest.importorskip("followthemoney").model
    db = settings.neo4j_database
    assert ingest(
        neo4j_db,
        db,
        [DATA / "ftm_entities.jsonl", DATA / "GPFG_EQ_2019_Industry.csv", DATA / "bods_03.json"],
    ).ok
    out = io.StringIO()
    stats = write_export(neo4j_db, ExportOptions(format="ftm", tlp="GREEN"), out, db)
    entities = [json.loads(line) for line in out.getvalue().splitlines()]
    for data in entities:
        proxy = model.get_proxy(data, cleaned=False)  # unknown schema or property raises
        for prop, value in proxy.itervalues():
            assert prop.type.clean(value) is not None, (data["id"], prop.name, value)
    by_id = {e["id"]: e for e in entities}
    assert by_id["ftm-org-hik"]["properties"]["isinCode"] == ["CNE100000PM8"]
    # an ownership's id is derived from (owner, asset, interest, date): ingest.fact_keys
    assert by_id["ownership-ftm-person-1-ftm-org-hik-shares"]["properties"]["percentage"] == [
        "12.5"
    ]
    award = by_id["ftm-award-1-award-ftm-org-hik"]
    assert award["schema"] == "ContractAward" and award["properties"]["contract"] == ["ftm-award-1"]
    assert by_id["ftm-sanction-1"]["properties"]["authority"] == ["US Department of Commerce"]
    holdings = [e for e in entities if e["properties"].get("ownershipType") == ["holding"]]
    assert len(holdings) == 3 and stats.written["Ownership"] == 6
