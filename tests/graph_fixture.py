"""Load a known graph once per test module: empty the test database, ingest reports through the
real pipeline. (conftest's `neo4j_db` empties the database for every test; the API and query
tests only read, so they share one load per module.)"""

from __future__ import annotations

from pathlib import Path

from neo4j import Driver

from ingest.pipeline import ingest_paths

API_DATA = Path(__file__).resolve().parent / "data" / "api"
ADDITIONS = API_DATA / "portfolio-additions.yaml"


def load_reports(driver: Driver, database: str, paths: list[Path]) -> None:
    with driver.session(database=database) as session:  # CALL … IN TRANSACTIONS needs auto-commit
        session.run(
            "MATCH (n) WHERE NOT n:RgSystem "  # the API's keys and audit log stay
            "CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()
    result = ingest_paths(paths, driver, database=database)
    assert result.ok, [str(p) for p in result.problems]
