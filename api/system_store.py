"""The API's own data in the shared Neo4j: API keys, their revocations and the audit log.

Every API process (and the CLI) reads and writes the same nodes, so several instances behind a
balancer behave as one: a key created anywhere works everywhere, a revocation is refused by every
instance from its next request on (keys are looked up on every request, never cached), and one
audit log holds every instance's entries, numbered by one counter.

The nodes carry `:RgSystem` and a kind label (`:RgSystemApiKey`, `:RgSystemAudit`,
`:RgSystemCounter`; `:RgSystemSavedQuery` for the console's saved queries,
api/saved_queries.py), never `:Node`; every property name starts with `rgsystem`. So no named
query, export, backup or canonical dump sees them, and `/cypher` refuses the prefix and withholds
any value that carries it (docs/security.md).

A key database of the SQLite days (`<RIGHTSGRAPH_HOME>/auth.sqlite` or RIGHTSGRAPH_AUTH_DB) is
migrated once, on first use: keys (hashes, revocations) and audit rows are copied, the migration
itself is audited, and the file is renamed `*.migrated` (kept 0600), so it is never read again.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import neo4j
from neo4j import Driver
from neo4j.exceptions import ConstraintError

from core.names import API_KEY_LABEL, AUDIT_LABEL, COUNTER_LABEL, SYSTEM_LABEL, system_property

KEY = f"`{SYSTEM_LABEL}`:`{API_KEY_LABEL}`"
AUDIT = f"`{SYSTEM_LABEL}`:`{AUDIT_LABEL}`"
COUNTER = f"`{SYSTEM_LABEL}`:`{COUNTER_LABEL}`"
SCHEMA = (
    f"CREATE CONSTRAINT rgsystem_key_id IF NOT EXISTS FOR (k:`{API_KEY_LABEL}`) "
    "REQUIRE k.rgsystemId IS UNIQUE",
    f"CREATE CONSTRAINT rgsystem_audit_seq IF NOT EXISTS FOR (a:`{AUDIT_LABEL}`) "
    "REQUIRE a.rgsystemSeq IS UNIQUE",
    f"CREATE CONSTRAINT rgsystem_audit_bucket IF NOT EXISTS FOR (a:`{AUDIT_LABEL}`) "
    "REQUIRE a.rgsystemBucket IS UNIQUE",
    f"CREATE CONSTRAINT rgsystem_counter IF NOT EXISTS FOR (c:`{COUNTER_LABEL}`) "
    "REQUIRE c.rgsystemName IS UNIQUE",
)
NEXT_SEQ = (
    f"MERGE (c:{COUNTER} {{rgsystemName: 'audit'}}) "
    "SET c.rgsystemValue = coalesce(c.rgsystemValue, 0) + 1 WITH c.rgsystemValue AS seq "
)
KEY_FIELDS = ("id", "name", "role", "tlp", "hash", "created", "revoked")
AUDIT_FIELDS = (
    "seq",
    "at",
    "keyId",
    "caller",
    "endpoint",
    "what",
    "parameters",
    "outcome",
    "reason",
    "count",
    "lastAt",
    "instance",
)


prop = system_property  # `id` -> `rgsystemId`: the stored name of a field


def fields(var: str, names: tuple[str, ...]) -> str:
    """`k.rgsystemId AS id, …` for a RETURN."""
    return ", ".join(f"{var}.{prop(n)} AS {n}" for n in names)


INSTANCE = f"{os.uname().nodename}:{os.getpid()}"
READ_TIMEOUT = 5.0  # seconds a key lookup or audit read may take


class SystemStore:
    """Reads and writes of the API's own nodes; the schema (and any migration) on first use.

    `driver` is a driver or a function making one on first use (the API's store opens its own
    connection pool lazily, `close` gives it back)."""

    def __init__(
        self,
        driver: Driver | Callable[[], Driver],
        database: str | None,
        legacy: Path | None = None,
    ):
        self._driver = driver if isinstance(driver, Driver) else None
        self._make = None if isinstance(driver, Driver) else driver
        self.database = database
        self.legacy = legacy
        self._ready = False
        self._lock = threading.RLock()

    @property
    def driver(self) -> Driver:
        if self._driver is None:
            with self._lock:
                if self._driver is None:
                    assert self._make is not None
                    self._driver = self._make()
        return self._driver

    def close(self) -> None:
        """Close a driver this store made (a later call opens a new one)."""
        if self._make is not None and self._driver is not None:
            self._driver.close()
            self._driver = None

    def run(self, cypher: str, write: bool = False, **params: Any) -> list[dict[str, Any]]:
        self.ready()
        return self._run(cypher, write, **params)

    def _run(self, cypher: str, write: bool, **params: Any) -> list[dict[str, Any]]:
        """Writes in a managed transaction (retried on deadlocks: the audit counter is one
        node); reads auto-commit without retries, so a lost Neo4j fails a key check at once."""
        if write:
            records, _, _ = self.driver.execute_query(
                cypher, params, database_=self.database, routing_="w"
            )
            return [r.data() for r in records]
        with self.driver.session(
            database=self.database, default_access_mode=neo4j.READ_ACCESS
        ) as session:
            return session.run(neo4j.Query(cypher, timeout=READ_TIMEOUT), params).data()  # type: ignore[arg-type]

    def ready(self) -> None:
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            for stmt in SCHEMA:
                self._run(stmt, True)
            self._ready = True
            if self.legacy is not None:
                migrate_sqlite(self, self.legacy)

    def next_audit(self, values: dict[str, Any]) -> int:
        """Append an audit entry; its sequence number."""
        props = {prop(k): v for k, v in values.items() if v is not None}
        rows = self.run(
            NEXT_SEQ + f"CREATE (a:{AUDIT}) SET a = $props, a.rgsystemSeq = seq RETURN seq",
            True,
            props={**props, prop("instance"): INSTANCE},
        )
        return rows[0]["seq"]

    def count_audit(self, bucket: str, values: dict[str, Any]) -> int:
        """Count one more occurrence in the aggregated entry `bucket` (made when new)."""
        found = self.run(
            f"MATCH (a:{AUDIT} {{rgsystemBucket: $bucket}}) "
            "SET a.rgsystemCount = a.rgsystemCount + 1, a.rgsystemLastAt = $at RETURN a.rgsystemSeq AS seq",
            True,
            bucket=bucket,
            at=values["at"],
        )
        if found:
            return found[0]["seq"]
        try:
            return self.next_audit({**values, "bucket": bucket, "count": 1, "lastAt": values["at"]})
        except ConstraintError:  # another instance made it first: count there
            return self.count_audit(bucket, values)


def migrate_sqlite(store: SystemStore, path: Path) -> int:
    """Copy keys and audit rows of a SQLite key database into the store, once; the number of keys.

    The file is first renamed (atomically: one process wins), then read, then left as
    `<name>.migrated`, mode 0600."""
    if not path.is_file():
        return 0
    claimed = path.with_name(f"{path.name}.migrating-{os.getpid()}")
    try:
        path.rename(claimed)
    except OSError:  # another process is migrating it
        return 0
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(claimed.with_name(claimed.name + suffix))
    conn = sqlite3.connect(claimed)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        keys = (
            conn.execute(
                f"SELECT {', '.join(KEY_FIELDS)} FROM api_keys ORDER BY created"
            ).fetchall()
            if "api_keys" in tables
            else []
        )
        audit = (
            conn.execute(
                "SELECT at, key_id, caller, endpoint, what, parameters, outcome, reason "
                "FROM audit ORDER BY seq"
            ).fetchall()
            if "audit" in tables
            else []
        )
    finally:
        conn.close()
    for row in keys:
        values = {prop(k): v for k, v in zip(KEY_FIELDS, row, strict=True) if v is not None}
        store._run(
            f"MERGE (k:{KEY} {{rgsystemId: $id}}) ON CREATE SET k += $values",
            True,
            id=values[prop("id")],
            values=values,
        )
    names = ("at", "keyId", "caller", "endpoint", "what", "parameters", "outcome", "reason")
    for row in audit:
        store.next_audit(dict(zip(names, row, strict=True)))
    done = path.with_name(path.name + ".migrated")
    claimed.rename(done)
    done.chmod(0o600)
    for suffix in ("-wal", "-shm"):
        side = claimed.with_name(claimed.name + suffix)
        if side.exists():
            side.unlink()
    store.next_audit(
        {
            "at": _now(),
            "caller": "rightsgraph",
            "endpoint": "migrate",
            "what": f"keys and audit log from {path}",
            "outcome": "ok",
            "reason": f"{len(keys)} keys, {len(audit)} audit entries; file kept as {done.name}",
        }
    )
    return len(keys)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
