"""`rightsgraph cypher` driven through a pseudo-terminal (pexpect) as a person would use it, and
`rightsgraph query NAME` with its table, JSON and CSV output, over the seed and documented cases
in the test Neo4j."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from graph_fixture import load_reports
from helpers import DOCUMENTED, SEED, cli_env
from neo4j import Driver

import queries
from core.settings import Settings

pexpect = pytest.importorskip("pexpect")
TIMEOUT = 120  # a loaded 2-core machine: the first query plans slowly
PROMPT = "neo4j@neo4j> "
GPFG = "Government Pension Fund Global"


@pytest.fixture(scope="module")
def graph(driver: Driver, settings: Settings) -> Driver:
    load_reports(driver, settings.neo4j_database, [SEED, DOCUMENTED])
    return driver


def spawn(settings: Settings, history: Path, *args: str):
    child = pexpect.spawn(
        sys.executable,
        ["-m", "rightsgraph.cli", "cypher", "--history", str(history), *args],
        env=cli_env(settings),
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(50, 200),
    )
    child.expect_exact("Connected to")
    child.expect_exact(PROMPT)
    return child


def test_console_query_param_multiline_history_and_read_only(
    graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    history = tmp_path / "history"
    child = spawn(settings, history)
    child.sendline("MATCH (f:Fund {id: 'gpfg'}) RETURN f.name AS name;")
    child.expect_exact(GPFG)
    child.expect(r"1 row \(\d+ ms\)")
    child.expect_exact(PROMPT)

    # :param takes any Cypher expression, evaluated by Neo4j, as cypher-shell does
    child.sendline(":param fund => 'gp' + 'fg'")
    child.expect_exact(':param fund => "gpfg"')
    child.sendline(":param as_of => date('2019-12-31')")
    child.expect_exact(':param as_of => "2019-12-31"')
    child.expect_exact(PROMPT)
    # a statement over two lines: the continuation prompt, then the answer using $fund
    child.sendline("MATCH (f:Fund {id: $fund})-[:HOLDS]->(h:Holding) WHERE h.asOf = $as_of")
    child.expect_exact("> ")
    child.sendline("RETURN count(h) AS holdings;")
    child.expect(r"holdings.*\n.*\b2\b")
    child.expect_exact(PROMPT)
    child.sendline(":params")
    child.expect_exact(':param fund => "gpfg"')
    child.expect_exact(PROMPT)

    # read-only: Neo4j's plan says the query writes, nothing runs
    child.sendline("CREATE (n:Scratch {id: 'x'}) RETURN n;")
    child.expect_exact("writes")
    child.expect_exact(PROMPT)
    # an error points at the user's own line and column, not the injected EXPLAIN
    child.sendline("MATCH (n) RETURN n LIMT 1;")
    child.expect(r"line 1, column 20")
    child.expect_exact(PROMPT)

    # history: the up arrow recalls the last statement whole; :history lists them all
    child.send("\x1b[A")
    child.expect_exact("RETURN n LIMT 1;")
    child.sendcontrol("u")
    child.send("\x1b[A\x1b[A\x1b[A\x1b[A")  # back to the two-line statement, one entry
    child.expect_exact("WHERE h.asOf = $as_of RETURN count(h) AS holdings;")
    child.sendcontrol("u")
    child.sendline(":history")
    child.expect_exact("1  MATCH (f:Fund {id: 'gpfg'}) RETURN f.name AS name;")
    child.expect_exact(PROMPT)
    child.sendline(":exit")
    child.expect(pexpect.EOF)

    with graph.session(database=settings.neo4j_database) as session:
        assert session.run("MATCH (n:Scratch) RETURN count(n) AS n").single()["n"] == 0
    saved = history.read_text(encoding="utf-8")
    assert "RETURN count(h) AS holdings;" in saved

    # a new session starts with the earlier session's history
    child = spawn(settings, history)
    child.sendline(":history")
    child.expect_exact("MATCH (f:Fund {id: 'gpfg'}) RETURN f.name AS name;")
    child.sendline(":exit")
    child.expect(pexpect.EOF)


def test_console_write_mode_commits(graph: Driver, settings: Settings, tmp_path: Path) -> None:
    child = spawn(settings, tmp_path / "history", "--write")
    child.sendline("CREATE (n:Scratch {id: 'console-write'}) RETURN n.id AS id;")
    child.expect_exact("nodes created")
    child.expect_exact(PROMPT)
    child.sendline(":exit")
    child.expect(pexpect.EOF)
    with graph.session(database=settings.neo4j_database) as session:
        found = session.run("MATCH (n:Scratch {id: 'console-write'}) DETACH DELETE n RETURN 1")
        assert len(list(found)) == 1


def run_query(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rightsgraph.cli", "query", *args],
        env=cli_env(settings),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def test_named_query_json_csv_and_table(graph: Driver, settings: Settings) -> None:
    held = run_query(settings, "exposure", "--param", "as_of=2019-12-31", "--json")
    assert held.returncode == 0, held.stderr
    (row,) = json.loads(held.stdout)
    assert row["fund"]["id"] == "gpfg" and row["pathCount"] > 0
    # the 2020 exit: no exposure once the fund sold (header default region = xinjiang)
    sold = run_query(settings, "exposure", "--param", "as_of=2020-12-31", "--json")
    assert json.loads(sold.stdout)[0]["pathCount"] == 0

    listed = run_query(settings, "search", "--param", "query=hikvision", "--csv")
    assert listed.returncode == 0, listed.stderr
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert {"total", "hits"} <= set(rows[0])
    assert "hikvision" in rows[0]["hits"]

    shown = run_query(settings, "entity", "--param", "id=gpfg")
    assert shown.returncode == 0, shown.stderr
    assert GPFG in shown.stdout and "1 row" in shown.stdout

    unknown = run_query(settings, "nope")
    assert unknown.returncode == 2 and "no query named" in unknown.stderr


def test_header_params_parse_as_neo4j_evaluates_them(graph: Driver) -> None:
    for name in queries.names():
        for p in queries.describe(name).params:
            rows, _, _ = graph.execute_query(f"RETURN {p.literal} AS v")
            assert rows[0]["v"] == p.value, (name, p.name)
    with pytest.raises(ValueError):
        queries.parse_literal("date('2020-01-01')")
