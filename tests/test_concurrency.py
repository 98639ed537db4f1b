"""Concurrent ingests of overlapping reports end in the same graph as sequential ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from neo4j import Driver

from core.dump import canonical_dump
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
REPORTS = [ROOT / "reports" / "seed-open-letter.yaml", ROOT / "reports" / "documented-case.yaml"]


def _ingest(paths: list[Path]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rightsgraph.cli", "ingest", "--json", *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
        text=True,
    )


def test_concurrent_overlapping_ingests_equal_sequential(
    neo4j_db: Driver, settings: Settings
) -> None:
    for report in REPORTS:
        assert _ingest([report]).wait(timeout=120) == 0
    sequential = canonical_dump(neo4j_db, settings.neo4j_database)
    neo4j_db.execute_query("MATCH (n) DETACH DELETE n", database_=settings.neo4j_database)

    # four processes at once, two per report, in both orders: they overlap on every shared node
    procs = [_ingest(REPORTS), _ingest(REPORTS[::-1]), _ingest(REPORTS[:1]), _ingest(REPORTS[1:])]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert canonical_dump(neo4j_db, settings.neo4j_database) == sequential
