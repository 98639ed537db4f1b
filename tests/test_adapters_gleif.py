"""GLEIF's files as GLEIF publishes them: the golden-copy CSV, LEI-CDF XML, the ISIN-to-LEI map;
and a holdings row, an OCDS supplier, an FtM entity and a GLEIF record meeting on one node."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from adapter_helpers import DATA, ingest, of_type, read_all

from ingest.adapters import adapter_for
from ingest.errors import IngestError
from ingest.source_gleif import ATTACH_LABEL

GLEIF = DATA / "gleif"
GOLDEN_CSV = GLEIF / "20250630-0800-gleif-goldencopy-lei2-golden-copy.csv"
GOLDEN_XML = GLEIF / "20250630-0800-gleif-goldencopy-lei2-golden-copy.xml"
ISIN_MAP = GLEIF / "isin_lei_20250630.csv"
HIK = "300300C1032800ZJ4Y49"
APPLE = "HWUPKR0MPOU8FGXBT394"
FUND = "5493004GLZ8R1K3BUQ94"
UNKNOWN = "2138007Q1XWB6TRM5N29"


def _without_evidence(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "evidence"}


def test_golden_copy_csv_maps_names_addresses_registration_and_status():
    batches, records = read_all(GOLDEN_CSV)
    hik = records[f"lei-{HIK}"]
    assert hik["type"] == "Company" and hik["lei"] == HIK
    assert hik["name"] == hik["legalName"] == "杭州海康威视数字技术股份有限公司"
    assert hik["alias"] == [
        "Hangzhou Hikvision Digital Technology Co., Ltd.",
        "HANGZHOU HAIKANG WEISHI SHUZI JISHU GUFEN YOUXIAN GONGSI",
    ]
    assert hik["country"] == "CN" and hik["headquarters"] == "iso-cn-zj"
    assert hik["registrationNumber"] == ["91330000733796106P"]
    assert hik["identifier"] == ["RA000120:91330000733796106P"]
    assert hik["legalForm"] == "股份有限公司"  # ELF 8888: the form as written
    assert hik["entityStatus"] == "ACTIVE" and hik["leiStatus"] == "LAPSED"
    assert hik["incorporationDate"] == "2001-11-30"
    apple = records[f"lei-{APPLE}"]
    assert apple["country"] == "US" and apple["legalForm"] == "H1UM"  # US-CA → US
    assert apple["address"][0] == (
        "C/O C T Corporation System, 330 N Brand Blvd, Suite 700, Glendale, US-CA, 91203, US"
    )
    assert records[f"lei-{FUND}"]["type"] == "Fund"  # EntityCategory FUND
    assert records["iso-cn-zj"]["partOf"] == "iso-cn"
    assert hik["evidence"][0]["locator"] == f"row 2, LEI {HIK}"
    (source,) = of_type(records, "Source")  # the content date is in GLEIF's file name
    assert source["published"] == "2025-06-30" and source["publisher"] == "GLEIF"
    skipped = batches[-1].unsupported
    assert skipped["GLEIF field Registration.ManagingLOU"] == 3
    assert skipped["GLEIF field Entity.AssociatedEntity.AssociatedLEI"] == 1


def test_lei_cdf_xml_maps_like_the_golden_copy_csv():
    _, from_csv = read_all(GOLDEN_CSV)
    batches, from_xml = read_all(GOLDEN_XML)
    for lei in (HIK, APPLE):
        assert _without_evidence(from_xml[f"lei-{lei}"]) == _without_evidence(
            from_csv[f"lei-{lei}"]
        )
    (source,) = of_type(from_xml, "Source")
    assert source["published"] == "2025-06-30" and source["publisher"] == "GLEIF"
    assert batches[-1].unsupported["GLEIF field Extension.Geocoding.relevance"] == 1


@pytest.mark.parametrize("name", ["lei-records.txt", "golden.dat", "download"])
def test_gleif_files_are_told_by_their_content(tmp_path, name):
    for original in (GOLDEN_CSV, GOLDEN_XML, ISIN_MAP):
        copy = tmp_path / original.suffix.lstrip(".") / name
        copy.parent.mkdir(exist_ok=True)
        shutil.copy(original, copy)
        assert adapter_for(copy).name == "gleif", original.name


def test_bad_leis_and_isins_are_every_reported_with_their_rows(tmp_path):
    path = tmp_path / "isin_lei.csv"
    path.write_text(
        f"LEI,ISIN\n{APPLE},US0378331005\n{APPLE[:-1]}5,US0378331005\n{HIK},CNE100000PM9\n"
    )
    with pytest.raises(IngestError) as exc:
        read_all(path)
    assert [(p.record, p.rule, p.line) for p in exc.value.problems] == [
        ("row 3", "gleif-lei", 3),
        ("row 4", "gleif-isin", 4),
    ]


def test_entity_declarations_in_an_lei_cdf_file_are_refused(tmp_path):
    path = tmp_path / "lei.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE lei:LEIData [<!ENTITY a "aaaaaaaaaa">]>\n'
        '<lei:LEIData xmlns:lei="http://www.gleif.org/data/schema/leidata/2016">'
        "<lei:LEIRecords><lei:LEIRecord><lei:LEI>&a;</lei:LEI></lei:LEIRecord></lei:LEIRecords>"
        "</lei:LEIData>\n"
    )
    with pytest.raises(IngestError) as exc:
        read_all(path, "gleif")
    assert exc.value.problems[0].rule == "xml-forbidden"


def test_the_isin_map_adds_isins_only_to_organisations_known_by_their_lei(neo4j_db, settings):
    db = settings.neo4j_database
    result = ingest(neo4j_db, db, [GOLDEN_CSV, ISIN_MAP])
    assert result.ok, [str(p) for p in result.problems]
    # an LEI nobody has, and a fund's LEI (a fund issues no shares here): counted, not created
    assert result.unsupported[ATTACH_LABEL] == 2
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (c:Organization) WHERE c.lei IS NOT NULL "
        "RETURN c.lei AS lei, c.name AS name, c.isins AS isins, labels(c) AS labels ORDER BY lei",
        database_=db,
    )
    found = {r["lei"]: r for r in rows}
    assert set(found) == {HIK, APPLE, FUND}
    assert found[APPLE]["isins"] == ["US0378331005"] and found[APPLE]["name"] == "Apple Inc."
    assert found[HIK]["isins"] == ["CNE100000PM8"]
    assert found[FUND]["isins"] is None and "Fund" in found[FUND]["labels"]
    again = ingest(neo4j_db, db, [ISIN_MAP])  # the same map again changes nothing
    assert again.ok and not again.summary.created and not again.summary.updated


def _holdings(tmp_path: Path) -> Path:
    path = tmp_path / "fund_holdings_2024.csv"
    path.write_text(
        "Fund,Security Name,ISIN,Market Value,Currency,As Of\n"
        "Example Fund,HIKVISION DIGITAL TECH-A,CNE100000PM8,12 mill,NOK,2024-12-31\n"
        "Example Fund,APPLE INC,US0378331005,1.2 milliarder,NOK,2024-12-31\n"
    )
    return path


def _ftm(tmp_path: Path) -> Path:
    path = tmp_path / "entities.ftm.json"
    entities = [
        {
            "id": "NK-hik-entity-list",
            "caption": "Hikvision",
            "schema": "Company",
            "properties": {"name": ["Hikvision"], "leiCode": [HIK], "topics": ["export.control"]},
            "datasets": ["us_bis_entity_list"],
            "referents": [],
            "first_seen": "2019-10-09T00:00:00",
            "last_seen": "2025-06-30T00:00:00",
            "target": True,
        },
        {
            "id": "NK-hik-address",
            "schema": "Address",
            "properties": {"full": ["Hangzhou, China"], "country": ["cn"]},
        },
    ]
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entities))
    return path


def _ocds(tmp_path: Path) -> Path:
    path = tmp_path / "release-package.json"
    supplier = {
        "id": "CN-USCC-91330000733796106P",
        "name": "海康威视",
        "roles": ["supplier"],
        "identifier": {"scheme": "CN-USCC", "id": "91330000733796106P"},
        "additionalIdentifiers": [{"scheme": "XI-LEI", "id": HIK}],
    }
    release = {
        "ocid": "ocds-abc123-000-00001",
        "id": "ocds-abc123-000-00001-01-award",
        "date": "2021-03-01T00:00:00Z",
        "tag": ["award"],
        "parties": [
            {"id": "buyer", "name": "Example City Police", "roles": ["buyer"]},
            supplier,
        ],
        "buyer": {"id": "buyer", "name": "Example City Police"},
        "awards": [
            {
                "id": "1",
                "title": "Video surveillance cameras",
                "suppliers": [{"id": supplier["id"], "name": supplier["name"]}],
                "value": {"amount": 1000000, "currency": "EUR"},
            }
        ],
    }
    package = {
        "uri": "https://example.org/ocds/release-package.json",
        "version": "1.1",
        "publishedDate": "2021-03-02T00:00:00Z",
        "publisher": {"name": "Example Procurement Portal"},
        "releases": [release],
    }
    path.write_text(json.dumps(package, ensure_ascii=False))
    return path


def test_holdings_ocds_ftm_and_gleif_meet_on_one_node_by_lei_and_isin(tmp_path, neo4j_db, settings):
    db = settings.neo4j_database
    files = [GOLDEN_CSV, ISIN_MAP, _holdings(tmp_path), _ocds(tmp_path), _ftm(tmp_path)]
    result = ingest(neo4j_db, db, files)
    assert result.ok, [str(p) for p in result.problems]
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (c:Company) WHERE c.lei = $lei OR $isin IN coalesce(c.isins, []) "
        "OR any(i IN coalesce(c.identifiers, []) WHERE i = 'ftm:NK-hik-entity-list') "
        "RETURN c.id AS id, c.name AS name, c.legalName AS legal, c.aliases AS aliases, "
        "c.isins AS isins, c.identifiers AS ids, c.topics AS topics, c.leiStatus AS status, "
        "[(:Holding)-[:IN]->(c) | 1] AS holdings, [(c)-[:SUPPLIER_OF]->(k) | k.name] AS contracts",
        lei=HIK,
        isin="CNE100000PM8",
        database_=db,
    )
    assert len(rows) == 1, [r["id"] for r in rows]
    (hik,) = rows
    assert hik["id"] == f"lei-{HIK}" and hik["legal"] == "杭州海康威视数字技术股份有限公司"
    assert hik["isins"] == ["CNE100000PM8"] and hik["status"] == "LAPSED"
    # the holdings and FtM names, resolved onto the node, are aliases; the OCDS supplier, whose
    # id is the LEI's own, states its name beside GLEIF's (the newer source is shown)
    assert hik["name"] == hik["legal"]
    assert {"HIKVISION DIGITAL TECH-A", "Hikvision"} <= set(hik["aliases"])
    assert "ftm:NK-hik-entity-list" in hik["ids"] and hik["topics"] == ["export.control"]
    assert len(hik["holdings"]) == 1 and hik["contracts"] == ["Video surveillance cameras"]
    apple, _, _ = neo4j_db.execute_query(
        "MATCH (h:Holding)-[:IN]->(c:Company {lei: $lei}) RETURN c.id AS id, h.marketValue AS v",
        lei=APPLE,
        database_=db,
    )
    assert [(r["id"], r["v"]) for r in apple] == [(f"lei-{APPLE}", 1200000000)]
