"""Reviewing a draft against the graph: `rightsgraph extract FILE --review` through a
pseudo-terminal (pexpect) as a person answers it, and `--accept all|new` / `review-draft` as a
script runs them, against the test Neo4j; the reviewed report ingests cleanly as reviewed.

Each test runs the CLI in subprocesses (each loads the whole stack and dateparser), so each
takes more than 10 s; the two longest are marked slow (--run-slow)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import PROJECT_ROOT, cli_env
from neo4j import Driver

from core.settings import Settings
from ingest.extract.draft import build_draft
from ingest.extract.text import load_document
from rightsgraph.draft_review import compare

pexpect = pytest.importorskip("pexpect")
TIMEOUT = 120
FILING = PROJECT_ROOT / "tests" / "data" / "extract" / "corpus" / "en-filing-subsidiaries.txt"
PROMPT = "a(ccept) d(rop) A(ccept the rest) D(rop the rest) q(uit, write nothing)"


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rightsgraph.cli", *map(str, args)],
        env=cli_env(settings),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def report_node(driver: Driver, settings: Settings, rid: str) -> dict:
    rows, _, _ = driver.execute_query(
        "MATCH (r:Report {id: $id}) RETURN properties(r) AS p",
        id=rid,
        database_=settings.neo4j_database,
    )
    assert rows, f"no report {rid}"
    return rows[0]["p"]


def loaded(path: Path) -> tuple[dict, list[dict]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return doc, doc["@graph"]


def test_accept_all_writes_a_reviewed_report_that_ingests_as_reviewed(
    neo4j_db: Driver, settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "reviewed.yaml"
    done = cli(
        settings, "extract", FILING, "--review", "--accept", "all", "-o", out, "--user", "ann"
    )
    assert done.returncode == 0, done.stderr
    assert "0 same, 0 conflicting" in done.stderr  # an empty graph holds none of it
    doc, records = loaded(out)
    assert doc["reviewStatus"] == "reviewed" and doc["reviewedBy"] == "ann"
    assert doc["reviewedOn"] == dt.date.today().isoformat()
    assert {r["type"] for r in records} >= {"Company", "Contract", "Ownership", "Measure", "Source"}
    ingested = cli(settings, "ingest", out)
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    stored = report_node(neo4j_db, settings, doc["id"])
    assert (stored["reviewStatus"], stored["reviewedBy"]) == ("reviewed", "ann")
    assert stored["reviewedOn"] == doc["reviewedOn"]


@pytest.mark.slow  # four CLI runs (extract, ingest, extract, ingest): about a minute loaded
def test_a_second_text_is_same_where_the_graph_agrees_and_conflicting_where_not(
    neo4j_db: Driver, settings: Settings, tmp_path: Path
) -> None:
    first = tmp_path / "first.yaml"
    assert (
        cli(settings, "extract", FILING, "--review", "--accept", "all", "-o", first).returncode == 0
    )
    assert cli(settings, "ingest", first).returncode == 0
    # the same filing, but another paper says the Moyu contract ran until 2035
    changed = tmp_path / "changed.txt"
    changed.write_text(
        FILING.read_text(encoding="utf-8").replace("due to run until 2032", "due to run until 2035")
        + "\nKashgar Haikang Vision Technology Co Ltd signed a contract with the Kashgar City"
        " government in 2019.\n",
        encoding="utf-8",
    )
    draft = build_draft(load_document(changed), store=tmp_path / "evidence")
    items = {i.id: i for i in compare(draft.records, neo4j_db, settings.neo4j_database)}
    moyu = next(i for i in items.values() if i.kind == "Contract" and "2035" in str(i.record))
    assert moyu.status == "conflicting"
    assert ("endDate", "2035", "2032") in moyu.conflicts
    company = next(
        i for i in items.values() if i.record.get("name", "").startswith("Moyu Hikvision")
    )
    assert company.status == "same"
    pishan = next(
        i
        for i in items.values()
        if i.kind == "Contract" and "pishan" in " ".join(i.record["supplier"])
    )
    assert pishan.status == "same", pishan.conflicts

    out = tmp_path / "second.yaml"
    done = cli(settings, "extract", changed, "--review", "--accept", "new", "-o", out)
    assert done.returncode == 0, done.stderr
    _, records = loaded(out)
    ids = {r["id"] for r in records}
    assert moyu.id not in ids and company.id not in ids  # not the conflict, not what is held
    assert any(r.get("name") == "Kashgar City government" for r in records)  # what is new
    assert cli(settings, "ingest", out).returncode == 0
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (c:Contract {id: $id}) RETURN c.endDate AS end",
        id=moyu.graph_id or moyu.id,
        database_=settings.neo4j_database,
    )
    assert [r["end"] for r in rows] == ["2032"]


def test_review_draft_of_a_saved_draft_refuses_a_non_draft(
    neo4j_db: Driver, settings: Settings, tmp_path: Path
) -> None:
    draft = tmp_path / "draft.yaml"
    assert cli(settings, "extract", FILING, "-o", draft).returncode == 0
    done = cli(settings, "review-draft", draft, "--accept", "new", "--user", "cy")
    assert done.returncode == 0, done.stderr
    doc, _ = loaded(tmp_path / "draft.reviewed.yaml")
    assert (doc["reviewStatus"], doc["reviewedBy"]) == ("reviewed", "cy")
    bad = tmp_path / "bad.yaml"
    bad.write_text("just: text\n", encoding="utf-8")
    refused = cli(settings, "review-draft", bad, "--accept", "all")
    assert refused.returncode == 1 and "cannot read it as a draft" in refused.stderr
    assert cli(settings, "review-draft", draft, "--accept", "some").returncode == 1


def spawn(settings: Settings, *args: str):
    return pexpect.spawn(
        sys.executable,
        ["-m", "rightsgraph.cli", *map(str, args)],
        env=cli_env(settings),
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(50, 200),
    )


@pytest.mark.slow  # answers every one of ~20 prompts through the pty, then ingests
def test_interactive_review_accepts_drops_and_cascades(
    neo4j_db: Driver, settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "reviewed.yaml"
    child = spawn(settings, "extract", FILING, "--review", "-o", out, "--user", "dee")
    shown: list[str] = []
    dropped: str | None = None
    while True:
        found = child.expect([r"id: (\S+)", pexpect.EOF])
        if found == 1:
            break
        rid = child.match.group(1)
        child.expect_exact(PROMPT)
        shown.append(rid)
        if dropped is None and rid.startswith("moyu-hikvision"):  # a company: its facts go too
            dropped = rid
            child.sendline("d")
        elif len(shown) == 2:
            child.sendline("x")  # not an answer: asked again
            child.expect_exact(PROMPT)
            child.sendline("a")
        else:
            child.sendline("a")
    child.close()
    assert child.exitstatus == 0
    assert dropped is not None and len(shown) > 10
    doc, records = loaded(out)
    ids = {r["id"] for r in records}
    assert dropped not in ids
    for r in records:  # nothing refers to the dropped company
        assert dropped not in str({k: v for k, v in r.items() if k not in ("evidence", "note")})
    assert any(r["type"] == "Contract" for r in records)
    assert doc["reviewedBy"] == "dee"
    assert cli(settings, "ingest", out).returncode == 0


def test_interactive_quit_writes_nothing_and_accept_rest(
    neo4j_db: Driver, settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "quit.yaml"
    child = spawn(settings, "extract", FILING, "--review", "-o", out)
    child.expect_exact(PROMPT)
    child.sendline("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1 and not out.exists()
    child = spawn(settings, "extract", FILING, "--review", "-o", out, "--user", "eve")
    child.expect_exact(PROMPT)
    child.sendline("A")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    doc, records = loaded(out)
    assert doc["reviewedBy"] == "eve" and any(r["type"] == "Contract" for r in records)
