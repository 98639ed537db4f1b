"""The FastAPI application: one Neo4j driver for the process, routers by concern, problem+json
errors, API keys, rate and size limits in front (api/security.py). Start it with
`rightsgraph serve` (uvicorn, `api.app:create_app` as factory)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version as package_version

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import errors
from api.audit import AuditLog
from api.auth import KeyStore
from api.graph import Graph
from api.routers import (
    campaigns,
    companies,
    cypher,
    entities,
    export,
    funds,
    health,
    ingest,
    paths,
    proposals,
    screening,
    search,
    web,
)
from api.security import SecurityMiddleware
from api.settings import ApiSettings, get_api_settings
from core.db import make_driver

ROUTERS = (
    health,
    search,
    entities,
    funds,
    companies,
    campaigns,
    paths,
    screening,
    proposals,
    export,
    cypher,
    ingest,
    web,
)

DESCRIPTION = """Funds, companies, government contracts and human-rights allegations, with the
evidence behind every link. Errors are `application/problem+json`; lists are paged with
`limit` and `offset`."""


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or get_api_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # connects lazily: the API starts even if Neo4j is down
        driver = make_driver(settings.neo4j, max_retry_time=settings.retry_time)
        app.state.graph = Graph(driver, settings.neo4j.neo4j_database, settings.query_timeout)
        try:
            yield
        finally:
            driver.close()

    app = FastAPI(
        title=settings.title,
        version=package_version("rightsgraph"),
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.keys = KeyStore(settings.auth_path)
    app.state.audit = AuditLog(settings.auth_path)
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.add_middleware(
        SecurityMiddleware, settings=settings, keys=app.state.keys, audit=app.state.audit
    )
    if settings.cors_origins:  # closed unless configured; outermost, so preflights need no key
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Accept"],
        )
    return app
