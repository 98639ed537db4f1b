"""Conflicts from ingest, kept for review beside the proposals.

A conflict (`ontology.statements.conflicts`) is a value a report states that differs from a
reviewed or published value another report states for the same single-valued property. The
ingest summary lists them; each is also kept as a `(:Conflict {id, node, property, value,
report, against, againstReports, status, ...})` node (no `Node` label, like a proposal), written
once: a re-ingest that finds the same conflict changes nothing, and a decided one stays decided.

Listing reads both sides again from the node's statements, at the caller's levels: a conflict
is shown only while both values are still stated and the caller may see both statements (and
the node); each side comes with its reports and sources. A decision (`keep` the reviewed value,
`take` the new one, `unsure`) is the reviewer's record: who, when, why. It does not rewrite any
report's statements — the shown value keeps following the statement rules (ontology/statements.py)
until a report changes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from neo4j import Driver

from core.names import CONFLICT, ID, STATEMENTS
from ingest.decisions import now
from ontology import statements as st

ConflictJudgement = Literal["keep", "take", "unsure"]
CONFLICT_JUDGEMENTS: tuple[str, ...] = ("keep", "take", "unsure")


def conflict_id(c: st.Conflict) -> str:
    """The same id for the same node, property, report and pair of values."""
    key = "\n".join(
        (c.id, c.property, c.report or "", st.value_key(c.value), st.value_key(c.against))
    )
    return "conflict-" + hashlib.sha1(key.encode()).hexdigest()[:16]


def schema_statements() -> list[str]:
    return [
        f"CREATE CONSTRAINT rg_{CONFLICT.lower()}_id IF NOT EXISTS "
        f"FOR (n:{CONFLICT}) REQUIRE n.id IS UNIQUE"
    ]


def store_conflicts(
    driver: Driver, conflicts: list[st.Conflict], run_id: str, database: str | None = None
) -> int:
    """Write the conflicts the graph does not hold yet; returns how many are new."""
    rows = {
        conflict_id(c): {
            "id": conflict_id(c),
            "node": c.id,
            "property": c.property,
            "value": json.dumps(c.value, ensure_ascii=False),
            "report": c.report,
            "against": json.dumps(c.against, ensure_ascii=False),
            "againstReports": c.against_reports,
            "status": "open",
            "firstRun": run_id,
        }
        for c in conflicts
    }
    if not rows:
        return 0
    records, _, _ = driver.execute_query(
        f"UNWIND $rows AS row MERGE (c:{CONFLICT} {{id: row.id}}) "
        "ON CREATE SET c = row, c.created = true "
        "WITH c, c.created AS created REMOVE c.created RETURN count(created) AS n",
        rows=list(rows.values()),
        database_=database,
    )
    return int(records[0]["n"]) if records else 0


CONFLICTS_QUERY = f"""
MATCH (c:{CONFLICT})
WHERE ($status IS NULL OR c.status = $status) AND ($id IS NULL OR c.id = $id)
MATCH (n:Node {{{ID}: c.node}}) WHERE n.tlp IN $levels
RETURN c {{.*}} AS conflict, n.{ID} AS node, n.name AS name, labels(n) AS labels,
  n.{STATEMENTS} AS statements,
  COLLECT {{
    MATCH (n)-[e:EVIDENCED_BY]->(s:Source) WHERE s.tlp IN $levels AND e.tlp IN $levels
    RETURN {{source: s.{ID}, title: s.name, url: s.url, publisher: s.publisher,
            quote: e.quote, locator: e.locator, statements: e.statements}} AS x
    ORDER BY x.source, x.locator, x.quote
  }} AS evidence
ORDER BY c.node, c.property, c.id
"""

REPORTS_QUERY = (
    "MATCH (r:Node) WHERE r.id IN $ids AND r.tlp IN $levels RETURN r.id AS id, r.name AS name"
)


def _side(
    statements: list[st.Statement], value: Any, reports: set[str] | None, levels: list[str]
) -> dict[str, Any] | None:
    """One side of a conflict as the caller may see it: the live statements of the value (by
    the given reports), None when there is none any more or one the caller may not see."""
    key = st.value_key(value)
    found = [
        s
        for s in statements
        if s.live() and st.value_key(s.value) == key and (reports is None or s.report in reports)
    ]
    if not found or any(s.level not in levels for s in found):
        return None
    return {
        "value": value,
        "reports": sorted({s.report for s in found if s.report}),
        "standing": max((s.standing for s in found), key=st.standing_rank),
        "tlp": sorted({s.level for s in found}),
        "firstStated": min(s.first for s in found),
        "sources": sorted({x for s in found for x in s.sources}),
    }


def _evidence_of(evidence: list[dict[str, Any]], sources: list[str]) -> list[dict[str, Any]]:
    wanted = set(sources)
    return [
        {k: v for k, v in e.items() if k != "statements"} for e in evidence if e["source"] in wanted
    ]


def list_conflicts(
    driver: Driver,
    *,
    levels: list[str],
    status: str | None = "open",
    conflict_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
    database: str | None = None,
) -> list[dict[str, Any]]:
    """The conflicts whose two sides are still stated and visible at `levels`, each side with
    its reports (id, name) and the node's evidence from its sources."""
    rows, _, _ = driver.execute_query(
        CONFLICTS_QUERY,
        status=status,
        id=conflict_id,
        levels=levels,
        database_=database,
        routing_="r",
    )
    out: list[dict[str, Any]] = []
    for row in rows:
        c = dict(row["conflict"])
        prop = c["property"]
        stated = [s for s in st.decode(row["statements"]) if s.prop == prop]
        new = _side(
            stated, json.loads(c["value"]), {c["report"]} if c.get("report") else None, levels
        )
        old = _side(stated, json.loads(c["against"]), set(c.get("againstReports") or []), levels)
        if new is None or old is None:
            continue
        for side in (new, old):
            side["evidence"] = _evidence_of(row["evidence"], side["sources"])
        out.append(
            {
                "id": c["id"],
                "status": c["status"],
                "node": {"id": row["node"], "name": row["name"], "labels": row["labels"]},
                "property": prop,
                "new": new,
                "reviewed": old,
                "decision": {k: c[k] for k in ("judgement", "user", "at", "note") if c.get(k)}
                or None,
            }
        )
    page = out[offset : offset + limit]
    names = _report_names(driver, page, levels, database)
    for item in page:
        for side in (item["new"], item["reviewed"]):
            side["reports"] = [{"id": r, "name": names.get(r)} for r in side["reports"]]
    return page


def _report_names(
    driver: Driver, items: list[dict[str, Any]], levels: list[str], database: str | None
) -> dict[str, str | None]:
    ids = sorted({r for i in items for side in (i["new"], i["reviewed"]) for r in side["reports"]})
    if not ids:
        return {}
    rows, _, _ = driver.execute_query(
        REPORTS_QUERY, ids=ids, levels=levels, database_=database, routing_="r"
    )
    return {r["id"]: r["name"] for r in rows}


def decide_conflict(
    driver: Driver,
    conflict: str,
    judgement: str,
    user: str,
    note: str | None = None,
    database: str | None = None,
) -> dict[str, Any]:
    """Record a reviewer's answer on the conflict ("unsure" leaves it open)."""
    if judgement not in CONFLICT_JUDGEMENTS:
        raise ValueError(f"judgement must be one of {', '.join(CONFLICT_JUDGEMENTS)}")
    props = {
        "judgement": judgement,
        "user": user,
        "at": now(),
        "note": note,
        "status": "open" if judgement == "unsure" else "decided",
    }
    driver.execute_query(
        f"MATCH (c:{CONFLICT} {{id: $id}}) SET c += $props",
        id=conflict,
        props=props,
        database_=database,
    )
    return {"id": conflict, **props}
