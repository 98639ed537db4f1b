from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.data import Campaigns
from api.deps import GraphDep, Limit, Offset, TlpDep
from api.errors import NotFound, responses

router = APIRouter(tags=["campaigns"])


@router.get("/campaigns", response_model=Campaigns, responses=responses(404))
def campaigns(
    graph: GraphDep,
    tlp: TlpDep,
    target: Annotated[
        str | None, Query(max_length=300, description="id of a fund or company")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Campaigns:
    """Demands (open letters, calls to divest) aimed at or naming a fund or company: who made
    them and whom they name."""
    row = graph.row("campaigns", target=target, tlp=tlp, offset=offset, limit=limit)
    if row is None or (target is not None and row["target"] is None):
        raise NotFound(f"no actor with id {target!r}")
    return Campaigns.model_validate({**row, "limit": limit, "offset": offset})
