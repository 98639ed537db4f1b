"""API keys: who is calling, with which role and up to which sharing level.

A key is `rg_<id>_<secret>`: the id is public (it names the key in listings and the audit log),
the secret is 32 random bytes. Only the SHA-256 of the whole token is stored, as a node in the
shared Neo4j (api/system_store.py), so every API process and the CLI see one set of keys; a
presented token is looked up on every request and compared with `hmac.compare_digest`. A random 256-bit token
needs no salt or slow hash: nothing shorter than the secret itself can be guessed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from api.settings import TLP_LEVELS, levels_up_to
from api.system_store import KEY, KEY_FIELDS, SystemStore, fields
from ontology.types import sharing

ROLES: tuple[str, ...] = ("reader", "investigator", "editor", "admin")
ANONYMOUS = "anonymous"
TOKEN_PREFIX = "rg"
_TOKEN = re.compile(r"^rg_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


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
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class KeyStore:
    def __init__(self, store: SystemStore):
        self.store = store

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
        self.store.run(
            f"CREATE (k:{KEY}) SET k.rgsystemId = $id, k.rgsystemName = $name, "
            "k.rgsystemRole = $role, k.rgsystemTlp = $tlp, k.rgsystemHash = $hash, "
            "k.rgsystemCreated = $created",
            True,
            id=info.id,
            name=info.name,
            role=role,
            tlp=tlp,
            hash=token_hash(token),
            created=info.created,
        )
        return info, token

    def list(self) -> list[KeyInfo]:
        shown = tuple(f for f in KEY_FIELDS if f != "hash")
        rows = self.store.run(f"MATCH (k:{KEY}) RETURN {fields('k', shown)} ORDER BY created, id")
        return [KeyInfo(**row) for row in rows]

    def revoke(self, key_id: str) -> KeyInfo:
        found = self.store.run(
            f"MATCH (k:{KEY} {{rgsystemId: $id}}) "
            "SET k.rgsystemRevoked = coalesce(k.rgsystemRevoked, $at) RETURN k.rgsystemId AS id",
            True,
            id=key_id,
            at=now(),
        )
        if not found:
            raise KeyAdminError(f"no key with id {key_id!r}")
        return next(k for k in self.list() if k.id == key_id)

    def verify(self, token: str) -> Caller | None:
        """The caller a token names, or None when it is malformed, unknown or revoked; read
        from the store on every call (no cache), so a revocation holds at once everywhere."""
        match = _TOKEN.match(token.strip())
        if not match:
            return None
        rows = self.store.run(
            f"MATCH (k:{KEY} {{rgsystemId: $id}}) WHERE k.rgsystemRevoked IS NULL "
            f"RETURN {fields('k', ('id', 'name', 'role', 'tlp', 'hash'))}",
            id=match.group(1),
        )
        if not rows or not hmac.compare_digest(rows[0]["hash"], token_hash(token.strip())):
            return None
        row = rows[0]
        return Caller(row["id"], row["name"], row["role"], row["tlp"])
