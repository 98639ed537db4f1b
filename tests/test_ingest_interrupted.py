"""An ingest killed between batches of a large stream leaves whole batches only, and re-running
it ends with the same graph as one clean run.

The stream is a generated holdings table (ingest/source_holdings.py): companies × year-end dates,
one Holding per row, cut by the adapter into batches of DEFAULT_BATCH_SIZE rows, each written in
its own transaction. `rightsgraph ingest` runs in a subprocess that is SIGKILLed as soon as the
first batch's Holdings are visible in the database.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import empty
from neo4j import Driver

from core.dump import canonical_dump
from core.settings import Settings
from ingest.adapter_kit import DEFAULT_BATCH_SIZE
from rightsgraph.synth import write_fund_holdings

COMPANIES = 600
DATES = 10  # 6,000 rows: three batches of 2,000


def ingest_cli(path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rightsgraph.cli", "ingest", "--json", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def holdings(driver: Driver, database: str) -> int:
    rows, _, _ = driver.execute_query("MATCH (h:Holding) RETURN count(h) AS n", database_=database)
    return rows[0]["n"]


def run_to_end(path: Path) -> dict:
    process = ingest_cli(path)
    out, err = process.communicate(timeout=240)
    assert process.returncode == 0, err
    return json.loads(out)


@pytest.mark.timeout(600)
def test_killed_ingest_leaves_whole_batches_and_rerun_equals_a_clean_run(
    neo4j_db: Driver, settings: Settings, tmp_path: Path
) -> None:
    database = settings.neo4j_database
    table = write_fund_holdings(
        tmp_path / "test-fund-holdings.csv", COMPANIES, DATES, first_year=2011
    )
    rows = COMPANIES * DATES
    assert rows >= 3 * DEFAULT_BATCH_SIZE, "the stream must span several batches"

    process = ingest_cli(table)
    deadline = time.monotonic() + 240
    try:
        while holdings(neo4j_db, database) == 0:  # the first batch has committed
            if process.poll() is not None:
                pytest.fail(f"the ingest ended before a batch was seen: {process.communicate()}")
            assert time.monotonic() < deadline, "no batch committed in time"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL

    partial = holdings(neo4j_db, database)
    assert 0 < partial < rows, "the kill came after the last batch: nothing to resume"
    assert partial % DEFAULT_BATCH_SIZE == 0, "a batch was written in part"
    orphans, _, _ = neo4j_db.execute_query(
        "MATCH (h:Holding) WHERE NOT (h)<-[:HOLDS]-(:Fund) OR NOT (h)-[:IN]->(:Company) "
        "OR NOT (h)-[:EVIDENCED_BY]->(:Source) RETURN count(h) AS n",
        database_=database,
    )
    assert orphans[0]["n"] == 0, "a committed holding lacks its fund, company or evidence"

    resumed = run_to_end(table)
    assert resumed["problems"] == []
    assert holdings(neo4j_db, database) == rows
    after_resume = canonical_dump(neo4j_db, database)

    empty(neo4j_db, database)
    clean = run_to_end(table)
    assert clean["created"]["Holding"] == rows
    assert canonical_dump(neo4j_db, database) == after_resume
    cited, _, _ = (
        neo4j_db.execute_query(  # each company keeps its citation (one per spelling and file)
            "MATCH (c:Company) OPTIONAL MATCH (c)-[r:EVIDENCED_BY]->(:Source) "
            "WITH c, count(r) AS citations RETURN count(c) AS companies, min(citations) AS least, "
            "max(citations) AS most",
            database_=database,
        )
    )
    assert cited[0]["companies"] > 0
    assert cited[0]["least"] == cited[0]["most"] == 1
