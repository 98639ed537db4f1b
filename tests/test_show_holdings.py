"""Issue #16's first Show item, end to end through the CLI: `rightsgraph ingest reports/ <holdings
file> --fund "Government Pension Fund Global"` gives one Holding per (fund, company, as-of), the
documented case's holding and the file's row for GPFG → Hikvision 2019-12-31 as one node with
two evidence links, and one Source per document. Real pipeline, real Neo4j."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import DOCUMENTED
from neo4j import Driver
from typer.testing import CliRunner

from core.settings import Settings
from rightsgraph.cli import app as cli

REPORTS = DOCUMENTED.parent
FUND = "Government Pension Fund Global"
NBIM_2019 = Path("/work/shared/data/holdings/EQ_2019_Industry.xlsx")
# the header and sheet of NBIM's published yearly equity sheets (EQ_<year>_Industry.xlsx)
HEADER = (
    "Industry",
    "Region",
    "Country",
    "Name",
    "Market Value(NOK)",
    "Market Value(USD)",
    "Voting",
    "Ownership",
    "Incorporation Country",
)
ROWS = [
    ("Basic Materials", "Europe", "Spain", "Acerinox SA", 780869918, 88863464, 2.91, 2.91, "Spain"),
    ("Industrials", "Asia", "China", "Hangzhou Hikvision Digital Technology Co Ltd",
     1241058528, 141233203, 0.32, 0.32, "China"),
    ("Industrials", "Asia", "China", "Zhejiang Dahua Technology Co Ltd",
     324409005, 36918162, 0.48, 0.48, "China"),
]  # fmt: skip


def nbim_sheet(path: Path, rows: list[tuple]) -> Path:
    """A workbook shaped like NBIM's: one sheet "Holdings Report", the header, then rows."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Holdings Report"
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def ingest(*paths: Path) -> dict:
    result = CliRunner().invoke(cli, ["ingest", "--json", *map(str, paths), "--fund", FUND])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def one_holding_per_key(driver: Driver, db: str) -> None:
    rows, _, _ = driver.execute_query(
        "MATCH (h:Holding) OPTIONAL MATCH (f:Fund)-[:HOLDS]->(h) OPTIONAL MATCH (h)-[:IN]->(c) "
        "WITH f.id AS fund, c.id AS company, h.asOf AS asOf, collect(h.id) AS ids "
        "WHERE size(ids) > 1 OR fund IS NULL OR company IS NULL RETURN fund, company, asOf, ids",
        database_=db,
    )
    assert [r.data() for r in rows] == []


def one_source_per_document(driver: Driver, db: str) -> None:
    for key in ("s.url", "s.sha256", "[s.publisher, s.name, s.published]"):
        rows, _, _ = driver.execute_query(
            f"MATCH (s:Source) WITH {key} AS k, collect(s.id) AS ids "
            "WHERE k IS NOT NULL AND NOT (k IS :: LIST<ANY> AND any(x IN k WHERE x IS NULL)) "
            "AND size(ids) > 1 RETURN k, ids",
            database_=db,
        )
        assert [r.data() for r in rows] == [], key


def hikvision_2019_evidence(driver: Driver, db: str) -> list[dict]:
    rows, _, _ = driver.execute_query(
        "MATCH (:Fund {id: 'gpfg'})-[:HOLDS]->(h:Holding {asOf: '2019-12-31'})-[:IN]->"
        "(:Company {id: 'hikvision'}) MATCH (h)-[e:EVIDENCED_BY]->(s:Source) "
        "RETURN h.id AS holding, s.id AS source, s.sha256 AS sha256, e.locator AS locator "
        "ORDER BY source, locator",
        database_=db,
    )
    return [r.data() for r in rows]


def test_reports_and_a_small_nbim_sheet(neo4j_db: Driver, settings: Settings, tmp_path: Path):
    db = settings.neo4j_database
    sheet = nbim_sheet(tmp_path / "EQ_2019_Industry.xlsx", ROWS)
    ingest(REPORTS, sheet)
    one_holding_per_key(neo4j_db, db)
    one_source_per_document(neo4j_db, db)
    evidence = hikvision_2019_evidence(neo4j_db, db)
    assert {e["holding"] for e in evidence} == {"holding-gpfg-hikvision-2019-12-31"}
    # the documented case's source (the published sheet) and this file's own Source
    assert len(evidence) == 2 and len({e["source"] for e in evidence}) == 2
    assert "src-nbim-eq-2019" in {e["source"] for e in evidence}
    again = ingest(REPORTS, sheet)  # a re-run changes nothing
    assert not again["created"] and not again["updated"] and not again["removed"]


def test_reports_and_the_published_2019_sheet(neo4j_db: Driver, settings: Settings):
    if not NBIM_2019.is_file():
        pytest.skip(f"NBIM's published 2019 sheet is not at {NBIM_2019}")
    db = settings.neo4j_database
    ingest(REPORTS, NBIM_2019)
    one_holding_per_key(neo4j_db, db)
    one_source_per_document(neo4j_db, db)
    evidence = hikvision_2019_evidence(neo4j_db, db)
    assert {e["holding"] for e in evidence} == {"holding-gpfg-hikvision-2019-12-31"}
    # the documented case cites this very file (its sha256): one Source, two evidence links
    assert [e["source"] for e in evidence] == ["src-nbim-eq-2019", "src-nbim-eq-2019"]
    assert len({e["locator"] for e in evidence}) == 2
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (f:Fund {id: 'gpfg'})-[:HOLDS]->(h:Holding {asOf: '2019-12-31'}) "
        "RETURN count(h) AS n",
        database_=db,
    )
    assert rows[0]["n"] > 9000  # every row of the sheet, on the documented case's fund
