"""Routing URIs (`neo4j://`, `neo4j+s://`, `neo4j+ssc://`) are accepted wherever NEO4J_URI is:
settings, the driver helper, the API, the CLI. A single Neo4j instance answers the routing
protocol as a cluster of one, so the real test server proves the routed paths work."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import neo4j
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.settings import ApiSettings
from core.db import make_driver
from core.settings import Settings, get_settings
from rightsgraph.cli import app

ROOT = Path(__file__).resolve().parent.parent
ROUTING_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc")


def routed(settings: Settings) -> Settings:
    """The test server's settings, reached through a neo4j:// routing URI."""
    return dataclasses.replace(  # an external URI takes NEO4J_PASSWORD: the local server's own
        settings,
        neo4j_uri_env=f"neo4j://127.0.0.1:{settings.neo4j_port}",
        neo4j_password=settings.bolt_password,
    )


@pytest.mark.parametrize("scheme", ROUTING_SCHEMES)
def test_settings_take_a_routing_uri_from_neo4j_uri_as_an_external_server(
    scheme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"{scheme}://cluster.example.org:7687"
    monkeypatch.setenv("NEO4J_URI", uri)
    for settings in (get_settings(), ApiSettings().neo4j):
        assert settings.neo4j_uri == uri
        assert settings.external


def test_driver_routes_reads_and_writes_through_a_routing_uri(
    neo4j_db: neo4j.Driver, settings: Settings
) -> None:
    with make_driver(routed(settings)) as driver:
        driver.verify_connectivity()
        driver.execute_query(
            "CREATE (:Node {id: 'routing-check', tlp: 'CLEAR'})", database_=settings.neo4j_database
        )
        with driver.session(database=settings.neo4j_database) as session:
            found = session.execute_read(
                lambda tx: tx.run(
                    "MATCH (n:Node {id: 'routing-check'}) RETURN count(n) AS n"
                ).single()["n"]  # type: ignore[index]
            )
        rows, _, _ = driver.execute_query(
            "MATCH (n:Node {id: 'routing-check'}) RETURN n.id AS id",
            database_=settings.neo4j_database,
            routing_="r",
        )
    assert found == 1
    assert [r["id"] for r in rows] == ["routing-check"]


def test_api_answers_through_a_routing_uri(neo4j_db: neo4j.Driver, settings: Settings) -> None:
    with TestClient(create_app(ApiSettings(neo4j=routed(settings)))) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/search", params={"q": "anything"}).status_code == 200


def test_cli_ingests_through_a_routing_uri(
    neo4j_db: neo4j.Driver, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEO4J_URI", routed(settings).neo4j_uri)
    report = ROOT / "reports" / "seed-open-letter.yaml"
    result = CliRunner().invoke(app, ["ingest", "--json", str(report)])
    assert result.exit_code == 0, result.output
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (f:Fund {id: 'gpfg'}) RETURN count(f) AS n", database_=settings.neo4j_database
    )
    assert rows[0]["n"] == 1


@pytest.mark.parametrize("command", ["start", "stop"])
def test_cli_neo4j_start_and_stop_do_nothing_for_an_external_routing_uri(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEO4J_URI", "neo4j+s://cluster.example.org:7687")
    result = CliRunner().invoke(app, ["neo4j", command])
    assert result.exit_code == 0, result.output
    assert "NEO4J_URI is set (neo4j+s://cluster.example.org:7687)" in result.output
    assert "not st" in result.output  # "not starting one" / "not stopping a server we do not run"
