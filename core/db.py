"""The one Neo4j session helper: a driver built from settings, with bounded timeouts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import neo4j
from neo4j import Driver, GraphDatabase

from core.errors import DatabaseUnavailable
from core.settings import Settings, get_settings


def make_driver(settings: Settings | None = None, max_retry_time: float = 15.0) -> Driver:
    """A driver for the configured server; accepts bolt://, neo4j:// and +s/+ssc routing URIs.

    `max_retry_time` bounds how long managed transactions retry transient errors and a lost
    server: long for the CLI (ride out a restart), short for the API (answer 503 in time)."""
    s = settings or get_settings()
    password = s.bolt_password
    auth = (s.neo4j_user, password) if password else None
    return GraphDatabase.driver(
        s.neo4j_uri,
        auth=auth,
        connection_timeout=2.0,
        connection_acquisition_timeout=5.0,
        max_transaction_retry_time=max_retry_time,
        liveness_check_timeout=30.0,
        notifications_min_severity="OFF",
    )


@contextmanager
def driver_scope(settings: Settings | None = None) -> Iterator[Driver]:
    driver = make_driver(settings)
    try:
        yield driver
    finally:
        driver.close()


def database(settings: Settings | None = None) -> str:
    return (settings or get_settings()).neo4j_database


ServiceUnavailable = neo4j.exceptions.ServiceUnavailable


def connect(settings: Settings | None = None) -> Driver:
    """A driver whose server answered, or DatabaseUnavailable saying what to do."""
    s = settings or get_settings()
    driver = make_driver(s)
    try:
        driver.verify_connectivity()
    except Exception as exc:  # ServiceUnavailable, AuthError, DNS errors…
        driver.close()
        hint = (
            "check NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD"
            if s.external
            else "start it with `rightsgraph neo4j start` (or set NEO4J_URI to use another server)"
        )
        raise DatabaseUnavailable(
            f"Neo4j does not answer at {s.neo4j_uri}: {exc}; {hint}"
        ) from None
    return driver
