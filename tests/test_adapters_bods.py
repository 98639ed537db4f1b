"""BODS 0.2–0.4: entity, person and ownership-or-control statements → ownerships."""

from __future__ import annotations

from decimal import Decimal

from adapter_helpers import DATA, ingest, read_all, shared_sample

from core.dump import canonical_dump


def test_bods_03_statements_give_ownerships_per_interest():
    batches, records = read_all(DATA / "bods_03.json")
    company = records["lei-3003008GT5N5ZQ1L7K68"]
    assert company["type"] == "Company" and company["country"] == "GB"
    assert {"GB-COH:00000123", "bods:entity-1"} <= set(company["identifier"])
    person = records["bods-person-1"]
    assert (
        person["type"] == "Person"
        and person["name"] == "Jane Example"
        and person["alias"] == ["J. Example"]
    )
    first, second = records["bods-oocs-1-1"], records["bods-oocs-1-2"]
    assert (first["owner"], first["owned"]) == ("bods-person-1", "lei-3003008GT5N5ZQ1L7K68")
    assert (first["shareMin"], first["shareMax"], first["direct"]) == (
        Decimal("0.25"),
        Decimal("0.5"),
        True,
    )
    assert first["interestType"] == ["shareholding"] and first["startDate"] == "2019-01-01"
    assert (second["share"], second["direct"], second["interestType"]) == (
        Decimal("0.4"),
        False,
        ["votingRights"],
    )
    assert records["src-url-https-register-example-org-companies-123"]["sourceType"] == "register"
    assert "bods-entity-old" not in records and records["bods-entity-new"]["name"] == "New Name Ltd"
    assert batches[-1].unsupported == {
        "BODS relationships whose subject or interested party is unspecified or absent": 1,
        "BODS statements replaced by later ones": 1,
        "BODS statements of type 'annotationStatement'": 1,
    }


def test_share_out_of_range_is_rejected_with_statement_and_reason(neo4j_db, settings):
    before = canonical_dump(neo4j_db, settings.neo4j_database)
    result = ingest(neo4j_db, settings.neo4j_database, [DATA / "bods_bad.json"])
    assert [(p.record, p.rule) for p in result.problems] == [("statement rel1", "bods-share")]
    assert canonical_dump(neo4j_db, settings.neo4j_database) == before


def test_shared_bods_04_package(neo4j_db, settings):
    path = shared_sample("bods", "bods-package-fi-soe.json")
    db = settings.neo4j_database
    result = ingest(neo4j_db, db, [path])
    assert result.ok, result.problems
    assert result.unsupported == {
        "BODS relationships whose subject is not a company (e.g. a state body)": 1
    }
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (o:Actor)-[:OWNS]->(w:Ownership)-[:OWNERSHIP_OF]->(:Company {name: $name}) "
        "RETURN o.name AS owner, w.share AS share, w.direct AS direct ORDER BY owner, share",
        name="Gasgrid Finland Oy",
        database_=db,
    )
    assert [tuple(r.values()) for r in rows] == [
        ("Suomen Kaasuverkko Oy", 0.765, True),
        ("Suomen tasavalta", 1, False),
        ("Valtiovarainministerio", 0.235, True),
    ]
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (s:Source)<-[:EVIDENCED_BY]-(:Ownership) "
        "RETURN DISTINCT s.publisher AS p, s.published AS d",
        database_=db,
    )
    assert [tuple(r.values()) for r in rows] == [("X Register", "2022-04-01")]


def test_bods_04_json_lines_records_and_a_later_statement_of_the_same_record():
    """BODS 0.4 as registers publish it: `recordType` / `recordDetails`, records referred to by
    `recordId`, one statement a line; a later statement of a record supersedes the earlier."""
    batches, records = read_all(DATA / "bods_04.jsonl")
    company = records["lei-3003008GT5N5ZQ1L7K68"]  # XI-LEI → the LEI and its id
    assert company["type"] == "Company" and company["country"] == "GB"
    assert "GB-COH:00000123" in company["identifier"]
    person = records["bods-per-1"]
    assert person["name"] == "Jane Example" and person["alias"] == ["J. Example"]
    (ownership,) = [r for r in records.values() if r["type"] == "Ownership"]
    assert (ownership["owner"], ownership["owned"]) == ("bods-per-1", company["id"])
    assert ownership["share"] == Decimal("0.75") and ownership["direct"] is True  # the update
    assert ownership["date"] == "2024-06-30" and "bods-record:rel-1" in ownership["identifier"]
    (file_source,) = [r for r in records.values() if r.get("sha256")]
    assert (
        file_source["publisher"] == "Example Register" and file_source["published"] == "2024-05-01"
    )
    assert batches[-1].unsupported == {
        "BODS statements superseded by a later statement of the same record": 1
    }
