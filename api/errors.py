"""Every error the API returns is `application/problem+json` (RFC 9457): type, title, status,
detail. Unknown ids give 404, bad parameters 422, an unreachable or overloaded Neo4j 503; a missing
or bad key 401, a role or sharing level too low 403, a body too large 413, too many requests 429."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from neo4j.exceptions import (
    ClientError,
    ConnectionAcquisitionTimeoutError,
    DatabaseUnavailable,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("rightsgraph.api")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://w3id.org/rightsgraph/problems/"


class ApiProblem(Exception):
    """A failure with its HTTP status; raise a subclass from a router."""

    status = 500
    title = "Internal error"
    kind = "internal"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.headers = headers
        self.extra = extra


class NotFound(ApiProblem):
    status, title, kind = 404, "Not found", "not-found"


class BadParameter(ApiProblem):
    status, title, kind = 422, "Invalid parameter", "invalid-parameter"


class GraphUnavailable(ApiProblem):
    status, title, kind = 503, "Graph database unavailable", "graph-unavailable"


class Unauthorized(ApiProblem):
    status, title, kind = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str, **extra: Any):
        super().__init__(detail, headers={"WWW-Authenticate": WWW_AUTHENTICATE}, **extra)


class Forbidden(ApiProblem):
    status, title, kind = 403, "Forbidden", "forbidden"


class PayloadTooLarge(ApiProblem):
    status, title, kind = 413, "Request too large", "too-large"


class TooManyRequests(ApiProblem):
    status, title, kind = 429, "Too many requests", "rate-limited"


WWW_AUTHENTICATE = 'Bearer realm="rightsgraph", charset="UTF-8"'


def problem(
    status: int,
    title: str,
    detail: str,
    kind: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": PROBLEM_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    if status == 503:
        headers = {"Retry-After": "5", **(headers or {})}
    return JSONResponse(
        jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _timed_out(exc: ClientError) -> bool:
    return "TransactionTimedOut" in (exc.code or "") or "Terminated" in (exc.code or "")


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into problem+json."""

    @app.exception_handler(ApiProblem)
    def _api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, exc.kind, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
        return problem(
            422, "Invalid request", detail or "invalid request", "invalid-parameter", errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # a body FastAPI cannot decode: bad input, like invalid JSON
            return problem(422, "Invalid request", str(exc.detail), "invalid-parameter")
        title = {404: "Not found", 405: "Method not allowed", 413: PayloadTooLarge.title}.get(
            exc.status_code, "HTTP error"
        )
        return problem(exc.status_code, title, str(exc.detail), "http-" + str(exc.status_code))

    @app.exception_handler(ServiceUnavailable)
    @app.exception_handler(SessionExpired)
    @app.exception_handler(DatabaseUnavailable)
    @app.exception_handler(TransientError)
    @app.exception_handler(ConnectionAcquisitionTimeoutError)
    def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("Neo4j unavailable: %s", exc)
        return problem(
            503,
            GraphUnavailable.title,
            f"the graph database does not answer: {type(exc).__name__}",
            GraphUnavailable.kind,
        )

    @app.exception_handler(ClientError)
    def _client_error(request: Request, exc: ClientError) -> JSONResponse:
        if _timed_out(exc):
            return problem(
                503,
                GraphUnavailable.title,
                "the query took too long and was stopped",
                GraphUnavailable.kind,
            )
        log.error("query rejected by Neo4j: %s", exc)
        return problem(
            500, ApiProblem.title, "the graph database rejected the query", ApiProblem.kind
        )

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return problem(
            500, ApiProblem.title, "unexpected error; see the server log", ApiProblem.kind
        )


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses a route can give."""
    from api.data import Problem

    titles = {
        401: "Missing, unknown or revoked API key",
        403: "Role or sharing level too low",
        404: "Unknown id",
        406: "No acceptable result format",
        413: "Request too large",
        415: "Unsupported media type",
        422: "Invalid parameter",
        429: "Too many requests",
        503: "Graph database unavailable",
        504: "Query timed out",
    }
    return {
        s: {
            "model": Problem,
            "description": titles.get(s, "Problem"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for s in (*statuses, 422, 503)
    }
