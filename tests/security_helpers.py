"""Shared by the security tests: the confidential fixture report, a key per role and level, and
an app; keys and the audit log live in the test Neo4j (api/system_store.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fastapi import FastAPI

from api.app import create_app
from api.audit import AuditEntry, AuditLog
from api.auth import KeyStore
from api.settings import ApiSettings
from api.system_store import SystemStore
from core.db import make_driver
from core.settings import Settings

CONFIDENTIAL = Path(__file__).resolve().parent / "data" / "security" / "confidential.yaml"
# what no caller below AMBER may ever see: every id of the fixture starts with "sec-", and every
# literal in it holds one of these markers or numbers
HIDDEN_MARKERS = ("sec-", "amberwatch", "redline", "424242424", "31337000", "0.0777")
KEYS = {
    "green_reader": ("reader", "GREEN"),
    "amber_reader": ("reader", "AMBER"),
    "red_reader": ("reader", "RED"),
    "investigator": ("investigator", "RED"),
    "amber_investigator": ("investigator", "AMBER"),
    "editor": ("editor", "RED"),
    "amber_editor": ("editor", "AMBER"),
    "admin": ("admin", "RED"),
}


_STORES: dict[Settings, SystemStore] = {}


def system_store(settings: Settings) -> SystemStore:
    if settings not in _STORES:
        _STORES[settings] = SystemStore(lambda: make_driver(settings), settings.neo4j_database)
    return _STORES[settings]


def make_keys(settings: Settings) -> dict[str, str]:
    """A token for each entry of KEYS, plus one revoked key ("revoked"), in the shared store."""
    store = KeyStore(system_store(settings))
    tokens = {name: store.create(name, role, tlp)[1] for name, (role, tlp) in KEYS.items()}
    info, tokens["revoked"] = store.create("revoked", "admin", "RED")
    store.revoke(info.id)
    return tokens


def make_app(settings: Settings, auth_db: Path | None = None, **overrides) -> FastAPI:
    """The API (a SQLite key database to migrate at `auth_db`, if any); GET /export mounted when
    app.py does not mount it."""
    from api.routers import export

    api_settings = replace(ApiSettings(neo4j=settings, auth_db=auth_db), **overrides)
    app = create_app(api_settings)
    if not any(getattr(r, "path", "") == "/export" for r in app.routes):
        app.include_router(export.router)
    return app


def key(token: str) -> dict[str, str]:
    return {"X-API-Key": token}


def audit_entries(settings: Settings, limit: int = 10_000) -> list[AuditEntry]:
    return AuditLog(system_store(settings)).recent(limit)


def leaked(text: str) -> list[str]:
    lowered = text.lower()
    return [m for m in HIDDEN_MARKERS if m in lowered]
