from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from api.data import Exposure
from api.deps import AsKnownOn, GraphDep, Limit, NodeId, Offset, TlpDep, day_of
from api.errors import NotFound, responses
from api.projection import as_known_on as known_then
from api.settings import MAX_OWNERSHIP_HOPS

router = APIRouter(prefix="/funds", tags=["funds"])


@router.get("/{id}/exposure", response_model=Exposure, responses=responses(404))
def exposure(
    graph: GraphDep,
    tlp: TlpDep,
    id: NodeId,
    region: Annotated[
        str | None, Query(max_length=300, description="region id; sub-regions count")
    ] = None,
    as_of: Annotated[
        dt.date | None, Query(description="ISO date; default: the latest holdings")
    ] = None,
    ownership_hops: Annotated[
        int,
        Query(
            ge=0, le=MAX_OWNERSHIP_HOPS, description="follow subsidiaries this many ownership links"
        ),
    ] = 0,
    limit: Limit = 100,
    offset: Offset = 0,
    as_known_on: AsKnownOn = None,
) -> Exposure:
    """Paths fund → holding → company (→ subsidiaries) → government contract → region, with the
    allegations touching each path, the evidence of every fact, and totals (as known on a day,
    if asked: the facts and links known then, with the values they had)."""
    day = day_of(as_known_on)
    as_of_text = as_of.isoformat() if as_of else None
    row = graph.row(
        "exposure",
        fund=id,
        region=region,
        as_of=as_of_text,
        ownership_hops=ownership_hops,
        tlp=tlp,
        as_known_on=day,
        offset=offset,
        limit=limit,
    )
    if row is None or row["fund"] is None:
        raise NotFound(f"no fund with id {id!r}")
    if region is not None and row["region"] is None:
        raise NotFound(f"no region with id {region!r}")
    known_then(graph, row, tlp, day)
    return Exposure.model_validate(
        {
            **row,
            "asOf": as_of_text,
            "ownershipHops": ownership_hops,
            "total": row["pathCount"],
            "limit": limit,
            "offset": offset,
            "asKnownOn": day,
        }
    )
