"""`POST /cypher`: read-only Cypher for investigators cleared for every sharing level.

Results are not filtered by sharing level: a query can learn about a hidden node through what it
returns (a count, a boolean, an order) without returning the node, so no filter on the output can
keep a level secret. The endpoint is for keys cleared for RED instead (docs/security.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from neo4j.exceptions import ClientError, DatabaseError
from pydantic import Field

from api.cypher import QueryRefused, check_query, run_read_query
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
    truncated: bool = Field(description="true when the query had more rows than the cap")
    max_rows: int


def _client_error(exc: ClientError, timeout: float) -> str:
    code = exc.code or ""
    if "TransactionTimedOut" in code or "Terminated" in code:
        return f"the query ran longer than {timeout:g} s and was stopped"
    return f"Neo4j refused the query: {exc.message or code}"


@router.post("/cypher", response_model=CypherResponse, responses=responses(401, 403, 413, 422, 429))
def cypher(
    body: CypherRequest, caller: CallerDep, graph: GraphDep, audit: AuditDep, settings: SettingsDep
) -> CypherResponse:
    """Run one read-only query (investigator keys cleared for RED). Writes, LOAD CSV, admin
    commands and procedures outside an allow-list are refused before anything runs; the query
    runs in a READ transaction with a timeout, and at most a capped number of rows comes back.
    Every attempt is in the audit log."""

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
    try:
        check_query(body.query)
        result = run_read_query(
            graph.driver,
            graph.database,
            body.query,
            body.parameters,
            timeout=settings.cypher_timeout,
            max_rows=settings.cypher_max_rows,
        )
    except QueryRefused as exc:
        log("refused", exc.detail)
        raise
    except ClientError as exc:
        reason = _client_error(exc, settings.cypher_timeout)
        log("refused", reason)
        raise QueryRefused(reason) from None
    except DatabaseError as exc:
        log("error", f"{type(exc).__name__}: {exc.code}")
        raise GraphUnavailable("the graph database failed to run the query") from None
    except Exception as exc:
        log("error", type(exc).__name__)
        raise
    log("ok", f"{len(result.rows)} rows" + (", truncated" if result.truncated else ""))
    return CypherResponse(
        columns=result.columns,
        rows=result.rows,
        row_count=len(result.rows),
        truncated=result.truncated,
        max_rows=settings.cypher_max_rows,
    )
