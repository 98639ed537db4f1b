"""`rightsgraph erase ID`: a person's personal values leave the graph, its search text and keys,
every export, and stay gone when the report that stated them is ingested again; the audit log
says who erased what and why, never the values."""

from __future__ import annotations

from pathlib import Path

import pytest
from graph_fixture import load_reports
from helpers import SEED
from neo4j import Driver
from security_helpers import audit_entries
from typer.testing import CliRunner

from core.dump import canonical_dump
from core.settings import Settings
from ingest.erasure import ERASURE_LABEL, personal_properties
from ingest.pipeline import ingest_paths
from rightsgraph.cli import app as cli

PERSON = "erase-person-witness"
SECRETS = ("XE-4471-9920", "Ana Erasable-Secret", "born 1971 in Tromso", "lives at Erasegate 7")
REPORT = f"""
id: erase-report
type: Report
name: A report naming a witness
reviewStatus: reviewed
tlp: RED
"@graph":
  - id: erase-src
    type: Source
    name: Witness interview
    url: https://example.org/erase/interview
    sourceType: statement
  - id: {PERSON}
    type: Person
    name: Erasable Witness
    alias: ["{SECRETS[1]}"]
    identifier: ["passport:{SECRETS[0]}"]
    description: "{SECRETS[2]}"
    note: "{SECRETS[3]}"
    country: "NO"
    evidence:
      - source: erase-src
        quote: "The witness spoke to us"
"""


@pytest.fixture(scope="module")
def graph(driver: Driver, settings: Settings) -> Driver:
    load_reports(driver, settings.neo4j_database, [SEED])
    return driver


def node(graph: Driver, settings: Settings) -> dict:
    rows, _, _ = graph.execute_query(
        "MATCH (n:Node {id: $id}) RETURN properties(n) AS p", id=PERSON,
        database_=settings.neo4j_database,
    )  # fmt: skip
    return rows[0]["p"]


def test_erase_removes_personal_values_for_good_and_is_audited(
    graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    before = canonical_dump(graph, settings.neo4j_database)
    report = tmp_path / "witness.yaml"
    report.write_text(REPORT, encoding="utf-8")
    result = ingest_paths([report], graph, database=settings.neo4j_database)
    assert result.ok, [str(p) for p in result.problems]
    stored = str(node(graph, settings))
    assert all(s in stored for s in SECRETS[:1]) and "passport" in stored
    try:
        runner = CliRunner()
        done = runner.invoke(
            cli, ["erase", PERSON, "--reason", "GDPR art. 17 request", "--by", "desk"]
        )
        assert done.exit_code == 0, done.output
        assert "identifier" in done.stdout and "description" in done.stdout
        props = node(graph, settings)
        assert props["name"] == "Erasable Witness" and props["tlp"] == "RED"
        for name, stored_as in personal_properties().items():
            assert stored_as not in props, name
        assert not any(s in str(props) for s in SECRETS), props  # search text, keys included
        exported = runner.invoke(cli, ["export", "--format", "ntriples", "--tlp", "RED"])
        assert exported.exit_code == 0 and PERSON in exported.stdout
        assert not any(s in exported.stdout for s in SECRETS)
        entry = [e for e in audit_entries(settings, 20) if e.endpoint == "erase"][-1]
        assert entry.outcome == "ok" and PERSON in entry.what and "GDPR" in (entry.reason or "")
        assert "desk" in entry.caller and not any(s in str(entry) for s in SECRETS)

        again = ingest_paths([report], graph, database=settings.neo4j_database)  # re-ingested
        assert again.ok
        assert not any(s in str(node(graph, settings)) for s in SECRETS)

        missing = runner.invoke(cli, ["erase", "no-such-person", "--reason", "x"])
        assert missing.exit_code == 2 and "no person" in missing.output
    finally:
        graph.execute_query(
            "MATCH (n) WHERE n.id STARTS WITH 'erase-' OR "
            f"(n:{ERASURE_LABEL} AND n.rgsystemId = $id) DETACH DELETE n",
            id=PERSON,
            database_=settings.neo4j_database,
        )
    assert canonical_dump(graph, settings.neo4j_database) == before


def test_erase_strips_every_statement_of_the_erased_properties() -> None:
    """The statement history (one JSON text per node: one item per report, values under "v")
    keeps no statement of an erased property, live or retracted; the rest stays."""
    import json

    from ingest.erasure import _strip_statements

    history = [
        {"r": "r1", "l": "RED", "v": {"name": "W", "identifiers": ["passport:X1"], "note": "n"}},
        {"r": "r2", "l": "RED", "x": "2026-01-01", "v": {"identifiers": ["passport:X0"]}},
        {"r": "r3", "l": "RED", "v": {}},
    ]
    kept = json.loads(_strip_statements(json.dumps(history), {"identifiers", "note"}) or "[]")
    assert [item["v"] for item in kept] == [{"name": "W"}, {}, {}]
    assert [item["r"] for item in kept] == ["r1", "r2", "r3"]
