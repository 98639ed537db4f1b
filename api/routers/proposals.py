"""Review and matching: `GET /proposals`, `POST /proposals/{id}/decision` (editors),
`GET /conflicts`, `POST /conflicts/{id}/decision` (editors), `POST /match`.

A proposal is listed only to a caller cleared for both of its sides, a conflict only to a caller
who may see the node and both statements; a decision needs an editor key cleared for both. `/match` scores FtM-shaped entities or our own records against the graph,
without writing, and answers with the candidates the caller may see.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.deps import AuditDep, CallerDep, GraphDep, Limit, Offset, TlpDep
from api.errors import BadParameter, NotFound, responses
from api.security import require
from ingest.adapters import read_batches
from ingest.conflicts import decide_conflict, list_conflicts
from ingest.decisions import list_proposals
from ingest.merge import decide
from ingest.resolve import match_records
from ontology.model import load_model

router = APIRouter(tags=["resolution"])
DECISION_ENDPOINT = "POST /proposals/{id}/decision"
CONFLICT_DECISION_ENDPOINT = "POST /conflicts/{id}/decision"
MAX_MATCH = 100


class DecisionBody(BaseModel):
    judgement: Literal["same", "different", "unsure"]
    note: str | None = Field(None, max_length=2000)


class ConflictDecisionBody(BaseModel):
    judgement: Literal["keep", "take", "unsure"] = Field(
        ..., description="keep the reviewed value, take the new one, or unsure (stays open)"
    )
    note: str | None = Field(None, max_length=2000)


class MatchBody(BaseModel):
    """Entities to match: FollowTheMoney entities (`schema`, `properties`) or our records
    (`type`, `name`, identifiers …)."""

    entities: list[dict[str, Any]] = Field(..., min_length=1, max_length=MAX_MATCH)
    limit: int = Field(5, ge=1, le=50)


@router.get("/proposals", responses=responses(422))
def proposals(
    graph: GraphDep,
    tlp: TlpDep,
    type: Annotated[str | None, Query(description="only this class, e.g. Company")] = None,
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    status: Annotated[Literal["open", "decided", "all"], Query()] = "open",
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Look-alike pairs resolution did not merge, best score first, with both sides and the
    features behind the score; only pairs whose two sides the caller may see."""
    items = list_proposals(
        graph.driver,
        levels=tlp,
        type=type,
        min_score=min_score,
        status=None if status == "all" else status,
        limit=limit,
        offset=offset,
        database=graph.database,
    )
    return {"items": items, "limit": limit, "offset": offset}


@router.post("/proposals/{id}/decision", responses=responses(401, 403, 404, 422))
def decision(
    id: str, body: DecisionBody, caller: CallerDep, graph: GraphDep, audit: AuditDep
) -> dict[str, Any]:
    """Decide a proposal (editors): "same" merges the record into its candidate, "different"
    suppresses the pair for good, "unsure" leaves it open with the note."""
    params = {"judgement": body.judgement}
    require(
        caller,
        "editor",
        audit=audit,
        endpoint=DECISION_ENDPOINT,
        what=id,
        parameters=params,
        every_level=False,
    )
    found = list_proposals(
        graph.driver, levels=caller.levels, status=None, proposal_id=id, database=graph.database
    )
    if not found:
        raise NotFound(f"no proposal {id!r}")
    proposal = found[0]
    result = decide(
        graph.driver,
        proposal["right"],
        proposal["left"],
        body.judgement,
        caller.label,
        body.note,
        graph.database,
    )
    audit.record(caller, DECISION_ENDPOINT, id, "ok", None, params)
    return result


@router.get("/conflicts", responses=responses(422))
def conflicts(
    graph: GraphDep,
    tlp: TlpDep,
    status: Annotated[Literal["open", "decided", "all"], Query()] = "open",
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Values ingest found stated against a reviewed or published value of another report,
    both sides with their reports, standing, level and sources (quotes), while both are still
    stated; only those whose node and two statements the caller may see."""
    items = list_conflicts(
        graph.driver,
        levels=tlp,
        status=None if status == "all" else status,
        limit=limit,
        offset=offset,
        database=graph.database,
    )
    return {"items": items, "limit": limit, "offset": offset}


@router.post("/conflicts/{id}/decision", responses=responses(401, 403, 404, 422))
def conflict_decision(
    id: str, body: ConflictDecisionBody, caller: CallerDep, graph: GraphDep, audit: AuditDep
) -> dict[str, Any]:
    """Record a reviewer's answer on a conflict (editors cleared for both statements):
    "keep" (the reviewed value stands), "take" (the new value is right), "unsure" (stays open).
    The answer is a record for the reports' editors; no report's statements are rewritten."""
    params = {"judgement": body.judgement}
    require(
        caller,
        "editor",
        audit=audit,
        endpoint=CONFLICT_DECISION_ENDPOINT,
        what=id,
        parameters=params,
        every_level=False,
    )
    found = list_conflicts(
        graph.driver, levels=caller.levels, status=None, conflict_id=id, database=graph.database
    )
    if not found:
        raise NotFound(f"no conflict {id!r}")
    result = decide_conflict(
        graph.driver, id, body.judgement, caller.label, body.note, graph.database
    )
    audit.record(caller, CONFLICT_DECISION_ENDPOINT, id, "ok", None, params)
    return result


def _records(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """In the order given: our records as they are, FtM entities through the FtM adapter (its
    own mapping of schemata and properties)."""
    model = load_model()
    ftm = [e for e in entities if "schema" in e]
    mapped: dict[str, dict[str, Any]] = {}
    if ftm:
        with tempfile.TemporaryDirectory(prefix="rightsgraph-match-") as tmp:
            path = Path(tmp) / "match.ftm.jsonl"
            path.write_text("\n".join(json.dumps(e) for e in ftm), encoding="utf-8")
            for batch in read_batches(path, "ftm"):
                for record in batch.records:
                    for ident in record.get("identifier") or []:
                        mapped.setdefault(str(ident), record)
    records = []
    for i, entity in enumerate(entities):
        if "schema" in entity:
            record = mapped.get(f"ftm:{entity.get('id')}")
            if record is None:
                raise BadParameter(f"entity {i}: an FtM entity of a schema that is not an actor")
        elif isinstance(entity.get("type"), str) and entity["type"] in model.classes:
            record = {**entity, "id": str(entity.get("id") or f"match-{i}")}
        else:
            raise BadParameter(f"entity {i}: needs a known `type` or an FtM `schema`")
        records.append(record)
    return records


@router.post("/match", responses=responses(422))
async def match(body: MatchBody, graph: GraphDep, tlp: TlpDep) -> dict[str, Any]:
    """Ranked candidates for each entity, with scores (0-100), verdict (merge / propose / none)
    and the features behind them, among the nodes the caller may see (like yente's /match)."""
    try:
        records = await run_in_threadpool(_records, body.entities)
    except BadParameter:
        raise
    except Exception as exc:  # an FtM entity the adapter refuses
        raise BadParameter(str(exc)[:500]) from None
    results = await run_in_threadpool(
        match_records, graph.driver, records, tlp, database=graph.database, limit=body.limit
    )
    return {"results": results}
