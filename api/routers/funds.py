from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.data import Exposure
from api.deps import AsKnownOn, AsOf, FundId, GraphDep, Limit, Offset, TlpDep, day_of
from api.errors import NotFound, responses
from api.exposure import fund_exposure
from api.projection import as_known_on as known_then
from api.settings import MAX_OWNERSHIP_HOPS

router = APIRouter(prefix="/funds", tags=["funds"])

RegionParam = Annotated[
    str | None,
    Query(max_length=300, description="region id; sub-regions count", examples=["xinjiang"]),
]
OwnershipHops = Annotated[
    int,
    Query(ge=0, le=MAX_OWNERSHIP_HOPS, description="follow subsidiaries this many ownership links"),
]
HistoryParam = Annotated[
    bool,
    Query(
        description="also list every dated holding of the exposed companies against the dates "
        "of the allegations, demands, measures and contracts about them"
    ),
]


@router.get("/{id}/exposure", response_model=Exposure, responses=responses(404))
def exposure(
    graph: GraphDep,
    tlp: TlpDep,
    id: FundId,
    as_of: AsOf,
    region: RegionParam = None,
    ownership_hops: OwnershipHops = 0,
    history: HistoryParam = False,
    limit: Limit = 100,
    offset: Offset = 0,
    as_known_on: AsKnownOn = None,
) -> Exposure:
    """Paths fund → holding → company (→ subsidiaries) → government contract → region, with the
    allegations touching each path, the evidence of every fact, and totals; with no path, why
    not (`explanation`); as known on a day, if asked: the facts and links known then, with the
    values they had."""
    day = day_of(as_known_on)
    row = fund_exposure(
        graph,
        fund=id,
        region=region,
        as_of=as_of,
        ownership_hops=ownership_hops,
        tlp=tlp,
        as_known_on=day,
        offset=offset,
        limit=limit,
        history=history,
    )
    if row is None or row["fund"] is None:
        raise NotFound(f"no fund with id {id!r}")
    if region is not None and row["region"] is None:
        raise NotFound(f"no region with id {region!r}")
    known_then(graph, row, tlp, day)
    return Exposure.model_validate(
        {
            **row,
            "asOf": as_of,
            "ownershipHops": ownership_hops,
            "total": row["pathCount"],
            "limit": limit,
            "offset": offset,
            "asKnownOn": day,
        }
    )
