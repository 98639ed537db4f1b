from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse

from api.data import Entity, EntityStatements, Neighbourhood
from api.deps import AsKnownOn, GraphDep, NodeId, TlpDep, day_of
from api.errors import NotFound, responses
from api.projection import link_visible, node_view, statement_view
from api.settings import MAX_LIMIT

router = APIRouter(prefix="/entities", tags=["entities"])


@router.get("/{id}", response_model=Entity, responses=responses(404))
def entity(
    graph: GraphDep, tlp: TlpDep, id: NodeId, as_known_on: AsKnownOn = None
) -> Entity | RedirectResponse:
    """One node (actor, region, fact, source) with its properties, evidence and link counts:
    what the statements at the caller's levels say (as known on a day, if asked)."""
    day = day_of(as_known_on)
    row = graph.row("entity", id=id, tlp=tlp)
    if row is None:
        moved = graph.row("redirect", id=id, tlp=tlp)
        if moved is not None:  # merged into a canonical entity the caller may see
            return RedirectResponse(f"/entities/{quote(moved['id'], safe='')}", status_code=308)
    view = node_view(row["properties"], tlp, day) if row is not None else None
    if row is None or view is None:
        raise NotFound(f"no entity with id {id!r}")
    evidence = [
        {k: v for k, v in e.items() if k != "statements"}
        for e in row["evidence"]
        if link_visible(e, tlp, day)
    ]
    return Entity.model_validate(
        {
            **row,
            "name": view.properties.get("name"),
            "properties": view.properties,
            "evidence": evidence,
            "otherValues": view.others,
            "asKnownOn": day,
        }
    )


@router.get("/{id}/statements", response_model=EntityStatements, responses=responses(404))
def statements(graph: GraphDep, tlp: TlpDep, id: NodeId) -> EntityStatements:
    """Who states what about a node: per property, each value with its report, standing,
    sharing level, sources (quote, locator), first stated and retracted days — only the
    statements at the caller's levels."""
    row = graph.row("entity", id=id, tlp=tlp)
    view = node_view(row["properties"], tlp) if row is not None else None
    if row is None or view is None:
        raise NotFound(f"no entity with id {id!r}")
    cited = [e for e in row["evidence"] if link_visible(e, tlp)]
    return EntityStatements.model_validate(
        {
            "id": row["id"],
            "labels": row["labels"],
            "name": view.properties.get("name"),
            "properties": statement_view(row["properties"], tlp, cited),
        }
    )


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
