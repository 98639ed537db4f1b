"""`POST /cypher`: read-only Cypher for investigators cleared for every sharing level.

Results are not filtered by sharing level: a query can learn about a hidden node through what it
returns (a count, a boolean, an order) without returning the node, so no filter on the output can
keep a level secret. The endpoint is for keys cleared for RED instead (docs/security.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from neo4j.exceptions import ClientError, DatabaseError, TransientError
from pydantic import Field

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
from api.errors import GraphUnavailable, responses
from api.security import require

router = APIRouter(tags=["cypher"])
ENDPOINT = "POST /cypher"


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

    def log(outcome: str, reason: str | None = None) -> None:
        audit.record(caller, ENDPOINT, body.query, outcome, reason, body.parameters)

    require(
        caller,
        "investigator",
        audit=audit,
        endpoint=ENDPOINT,
        what=body.query,
        parameters=body.parameters,
    )
    timeout = settings.cypher_timeout
    try:
        check_query(body.query, body.parameters)
        with _concurrency(request, settings.cypher_max_running).slot(graph.driver, caller.key_id):
            result = run_read_query(
                graph.driver,
                graph.database,
                body.query,
                body.parameters,
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
