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
from api.delivery import DeliveryWorker
from api.graph import Graph
from api.routers import (
    campaigns,
    companies,
    console,
    cypher,
    entities,
    export,
    exposure,
    funds,
    health,
    ingest,
    paths,
    proposals,
    screening,
    search,
    sparql,
    timeline,
    watches,
    web,
)
from api.saved_queries import SavedQueries
from api.security import RateLimiter, SecurityHeaders, SecurityMiddleware
from api.settings import ApiSettings, get_api_settings
from api.system_store import SystemStore
from api.warmup import warm_up_in_background
from core.db import make_driver

ROUTERS = (
    health,
    search,
    entities,
    funds,
    exposure,
    companies,
    campaigns,
    paths,
    screening,
    proposals,
    export,
    sparql,
    cypher,
    console,
    ingest,
    timeline,
    watches,
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
        if settings.warm_up_wait > 0:
            warm_up_in_background(app.state.graph, settings.warm_up_wait)
        worker = None
        if settings.delivery_worker:  # webhooks: the queue is in Neo4j, any instance delivers
            worker = DeliveryWorker(driver, settings.neo4j.neo4j_database, settings)
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            driver.close()
            store.close()

    app = FastAPI(
        title=settings.title,
        version=package_version("rightsgraph"),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # api/routers/web.py serves /docs with local Swagger UI files
        redoc_url=None,
    )
    app.state.settings = settings
    # keys and the audit log in the shared Neo4j (one for every API process), on their own pool
    store = SystemStore(
        lambda: make_driver(settings.neo4j, max_retry_time=settings.retry_time),
        settings.neo4j.neo4j_database,
        legacy=settings.auth_path,
    )
    app.state.keys = KeyStore(store)
    app.state.audit = AuditLog(store)
    app.state.saved_queries = SavedQueries(store)
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.state.limiter = RateLimiter()  # the middleware's buckets, and screening's rows
    app.add_middleware(
        SecurityMiddleware,
        settings=settings,
        keys=app.state.keys,
        audit=app.state.audit,
        limiter=app.state.limiter,
    )
    if settings.cors_origins:  # closed unless configured; outermost, so preflights need no key
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Accept"],
        )
    app.add_middleware(SecurityHeaders)  # outermost: on every response, refusals included
    return app
