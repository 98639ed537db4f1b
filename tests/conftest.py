"""Shared fixtures: a real Neo4j for the tests, on its own port and data folder.

Unless NEO4J_URI is set, the session starts a local Neo4j on RIGHTSGRAPH_TEST_NEO4J_PORT
(default 7688) with data under `.data/test`, and stops it at the end if it started it. Under
pytest-xdist (`make test` runs two workers) worker N uses the port 100·N higher and its own home
`.data/test-gwN`, so each worker has a server, a password file and data of its own.
The environment is pointed at that server before anything reads settings, so code under test
that calls `get_settings()` (and CLI subprocesses) reaches it, never the developer's database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WORKER = int((os.environ.get("PYTEST_XDIST_WORKER") or "gw0").removeprefix("gw"))
TEST_PORT = int(os.environ.get("RIGHTSGRAPH_TEST_NEO4J_PORT") or "7688") + 100 * WORKER
TEST_HOME = PROJECT_ROOT / ".data" / ("test" if WORKER == 0 else f"test-gw{WORKER}")
os.environ["RIGHTSGRAPH_HOME"] = str(TEST_HOME)
os.environ["RIGHTSGRAPH_NEO4J_PORT"] = str(TEST_PORT)
# The API's query time limit (10 s by default) in the tests: a first query plans on a cold server
# for seconds, longer on a loaded machine, and the tests check answers, not speed; a test of the
# limit itself sets its own.
os.environ.setdefault("RIGHTSGRAPH_API_QUERY_TIMEOUT", "60")

import pytest  # noqa: E402
from neo4j import Driver  # noqa: E402

from core import neo4j_local  # noqa: E402
from core.db import make_driver  # noqa: E402
from core.settings import Settings  # noqa: E402


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The test settings: port TEST_PORT, home `.data/test` (or the server NEO4J_URI names)."""
    return Settings(home=TEST_HOME, neo4j_port=TEST_PORT)


@pytest.fixture(scope="session")
def neo4j_server(settings: Settings) -> Iterator[Settings]:
    """A running Neo4j for the session: started here (and stopped at the end) unless it already
    runs or NEO4J_URI is set."""
    started = False
    if not settings.external and neo4j_local.running_pid(settings) is None:
        neo4j_local.start(settings)  # auth on: NEO4J_PASSWORD, else the generated password
        started = True
    password = settings.bolt_password
    if password and not settings.external:
        # tests that point RIGHTSGRAPH_HOME elsewhere (and their CLI subprocesses) still log in
        os.environ["NEO4J_PASSWORD"] = password
    auth = (settings.neo4j_user, password) if password else None
    neo4j_local.wait_for_bolt(settings.neo4j_uri, 30, auth)
    try:
        yield settings
    finally:
        if started:
            neo4j_local.stop(settings)


@pytest.fixture(scope="session")
def driver(neo4j_server: Settings) -> Iterator[Driver]:
    """One driver to the test server for the whole session."""
    drv = make_driver(neo4j_server)
    try:
        yield drv
    finally:
        drv.close()


@pytest.fixture()
def neo4j_db(driver: Driver, settings: Settings) -> Driver:
    """The session driver, the test database emptied first (nodes and relationships; indexes and
    constraints stay)."""
    from helpers import empty

    empty(driver, settings.neo4j_database)
    return driver


@pytest.fixture(scope="module")
def auth_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A key and audit store (SQLite) of its own for one test module."""
    return tmp_path_factory.mktemp("auth") / "auth.sqlite"


@pytest.fixture(scope="module")
def tokens(settings: Settings) -> dict[str, str]:
    """A token per role and level of security_helpers.KEYS, and a revoked one, in the shared
    store (Neo4j)."""
    from security_helpers import make_keys

    return make_keys(settings)
