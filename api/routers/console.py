"""The console's helpers for callers allowed `POST /cypher` (investigator keys cleared for RED):
the named queries of `queries/` with their header's `:param` examples (`GET /queries`), and
queries saved per key and shared by id (`/saved-queries`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field

import queries
from api.data import Model
from api.deps import AuditDep, CallerDep
from api.errors import NotFound, responses
from api.saved_queries import SavedQueries, SavedQuery
from api.security import require

router = APIRouter(tags=["cypher"])


class QueryParam(Model):
    name: str
    literal: str = Field(description="the header's `:param` value as Cypher text")
    value: Any = Field(description="that value as JSON")


class NamedQuery(Model):
    name: str
    summary: str
    params: list[QueryParam]
    text: str | None = Field(None, description="the file, header included (GET /queries/{name})")
    body: str | None = Field(
        None, description="the query without its header comment, as the console runs it"
    )


class SaveBody(Model):
    name: str = Field(..., min_length=1, max_length=200)
    query: str = Field(..., min_length=1, max_length=100_000)
    parameters: dict[str, Any] = Field(default_factory=dict)


class Saved(Model):
    id: str
    name: str
    query: str
    parameters: dict[str, Any]
    created: str
    mine: bool = Field(description="saved by the calling key")


def _store(request: Request) -> SavedQueries:
    return request.app.state.saved_queries


def _allowed(caller: Any, audit: Any, endpoint: str, what: str) -> None:
    require(caller, "investigator", audit=audit, endpoint=endpoint, what=what)


def _named(name: str, text: bool = False) -> NamedQuery:
    info = queries.describe(name)
    return NamedQuery(
        name=info.name,
        summary=info.summary,
        params=[QueryParam(name=p.name, literal=p.literal, value=p.value) for p in info.params],
        text=queries.load(name) if text else None,
        body=queries.body(name) if text else None,
    )


def _out(saved: SavedQuery, key_id: str | None) -> Saved:
    return Saved(
        id=saved.id,
        name=saved.name,
        query=saved.query,
        parameters=saved.parameters,
        created=saved.created,
        mine=saved.key_id == key_id,
    )


@router.get("/queries", responses=responses(401, 403))
def named_queries(caller: CallerDep, audit: AuditDep) -> dict[str, list[NamedQuery]]:
    """The named queries (queries/*.cypher) with their summaries and `:param` examples, which
    the console's forms start from; run one by POSTing its text to /cypher."""
    _allowed(caller, audit, "GET /queries", "")
    return {"items": [_named(name) for name in queries.names()]}


@router.get("/queries/{name}", responses=responses(401, 403, 404))
def named_query(name: str, caller: CallerDep, audit: AuditDep) -> NamedQuery:
    """One named query with its full text."""
    _allowed(caller, audit, "GET /queries/{name}", name)
    try:
        return _named(name, text=True)
    except KeyError:
        raise NotFound(f"no named query {name!r}") from None


@router.post("/saved-queries", status_code=201, responses=responses(401, 403, 422))
def save_query(body: SaveBody, request: Request, caller: CallerDep, audit: AuditDep) -> Saved:
    """Save a query and its parameters for the calling key; the answer's id opens it again
    (the page's URL `#/console?saved=ID`)."""
    _allowed(caller, audit, "POST /saved-queries", body.name)
    assert caller.key_id is not None
    saved = _store(request).save(caller.key_id, body.name, body.query, body.parameters)
    return _out(saved, caller.key_id)


@router.get("/saved-queries", responses=responses(401, 403))
def saved_queries(request: Request, caller: CallerDep, audit: AuditDep) -> dict[str, list[Saved]]:
    """The calling key's saved queries, newest first."""
    _allowed(caller, audit, "GET /saved-queries", "")
    assert caller.key_id is not None
    return {"items": [_out(s, caller.key_id) for s in _store(request).of_key(caller.key_id)]}


@router.get("/saved-queries/{id}", responses=responses(401, 403, 404))
def saved_query(id: str, request: Request, caller: CallerDep, audit: AuditDep) -> Saved:
    """One saved query by id, whoever saved it (ids are shared as links)."""
    _allowed(caller, audit, "GET /saved-queries/{id}", id)
    found = _store(request).get(id)
    if found is None:
        raise NotFound(f"no saved query {id!r}")
    return _out(found, caller.key_id)


@router.delete("/saved-queries/{id}", status_code=204, responses=responses(401, 403, 404))
def delete_saved_query(id: str, request: Request, caller: CallerDep, audit: AuditDep) -> Response:
    """Delete one of the calling key's own saved queries."""
    _allowed(caller, audit, "DELETE /saved-queries/{id}", id)
    assert caller.key_id is not None
    if not _store(request).delete(caller.key_id, id):
        raise NotFound(f"this key has no saved query {id!r}")
    return Response(status_code=204)
