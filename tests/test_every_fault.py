"""Every fault of a file in one run (up to a cap, with the total), each with a way out; and
`--on-invalid quarantine`, which loads the valid records and sets the invalid ones aside."""

from __future__ import annotations

import json
from pathlib import Path

from adapter_helpers import DATA

from core.dump import canonical_dump
from ingest.errors import MORE_PROBLEMS
from ingest.pipeline import ingest_paths

REPORTS = Path(__file__).resolve().parent / "data" / "reports"
HEADER = "Fund,Name,ISIN,Market Value(NOK),Ownership,As Of\n"
GOOD = "Example Fund,Good Company {n} ASA,,{value},0.5,2020-06-30\n"


def test_a_report_with_three_faults_reports_all_three_in_one_run():
    result = ingest_paths([REPORTS / "three-faults.yaml"], None, dry_run=True)
    by_rule = {p.rule: p for p in result.problems}
    assert not result.ok
    assert "unknown property 'nmae' for Company (did you mean \"name\"?)" in (
        by_rule["unknown-property"].message
    )
    assert by_rule["dangling-reference"].record == "holding-three-faults"
    assert "'no-such-fund'" in by_rule["dangling-reference"].message
    harm = next(p for p in result.problems if p.record == "allegation-three-faults")
    assert 'did you mean "mass-surveillance"' in harm.message
    assert all(p.file.endswith("three-faults.yaml") and p.line for p in result.problems)
    assert len(result.problems) == 3, [str(p) for p in result.problems]


def test_the_problems_of_a_big_file_are_capped_with_their_total(tmp_path):
    path = tmp_path / "many-bad.csv"
    rows = "".join(f"Example Fund,Bad {n},,{n} apples,0.5,2020-06-30\n" for n in range(120))
    path.write_text(HEADER + rows)
    result = ingest_paths([path], None, dry_run=True)
    assert len(result.problems) == 51
    assert result.problems[-1].rule == MORE_PROBLEMS
    assert result.problems[-1].message.startswith("70 more")
    assert [p.line for p in result.problems[:3]] == [2, 3, 4]


def test_quarantine_loads_the_valid_rows_and_writes_each_invalid_one(tmp_path, neo4j_db, settings):
    database = settings.neo4j_database
    path = tmp_path / "bulk.csv"
    good = [GOOD.format(n=n, value=1000 + n) for n in range(9)]
    bad = [
        "Example Fund,Bad Isin Co,CNE100000PM9,1000,0.5,2020-06-30\n",  # check digit
        "Example Fund,Bad Value Co,,12 apples,0.5,2020-06-30\n",
        "Example Fund,Bad Share Co,,1000,250,2020-06-30\n",  # 250 %
    ]
    path.write_text(HEADER + "".join(good[:4] + bad[:1] + good[4:7] + bad[1:] + good[7:]))
    before = canonical_dump(neo4j_db, database)
    rejected = ingest_paths([path], neo4j_db, database=database)
    assert not rejected.ok and canonical_dump(neo4j_db, database) == before  # the default

    result = ingest_paths([path], neo4j_db, database=database, options={"on_invalid": "quarantine"})
    assert result.ok, [str(p) for p in result.problems]
    assert result.summary.created["Holding"] == 9
    assert result.quarantined == {str(path): 3}
    rejects = tmp_path / "bulk.rejects.jsonl"
    assert result.rejects_files == [str(rejects)]
    entries = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [(e["line"], e["rule"]) for e in entries] == [
        (6, "isin"),
        (10, "holdings-number"),
        (11, "holdings-percent"),
    ]
    assert all(e["message"] and e["record"] == f"row {e['line']}" for e in entries)
    names, _, _ = neo4j_db.execute_query(
        "MATCH (c:Company) WHERE c.name STARTS WITH 'Bad' RETURN c.name AS name",
        database_=database,
    )
    assert names == []  # never half a row: the bad rows' companies are not loaded either


def test_quarantine_sets_aside_records_the_shapes_refuse(tmp_path):
    result = ingest_paths(
        [REPORTS / "three-faults.yaml"],
        None,
        dry_run=True,
        options={"on_invalid": "quarantine"},
    )
    assert result.ok
    assert result.quarantined == {str(REPORTS / "three-faults.yaml"): 3}
    assert result.summary.created["Company"] == 1 and "Holding" not in result.summary.created


def test_an_unknown_column_in_a_misspelt_table_is_named_without_format():
    result = ingest_paths([DATA / "holdings_misspelt_header.csv"], None, dry_run=True)
    assert """'Compnay' (did you mean "Company"?)""" in result.problems[0].message


def test_offline_validation_says_what_needs_the_graph_and_fails_only_on_errors():
    from typer.testing import CliRunner

    from rightsgraph.cli import app

    dangling = Path(__file__).resolve().parent / "data" / "bad" / "dangling-reference.yaml"
    run = CliRunner().invoke(app, ["ontology", "validate", str(dangling)])
    assert run.exit_code == 0, run.output
    assert "needs the graph" in run.output and "no-such-fund" in run.output
    run = CliRunner().invoke(app, ["ontology", "validate", str(REPORTS / "three-faults.yaml")])
    assert run.exit_code == 1
    assert "needs the graph" in run.output and "[rule unknown-property]" in run.output
