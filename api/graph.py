"""The backend behind the routers: runs one named query in a read session and returns its rows.

Queries run as auto-commit reads with a server-side timeout and no retry loop, so when Neo4j is
down a request fails within the driver's connection timeout instead of retrying for seconds.
"""

from __future__ import annotations

from typing import Any

import neo4j
from neo4j import Driver

from api.settings import TLP_LEVELS
from queries import load


def fixed_levels(levels: list[str]) -> list[str]:
    """The caller's sharing levels as a list of one fixed length (the last level repeated):
    Neo4j plans `x IN $tlp` for the list's size, so every caller then shares one cached plan
    (and the plans warmed at start, api/warmup.py, serve them all)."""
    if not levels:
        return levels
    return [*levels, *[levels[-1]] * (len(TLP_LEVELS) - len(levels))]


class Graph:
    def __init__(self, driver: Driver, database: str, timeout: float):
        self.driver = driver
        self.database = database
        self.timeout = timeout

    def rows(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Every row of the named query (queries/<name>.cypher) as plain dicts."""
        query = neo4j.Query(load(name), timeout=self.timeout)  # type: ignore[arg-type]
        if isinstance(params.get("tlp"), list):
            params = {**params, "tlp": fixed_levels(params["tlp"])}
        with self.driver.session(
            database=self.database, default_access_mode=neo4j.READ_ACCESS
        ) as session:
            return [record.data() for record in session.run(query, params)]

    def row(self, name: str, **params: Any) -> dict[str, Any] | None:
        """The first row of the named query, or None when it returns none."""
        rows = self.rows(name, **params)
        return rows[0] if rows else None

    def ping(self) -> None:
        """Raise when Neo4j does not answer."""
        with self.driver.session(
            database=self.database, default_access_mode=neo4j.READ_ACCESS
        ) as session:
            session.run(neo4j.Query("RETURN 1", timeout=self.timeout)).consume()  # type: ignore[arg-type]
