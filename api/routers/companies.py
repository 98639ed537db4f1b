from __future__ import annotations

from fastapi import APIRouter

from api.data import CompanyAllegations
from api.deps import GraphDep, Limit, NodeId, Offset, TlpDep
from api.errors import NotFound, responses

router = APIRouter(prefix="/companies", tags=["companies"])


@router.get("/{id}/allegations", response_model=CompanyAllegations, responses=responses(404))
def allegations(
    graph: GraphDep, tlp: TlpDep, id: NodeId, limit: Limit = 50, offset: Offset = 0
) -> CompanyAllegations:
    """Allegations against a company: claimants, harm categories, status, sources and quotes."""
    row = graph.row("allegations_for_company", company=id, tlp=tlp, offset=offset, limit=limit)
    if row is None or row["company"] is None:
        raise NotFound(f"no company with id {id!r}")
    return CompanyAllegations.model_validate({**row, "limit": limit, "offset": offset})
