"""Sharing levels of nodes that several reports state: order-independent and stable."""

from __future__ import annotations

from pathlib import Path

import yaml
from neo4j import Driver

from core.settings import Settings
from ingest.pipeline import ingest_paths


def _report(path: Path, rid: str, tlp: str) -> Path:
    doc = {
        "id": rid,
        "type": "Report",
        "name": rid,
        "reviewStatus": "reviewed",
        "tlp": tlp,
        "@graph": [
            {
                "id": f"src-{rid}",
                "type": "Source",
                "name": f"source of {rid}",
                "url": f"https://example.org/{rid}",
            },
            {
                "id": "example-shared-co",
                "type": "Company",
                "name": "Example Shared Co",
                "evidence": [{"source": f"src-{rid}", "quote": "Example Shared Co"}],
            },
        ],
    }
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_shared_node_takes_most_open_level_in_any_order(
    neo4j_db: Driver, settings: Settings, tmp_path: Path
) -> None:
    clear = _report(tmp_path / "a.yaml", "report-open", "CLEAR")
    green = _report(tmp_path / "b.yaml", "report-partners", "GREEN")
    levels = []
    for order in ([clear, green], [green, clear]):
        neo4j_db.execute_query("MATCH (n) DETACH DELETE n", database_=settings.neo4j_database)
        assert ingest_paths(order, neo4j_db, database=settings.neo4j_database).ok
        again = ingest_paths(order, neo4j_db, database=settings.neo4j_database)
        assert again.summary.changes == 0, again.summary.as_dict()
        rows, _, _ = neo4j_db.execute_query(
            "MATCH (c:Company {id: 'example-shared-co'}) RETURN c.tlp AS tlp",
            database_=settings.neo4j_database,
        )
        levels.append(rows[0]["tlp"])
    assert levels == ["CLEAR", "CLEAR"]
