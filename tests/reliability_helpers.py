"""Helpers for the fault tests: a Neo4j of their own to kill, a generated holdings table (from
the one synthetic generator) and the API served by `rightsgraph serve` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import TEST_PORT
from neo4j import Driver

from core import neo4j_local
from core.db import make_driver
from core.settings import Settings
from rightsgraph.served import child_server

ROOT = Path(__file__).resolve().parent.parent
# the server these tests kill: never the shared test server (default: the test port + 10)
FAULT_PORT = int(os.environ.get("RIGHTSGRAPH_TEST_FAULT_NEO4J_PORT") or TEST_PORT + 10)


@contextmanager
def api_server(env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """`rightsgraph serve` on a free loopback port, as a deployer starts it: (base url, pid)."""
    with child_server(
        lambda port: [sys.executable, "-m", "rightsgraph.cli", "serve", "--port", str(port)],
        env,
        ROOT,
    ) as served:
        yield served


@contextmanager
def dedicated_neo4j(home: Path) -> Iterator[tuple[Settings, Driver]]:
    """A Neo4j on FAULT_PORT with its data in home, stopped (or killed) at the end."""
    settings = Settings(home=home, neo4j_port=FAULT_PORT, neo4j_uri_env=None, neo4j_password=None)
    neo4j_local.start(settings)
    driver = make_driver(settings)
    try:
        yield settings, driver
    finally:
        driver.close()
        if neo4j_local.running_pid(settings) is not None:
            neo4j_local.stop(settings)


def env_for(settings: Settings) -> dict[str, str]:
    """The environment that points a subprocess (CLI, uvicorn) at that server."""
    env = dict(os.environ)
    env.pop("NEO4J_URI", None)
    env.pop("NEO4J_PASSWORD", None)
    env["RIGHTSGRAPH_NEO4J_PORT"] = str(settings.neo4j_port)
    env["RIGHTSGRAPH_HOME"] = str(settings.home)
    return env


def ingest_cli(path: Path, settings: Settings, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rightsgraph.cli", "ingest", "--json", *args, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(settings),
        cwd=ROOT,
    )


def count(driver: Driver, database: str, label: str) -> int:
    rows, _, _ = driver.execute_query(
        f"MATCH (n:`{label}`) RETURN count(n) AS n", database_=database
    )
    return rows[0]["n"]
