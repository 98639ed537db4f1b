"""Watches and their alerts: `POST/GET/DELETE /watches`, `GET /watches/{id}/alerts`, the Atom
feed `GET /watches/{id}/feed?token=` and the webhook's delivery log (docs/watches.md).

A watch belongs to the key that made it (admins see every watch); its level is at most that
key's, and its alerts rest on nothing above it. The feed is opened by the watch's feed token
alone, since feed readers send no headers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.auth import Caller
from api.data import (
    Alerts,
    Deliveries,
    ScreeningRequest,
    WatchCreated,
    WatchList,
    WatchRequest,
    WatchView,
)
from api.delivery import WebhookRefused, check_url
from api.deps import CallerDep, GraphDep, Limit, Offset, SettingsDep
from api.errors import BadParameter, Forbidden, NotFound, Unauthorized, responses
from api.feed import atom_feed
from api.matching import screen
from ingest.watches import Watch, WatchError, WatchStore
from ontology.types import sharing

router = APIRouter(prefix="/watches", tags=["watches"])
WatchId = Annotated[str, Path(min_length=1, max_length=40, description="a watch id, `w-…`")]
Since = Annotated[
    str | None,
    Query(
        pattern=r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:\d{2})?)?$",
        description="only alerts raised on or after this day (or ISO date-time, UTC)",
    ),
]
FEED_MAX = 100  # entries in a feed


def store(graph: GraphDep) -> WatchStore:
    return WatchStore(graph.driver, graph.database)


def _keyed(caller: Caller) -> str:
    if caller.key_id is None:
        raise Unauthorized("watches belong to an API key: send one (X-API-Key)")
    return caller.key_id


def _owned(graph: GraphDep, caller: Caller, watch_id: str) -> Watch:
    """The caller's watch (any watch for an admin); 404 for another's, as for none."""
    key = _keyed(caller)
    try:
        watch = store(graph).get(watch_id)
    except WatchError:
        raise NotFound(f"no watch {watch_id!r}") from None
    if watch.owner != key and not caller.has_role("admin"):
        raise NotFound(f"no watch {watch_id!r}")
    return watch


@router.post(
    "", response_model=WatchCreated, status_code=201, responses=responses(401, 403, 404, 422)
)
def create_watch(
    request: Request,
    graph: GraphDep,
    caller: CallerDep,
    settings: SettingsDep,
    body: WatchRequest,
) -> WatchCreated:
    """Follow a fund (as of a day, or its latest holdings), a company, a region, an uploaded
    portfolio (matched like `POST /screening`) or a named query; returns the watch, its feed
    token and its webhook secret (each shown once)."""
    key = _keyed(caller)
    tlp = (body.tlp or caller.tlp).strip().upper()
    if not sharing.is_level(tlp):
        raise BadParameter(f"unknown sharing level {body.tlp!r}")
    if tlp not in caller.levels:
        raise Forbidden(f"this key reads up to {caller.tlp}; a watch of it cannot be {tlp}")
    webhook = None
    if body.webhook:
        try:
            webhook = check_url(body.webhook, settings.webhook_hosts)
        except WebhookRefused as exc:
            raise BadParameter(str(exc)) from None
    unmatched: list = []
    companies: list[str] = []
    if body.portfolio is not None:
        levels = list(sharing.levels_up_to(tlp))
        found = screen(graph, ScreeningRequest(holdings=body.portfolio), levels)
        companies = [m["company"]["id"] for m in found["matched"]]
        unmatched = [{**u, "input": u["input"].model_dump()} for u in found["unmatched"]]
    kind, target = next(
        (k, getattr(body, k))
        for k in ("fund", "company", "region", "portfolio", "query")
        if getattr(body, k)
    )
    if kind == "company":
        companies, target = [body.company or ""], None
    if kind == "portfolio":
        target = None
    try:
        watch, token, secret = store(graph).create(
            name=body.name,
            kind=kind,
            owner=key,
            tlp=tlp,
            target=target,
            as_of=body.as_of,
            companies=companies,
            params=body.params,
            flagged_regions=body.flagged_regions,
            ownership_hops=body.ownership_hops,
            webhook_url=webhook,
        )
    except WatchError as exc:
        raise BadParameter(str(exc)) from None
    return WatchCreated(
        watch=WatchView.model_validate(watch.as_dict()),
        feed_token=token,
        feed_url=f"{request.base_url}watches/{watch.id}/feed?token={token}",
        webhook_secret=secret,
        unmatched=unmatched,
    )


@router.get("", response_model=WatchList, responses=responses(401))
def list_watches(graph: GraphDep, caller: CallerDep) -> WatchList:
    """The caller's watches (an admin's: every watch)."""
    key = _keyed(caller)
    owner = None if caller.has_role("admin") else key
    return WatchList(
        watches=[WatchView.model_validate(w.as_dict()) for w in store(graph).list(owner)]
    )


@router.get("/{id}", response_model=WatchView, responses=responses(401, 404))
def get_watch(graph: GraphDep, caller: CallerDep, id: WatchId) -> WatchView:
    return WatchView.model_validate(_owned(graph, caller, id).as_dict())


@router.delete("/{id}", responses=responses(401, 404))
def delete_watch(graph: GraphDep, caller: CallerDep, id: WatchId) -> dict[str, int]:
    """Remove the watch, its alerts and its deliveries; the counts removed."""
    watch = _owned(graph, caller, id)
    return store(graph).delete(watch.id)


@router.get("/{id}/alerts", response_model=Alerts, responses=responses(401, 404, 422))
def watch_alerts(
    graph: GraphDep,
    caller: CallerDep,
    id: WatchId,
    since: Since = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Alerts:
    """The watch's alerts, newest first, each with the fact, its sources and quotes and the
    path from the watch to it."""
    watch = _owned(graph, caller, id)
    total, page = store(graph).alerts(watch, caller.levels, since, limit, offset)
    return Alerts(watch=watch.id, total=total, limit=limit, offset=offset, alerts=page)


@router.get("/{id}/deliveries", response_model=Deliveries, responses=responses(401, 404))
def watch_deliveries(graph: GraphDep, caller: CallerDep, id: WatchId) -> Deliveries:
    """The webhook's delivery log: per alert its status, attempts, next try and each attempt."""
    watch = _owned(graph, caller, id)
    return Deliveries(
        watch=watch.id, webhook=watch.webhook_url, deliveries=store(graph).deliveries(watch)
    )


@router.get(
    "/{id}/feed",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}, **responses(401, 404)},
)
async def watch_feed(
    request: Request,
    graph: GraphDep,
    id: WatchId,
    token: Annotated[str, Query(min_length=1, max_length=200, description="the feed token")],
    since: Since = None,
) -> Response:
    """The watch's latest alerts as an Atom feed, opened by its feed token (no API key)."""

    def build() -> bytes:
        watches = store(graph)
        watch = watches.by_feed_token(token)
        if watch is None or watch.id != id:
            raise Unauthorized("unknown feed token for this watch")
        _, page = watches.alerts(watch, watch.levels, since, FEED_MAX, 0)
        return atom_feed(watch, page, str(request.base_url))

    body = await run_in_threadpool(build)
    return Response(body, media_type="application/atom+xml; charset=utf-8")
