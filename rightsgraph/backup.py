"""Backup and restore: the whole graph as (gzip'd) N-Triples, read back by the ingest pipeline.

A backup is our RDF export with nothing filtered out (`ExportOptions(complete=True)`): every
node and relationship whatever its sharing level, each link's reports where they cannot be
inferred. A restore ingests that file into an empty database with the ids as they are (no entity
resolution), so the canonical dump of the restored graph equals that of the original. Review
data beside the entity graph (proposals, decisions, redirects: docs/resolution.md) goes into a
JSON file next to the backup, `<backup>.resolution.json`, read back by the restore.
"""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from pathlib import Path

from neo4j import Driver

from core.names import SYSTEM_LABEL
from export.options import ExportOptions
from export.rdf import RdfWriter
from export.stream import open_output, write_export
from ingest.decisions import dump_resolution, load_resolution
from ingest.pipeline import IngestResult, ingest_paths

BACKUP_OPTIONS = ExportOptions(format="ntriples", tlp="RED", complete=True)


class NotEmpty(RuntimeError):
    """The database already holds nodes: restoring would merge into them."""


def backup(driver: Driver, path: Path, database: str | None = None) -> int:
    """Write the whole graph to `path` (gzip'd when it ends in .gz); returns the triple count."""
    with open_output(path) as out:
        writer = write_export(driver, BACKUP_OPTIONS, out, database)
    assert isinstance(writer, RdfWriter)
    resolution_file(path).write_text(
        json.dumps(dump_resolution(driver, database), ensure_ascii=False, default=str),
        encoding="utf-8",
    )
    return writer.triples


def resolution_file(path: Path) -> Path:
    return path.with_name(path.name + ".resolution.json")


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
        result = ingest_paths([path], driver, database=database, options={"exact_ids": True})
    else:
        with tempfile.TemporaryDirectory() as tmp:
            plain = Path(tmp) / path.with_suffix("").name
            with gzip.open(path, "rb") as src, plain.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            result = ingest_paths([plain], driver, database=database, options={"exact_ids": True})
    side = resolution_file(path)
    if result.ok and side.is_file():  # a backup of an earlier version has none
        load_resolution(driver, json.loads(side.read_text(encoding="utf-8")), database)
    return result
