"""Proposals and decisions are data in the graph, beside the entities they are about.

- `(:Proposal {id, left, right, type, score, features, explanation, status, tlp, ...})`: a pair
  resolution could not decide, one node per pair (its id is derived from the two ids), written
  once: a re-ingest that proposes the same pair changes nothing.
- `(:Decision {id, left, right, judgement, user, at, note, history})`: a person's answer, same /
  different / unsure. It outlives re-ingests: "different" vetoes the pair for good, "same" merges
  (ingest.merge) and later records of the old id follow its redirect.
- `(:Redirect {id, to, decision})`: an id merged into a canonical entity.
These nodes carry no `Node` label: search, export and the entity endpoints never see them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from neo4j import Driver, ManagedTransaction

from core.names import CONFLICT, DECISION, PROPOSAL, REDIRECT
from ontology.types import sharing

Judgement = Literal["same", "different", "unsure"]
JUDGEMENTS: tuple[str, ...] = ("same", "different", "unsure")


def pair_id(a: str, b: str) -> str:
    """A pair's id, the same whichever side comes first."""
    left, right = sorted((a, b))
    return "pair-" + hashlib.sha1(f"{left}\n{right}".encode()).hexdigest()[:16]


def schema_statements() -> list[str]:
    return [
        f"CREATE CONSTRAINT rg_{label.lower()}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE"
        for label in (PROPOSAL, DECISION, REDIRECT)
    ]


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


@dataclass
class Proposal:
    """A candidate pair for review: `record` may be `candidate` (score 0-100, features)."""

    record: str
    type: str
    name: str
    candidate: str
    candidate_name: str
    score: float
    features: dict[str, Any] = field(default_factory=dict)
    explanation: list[str] = field(default_factory=list)
    record_tlp: str | None = None
    candidate_tlp: str | None = None
    sources: list[str] = field(default_factory=list)  # what cites the record

    @property
    def id(self) -> str:
        return pair_id(self.record, self.candidate)

    @property
    def tlp(self) -> str:
        """Visible to callers cleared for both sides."""
        return sharing.strictest([self.record_tlp, self.candidate_tlp])

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "record": self.record,
            "type": self.type,
            "name": self.name,
            "candidate": self.candidate,
            "candidate_name": self.candidate_name,
            "score": self.score,
            "features": self.features,
            "explanation": self.explanation,
            "tlp": self.tlp,
        }


@dataclass
class Decisions:
    """The graph's decisions and redirects, loaded once per ingest run (people make few)."""

    judgements: dict[str, str] = field(default_factory=dict)  # pair id -> judgement
    redirects: dict[str, str] = field(default_factory=dict)  # old id -> canonical id

    @classmethod
    def load(cls, driver: Driver | None, database: str | None = None) -> Decisions:
        if driver is None:
            return cls()
        rows, _, _ = driver.execute_query(
            f"MATCH (d:{DECISION}) WHERE d.undone IS NULL RETURN d.id AS id, d.judgement AS j",
            database_=database,
            routing_="r",
        )
        redirects, _, _ = driver.execute_query(
            f"MATCH (r:{REDIRECT}) RETURN r.id AS id, r.to AS to", database_=database, routing_="r"
        )
        return cls({r["id"]: r["j"] for r in rows}, {r["id"]: r["to"] for r in redirects})

    def judgement(self, a: str, b: str) -> str | None:
        if not self.judgements:  # most runs: no pair to hash
            return None
        return self.judgements.get(pair_id(a, b))

    def canonical(self, node_id: str) -> str:
        """Follow redirects to the canonical id (chains of merges included)."""
        seen = {node_id}
        while node_id in self.redirects:
            node_id = self.redirects[node_id]
            if node_id in seen:
                break
            seen.add(node_id)
        return node_id


def store_proposals(
    driver: Driver, proposals: list[Proposal], run_id: str, database: str | None = None
) -> int:
    """Write proposals the graph does not hold yet; returns how many are new."""
    if not proposals:
        return 0
    rows = [
        {
            "id": p.id,
            "props": {
                "id": p.id,
                "left": p.record,
                "right": p.candidate,
                "type": p.type,
                "leftName": p.name,
                "rightName": p.candidate_name,
                "score": p.score,
                "features": json.dumps(p.features, sort_keys=True, ensure_ascii=False),
                "explanation": p.explanation,
                "tlp": p.tlp,
                "status": "open",
                "firstRun": run_id,
            },
        }
        for p in {p.id: p for p in proposals}.values()
    ]
    records, _, _ = driver.execute_query(
        f"UNWIND $rows AS row MERGE (p:{PROPOSAL} {{id: row.id}}) "
        "ON CREATE SET p = row.props, p.created = true "
        "WITH p, p.created AS created REMOVE p.created RETURN count(created) AS n",
        rows=rows,
        database_=database,
    )
    return int(records[0]["n"]) if records else 0


def store_redirects(driver: Driver, renames: dict[str, str], database: str | None = None) -> None:
    """Redirects from ids a reviewed report gave its facts to their key-derived ids, so links
    and API requests by the report's id still arrive (written once: re-runs change nothing)."""
    driver.execute_query(
        f"UNWIND $rows AS row MERGE (r:{REDIRECT} {{id: row.old}}) "
        "ON CREATE SET r.to = row.new, r.reason = 'fact-key'",
        rows=[{"old": old, "new": new} for old, new in sorted(renames.items())],
        database_=database,
    )


def record_decision(
    tx: ManagedTransaction,
    left: str,
    right: str,
    judgement: str,
    user: str,
    note: str | None = None,
) -> dict[str, Any]:
    """Store (or replace) the decision on a pair, keeping the earlier ones in its history."""
    if judgement not in JUDGEMENTS:
        raise ValueError(f"judgement must be one of {', '.join(JUDGEMENTS)}, not {judgement!r}")
    pid = pair_id(left, right)
    at = now()
    entry = {"judgement": judgement, "user": user, "at": at, "note": note}
    old = tx.run(f"MATCH (d:{DECISION} {{id: $id}}) RETURN d.history AS h", id=pid).single()
    history = [*(json.loads(old["h"]) if old and old["h"] else []), entry]
    props = {
        "id": pid,
        "left": left,
        "right": right,
        "judgement": judgement,
        "user": user,
        "at": at,
        "note": note,
        "history": json.dumps(history, ensure_ascii=False),
    }
    tx.run(
        f"MERGE (d:{DECISION} {{id: $id}}) SET d = $props "
        f"WITH d OPTIONAL MATCH (p:{PROPOSAL} {{id: $id}}) SET p.status = $status",
        id=pid,
        props={k: v for k, v in props.items() if v is not None},
        status="open" if judgement == "unsure" else "decided",
    )
    return props


PROPOSALS_QUERY = f"""
MATCH (p:{PROPOSAL})
WHERE ($status IS NULL OR p.status = $status) AND ($type IS NULL OR p.type = $type)
  AND ($min_score IS NULL OR p.score >= $min_score) AND ($id IS NULL OR p.id = $id)
MATCH (a:Node {{id: p.left}}) MATCH (b:Node {{id: p.right}})
WHERE $levels IS NULL OR (a.tlp IN $levels AND b.tlp IN $levels)
OPTIONAL MATCH (d:{DECISION} {{id: p.id}}) WHERE d.undone IS NULL
WITH p, a, b, d ORDER BY p.score DESC, p.id
SKIP $offset LIMIT $limit
RETURN p {{.*}} AS proposal, d {{.judgement, .user, .at, .note}} AS decision,
  [x IN [a, b] | x {{.id, .name, .aliases, .country, .tlp, .sourceIds, .reportIds,
                    labels: labels(x)}}] AS sides
"""


def list_proposals(
    driver: Driver,
    *,
    levels: list[str] | None = None,
    type: str | None = None,
    min_score: float | None = None,
    status: str | None = "open",
    limit: int = 50,
    offset: int = 0,
    proposal_id: str | None = None,
    database: str | None = None,
) -> list[dict[str, Any]]:
    """Proposals, best score first, whose two sides are both still entities the caller may
    see (`levels` None: all), with both sides as they are now."""
    rows, _, _ = driver.execute_query(
        PROPOSALS_QUERY,
        status=status,
        type=type,
        min_score=min_score,
        id=proposal_id,
        levels=levels,
        offset=offset,
        limit=limit,
        database_=database,
        routing_="r",
    )
    out = []
    for row in rows:
        proposal = dict(row["proposal"])
        proposal["features"] = json.loads(proposal.get("features") or "{}")
        proposal["decision"] = row["decision"]
        proposal["sides"] = row["sides"]
        out.append(proposal)
    return out


def dump_resolution(driver: Driver, database: str | None = None) -> list[dict[str, Any]]:
    """Every Proposal, Decision, Redirect and Conflict node (label and properties), for a
    backup."""
    rows, _, _ = driver.execute_query(
        f"MATCH (n) WHERE n:{PROPOSAL} OR n:{DECISION} OR n:{REDIRECT} OR n:{CONFLICT} "
        "RETURN labels(n)[0] AS label, properties(n) AS props ORDER BY label, n.id",
        database_=database,
        routing_="r",
    )
    return [{"label": r["label"], "props": r["props"]} for r in rows]


def load_resolution(
    driver: Driver, rows: list[dict[str, Any]], database: str | None = None
) -> None:
    """Write back what dump_resolution gave (a restore): nodes merged by id."""
    for label in (PROPOSAL, DECISION, REDIRECT, CONFLICT):
        batch = [r["props"] for r in rows if r["label"] == label]
        if batch:
            driver.execute_query(
                f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) SET n = row",
                rows=batch,
                database_=database,
            )
