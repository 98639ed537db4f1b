"""`GET /export`: the graph as RDF (Turtle, JSON-LD, N-Triples), chosen by `Accept` or `format=`,
streamed page by page, never above the caller's sharing level."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from api.deps import AsKnownOn, GraphDep, TlpDep, day_of
from api.errors import BadParameter, NotFound, responses
from core import names
from export.formats import RDF_FORMATS, WRITERS, unknown_format
from export.options import IDS_SCOPE, MAX_IDS, ExportError, ExportOptions, ScopeNotFound
from export.stream import Export
from ontology.types import sharing

router = APIRouter(tags=["export"])

MEDIA_TYPES = {WRITERS[name].media_type: name for name in RDF_FORMATS}
MEDIA_TYPES["application/json"] = "jsonld"


def negotiate(accept: str | None) -> str:
    """The format of the first media type in Accept we write (by q-value), Turtle otherwise."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept or "").split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media in MEDIA_TYPES and q > 0:
            ranked.append((-q, index, MEDIA_TYPES[media]))
    return min(ranked)[2] if ranked else "turtle"


@router.get(
    "/export",
    responses={
        **responses(404, 422, 503),
        200: {"content": {m: {} for m in MEDIA_TYPES}, "description": "the RDF document"},
    },
    response_class=StreamingResponse,
)
def export(
    graph: GraphDep,
    levels: TlpDep,
    format: Annotated[
        str | None, Query(description=f"{', '.join(RDF_FORMATS)}; overrides Accept")
    ] = None,
    scope: Annotated[str, Query(max_length=310, description="all, entity:ID or report:ID")] = "all",
    hops: Annotated[int, Query(ge=0, le=5, description="radius of an entity:ID scope")] = 1,
    tlp: Annotated[
        str | None,
        Query(description="highest sharing level included; at most the caller's own level"),
    ] = None,
    as_of: Annotated[
        str | None, Query(max_length=10, description="leave out facts dated after this day")
    ] = None,
    as_known_on: AsKnownOn = None,
    with_ontology: Annotated[
        bool, Query(description="add the ontology, its vocabularies and the SHACL shapes")
    ] = False,
    statements: Annotated[
        bool, Query(description="add each value's provenance as reified rdf:Statements")
    ] = False,
    licence: Annotated[
        list[str] | None,
        Query(description="keep only sources under these licences (URLs), and what rests on them"),
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """RDF of what the caller may see, with sources, quotes and standard alignments."""
    allowed = sharing.strictest(levels, default=sharing.most_open())
    level = (tlp or allowed).upper()
    if sharing.is_level(level) and sharing.rank(level) > sharing.rank(allowed):
        raise BadParameter(f"tlp {level} is above the level you may read ({allowed})")
    fmt = format or negotiate(accept)
    if (problem := unknown_format(fmt, RDF_FORMATS)) is not None:
        raise BadParameter(problem)
    options = ExportOptions(
        format=fmt,
        tlp=level,
        scope=scope,
        hops=hops,
        as_of=as_of,
        as_known_on=day_of(as_known_on),
        with_ontology=with_ontology,
        statements=statements,
        licences=tuple(licence or ()),
    )
    kind, _, ident = scope.partition(":")
    scoped = kind in ("entity", "report") and ident and sharing.is_level(level)
    # the second lock: the id looked up at the caller's levels by the API's own named query
    # (the exporter looks it up again at the export's level)
    if scoped and graph.row("entity", id=ident, tlp=list(sharing.levels_up_to(level))) is None:
        raise NotFound(f"no {kind} {ident!r} visible at {level}")
    return stream(graph, options)


def stream(graph: GraphDep, options: ExportOptions) -> StreamingResponse:
    try:
        document = Export.open(graph.driver, options, graph.database)
    except ScopeNotFound as exc:
        raise NotFound(str(exc)) from None
    except ExportError as exc:
        raise BadParameter(str(exc)) from None
    return StreamingResponse(
        document.chunks(), media_type=f"{document.writer.media_type}; charset=utf-8"
    )


class ExportIds(BaseModel):
    """Exactly these nodes (e.g. what a page draws), with their sources and reports."""

    ids: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        ..., min_length=1, max_length=MAX_IDS
    )
    format: str = Field("turtle", description=", ".join(RDF_FORMATS))
    as_of: str | None = Field(None, max_length=10, description="leave out facts dated after it")
    as_known_on: dt.date | None = Field(None, description="the graph as known on that day")


@router.post(
    "/export",
    responses={
        **responses(404, 422, 503),
        200: {"content": {m: {} for m in MEDIA_TYPES}, "description": "the RDF document"},
    },
    response_class=StreamingResponse,
)
def export_ids(body: ExportIds, graph: GraphDep, levels: TlpDep) -> StreamingResponse:
    """RDF of exactly the listed nodes the caller may see (at the caller's own highest level),
    the sources their evidence cites and the reports that state them: nothing they merely
    link to. Links are kept when both ends are listed."""
    level = sharing.strictest(levels, default=sharing.most_open())
    if (problem := unknown_format(body.format, RDF_FORMATS)) is not None:
        raise BadParameter(problem)
    # the second lock: the ids as the caller may see them, by the API's own named query
    readable = set(sharing.levels_up_to(level))
    seen = [
        r["id"]
        for r in graph.rows("nodes_by_id", ids=sorted(set(body.ids)))
        if r["properties"].get(names.TLP) in readable
    ]
    if not seen:
        raise NotFound("none of these ids is visible to you")
    options = ExportOptions(
        format=body.format,
        tlp=level,
        scope=IDS_SCOPE,
        ids=tuple(seen),
        as_of=body.as_of,
        as_known_on=day_of(body.as_known_on),
    )
    return stream(graph, options)
