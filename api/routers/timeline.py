"""`GET /entities/{id}/timeline`: the dated facts around an entity, or a pair of entities (a
fund and a company), on one time axis, at the caller's sharing levels (queries/timeline.cypher).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from api.data import Model, NodeRef, Number
from api.deps import GraphDep, TlpDep
from api.errors import NotFound, responses

router = APIRouter(tags=["entities"])


class TimelineEvent(Model):
    id: str
    kind: str = Field(description="Holding, Contract, Allegation, Demand, Measure, Ownership, …")
    name: str | None = None
    date: str | None = Field(None, description="date, else asOf, else startDate; null: undated")
    end_date: str | None = None
    held: bool | None = Field(None, description="holdings: false records an exit")
    market_value: Number | None = None
    currency: str | None = None
    amount: Number | None = None
    amount_min: Number | None = None
    status: str | None = None
    harm_categories: list[str] | None = None
    measure_type: str | None = None
    demand_type: str | None = None
    tlp: str | None = None
    sources: list[str] = Field(description="ids of the sources behind the fact")


class TimelineSource(Model):
    id: str
    title: str | None = None
    url: str | None = None
    publisher: str | None = None
    published: str | None = None


class Timeline(Model):
    entity: NodeRef
    other: NodeRef | None = None
    events: list[TimelineEvent]
    sources: list[TimelineSource]


@router.get("/entities/{id}/timeline", response_model=Timeline, responses=responses(404))
def timeline(
    id: str,
    graph: GraphDep,
    tlp: TlpDep,
    with_: Annotated[
        str | None,
        Query(
            alias="with",
            max_length=300,
            description="a second entity: the pair's timeline (e.g. a fund and a company)",
        ),
    ] = None,
) -> Timeline:
    """Holdings, contracts, allegations, demands, measures and sources, dated, of one entity
    or of a pair (holdings then only those linking the two), sorted by date, undated last."""
    row = graph.row("timeline", id=id, tlp=tlp, **{"with": with_})
    if row is None or row["entity"] is None:
        raise NotFound(f"no entity with id {id!r}")
    if with_ is not None and row["other"] is None:
        raise NotFound(f"no entity with id {with_!r}")
    return Timeline.model_validate(row)
