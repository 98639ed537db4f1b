from __future__ import annotations

from fastapi import APIRouter

from api.data import Screening, ScreeningRequest
from api.deps import GraphDep, TlpDep
from api.errors import responses
from api.matching import screen

router = APIRouter(tags=["screening"])


@router.post("/screening", response_model=Screening, responses=responses(404))
def screening(graph: GraphDep, tlp: TlpDep, request: ScreeningRequest) -> Screening:
    """Match a portfolio (names, ISINs, LEIs) to companies and rank them by the allegations
    against them and their contracts in flagged regions; unmatched rows are listed."""
    return Screening.model_validate(screen(graph, request, tlp))
