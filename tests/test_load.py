"""A shorter run of bench/load_test.py (as a command, so the tests import nothing from bench/):
concurrent clients mixing search, exposure, entity,
neighbourhood and allegation reads against a uvicorn API while an ingest writes, three rounds.

Asserts zero errors (every read 200, every ingest exit 0) and that the API process's resident
memory does not grow across rounds after the first (a memory assertion, never a timing one);
prints requests per second, p50/p95/p99 and RSS per round. Run with --run-slow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers import DOCUMENTED, PROJECT_ROOT, SEED
from neo4j import Driver

from core.settings import Settings
from ingest.pipeline import ingest_paths

CLIENTS, SECONDS, ROUNDS, INGEST_ROWS = 25, 15, 3, 2_000
MAX_GROWTH = 0.20  # after warm-up (round 1), RSS may grow at most this fraction by the last round


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_concurrent_reads_with_an_ingest_have_no_errors_and_flat_memory(
    neo4j_db: Driver, settings: Settings
) -> None:
    assert ingest_paths([SEED, DOCUMENTED], neo4j_db, database=settings.neo4j_database).ok
    command = [sys.executable, str(PROJECT_ROOT / "bench" / "load_test.py"), "--json"]
    command += ["--clients", str(CLIENTS), "--duration", str(SECONDS), "--rounds", str(ROUNDS)]
    command += ["--ingest-rows", str(INGEST_ROWS)]
    run = subprocess.run(
        command, capture_output=True, text=True, cwd=PROJECT_ROOT, env=dict(os.environ), timeout=850
    )
    print(run.stdout)
    assert run.stdout.strip(), run.stderr[-2000:]
    rounds = json.loads(run.stdout.strip().splitlines()[-1])
    for r in rounds:
        assert r["errors"] == 0, r["error_samples"]
        assert r["requests"] > 0 and r["ingest_exit"] == 0
    assert run.returncode == 0, run.stderr[-2000:]
    first, last = rounds[0]["rss_mib"], rounds[-1]["rss_mib"]
    assert last <= first * (1 + MAX_GROWTH), f"API RSS grew from {first} to {last} MiB"
