"""One company reached from a holdings row, an OCDS supplier and a case report is one node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from adapter_helpers import DATA, ingest
from typer.testing import CliRunner

from ontology.statements import decode, project
from ontology.types.sharing import levels_up_to
from rightsgraph.cli import app

SEED = Path(__file__).resolve().parent.parent / "reports" / "seed-open-letter.yaml"
HOLDINGS = DATA / "GPFG_EQ_2019_Industry.csv"
OCDS = DATA / "ocds_hikvision.json"


@pytest.mark.parametrize(
    "order", [(SEED, HOLDINGS, OCDS), (HOLDINGS, OCDS, SEED)], ids=["report-first", "report-last"]
)
def test_holdings_ocds_and_report_company_become_one_node_with_all_sources(
    neo4j_db, settings, order
):
    db = settings.neo4j_database
    for path in order:
        result = ingest(neo4j_db, db, [path])
        assert result.ok, result.problems
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (c:Company) "
        "WHERE any(n IN [c.name] + coalesce(c.aliases, []) WHERE toLower(n) CONTAINS 'hikvision') "
        "RETURN c.id AS id, c.statements AS statements, c.reportIds AS stored, "
        "[(c)-[:SUPPLIER_OF]->(k:Contract) | k.name] AS contracts, "
        "[(h:Holding)-[:IN]->(c) | h.asOf] AS holdings",
        database_=db,
    )
    if order[-1] == SEED:  # a CLEAR record never merges onto a node above its level (GREEN)
        assert sorted(r["id"] for r in rows) == [
            "company-hangzhou-hikvision-digital-technology",
            "hikvision",
        ]
        (proposal,) = [p for p in result.proposals if p.record == "hikvision"]
        assert proposal.candidate == "company-hangzhou-hikvision-digital-technology"
        assert proposal.features["above_level"] == "GREEN" and proposal.tlp == "GREEN"
        return
    assert len(rows) == 1, [r["id"] for r in rows]
    (company,) = rows
    # the imports are GREEN (no level named), the report CLEAR: the stored, CLEAR projection
    # shows the report only; a GREEN caller sees every source (docs/architecture.md, Statements)
    assert company["stored"] == ["report-seed-open-letter"]
    green = project(decode(company["statements"]), levels_up_to("GREEN"))
    company = {**company, "reports": green.report_ids, "sources": green.source_ids}
    assert {
        "report-seed-open-letter",
        "report-holdings-gpfg-eq-2019-industry-csv",
        "report-ocds-ocds-hikvision-json",
    } <= set(company["reports"])
    sources = set(company["sources"])
    assert "src-scandasia-2020-ngos-divest" in sources
    assert any(s.startswith("src-sha256-") for s in sources)
    assert "src-url-https-example-org-ocds-pishan-2017-json" in sources
    assert "Pishan social surveillance and control system PPP contract" in company["contracts"]
    assert company["holdings"] == ["2019-12-31"]
    funds, _, _ = neo4j_db.execute_query("MATCH (f:Fund) RETURN count(f) AS n", database_=db)
    assert funds[0]["n"] == 1  # the file-name fund resolved to the report's fund


def test_uncertain_match_is_a_proposal_in_the_result_and_the_review_file(
    neo4j_db, settings, tmp_path
):
    db = settings.neo4j_database
    assert ingest(neo4j_db, db, [SEED]).ok
    typo = tmp_path / "holdings.csv"
    typo.write_text(
        "fund,company,as_of,value,currency\n"
        "GPFG,Hangzhou Hikvison Digitel Technology,2019-12-31,1,NOK\n"
    )
    result = ingest(neo4j_db, db, [typo])
    assert result.ok, result.problems
    (proposal,) = [p for p in result.proposals if p.type == "Company"]
    assert (
        proposal.candidate == "hikvision"
        and proposal.record == "company-hangzhou-hikvison-digitel-technology"
    )
    other = tmp_path / "holdings-2.csv"  # a new spelling: the first one is in the graph now
    other.write_text(typo.read_text().replace("Hikvison Digitel", "Hikvisoin Digital Tech"))
    review = tmp_path / "proposals.jsonl"
    run = CliRunner().invoke(app, ["ingest", str(other), "--proposals", str(review)])
    assert run.exit_code == 0, run.output
    written = [json.loads(line) for line in review.read_text().splitlines()]
    # the closest look-alike: the seed's company or the first misspelling, now in the graph
    assert [p["type"] for p in written] == ["Company"]
    assert written[0]["candidate"] in {"hikvision", proposal.record}, written
    assert "rightsgraph review" in run.output or "proposals" in run.output
