"""`GET/POST /sparql`: the SPARQL 1.1 protocol over exactly what the caller's key may see.

Every caller's query runs against the store of its own sharing level (`api/sparql.py`): the
RDF export at that level, rebuilt from Neo4j when the graph changes. Results as SPARQL JSON or
CSV (SELECT, ASK), Turtle or N-Triples (CONSTRUCT, DESCRIBE), by `Accept` or `format=`."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import AuditDep, CallerDep, GraphDep, SettingsDep, TlpDep
from api.errors import BadParameter, PayloadTooLarge, responses
from api.sparql import (
    CSV,
    JSON,
    NTRIPLES,
    TURTLE,
    Answer,
    NotAcceptable,
    Slots,
    SparqlBusy,
    SparqlIndex,
    SparqlRefused,
    SparqlTimedOut,
    check_query,
    run_query,
)
from ontology.types import sharing

router = APIRouter(tags=["sparql"])
MAX_QUERY = 64 * 1024
FORMATS = {"json": JSON, "csv": CSV, "turtle": TURTLE, "ntriples": NTRIPLES}
RESULT_TYPES: dict[str, dict] = {JSON: {}, CSV: {}, TURTLE: {}, NTRIPLES: {}}


class UnsupportedMedia(BadParameter):
    status, title, kind = 415, "Unsupported media type", "unsupported-media"


def _index(request: Request, max_age: float) -> SparqlIndex:
    state = request.app.state
    if getattr(state, "sparql_index", None) is None:
        state.sparql_index = SparqlIndex(max_age)
    return state.sparql_index


def _slots(request: Request, limit: int) -> Slots:
    state = request.app.state
    if getattr(state, "sparql_slots", None) is None:
        state.sparql_slots = Slots(limit)
    return state.sparql_slots


def _answer(
    request: Request,
    query: str,
    accept: str | None,
    fmt: str | None,
    caller: CallerDep,
    graph: GraphDep,
    levels: list[str],
    audit: AuditDep,
    settings: SettingsDep,
    endpoint: str,
) -> Response:
    def log(outcome: str, reason: str | None = None) -> None:
        audit.record(caller, endpoint, query[:2000], outcome, reason, {})

    if len(query.encode("utf-8")) > MAX_QUERY:
        raise PayloadTooLarge(f"a query is at most {MAX_QUERY} bytes")
    if fmt is not None:
        if fmt not in FORMATS:
            raise BadParameter(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        accept = FORMATS[fmt]
    level = sharing.strictest(levels, default=sharing.most_open())
    try:
        check_query(query)
        with _slots(request, settings.cypher_max_running).slot(caller.key_id):
            store = _index(request, settings.sparql_max_age).store(
                graph.driver, graph.database, level
            )
            answer: Answer = run_query(
                store.store,
                query,
                accept,
                timeout=settings.cypher_timeout,
                max_rows=settings.cypher_max_rows,
                max_bytes=settings.cypher_max_bytes,
            )
    except (SparqlRefused, SparqlBusy, NotAcceptable) as exc:
        log("refused", exc.detail)
        raise
    except SparqlTimedOut as exc:
        log("timeout", exc.detail)
        raise
    cut = f", truncated by {answer.truncated_by}" if answer.truncated_by else ""
    log("ok", f"{answer.rows} results at {level}{cut}")
    headers = {"RightsGraph-Level": level}
    if answer.truncated_by:
        headers["RightsGraph-Truncated"] = answer.truncated_by
    return Response(answer.body, media_type=answer.media_type, headers=headers)


@router.get(
    "/sparql",
    responses={
        **responses(401, 406, 413, 422, 429, 503, 504),
        200: {"content": RESULT_TYPES, "description": "the query's results"},
    },
    response_class=Response,
)
def sparql_get(
    request: Request,
    caller: CallerDep,
    graph: GraphDep,
    levels: TlpDep,
    audit: AuditDep,
    settings: SettingsDep,
    query: Annotated[
        str, Query(description="a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE)")
    ],
    format: Annotated[
        str | None, Query(description="json, csv, turtle or ntriples; overrides Accept")
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Read-only SPARQL over the graph as the caller's key may see it (the RDF export at its
    level); the same cost limits as /cypher."""
    return _answer(
        request, query, accept, format, caller, graph, levels, audit, settings, "GET /sparql"
    )


@router.post(
    "/sparql",
    responses={
        **responses(401, 406, 413, 415, 422, 429, 503, 504),
        200: {"content": RESULT_TYPES, "description": "the query's results"},
    },
    response_class=Response,
)
async def sparql_post(
    request: Request,
    caller: CallerDep,
    graph: GraphDep,
    levels: TlpDep,
    audit: AuditDep,
    settings: SettingsDep,
    format: Annotated[
        str | None, Query(description="json, csv, turtle or ntriples; overrides Accept")
    ] = None,
    accept: Annotated[str | None, Header()] = None,
    content_type: Annotated[str | None, Header()] = None,
) -> Response:
    """The query as the body (`application/sparql-query`) or as the form field `query`
    (`application/x-www-form-urlencoded`); SPARQL Update (`application/sparql-update`, the form
    field `update`) is refused."""
    body = await request.body()
    if len(body) > MAX_QUERY:
        raise PayloadTooLarge(f"a query is at most {MAX_QUERY} bytes")
    media = (content_type or "").split(";")[0].strip().lower()
    text = body.decode("utf-8", errors="replace")
    if media == "application/sparql-query":
        query = text
    elif media == "application/x-www-form-urlencoded":
        form = parse_qs(text)
        if "update" in form:
            raise SparqlRefused("SPARQL Update is refused: this endpoint is read-only")
        query = (form.get("query") or [""])[0]
    elif media == "application/sparql-update":
        raise SparqlRefused("SPARQL Update is refused: this endpoint is read-only")
    else:
        raise UnsupportedMedia(
            "send the query as application/sparql-query or as the form field query"
        )
    return await run_in_threadpool(
        _answer,
        request,
        query,
        accept,
        format,
        caller,
        graph,
        levels,
        audit,
        settings,
        "POST /sparql",
    )
