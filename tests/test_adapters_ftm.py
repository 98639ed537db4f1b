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
        "FtM Contract entities without a ContractAward (no supplier)": 1,
    }
    assert records["ftm-person-1"]["birthDate"] == ["1965"]
    assert records["ftm-dir-1"]["type"] == "Directorship"


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


OPENSANCTIONS = DATA / "entities.ftm.json"  # OpenSanctions' export form: JSON lines


def test_an_opensanctions_export_keeps_what_a_screening_needs():
    _, records = read_all(OPENSANCTIONS)
    ivan = records["ftm-NK-2a8fQYq3b9X1cE7d"]
    assert ivan["type"] == "Person" and ivan["name"] == "Ivan Petrovich Sidorov"  # the caption
    assert "Иван Петрович Сидоров" in ivan["alias"]  # the other scripts' names stay
    assert ivan["birthDate"] == ["1961-07-14"] and ivan["birthPlace"] == ["Leningrad"]
    assert ivan["nationality"] == ["RU", "CY"]  # nationality and citizenship
    assert ivan["gender"] == "male" and ivan["personTitle"] == ["Dr."]
    assert ivan["firstName"] == ["Ivan"] and ivan["lastName"] == ["Sidorov"]
    assert ivan["position"] == ["Member of the State Duma"]
    assert ivan["idNumber"] == ["4509 123456"] and ivan["taxNumber"] == ["770123456789"]
    assert ivan["topic"] == ["sanction", "role.pep"]
    assert ivan["firstSeen"] == "2022-03-02" and ivan["lastSeen"] == "2025-06-30"
    assert "ftm:ofac-12345" in ivan["identifier"]  # referents
    assert ivan["address"] == ["Nevsky prospekt 10, St Petersburg"]
    assert {e["source"] for e in ivan["evidence"]} >= {
        "src-ftm-dataset-us-ofac-sdn",
        "src-ftm-dataset-eu-fsf",
    }
    assert records["ftm-NK-Dr5wYx8Lm2Pq"]["birthDate"] == ["1970"]  # a year is a date too
    company = records["ftm-NK-Co9Zk1Rt4"]
    assert company["type"] == "Company" and company["registrationNumber"] == ["1027700123456"]
    assert company["incorporationDate"] == "2002-08-19" and company["country"] == "RU"
    assert company["lei"] == "253400JT3MQWNDKMJE44" and company["isin"] == ["RU0007288411"]
    assert company["sector"] == ["Mining"] and company["address"] == [
        "ul. Lenina 1, Norilsk, Russia"
    ]


def test_sanctions_debarments_and_directorships_become_measures_and_seats():
    batches, records = read_all(OPENSANCTIONS)
    ofac = records["ftm-ofac-sanc-5d2c"]
    assert ofac["type"] == "Measure" and ofac["measureType"] == "sanction"
    assert ofac["program"] == "RUSSIA-EO14024" and ofac["startDate"] == "2022-03-11"
    assert records[ofac["imposedBy"]]["name"] == "Office of Foreign Assets Control"
    assert records["ftm-eu-sanc-77aa"]["endDate"] == "2026-03-15"
    assert records["ftm-wb-debar-1a"]["measureType"] == "procurement-ban"
    seat = records["ftm-dir-3e4f"]
    assert seat["type"] == "Directorship" and seat["role"] == "Chairman of the board"
    assert (
        seat["director"] == "ftm-NK-2a8fQYq3b9X1cE7d"
        and seat["directorshipOf"] == "ftm-NK-Co9Zk1Rt4"
    )
    spouse = records["ftm-fam-1"]
    assert spouse["type"] == "Relation" and spouse["relationKind"] == "family"
    assert (spouse["person"], spouse["relative"], spouse["relationship"]) == (
        "ftm-NK-2a8fQYq3b9X1cE7d",
        "ftm-NK-Dr5wYx8Lm2Pq",
        "spouse",
    )
    partner = records["ftm-assoc-9b2"]
    assert partner["relationKind"] == "associate" and partner["relative"] == "ftm-NK-Pv3Orl0vQ"
    job = records["ftm-empl-4c1"]
    assert job["type"] == "Employment" and job["role"] == "Chief engineer"
    assert (job["employee"], job["employer"]) == ("ftm-NK-Pv3Orl0vQ", "ftm-NK-Co9Zk1Rt4")
    assert (job["startDate"], job["endDate"]) == ("2010", "2019-06-30")
    skipped = batches[-1].unsupported
    assert skipped["FtM Membership entities"] == 1  # a schema without a class here: counted
    assert not any("Family" in k or "Associate" in k or "Employment" in k for k in skipped)
    assert skipped["FtM addressEntity references to entities not in the file"] == 1
    assert skipped["FtM property Person.fatherName"] == 1


def test_an_opensanctions_export_is_ingested_under_its_own_name(neo4j_db, settings):
    database = settings.neo4j_database
    result = ingest(neo4j_db, database, [OPENSANCTIONS])
    assert result.ok, [str(p) for p in result.problems]
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (p:Person {id: 'ftm-NK-2a8fQYq3b9X1cE7d'})-[:DIRECTOR_IN]->(:Directorship)"
        "-[:DIRECTORSHIP_OF]->(c:Company) "
        "RETURN p.birthDates AS born, p.nationalities AS nat, p.topics AS topics, c.name AS company",
        database_=database,
    )
    assert rows, "the director, the seat and the company are linked"
    assert rows[0]["born"] == ["1961-07-14"] and sorted(rows[0]["nat"]) == ["CY", "RU"]
    assert sorted(rows[0]["topics"]) == ["role.pep", "sanction"]
    assert rows[0]["company"] == "Severny Metals JSC"


# FtM properties the import keeps and the export writes back, per schema
ROUND_TRIP = {
    "Person": (
        "birthDate",
        "birthPlace",
        "position",
        "firstName",
        "lastName",
        "gender",
        "title",
        "idNumber",
        "taxNumber",
        "topics",
    ),
    "Company": (
        "registrationNumber",
        "incorporationDate",
        "sector",
        "leiCode",
        "isinCode",
        "topics",
        "address",
    ),
    "LegalEntity": ("registrationNumber", "topics"),
    "Directorship": ("role", "startDate"),
    "Employment": ("role", "startDate", "endDate"),
    "Family": ("relationship",),
    "Associate": ("relationship",),
    "Sanction": ("program", "startDate", "endDate", "authority", "reason"),
}
LINKS = {
    "Directorship": ("director", "organization"),
    "Employment": ("employee", "employer"),
    "Family": ("person", "relative"),
    "Associate": ("person", "associate"),
    "Sanction": ("entity",),
}


def test_an_opensanctions_export_round_trips_through_the_graph(neo4j_db, settings):
    model = pytest.importorskip("followthemoney").model
    db = settings.neo4j_database
    assert ingest(neo4j_db, db, [OPENSANCTIONS]).ok
    out = io.StringIO()
    write_export(neo4j_db, ExportOptions(format="ftm", tlp="GREEN"), out, db)
    exported = [json.loads(line) for line in out.getvalue().splitlines()]
    for data in exported:  # every entity is valid FtM
        proxy = model.get_proxy(data, cleaned=False)
        for prop, value in proxy.itervalues():
            assert prop.type.clean(value) is not None, (data["id"], prop.name, value)
    by_referent = {r: e for e in exported for r in e.get("referents", [])}
    originals = [json.loads(line) for line in OPENSANCTIONS.read_text().splitlines()]
    compared = 0
    for original in originals:
        schema = original["schema"]
        if schema not in ROUND_TRIP:
            continue
        back = by_referent[original["id"]]
        expected_schema = "Company" if schema == "LegalEntity" else schema
        assert back["schema"] == expected_schema, original["id"]
        assert set(original.get("referents") or []) <= set(back["referents"])
        for field in ("first_seen", "last_seen"):
            if original.get(field):
                assert back[field] == original[field][:10]
        props, got = original["properties"], back["properties"]
        for name in ROUND_TRIP[schema]:
            assert sorted(props.get(name, [])) == sorted(got.get(name, [])), (original["id"], name)
            compared += bool(props.get(name))
        for name in LINKS.get(schema, ()):  # references come back as the ids they resolved to
            assert [by_referent[v]["id"] for v in props[name]] == got[name], (original["id"], name)
        if schema == "Person":  # citizenship is kept as a nationality
            wanted = props.get("nationality", []) + props.get("citizenship", [])
            assert sorted(got.get("nationality", [])) == sorted(wanted)
    assert compared >= 40
