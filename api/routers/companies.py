from __future__ import annotations

from fastapi import APIRouter

from api.data import CompanyAllegations
from api.deps import AsKnownOn, GraphDep, Limit, NodeId, Offset, TlpDep, day_of
from api.errors import NotFound, responses
from api.projection import as_known_on as known_then

router = APIRouter(prefix="/companies", tags=["companies"])


@router.get("/{id}/allegations", response_model=CompanyAllegations, responses=responses(404))
def allegations(
    graph: GraphDep,
    tlp: TlpDep,
    id: NodeId,
    limit: Limit = 50,
    offset: Offset = 0,
    as_known_on: AsKnownOn = None,
) -> CompanyAllegations:
    """Allegations against a company: claimants, harm categories, status, sources and quotes
    (as known on a day, if asked)."""
    day = day_of(as_known_on)
    row = graph.row(
        "allegations_for_company",
        company=id,
        tlp=tlp,
        as_known_on=day,
        offset=offset,
        limit=limit,
    )
    if row is None or row["company"] is None:
        raise NotFound(f"no company with id {id!r}")
    known_then(graph, row, tlp, day)
    return CompanyAllegations.model_validate(
        {**row, "limit": limit, "offset": offset, "asKnownOn": day}
    )
