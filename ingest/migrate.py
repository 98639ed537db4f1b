"""Migrate a graph of an older schema version in place (idempotent): `rightsgraph migrate`.

Version 1 → 2: statements. Every node and relationship written before statements existed
gets them, synthesised from what it holds (`writer.stored_statements`): each report of its
`reportIds` states each of its values, at its sharing level, citing its `sourceIds`, first
stated on the day of its last ingest run. Its visible properties do not change. The imports'
reports (`report-holdings-…` and the like) become `published`. The version is recorded on the
one `:RgSystem:RgSystemSchema` node.

Version 2 → 3: every node and relationship gets `knownSpans` (when, and at which level, it was
known: `statements.spans`), computed from its statements; nothing visible changes.

Ingest runs it first; a restore of an old backup goes through
the same synthesis, in the writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neo4j import Driver, ManagedTransaction

from core import names
from ingest.writer import (
    IMPORT_REPORT,
    RUN_PROPERTY,
    relationship_level,
    relationship_statements,
    run_day,
    standing_of_report,
    stored_statements,
)
from ontology import statements as st
from ontology.model import load_model
from ontology.types import sharing

PAGE = 2000


@dataclass
class Migration:
    version_before: int
    version: int
    nodes: int = 0
    relationships: int = 0
    reports_published: int = 0
    spans: int = 0  # nodes and relationships given their knownSpans (version 3)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def schema_version(driver: Driver, database: str | None = None) -> int:
    """The graph's recorded schema version; 1 for a graph that records none (or is empty)."""
    rows, _, _ = driver.execute_query(
        f"MATCH (s:`{names.SCHEMA_LABEL}`) RETURN max(coalesce(s.rgsystemVersion, s.version)) AS v",
        database_=database,
        routing_="r",
    )
    return rows[0]["v"] or 1


def migrate(driver: Driver, database: str | None = None) -> Migration:
    """Bring the graph to `names.SCHEMA_VERSION`; does nothing when it is there already."""
    before = schema_version(driver, database)
    result = Migration(before, max(before, names.SCHEMA_VERSION))
    if before >= names.SCHEMA_VERSION:
        return result
    with driver.session(database=database) as session:
        result.reports_published = session.execute_write(_publish_imports)
        standings = session.execute_read(_standings)
        while True:
            done = session.execute_write(_node_page, standings)
            result.nodes += done
            if done < PAGE:
                break
        while True:
            done = session.execute_write(_relationship_page, standings)
            result.relationships += done
            if done < PAGE:
                break
        for page in (_node_spans_page, _relationship_spans_page):
            while True:
                done = session.execute_write(page)
                result.spans += done
                if done < PAGE:
                    break
        if session.execute_read(_empty):  # nothing to record it on yet: the next run does
            return result
        session.execute_write(
            lambda tx: tx.run(
                f"MERGE (s:`{names.SYSTEM_LABEL}`:`{names.SCHEMA_LABEL}` {{rgsystemId: 'schema'}}) "
                "SET s.rgsystemVersion = $v",
                v=names.SCHEMA_VERSION,
            ).consume()
        )
    return result


def _empty(tx: ManagedTransaction) -> bool:
    return tx.run("MATCH (n:Node) RETURN n.id AS id LIMIT 1").single() is None


def _publish_imports(tx: ManagedTransaction) -> int:
    rows = list(tx.run("MATCH (r:Report) WHERE r.reviewStatus = 'unreviewed' RETURN r.id AS id"))
    ids = [r["id"] for r in rows if IMPORT_REPORT.match(r["id"] or "")]
    tx.run("UNWIND $ids AS id MATCH (r:Report {id: id}) SET r.reviewStatus = 'published'", ids=ids)
    return len(ids)


def _standings(tx: ManagedTransaction) -> dict[str, str]:
    return {
        r["id"]: standing_of_report(r["id"], r["status"])
        for r in tx.run("MATCH (r:Report) RETURN r.id AS id, r.reviewStatus AS status")
    }


def _node_page(tx: ManagedTransaction, standings: dict[str, str]) -> int:
    model = load_model()
    rows = list(
        tx.run(
            "MATCH (n:Node) WHERE n.statements IS NULL "
            "RETURN n.id AS id, properties(n) AS props, labels(n) AS labels LIMIT $page",
            page=PAGE,
        )
    )
    writes = []
    for row in rows:
        statements = stored_statements(
            row["props"], row["labels"], model, lambda r: standings.get(r or "", "reviewed")
        )
        writes.append(
            {
                "id": row["id"],
                "statements": st.encode(statements),
                "statedBy": st.live_reports(statements),
            }
        )
    tx.run(
        "UNWIND $rows AS row MATCH (n:Node {id: row.id}) "
        f"SET n.`{names.STATEMENTS}` = row.statements, n.`{names.STATED_BY}` = row.statedBy",
        rows=writes,
    )
    return len(rows)


def _relationship_page(tx: ManagedTransaction, standings: dict[str, str]) -> int:
    rows = list(
        tx.run(
            "MATCH (a:Node)-[r]->(b:Node) WHERE r.statements IS NULL "
            "RETURN elementId(r) AS eid, properties(r) AS props, a.tlp AS a, b.tlp AS b "
            "LIMIT $page",
            page=PAGE,
        )
    )
    writes = []
    for row in rows:
        props = row["props"]
        level = sharing.strictest([row["a"], row["b"]])
        text = relationship_statements(
            props,
            list(props.get(names.REPORT_IDS) or []),
            level,
            lambda r: standings.get(r or "", "reviewed"),
            run_day(str(props.get(RUN_PROPERTY) or "")),
        )
        writes.append(
            {"eid": row["eid"], "statements": text, "tlp": relationship_level(text, level)}
        )
    tx.run(
        "UNWIND $rows AS row MATCH ()-[r]->() WHERE elementId(r) = row.eid "
        f"SET r.`{names.STATEMENTS}` = row.statements, r.`{names.TLP}` = row.tlp",
        rows=writes,
    )
    return len(rows)


def _node_spans_page(tx: ManagedTransaction) -> int:
    rows = list(
        tx.run(
            f"MATCH (n:Node) WHERE n.`{names.KNOWN_SPANS}` IS NULL "
            f"AND n.`{names.STATEMENTS}` IS NOT NULL "
            f"RETURN n.id AS id, n.`{names.STATEMENTS}` AS s LIMIT $page",
            page=PAGE,
        )
    )
    tx.run(
        "UNWIND $rows AS row MATCH (n:Node {id: row.id}) "
        f"SET n.`{names.KNOWN_SPANS}` = row.spans",
        rows=[{"id": r["id"], "spans": st.spans(st.decode(r["s"]))} for r in rows],
    )
    return len(rows)


def _relationship_spans_page(tx: ManagedTransaction) -> int:
    rows = list(
        tx.run(
            f"MATCH (:Node)-[r]->(:Node) WHERE r.`{names.KNOWN_SPANS}` IS NULL "
            f"AND r.`{names.STATEMENTS}` IS NOT NULL "
            f"RETURN elementId(r) AS eid, r.`{names.STATEMENTS}` AS s LIMIT $page",
            page=PAGE,
        )
    )
    tx.run(
        "UNWIND $rows AS row MATCH ()-[r]->() WHERE elementId(r) = row.eid "
        f"SET r.`{names.KNOWN_SPANS}` = row.spans",
        rows=[{"eid": r["eid"], "spans": st.spans(st.decode(r["s"]))} for r in rows],
    )
    return len(rows)
