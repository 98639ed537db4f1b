"""Backup and restore: the whole graph out as N-Triples and back into an empty database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers import DOCUMENTED, PROJECT_ROOT, SEED, dump, ingest, wipe

from rightsgraph.backup import NotEmpty, backup, restore
from rightsgraph.synth import generate_report


@pytest.mark.parametrize("name", ["backup.nt", "backup.nt.gz"])
def test_restore_of_a_backup_rebuilds_the_same_graph_at_every_level(
    neo4j_db, settings, tmp_path, name
) -> None:
    generated = tmp_path / "g.jsonld"
    doc = generate_report(units=12, seed=5, prefix="b", levels=("GREEN", "AMBER", "RED"))
    generated.write_text(json.dumps(doc), encoding="utf-8")
    ingest(neo4j_db, settings, SEED, DOCUMENTED, generated)
    before = dump(neo4j_db, settings)
    path = tmp_path / name
    assert backup(neo4j_db, path, settings.neo4j_database) > 2000
    wipe(neo4j_db, settings)
    result = restore(neo4j_db, path, settings.neo4j_database)
    assert result.ok, result.problems[:3]
    assert not result.proposals  # ids are restored as they are, not resolved
    assert dump(neo4j_db, settings) == before


def test_restore_refuses_a_database_that_is_not_empty(neo4j_db, settings, tmp_path) -> None:
    ingest(neo4j_db, settings, SEED)
    path = tmp_path / "backup.nt"
    backup(neo4j_db, path, settings.neo4j_database)
    with pytest.raises(NotEmpty):
        restore(neo4j_db, path, settings.neo4j_database)
    assert restore(neo4j_db, path, settings.neo4j_database, force=True).ok  # merges: no change
    result = restore(neo4j_db, path, settings.neo4j_database, force=True)
    assert result.summary.changes == 0


def test_backup_and_restore_commands(neo4j_db, settings, tmp_path) -> None:
    ingest(neo4j_db, settings, SEED)
    before = dump(neo4j_db, settings)
    path = tmp_path / "graph.nt.gz"

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "rightsgraph.cli", *args],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            env=os.environ.copy(),
            timeout=300,
        )

    assert cli("backup", "-o", str(path)).returncode == 0
    refused = cli("restore", str(path))
    assert refused.returncode == 1 and "not empty" in refused.stderr
    wipe(neo4j_db, settings)
    assert cli("restore", str(path)).returncode == 0
    assert dump(neo4j_db, settings) == before
