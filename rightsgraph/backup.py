"""Backup and restore: the whole graph as (gzip'd) N-Triples, read back by the ingest pipeline.

A backup is our RDF export with nothing filtered out (`ExportOptions(complete=True)`): every
node and relationship whatever its sharing level, each link's reports where they cannot be
inferred. A restore ingests that file into an empty database with the ids as they are (no entity
resolution), so the canonical dump of the restored graph equals that of the original.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
from pathlib import Path

from neo4j import Driver

from core.names import SYSTEM_LABEL
from export.options import ExportOptions
from export.rdf import RdfWriter
from export.stream import open_output, write_export
from ingest.pipeline import IngestResult, ingest_paths

BACKUP_OPTIONS = ExportOptions(format="ntriples", tlp="RED", complete=True)


class NotEmpty(RuntimeError):
    """The database already holds nodes: restoring would merge into them."""


def backup(driver: Driver, path: Path, database: str | None = None) -> int:
    """Write the whole graph to `path` (gzip'd when it ends in .gz); returns the triple count."""
    with open_output(path) as out:
        writer = write_export(driver, BACKUP_OPTIONS, out, database)
    assert isinstance(writer, RdfWriter)
    return writer.triples


def node_count(driver: Driver, database: str | None = None) -> int:
    rows, _, _ = driver.execute_query(  # the API's keys and audit log are no part of the graph
        f"MATCH (n) WHERE NOT n:`{SYSTEM_LABEL}` RETURN count(n) AS n", database_=database
    )
    return rows[0]["n"]


def restore(
    driver: Driver, path: Path, database: str | None = None, force: bool = False
) -> IngestResult:
    """Load a backup; refuses a database that holds anything unless `force` (then it merges)."""
    if not force and node_count(driver, database):
        raise NotEmpty(
            "the database is not empty; restore into an empty one (or pass --force to merge)"
        )
    if path.suffix != ".gz":
        return ingest_paths([path], driver, database=database, options={"exact_ids": True})
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / path.with_suffix("").name
        with gzip.open(path, "rb") as src, plain.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        return ingest_paths([plain], driver, database=database, options={"exact_ids": True})
