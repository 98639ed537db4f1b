"""`POST /cypher`: read-only Cypher for investigators cleared for every sharing level.

Results are not filtered by sharing level: a query can learn about a hidden node through what it
returns (a count, a boolean, an order) without returning the node, so no filter on the output can
keep a level secret. The endpoint is for keys cleared for RED instead (docs/security.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from neo4j.exceptions import ClientError, DatabaseError, TransientError
from pydantic import Field

import queries
from api.audit import AuditLog
from api.auth import Caller
from api.cypher import (
    Concurrency,
    QueryBusy,
    QueryRefused,
    QueryTimedOut,
    ServerBusy,
    check_query,
    run_read_query,
)
from api.data import Model
from api.deps import AuditDep, CallerDep, GraphDep, SettingsDep
from api.errors import GraphUnavailable, NotFound, responses
from api.graph import Graph
from api.security import require
from api.settings import ApiSettings

router = APIRouter(tags=["cypher"])
ENDPOINT = "POST /cypher"
NAMED_ENDPOINT = "POST /queries/{name}/run"


class CypherRequest(Model):
    query: str = Field(description="one read-only Cypher query; values belong in `parameters`")
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="query parameters ($name in the query)"
    )


class CypherResponse(Model):
    columns: list[str]
    rows: list[dict[str, Any]] = Field(
        description="one map per row; nodes as {id, labels, properties}, relationships as "
        "{type, start, end, properties}, paths as {nodes, relationships}"
    )
    row_count: int
    truncated: bool = Field(description="true when the query had more rows or bytes than the cap")
    truncated_by: str | None = Field(
        default=None, description='"rows" or "bytes": which cap cut the answer short'
    )
    max_rows: int
    max_bytes: int


def _timed_out(exc: ClientError) -> bool:
    code = exc.code or ""
    return "TransactionTimedOut" in code or "Terminated" in code


def _concurrency(request: Request, limit: int) -> Concurrency:
    """The app's one Concurrency (made on first use)."""
    state = request.app.state
    if getattr(state, "cypher_concurrency", None) is None:
        state.cypher_concurrency = Concurrency(limit)
    return state.cypher_concurrency


@router.post(
    "/cypher", response_model=CypherResponse, responses=responses(401, 403, 413, 422, 429, 503)
)
def cypher(
    request: Request,
    body: CypherRequest,
    caller: CallerDep,
    graph: GraphDep,
    audit: AuditDep,
    settings: SettingsDep,
) -> CypherResponse:
    """Run one read-only query (investigator keys cleared for RED). Writes, LOAD CSV, admin
    commands and procedures outside an allow-list are refused before anything runs; the query
    runs in a READ transaction with a timeout, one at a time per key, and at most a capped number
    of rows and bytes comes back. Every attempt is in the audit log."""
    return _execute(request, caller, graph, audit, settings, ENDPOINT, body.query, body.parameters)


class NamedRunRequest(Model):
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="the query's parameters (GET /queries lists them with example values)",
    )


@router.post(
    "/queries/{name}/run",
    response_model=CypherResponse,
    responses=responses(401, 403, 404, 413, 422, 429, 503),
)
def run_named(
    name: str,
    request: Request,
    body: NamedRunRequest,
    caller: CallerDep,
    graph: GraphDep,
    audit: AuditDep,
    settings: SettingsDep,
) -> CypherResponse:
    """Run a named query of queries/ with the given parameters, on the same terms as /cypher
    (investigator keys cleared for RED; read-only, timed, capped, audited). The text is the
    project's own, so the guard on typed queries does not apply; Neo4j's plan must still say
    it reads."""
    try:
        query = queries.load(name)
    except KeyError:
        raise NotFound(f"no named query {name!r}") from None
    return _execute(
        request, caller, graph, audit, settings, NAMED_ENDPOINT, query, body.parameters, name
    )


def _execute(
    request: Request,
    caller: Caller,
    graph: Graph,
    audit: AuditLog,
    settings: ApiSettings,
    endpoint: str,
    query: str,
    parameters: dict[str, Any],
    named: str | None = None,
) -> CypherResponse:
    """Check the caller, then the query (typed ones only), run it and audit every outcome."""
    what = f"query {named}" if named else query

    def log(outcome: str, reason: str | None = None) -> None:
        audit.record(caller, endpoint, what, outcome, reason, parameters)

    require(
        caller,
        "investigator",
        audit=audit,
        endpoint=endpoint,
        what=what,
        parameters=parameters,
    )
    timeout = settings.cypher_timeout
    try:
        if named is None:
            check_query(query, parameters)
        with _concurrency(request, settings.cypher_max_running).slot(graph.driver, caller.key_id):
            result = run_read_query(
                graph.driver,
                graph.database,
                query,
                parameters,
                timeout=timeout,
                max_rows=settings.cypher_max_rows,
                max_bytes=settings.cypher_max_bytes,
                metadata={"key": caller.key_id},
            )
    except QueryTimedOut as exc:
        log("timeout", exc.detail)
        raise
    except (QueryRefused, QueryBusy, ServerBusy) as exc:
        log("refused", exc.detail)
        raise
    except ClientError as exc:
        if _timed_out(exc):
            reason = f"the query ran longer than {timeout:g} s and Neo4j stopped it"
            log("timeout", reason)
            raise QueryTimedOut(reason) from None
        reason = f"Neo4j refused the query: {exc.message or exc.code}"
        log("refused", reason)
        raise QueryRefused(reason) from None
    except (DatabaseError, TransientError) as exc:
        if "MemoryPoolOutOfMemoryError" in (exc.code or "") or "OutOfMemory" in (exc.code or ""):
            reason = f"the query needed more memory than Neo4j allows a transaction ({exc.code})"
            log("refused", reason)
            raise QueryRefused(reason) from None
        log("error", f"{type(exc).__name__}: {exc.code}")
        raise GraphUnavailable("the graph database failed to run the query") from None
    except Exception as exc:
        log("error", type(exc).__name__)
        raise
    cut = f", truncated by {result.truncated_by}" if result.truncated else ""
    log("ok", f"{len(result.rows)} rows, {result.bytes:,} bytes{cut}")
    return CypherResponse(
        columns=result.columns,
        rows=result.rows,
        row_count=len(result.rows),
        truncated=result.truncated,
        truncated_by=result.truncated_by,
        max_rows=settings.cypher_max_rows,
        max_bytes=settings.cypher_max_bytes,
    )
