"""Bad input is rejected whole, with a message naming file, record (and line) and rule, and the
graph is left exactly as it was: a full canonical dump before and after, not only counts.

The corpus is tests/data/bad/ (one file per fault; most YAML ones open with a comment saying
what is wrong); the oversized file is made in tmp_path. The seed case is ingested once for the
module so the dump is not trivial and type conflicts have something to conflict with.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import BAD_INPUTS, SEED
from neo4j import Driver

from core.dump import canonical_dump
from core.settings import Settings
from ingest.pipeline import IngestResult, ingest_paths
from ingest.reports import MAX_REPORT_BYTES

# file -> the rule its first problem names, and whether the parser gives a line for it
EXPECTED: dict[str, tuple[str, bool]] = {
    "malformed-yaml.yaml": ("yaml-syntax", True),
    "tab-indented.yaml": ("yaml-syntax", True),
    "duplicate-yaml-key.yaml": ("yaml-syntax", True),
    "malformed-json.json": ("json-syntax", True),
    "graph-not-a-list.jsonld": ("report-form", False),
    "top-level-list.json": ("unknown-format", False),
    "latin1.yaml": ("encoding", True),
    "utf16.yaml": ("encoding", True),
    "binary-garbage.yaml": ("encoding", True),
    "empty.yaml": ("empty-file", False),
    "whitespace-only.yaml": ("empty-file", False),
    "comment-only.yaml": ("empty-file", False),
    "no-graph.yaml": ("report-form", False),
    "document-not-a-report.yaml": ("unknown-property", True),
    "record-is-a-list.yaml": ("record-form", False),
    "null-record.yaml": ("record-form", False),
    "non-string-id.yaml": ("record-id", True),
    "id-with-slash.yaml": ("record-id", True),
    "id-with-space.yaml": ("record-id", True),
    "unknown-type.yaml": ("unknown-type", True),
    "abstract-type.yaml": ("unknown-type", True),
    "unknown-property.yaml": ("unknown-property", True),
    "unknown-evidence-property.yaml": ("unknown-property", True),
    "evidence-not-a-mapping.yaml": ("value-form", True),
    "nested-value.yaml": ("value-form", True),
    "dangling-reference.yaml": ("dangling-reference", True),
    "duplicate-ids.yaml": ("duplicate-id", True),
    "shacl-violation.yaml": ("Holding-asOf", True),
    "bad-tlp.yaml": ("Node-tlp", False),
    "wrong-class-reference.yaml": ("Holding-fund", True),
    "type-conflict.yaml": ("type-conflict", True),
    "bad-turtle.ttl": ("rdf-syntax", True),
}
RECORD_RULES = {  # rules about one record: the problem names it
    "record-form", "record-id", "unknown-type", "unknown-property", "value-form",
    "dangling-reference", "duplicate-id", "type-conflict", "Holding-asOf", "Node-tlp",
    "Holding-fund",
}  # fmt: skip


@pytest.fixture(scope="module")
def seeded(driver: Driver, settings: Settings) -> Iterator[tuple[Driver, list[str]]]:
    """The test database holding the seed case, and its canonical dump."""
    database = settings.neo4j_database
    driver.execute_query("MATCH (n) DETACH DELETE n", database_=database)
    result = ingest_paths([SEED], driver, database=database)
    assert result.ok
    yield driver, canonical_dump(driver, database)


def reject(path: Path, seeded, settings: Settings) -> IngestResult:
    driver, before = seeded
    result = ingest_paths([path], driver, database=settings.neo4j_database)
    assert not result.ok, f"{path.name} was accepted"
    assert result.rejected == {str(path): 1}
    assert not result.summary.changes
    assert canonical_dump(driver, settings.neo4j_database) == before, "the graph changed"
    return result


def test_corpus_has_a_case_for_every_file() -> None:
    assert sorted(p.name for p in BAD_INPUTS.iterdir()) == sorted(EXPECTED)
    assert len(EXPECTED) >= 20


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_is_rejected_readably_and_writes_nothing(name: str, seeded, settings) -> None:
    path = BAD_INPUTS / name
    rule, has_line = EXPECTED[name]
    problems = reject(path, seeded, settings).problems
    assert problems[0].rule == rule, [str(p) for p in problems]
    for problem in problems:
        text = str(problem)
        assert problem.file == str(path) and text.startswith(str(path))
        assert f"[rule {problem.rule}]" in text and problem.message
        assert problem.record
    if has_line:
        assert problems[0].line, str(problems[0])
    if rule in RECORD_RULES:
        assert problems[0].record not in ("-", "?"), str(problems[0])


def test_file_over_the_size_limit_is_rejected_unread(tmp_path, seeded, settings) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as fh:  # sparse: the size is checked before a byte is read
        fh.truncate(MAX_REPORT_BYTES + 1)
    (problem,) = reject(huge, seeded, settings).problems
    assert problem.rule == "file-too-large" and str(MAX_REPORT_BYTES) in problem.message


def test_bad_file_beside_a_good_one_rejects_only_itself(tmp_path, seeded, settings) -> None:
    driver, before = seeded
    result = ingest_paths(
        [SEED, BAD_INPUTS / "shacl-violation.yaml"], driver, database=settings.neo4j_database
    )
    assert result.rejected == {str(BAD_INPUTS / "shacl-violation.yaml"): 1}
    assert result.summary.changes == 0  # the seed is already in: unchanged
    assert canonical_dump(driver, settings.neo4j_database) == before


@pytest.mark.parametrize(
    ("name", "as_json"),
    [("malformed-yaml.yaml", False), ("shacl-violation.yaml", True), ("type-conflict.yaml", True)],
)
def test_cli_exits_non_zero_naming_file_and_rule(
    name: str, as_json: bool, seeded, settings
) -> None:
    path = BAD_INPUTS / name
    rule = EXPECTED[name][0]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rightsgraph.cli",
            "ingest",
            *(["--json"] if as_json else []),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert done.returncode == 1, done.stderr
    if as_json:
        (problem, *_) = json.loads(done.stdout)["problems"]
        assert (problem["file"], problem["rule"]) == (str(path), rule)
    else:
        assert name in done.stderr and f"[rule {rule}]" in done.stderr
    assert canonical_dump(seeded[0], settings.neo4j_database) == seeded[1]
