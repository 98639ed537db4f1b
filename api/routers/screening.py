from __future__ import annotations

from fastapi import APIRouter, Request

from api.data import Screening, ScreeningRequest
from api.deps import CallerDep, GraphDep, SettingsDep, TlpDep
from api.errors import responses
from api.matching import screen
from api.security import client_address, rate_limited

router = APIRouter(tags=["screening"])


@router.post("/screening", response_model=Screening, responses=responses(404, 422, 429))
def screening(
    request: Request,
    graph: GraphDep,
    tlp: TlpDep,
    caller: CallerDep,
    settings: SettingsDep,
    body: ScreeningRequest,
) -> Screening:
    """Match a portfolio (names, ISINs, LEIs) to companies and rank them by the allegations
    against them and their contracts in flagged regions; unmatched rows are listed. Rows per
    request and per minute are limited per caller (fewer without a key), and a request that
    runs past its time budget is refused (422)."""
    keyed = caller.key_id is not None
    max_rows = settings.screening_max_rows if keyed else settings.screening_max_rows_anonymous
    per_minute = settings.screening_rows_per_minute if keyed else settings.screening_rows_anonymous
    who = f"key:{caller.key_id}" if keyed else f"ip:{client_address(request.scope)}"
    rows = max(1, len(body.holdings))
    if rows <= max_rows:
        wait = request.app.state.limiter.take(f"screening:{who}", per_minute, cost=rows)
        if wait:
            raise rate_limited(per_minute, wait, "screening rows")
    result = screen(graph, body, tlp, max_rows=max_rows, budget=settings.screening_budget)
    return Screening.model_validate(result)
