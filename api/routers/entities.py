from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

from api.data import Entity, Neighbourhood
from api.deps import GraphDep, NodeId, TlpDep
from api.errors import NotFound, responses
from api.settings import MAX_LIMIT
from core import names as system

router = APIRouter(prefix="/entities", tags=["entities"])

HIDDEN_PROPERTIES = {
    system.RESOLVE_KEYS,
    system.SEARCH_TEXT,
    system.INGEST_RUN,
    system.BLOCK_KEYS,
}


@router.get("/{id}", response_model=Entity, responses=responses(404))
def entity(graph: GraphDep, tlp: TlpDep, id: NodeId) -> Entity | RedirectResponse:
    """One node (actor, region, fact, source) with its properties, evidence and link counts."""
    row = graph.row("entity", id=id, tlp=tlp)
    if row is None:
        moved = graph.row("redirect", id=id, tlp=tlp)
        if moved is not None:  # merged into a canonical entity the caller may see
            return RedirectResponse(f"/entities/{quote(moved['id'], safe='')}", status_code=308)
        raise NotFound(f"no entity with id {id!r}")
    props = {k: v for k, v in row["properties"].items() if k not in HIDDEN_PROPERTIES}
    return Entity.model_validate({**row, "name": props.get("name"), "properties": props})


@router.get("/{id}/neighbourhood", response_model=Neighbourhood, responses=responses(404))
def neighbourhood(
    graph: GraphDep,
    tlp: TlpDep,
    id: NodeId,
    hops: Annotated[int, Query(ge=1, le=2, description="1 or 2")] = 1,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT * 5, description="at most this many relationships")
    ] = 200,
) -> Neighbourhood:
    """The nodes and relationships within one or two hops (evidence links left out, except
    around a source)."""
    row = graph.row("neighbourhood", id=id, hops=hops, tlp=tlp, limit=limit)
    if row is None:
        raise NotFound(f"no entity with id {id!r}")
    return Neighbourhood.model_validate({**row, "hops": hops})
