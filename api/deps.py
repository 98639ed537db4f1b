"""Request dependencies shared by the routers: the graph, the caller's sharing levels, paging."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from api.graph import Graph
from api.settings import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET


def get_graph(request: Request) -> Graph:
    return request.app.state.graph


def caller_tlp(request: Request) -> list[str]:
    """The sharing levels (TLP) the caller may read. Until API keys exist every caller gets the
    configured default (RIGHTSGRAPH_API_TLP); issue 8 derives it from the caller's key."""
    return list(request.app.state.settings.default_tlp)


GraphDep = Annotated[Graph, Depends(get_graph)]
TlpDep = Annotated[list[str], Depends(caller_tlp)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size (at most {MAX_LIMIT})")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="number of items to skip")]
NodeId = Annotated[
    str, Path(min_length=1, max_length=300, description="a node id, e.g. `hikvision`")
]
DEFAULT_PAGE = DEFAULT_LIMIT
