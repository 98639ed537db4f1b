"""The headline question, region first: which funds hold companies with government contracts in
a region, ranked, each with its paths, evidence and honest totals."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

from fastapi import APIRouter, Query

from api.data import RegionExposure
from api.deps import AsKnownOn, AsOf, GraphDep, Offset, TlpDep, day_of
from api.errors import BadParameter, NotFound, responses
from api.exposure import explain, fund_exposure, history_of, timeline
from api.projection import as_known_on as known_then
from api.routers.funds import HistoryParam, OwnershipHops
from api.settings import MAX_LIMIT

router = APIRouter(tags=["funds"])

RANKING = (
    "by the exposed holdings' value in USD (marketValueUsd, or marketValue when the currency is "
    "USD; other currencies are not converted), funds without any USD value after the others; "
    "then by exposed companies, fund name and id"
)
MAX_FUNDS = 100
MAX_PATHS = 100
PARALLEL = 4  # exposure queries run at once for one page of funds


@router.get("/exposure", response_model=RegionExposure, responses=responses(404))
def region_exposure(
    graph: GraphDep,
    tlp: TlpDep,
    region: Annotated[
        str,
        Query(
            min_length=1,
            max_length=300,
            description="region id; contracts in its sub-regions count",
            examples=["xinjiang"],
        ),
    ],
    as_of: AsOf,
    funds: Annotated[
        list[str] | None,
        Query(
            max_length=MAX_LIMIT,
            description="only these fund ids (repeat the parameter or separate with commas)",
            examples=[["gpfg"]],
        ),
    ] = None,
    ownership_hops: OwnershipHops = 0,
    history: HistoryParam = False,
    limit: Annotated[
        int, Query(ge=1, le=MAX_FUNDS, description=f"funds per page (at most {MAX_FUNDS})")
    ] = 20,
    offset: Offset = 0,
    paths_limit: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_PATHS,
            description="paths described per fund (the rest: /funds/{id}/exposure with offset)",
        ),
    ] = 20,
    as_known_on: AsKnownOn = None,
) -> RegionExposure:
    """Every fund (or the listed ones) exposed to the region at the date, ranked by exposed
    holding value, each with its companies, contracts, claims, allegations and the first paths
    with every fact's evidence; funds exposed earlier (or listed) but not at the date, with why;
    as known on a day, if asked."""
    day = day_of(as_known_on)
    wanted = (
        sorted({f.strip() for x in funds for f in x.split(",") if f.strip()}) if funds else None
    )
    if wanted is not None and len(wanted) > MAX_LIMIT:
        raise BadParameter(f"funds: at most {MAX_LIMIT} fund ids, not {len(wanted)}")
    found = graph.row(
        "region_exposure",
        region=region,
        as_of=as_of,
        funds=wanted,
        ownership_hops=ownership_hops,
        tlp=tlp,
        as_known_on=day,
        offset=offset,
        limit=limit,
    )
    if found is None or found["region"] is None:
        raise NotFound(f"no region with id {region!r}")
    common = {"region": region, "ownership_hops": ownership_hops, "tlp": tlp, "as_known_on": day}

    def describe(entry: dict) -> dict | None:
        return fund_exposure(
            graph,
            fund=entry["fund"]["id"],
            as_of=as_of,
            offset=0,
            limit=paths_limit,
            history=False,
            **common,
        )

    # one exposure query per fund of the page, a few at a time (each waits on Neo4j)
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        rows = list(pool.map(describe, found["funds"]))
    ranked = [
        {**row, "rank": rank, "companies": entry["companies"], "pathsTotal": row["pathCount"]}
        for rank, (entry, row) in enumerate(
            zip(found["funds"], rows, strict=True), start=offset + 1
        )
        if row is not None
    ]
    # funds exposed before the date (or listed) but not at it, each with why
    exposed_ids = [e["fund"]["id"] for e in found["funds"]]
    former = [e["fund"]["id"] for e in found["former"]]
    skip = {*found["listedExposed"], *former}
    listed = [f for f in wanted or [] if f not in skip]
    not_exposed: list[dict] = []
    histories: dict[str, dict] = {}
    for fund_id in former + listed:
        past = history_of(graph, fund=fund_id, **common)
        if past is None or past["fund"] is None:
            raise NotFound(f"no fund with id {fund_id!r}")
        not_exposed.append({"fund": past["fund"], "explanation": explain(past, as_of)})
        if history:
            histories[fund_id] = timeline(past)
    if history:
        for fund_id in exposed_ids:
            past = history_of(graph, fund=fund_id, **common)
            if past is not None:
                histories[fund_id] = timeline(past)
    answer = {
        "region": found["region"],
        "asOf": as_of,
        "ownershipHops": ownership_hops,
        "ranking": RANKING,
        "funds": ranked,
        "notExposed": not_exposed,
        "notExposedTotal": found["formerTotal"] + len(listed),
        "history": histories if history else None,
        "total": found["total"],
        "limit": limit,
        "offset": offset,
        "asKnownOn": day,
    }
    known_then(graph, answer, tlp, day)
    return RegionExposure.model_validate(answer)
