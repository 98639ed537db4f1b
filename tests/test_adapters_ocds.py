"""OCDS: release packages, record packages and JSON lines of releases → contracts and regions."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from adapter_helpers import DATA, ingest, of_type, read_all, shared_sample

from core.dump import canonical_dump
from ingest.pipeline import ingest_paths


def test_award_with_contract_becomes_one_contract_with_buyer_supplier_and_regions():
    batches, records = read_all(DATA / "ocds_hikvision.json")
    (contract,) = of_type(records, "Contract")
    assert contract["name"] == "Pishan social surveillance and control system PPP contract"
    assert contract["amount"] == Decimal("53000000") and contract["currency"] == "USD"
    assert (contract["date"], contract["startDate"], contract["endDate"]) == (
        "2017-06-01",
        "2017-06-01",
        "2020-12-31",
    )
    assert contract["contractStatus"] == "active" and contract["item"] == [
        "Facial recognition cameras"
    ]
    assert "ocid:ocds-xj0001-pishan-2017" in contract["identifier"]
    assert "ocds-release:ocds-xj0001-pishan-2017-award" in contract["identifier"]
    buyer = records[contract["buyer"]]
    assert buyer["type"] == "GovernmentBody" and buyer["headquarters"] == "iso-cn-xj"
    (supplier,) = [records[s] for s in contract["supplier"]]
    assert supplier["name"] == "Hikvision" and supplier["identifier"] == [
        "CN-USCC:91330000733796106P"
    ]
    assert supplier["alias"] == ["Hangzhou Hikvision Digital Technology Co., Ltd."]
    assert set(contract["performedIn"]) == {"geonames-1280849", "iso-cn-xj"}
    assert (
        records["geonames-1280849"]["partOf"] == "iso-cn-xj"
        and records["iso-cn-xj"]["partOf"] == "iso-cn"
    )
    (source,) = of_type(records, "Source")
    assert source["url"] == "https://example.org/ocds/pishan-2017.json"
    assert (
        source["publisher"] == "Example Procurement Observatory"
        and source["published"] == "2018-03-01"
    )
    assert batches[-1].unsupported == {
        "OCDS release field 'bids'": 1,
        "OCDS planning sections": 1,
        "OCDS party role 'payer'": 1,
        "OCDS documents": 1,
        "OCDS awards without suppliers": 1,
    }


def test_json_lines_releases_of_one_process_compile_newest_last():
    batches, records = read_all(DATA / "ocds_releases.jsonl")
    (contract,) = of_type(records, "Contract")
    assert contract["contractStatus"] == "active"  # rel-2 updated the award
    assert contract["amount"] == Decimal("1000.50") and contract["currency"] == "EUR"
    assert {"ocds-release:rel-1", "ocds-release:rel-2"} <= set(contract["identifier"])
    assert records[contract["supplier"][0]]["lei"] == "529900HIKVISION00036"
    assert batches[-1].unsupported == {"OCDS planning sections": 1}


def test_record_package_uses_the_compiled_release():
    batches, records = read_all(DATA / "ocds_records.json")
    (contract,) = of_type(records, "Contract")
    assert records[contract["buyer"]]["name"] == "Ministry of Examples"  # procuringEntity stands in
    assert records[contract["supplier"][0]]["name"] == "Zhejiang Dahua Technology Co., Ltd."
    assert batches[-1].unsupported[LINKED_NOT_GIVEN] == 1


LINKED_NOT_GIVEN = "OCDS linked releases not in the files given (never fetched)"


def _linked_record_package(tmp_path: Path) -> tuple[Path, Path]:
    """A record package whose record only links its releases, and the release package they
    are in (as publishers split them: the records file and one file of releases)."""
    ocid = "ocds-ex0003-42"
    buyer = {"id": "g", "name": "Ministry of Examples", "roles": ["buyer"]}
    supplier = {"id": "s", "name": "Zhejiang Dahua Technology Co., Ltd.", "roles": ["supplier"]}
    tender = {
        "ocid": ocid,
        "id": f"{ocid}-01",
        "date": "2022-01-01T00:00:00Z",
        "tag": ["tender"],
        "parties": [buyer],
        "buyer": {"id": "g"},
        "tender": {"id": "t", "title": "Cameras"},
    }
    award = {
        "ocid": ocid,
        "id": f"{ocid}-02",
        "date": "2022-03-01T00:00:00Z",
        "tag": ["award"],
        "parties": [buyer, supplier],
        "awards": [
            {
                "id": "a1",
                "title": "Cameras for the city",
                "suppliers": [{"id": "s"}],
                "value": {"amount": 100, "currency": "CNY"},
            }
        ],
    }
    other = {
        "ocid": "ocds-ex0003-99",
        "id": "ocds-ex0003-99-01",
        "date": "2022-01-01",
        "tag": ["tender"],
        "parties": [buyer],
    }
    releases = tmp_path / "releases-2022.json"
    releases.write_text(
        json.dumps(
            {
                "uri": "https://example.org/ocds/releases-2022.json",
                "version": "1.1",
                "publishedDate": "2022-04-01T00:00:00Z",
                "publisher": {"name": "Example Registry"},
                "releases": [tender, award, other],
            }
        )
    )
    records = tmp_path / "records-2022.json"
    records.write_text(
        json.dumps(
            {
                "uri": "https://example.org/ocds/records-2022.json",
                "version": "1.1",
                "publishedDate": "2022-04-01T00:00:00Z",
                "publisher": {"name": "Example Registry"},
                "records": [
                    {
                        "ocid": ocid,
                        "releases": [
                            {
                                "url": f"https://example.org/ocds/releases-2022.json#{ocid}-01",
                                "date": "2022-01-01T00:00:00Z",
                                "tag": ["tender"],
                            },
                            {
                                "url": f"https://example.org/ocds/releases-2022.json#{ocid}-02",
                                "date": "2022-03-01T00:00:00Z",
                                "tag": ["award"],
                            },
                        ],
                    }
                ],
            }
        )
    )
    return records, releases


def test_linked_releases_are_compiled_from_the_files_given_alongside(tmp_path):
    records_file, releases_file = _linked_record_package(tmp_path)
    batches, records = read_all(records_file, alongside=[records_file, releases_file])
    (contract,) = of_type(records, "Contract")
    assert contract["id"] == "contract-ocds-ex0003-42:a1"
    assert contract["name"] == "Cameras for the city" and contract["amount"] == 100
    assert records[contract["buyer"]]["name"] == "Ministry of Examples"
    assert {"ocds-release:ocds-ex0003-42-01", "ocds-release:ocds-ex0003-42-02"} <= set(
        contract["identifier"]
    )
    assert LINKED_NOT_GIVEN not in batches[-1].unsupported
    # alone, nothing is fetched: the links are counted and the record has nothing to map
    batches, records = read_all(records_file)
    assert not of_type(records, "Contract")
    assert batches[-1].unsupported[LINKED_NOT_GIVEN] == 2


def test_an_ingest_passes_its_other_files_as_the_place_of_linked_releases(tmp_path):
    records_file, releases_file = _linked_record_package(tmp_path)
    result = ingest_paths([records_file, releases_file], None)
    assert result.ok, [str(p) for p in result.problems]
    assert LINKED_NOT_GIVEN not in result.unsupported
    assert result.summary.created["Contract"] == 2  # one per file: the same contract id


def test_malformed_package_is_rejected_naming_release_and_reason(neo4j_db, settings):
    before = canonical_dump(neo4j_db, settings.neo4j_database)
    result = ingest(neo4j_db, settings.neo4j_database, [DATA / "ocds_bad.json"])
    reasons = {(p.record, p.rule) for p in result.problems}
    assert ("release no-ocid-release", "ocds-release") in reasons
    assert ("ocid ocds-bad-1, award a", "ocds-value") in reasons
    assert canonical_dump(neo4j_db, settings.neo4j_database) == before


def test_shared_sample_release_package_loads_and_reingests_unchanged(neo4j_db, settings):
    path = shared_sample("ocds", "ocds-213czf-000-00001.json")
    db = settings.neo4j_database
    result = ingest(neo4j_db, db, [path])
    assert result.ok, result.problems
    assert result.unsupported["OCDS planning sections"] == 1
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (s:Company)-[:SUPPLIER_OF]->(c:Contract)-[:AWARDED_BY]->(b:GovernmentBody) "
        "RETURN s.name AS s, c.amount AS amount, c.currency AS cur, "
        "c.contractStatus AS status, b.name AS b",
        database_=db,
    )
    assert [dict(r) for r in rows] == [
        {
            "s": "AnyCorp Cycle Provision",
            "amount": 11000000,
            "cur": "GBP",
            "status": "active",
            "b": "London Borough of Barnet",
        }
    ]
    assert ingest(neo4j_db, db, [path]).summary.changes == 0
