"""Helpers for the adapter tests: fixture paths, reading an adapter's batches, ingesting."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver

from ingest.adapters import adapter_for
from ingest.errors import IngestError
from ingest.pipeline import IngestResult, ingest_paths
from ontology.records import Record

DATA = Path(__file__).resolve().parent / "data" / "adapters"
# the shared samples sit beside the checkout (../shared/data); RIGHTSGRAPH_SHARED_DATA names
# another place, for a worktree that is not beside them
SHARED = Path(
    os.environ.get("RIGHTSGRAPH_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)


def shared_sample(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared sample {path} is not present on this machine")
    return path


def read_all(path: Path, fmt: str | None = None, **options: Any) -> tuple[list, dict[str, Record]]:
    """(batches, records by id) as the adapter yields them, without a database."""
    batches = list(adapter_for(path, fmt).read(path, **options))
    problems = [p for batch in batches for p in batch.problems]
    if problems:  # what the pipeline does with them by default: reject the file
        raise IngestError(problems)
    records: dict[str, Record] = {}
    for batch in batches:
        for record in batch.all_records:
            records.setdefault(record["id"], record)
    return batches, records


def of_type(records: dict[str, Record], kind: str) -> list[Record]:
    return [r for r in records.values() if r["type"] == kind]


def ingest(driver: Driver, database: str, paths: Iterable[Path], **options: Any) -> IngestResult:
    return ingest_paths(list(paths), driver, database=database, options=options or None)
