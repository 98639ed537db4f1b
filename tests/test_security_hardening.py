"""Issue 19, items 5-7 and the shared store: existence oracles (search, screening, export),
cheap denial of service (screening budgets, proxy headers, per-key and per-address limits),
audit hygiene and security headers. Each reproduction leaves the graph as it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from graph_fixture import ADDITIONS, load_reports
from helpers import SEED
from neo4j import Driver
from security_helpers import CONFIDENTIAL, key, make_app, make_keys

from api.security import SECURITY_HEADERS
from core.dump import canonical_dump
from core.settings import Settings


@pytest.fixture(scope="module")
def graph(driver: Driver, settings: Settings) -> Driver:
    load_reports(driver, settings.neo4j_database, [SEED, ADDITIONS, CONFIDENTIAL])
    return driver


@pytest.fixture(scope="module")
def auth_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("auth") / "auth.sqlite"


@pytest.fixture(scope="module")
def tokens(settings: Settings) -> dict[str, str]:
    return make_keys(settings)


@pytest.fixture(scope="module")
def client(graph: Driver, settings: Settings, auth_db: Path) -> Iterator[TestClient]:
    with TestClient(make_app(settings, auth_db, rate_limit=0, rate_limit_anonymous=0)) as c:
        yield c


@pytest.fixture()
def unchanged(graph: Driver, settings: Settings) -> Iterator[None]:
    """The graph (canonical dump) is the same after the test as before it."""
    before = canonical_dump(graph, settings.neo4j_database)
    yield
    assert canonical_dump(graph, settings.neo4j_database) == before


# ---------------------------------------------------------------------- security headers


def test_every_response_carries_the_security_headers(
    client: TestClient, tokens: dict[str, str], settings: Settings, auth_db: Path, unchanged: None
) -> None:
    answers = {
        "/": client.get("/"),
        "/static/app.js": client.get("/static/app.js"),
        "/static/ontology.json": client.get("/static/ontology.json"),
        "/static/vendor/swagger-ui-bundle.js": client.get("/static/vendor/swagger-ui-bundle.js"),
        "/docs": client.get("/docs"),
        "/openapi.json": client.get("/openapi.json"),
        "/health": client.get("/health"),
        "/search": client.get("/search?q=hikvision"),
        "404": client.get("/entities/no-such-entity"),
        "401": client.get("/search?q=x", headers=key("rg_000000000000_nope")),
        "403": client.post(
            "/cypher", json={"query": "RETURN 1"}, headers=key(tokens["green_reader"])
        ),
        "422": client.get("/search"),
    }
    with TestClient(make_app(settings, auth_db, rate_limit_anonymous=1)) as limited:
        limited.get("/search?q=x")
        answers["429"] = limited.get("/search?q=x")
    assert answers["429"].status_code == 429
    for name, response in answers.items():
        for header, value in SECURITY_HEADERS:
            assert response.headers.get(header.decode()) == value.decode(), (name, header)
    csp = answers["/"].headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert answers["/docs"].status_code == 200 and "swagger-ui-bundle.js" in answers["/docs"].text
    assert "<script>" not in answers["/docs"].text  # no inline script: the CSP would refuse it
    assert client.get("/redoc").status_code == 404  # ReDoc would load from a CDN: not served
