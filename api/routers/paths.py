from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.data import Paths
from api.deps import GraphDep, TlpDep
from api.errors import BadParameter, NotFound, responses
from api.settings import MAX_PATH_HOPS
from ontology.model import load_model

router = APIRouter(tags=["paths"])


def relationship_types() -> set[str]:
    model = load_model()
    return {p.neo4j_type for p in model.relationship_properties() if p.neo4j_type} | {
        model.edge_class.neo4j_type or ""
    }


@router.get("/paths", response_model=Paths, responses=responses(404))
def paths(
    graph: GraphDep,
    tlp: TlpDep,
    from_: Annotated[
        str, Query(alias="from", min_length=1, max_length=300, description="id of the first node")
    ],
    to: Annotated[str, Query(min_length=1, max_length=300, description="id of the second node")],
    max_hops: Annotated[int, Query(ge=1, le=MAX_PATH_HOPS)] = 4,
    types: Annotated[
        list[str] | None,
        Query(description="relationship types allowed (default: all but evidence links)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Paths:
    """The shortest paths between two nodes, either direction, over allowed relationship types."""
    if from_ == to:
        raise BadParameter("from and to are the same node")
    if types:
        unknown = sorted(set(types) - relationship_types())
        if unknown:
            raise BadParameter(f"unknown relationship type(s): {', '.join(unknown)}")
    row = graph.row(
        "paths", **{"from": from_, "to": to}, max_hops=max_hops, types=types, tlp=tlp, limit=limit
    )
    for key, value in (("from", from_), ("to", to)):
        if row is None or row[key] is None:
            raise NotFound(f"no entity with id {value!r}")
    return Paths.model_validate({**row, "maxHops": max_hops})  # type: ignore[dict-item]
