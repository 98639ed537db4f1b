"""API keys: who is calling, with which role and up to which sharing level.

A key is `rg_<id>_<secret>`: the id is public (it names the key in listings and the audit log),
the secret is 32 random bytes. Only the SHA-256 of the whole token is stored, in SQLite at
`<RIGHTSGRAPH_HOME>/auth.sqlite` (WAL mode, so several uvicorn workers and the CLI share it);
a presented token is hashed and compared with `hmac.compare_digest`. A random 256-bit token
needs no salt or slow hash: nothing shorter than the secret itself can be guessed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from api.settings import TLP_LEVELS, levels_up_to
from ontology.types import sharing

ROLES: tuple[str, ...] = ("reader", "investigator", "editor", "admin")
ANONYMOUS = "anonymous"
TOKEN_PREFIX = "rg"
_TOKEN = re.compile(r"^rg_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  tlp TEXT NOT NULL,
  hash TEXT NOT NULL,
  created TEXT NOT NULL,
  revoked TEXT
);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  key_id TEXT,
  caller TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  what TEXT NOT NULL,
  parameters TEXT,
  outcome TEXT NOT NULL,
  reason TEXT
);
"""


class KeyAdminError(ValueError):
    """A bad argument to key management (unknown role, level or key id)."""


@dataclass(frozen=True)
class Caller:
    """The caller of one request: a key, or anonymous (key_id None)."""

    key_id: str | None
    name: str
    role: str
    tlp: str

    @property
    def levels(self) -> list[str]:
        """Every sharing level this caller may read."""
        return list(levels_up_to(self.tlp)) if self.tlp else []

    def has_role(self, role: str) -> bool:
        return self.role in ROLES and ROLES.index(self.role) >= ROLES.index(role)

    @property
    def cleared_for_all(self) -> bool:
        return bool(self.tlp) and self.tlp == sharing.most_restricted()

    @property
    def label(self) -> str:
        return f"key {self.key_id} ({self.name})" if self.key_id else ANONYMOUS


def anonymous(tlp: str | None) -> Caller:
    return Caller(None, ANONYMOUS, ANONYMOUS, tlp or "")


@dataclass(frozen=True)
class KeyInfo:
    id: str
    name: str
    role: str
    tlp: str
    created: str
    revoked: str | None


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_READY: set[Path] = set()


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A short-lived connection (one per operation: safe across threads and worker processes),
    committing on success. The first use in a process creates the file and tables."""
    ready = path in _READY and path.exists()
    if not ready:  # private: the folder 0700 when made here, the file (and SQLite's -wal, -shm,
        # which copy its mode) 0600
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        path.chmod(0o600)
    conn = sqlite3.connect(path, timeout=10)
    try:
        conn.execute("PRAGMA busy_timeout=10000")
        if not ready:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
            _READY.add(path)
        with conn:
            yield conn
    finally:
        conn.close()


class KeyStore:
    def __init__(self, path: Path):
        self.path = path

    def create(self, name: str, role: str, tlp: str) -> tuple[KeyInfo, str]:
        """A new key and its token; the token is shown once and never stored."""
        tlp, role = tlp.strip().upper(), role.strip().lower()  # both case-insensitive
        if role not in ROLES:
            raise KeyAdminError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        if not sharing.is_level(tlp):
            raise KeyAdminError(
                f"unknown sharing level {tlp!r}; use one of {', '.join(TLP_LEVELS)}"
            )
        if not name.strip():
            raise KeyAdminError("a key needs a name (who or what uses it)")
        key_id = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        info = KeyInfo(key_id, name.strip(), role, tlp, now(), None)
        with connect(self.path) as conn:
            conn.execute(
                "INSERT INTO api_keys (id, name, role, tlp, hash, created) VALUES (?,?,?,?,?,?)",
                (info.id, info.name, role, tlp, token_hash(token), info.created),
            )
        return info, token

    def list(self) -> list[KeyInfo]:
        with connect(self.path) as conn:
            rows = conn.execute(
                "SELECT id, name, role, tlp, created, revoked FROM api_keys ORDER BY created, id"
            ).fetchall()
        return [KeyInfo(*row) for row in rows]

    def revoke(self, key_id: str) -> KeyInfo:
        with connect(self.path) as conn:
            found = conn.execute("SELECT 1 FROM api_keys WHERE id = ?", (key_id,)).fetchone()
            if not found:
                raise KeyAdminError(f"no key with id {key_id!r}")
            conn.execute(
                "UPDATE api_keys SET revoked = coalesce(revoked, ?) WHERE id = ?", (now(), key_id)
            )
        return next(k for k in self.list() if k.id == key_id)

    def verify(self, token: str) -> Caller | None:
        """The caller a token names, or None when it is malformed, unknown or revoked."""
        match = _TOKEN.match(token.strip())
        if not match:
            return None
        with connect(self.path) as conn:
            row = conn.execute(
                "SELECT id, name, role, tlp, hash FROM api_keys WHERE id = ? AND revoked IS NULL",
                (match.group(1),),
            ).fetchone()
        if row is None or not hmac.compare_digest(row[4], token_hash(token.strip())):
            return None
        return Caller(row[0], row[1], row[2], row[3])
