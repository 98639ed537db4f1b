from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from neo4j.exceptions import DriverError, Neo4jError

from api.data import Health
from api.deps import GraphDep
from api.errors import GraphUnavailable, problem, responses

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, responses=responses())
def health(graph: GraphDep) -> Health | JSONResponse:
    """Whether the API runs and Neo4j answers (503 when it does not)."""
    try:
        graph.ping()
    except (DriverError, Neo4jError) as exc:
        return problem(
            503,
            GraphUnavailable.title,
            f"Neo4j does not answer: {type(exc).__name__}",
            GraphUnavailable.kind,
            neo4j="down",
        )
    return Health(status="ok", neo4j="up")
