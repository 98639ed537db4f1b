from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api import fulltext
from api.data import SearchResults
from api.deps import AsKnownOn, GraphDep, Limit, Offset, TlpDep, day_of
from api.errors import BadParameter, responses
from ontology.model import load_model

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResults, responses=responses())
def search(
    graph: GraphDep,
    tlp: TlpDep,
    q: Annotated[
        str, Query(min_length=1, max_length=300, description="words of a name, alias or identifier")
    ],
    type: Annotated[
        list[str] | None, Query(description="only these classes, e.g. Company, Region")
    ] = None,
    limit: Limit = 20,
    offset: Offset = 0,
    as_known_on: AsKnownOn = None,
) -> SearchResults:
    """Full-text search over names, aliases and identifiers of actors, regions and sources;
    tolerant of typos and word prefixes (as known on a day, if asked)."""
    day = day_of(as_known_on)
    model = load_model()
    labels = None
    if type:
        unknown = [t for t in type if t not in model.classes or not model.classes[t].neo4j_label]
        if unknown:
            raise BadParameter(f"unknown type(s): {', '.join(unknown)}")
        labels = [model.classes[t].neo4j_label for t in type]
    lucene, row = fulltext.search(graph, q, tlp, limit, offset, labels, day)
    return SearchResults(
        query=q,
        lucene=lucene,
        total=row["total"],
        limit=limit,
        offset=offset,
        results=row["hits"],
        asKnownOn=day,
    )
