"""Write resolved, validated records into Neo4j: one managed transaction per batch, idempotent.

Within the transaction the writer reads what the graph holds for the batch's nodes, computes the
final state of each node and relationship in Python, and writes only what changed with batched
`UNWIND … MERGE`. So a second run of the same input writes nothing and reports it unchanged.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from neo4j import Driver, ManagedTransaction

from core import names as system
from ingest import blocking, decisions
from ingest.resolve import resolution_keys, search_text
from ontology.model import OntologyModel, load_model
from ontology.records import Record
from ontology.types import dates, money, sharing

DERIVED = (system.SOURCE_IDS, system.RESOLVE_KEYS, system.SEARCH_TEXT, system.BLOCK_KEYS)
RUN_PROPERTY = system.INGEST_RUN


def max_tlp(levels: Iterable[str | None]) -> str:
    return sharing.strictest(levels)


def to_neo4j(value: Any) -> Any:
    if isinstance(value, Decimal):
        return money.to_neo4j(value)
    if isinstance(value, list):
        return [to_neo4j(v) for v in value]
    return dates.to_neo4j(value)


def _number(value: Any) -> Any:
    """Numbers as Neo4j stores them (floats for decimals), so equal values compare equal."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return float(value)
    try:
        return float(Decimal(str(value)))
    except Exception:
        return value


@dataclass
class Summary:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    removed: Counter = field(default_factory=Counter)

    def add(self, other: Summary) -> None:
        for name in ("created", "updated", "unchanged", "removed"):
            getattr(self, name).update(getattr(other, name))

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            n: dict(sorted(getattr(self, n).items()))
            for n in ("created", "updated", "unchanged", "removed")
        }

    @property
    def changes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.removed.values())


def schema_statements(model: OntologyModel | None = None) -> list[str]:
    """Uniqueness constraints on id per label and the full-text index, derived from the ontology."""
    model = model or load_model()
    labels = sorted({c.neo4j_label for c in model.classes.values() if c.neo4j_label})
    stmts = [
        f"CREATE CONSTRAINT rg_{label.lower()}_id IF NOT EXISTS FOR (n:`{label}`) REQUIRE n.id IS UNIQUE"
        for label in labels
    ]
    searchable = sorted(c.neo4j_label for c in model.resolved_classes())  # type: ignore[type-var]
    stmts.append(
        "CREATE FULLTEXT INDEX rg_search IF NOT EXISTS FOR (n:"
        + "|".join(f"`{label}`" for label in searchable)
        + f") ON EACH [{', '.join(f'n.`{p}`' for p in SEARCH_INDEX_PROPERTIES)}]"
    )
    stmts += blocking.schema_statements(model) + decisions.schema_statements()
    stmts += [
        f"CREATE INDEX rg_{label.lower()}_{prop.lower()} IF NOT EXISTS "
        f"FOR (n:`{label}`) ON (n.`{prop}`)"
        for label, prop in model.indexed_properties()
    ]
    return stmts


# the sharing level is indexed too, so a search can filter by it inside Lucene (api/fulltext.py)
SEARCH_INDEX_PROPERTIES = ("name", system.SEARCH_TEXT, system.TLP)


def _drop_outdated_search_index(driver: Driver, database: str | None) -> None:
    """Drop rg_search when it indexes other properties than SEARCH_INDEX_PROPERTIES (an older
    version's), so ensure_schema creates it anew."""
    rows, _, _ = driver.execute_query(
        "SHOW FULLTEXT INDEXES YIELD name, properties WHERE name = 'rg_search' RETURN properties",
        database_=database,
    )
    if rows and sorted(rows[0]["properties"]) != sorted(SEARCH_INDEX_PROPERTIES):
        driver.execute_query("DROP INDEX rg_search IF EXISTS", database_=database)


def ensure_schema(driver: Driver, database: str | None = None) -> None:
    _drop_outdated_search_index(driver, database)
    for stmt in schema_statements():
        driver.execute_query(stmt, database_=database)
    driver.execute_query("CALL db.awaitIndexes(60)", database_=database)
    blocking.backfill(driver, database)


# ---------------------------------------------------------------------- records -> rows


@dataclass
class NodeRow:
    id: str
    labels: list[str]
    props: dict[str, Any]
    union: set[str]


@dataclass(frozen=True)
class RelKey:
    start: str
    type: str
    end: str
    key: str = ""  # distinguishes several EVIDENCED_BY links to one source


def node_row(record: Record, model: OntologyModel, tlp: str) -> NodeRow:
    props: dict[str, Any] = {"id": record["id"], "tlp": tlp}
    union: set[str] = set()
    specs = model.properties_of(record["type"])
    for key, value in record.items():
        spec = specs.get(key)
        if spec is None or spec.neo4j_property is None or spec.name == "tlp":
            continue
        props[spec.neo4j_property] = to_neo4j(value)
        if spec.union:  # several reports add to it (rg:union, only on lists)
            union.add(spec.neo4j_property)
    return NodeRow(record["id"], model.labels_of(record["type"]), props, union)


def relationship_rows(record: Record, model: OntologyModel) -> dict[RelKey, dict[str, Any]]:
    rows: dict[RelKey, dict[str, Any]] = {}
    specs = model.properties_of(record["type"])
    edge = model.edge_class
    edge_props = model.properties_of(edge.name)
    for key, value in record.items():
        spec = specs.get(key)
        if spec is None:
            continue
        values = value if isinstance(value, list) else [value]
        if spec.kind == "link" and spec.neo4j_type:
            for target in values:
                start, end = (
                    (record["id"], target) if spec.direction == "out" else (target, record["id"])
                )
                rows[RelKey(start, spec.neo4j_type, end)] = {}
        elif spec.kind == "edge":
            for item in values:
                props = {
                    edge_props[k].neo4j_property: to_neo4j(v)
                    for k, v in item.items()
                    if k != edge.edge_target and edge_props[k].neo4j_property
                }
                digest = hashlib.sha1(repr(sorted(props.items())).encode()).hexdigest()[:16]
                props["key"] = digest
                rows[
                    RelKey(
                        record["id"],
                        edge.neo4j_type or "EVIDENCED_BY",
                        item[edge.edge_target],
                        digest,
                    )
                ] = props
    return rows


# ---------------------------------------------------------------------- the transaction


@dataclass
class WritePlan:
    records: list[Record]
    tlp: dict[str, str]  # record id -> effective sharing level
    report_id: str | None
    run_id: str
    sweep_ids: set[str] | None = None  # all ids of the file, when its last batch is written
    link_reports: dict[RelKey, list[str]] = field(default_factory=dict)  # stated, not inferred
    # relationships of nodes that recur in several batches of one file, as the whole file states
    # them: a later batch must not drop what an earlier one wrote (rows citing one company)
    stated_in_file: set[RelKey] = field(default_factory=set)


def write_batch(
    tx: ManagedTransaction, plan: WritePlan, model: OntologyModel | None = None
) -> Summary:
    model = model or load_model()
    summary = Summary()
    rows = {r["id"]: node_row(r, model, plan.tlp[r["id"]]) for r in plan.records}
    if plan.report_id:
        for row in rows.values():
            reports = set(row.props.get("reportIds") or []) | {plan.report_id}
            row.props["reportIds"] = sorted(reports)
            row.union.add("reportIds")
    stated: dict[RelKey, dict[str, Any]] = {}
    for record in plan.records:
        stated.update(relationship_rows(record, model))
    ids = sorted(rows)

    # Lock the batch's nodes before reading them (creating placeholders for new ones), so
    # concurrent ingests of overlapping inputs serialise instead of overwriting each other;
    # a deadlock between two such transactions is transient and the driver retries it.
    tx.run(
        "UNWIND $ids AS id MERGE (n:Node {id: id}) SET n.`_lock` = true REMOVE n.`_lock`", ids=ids
    )
    existing_nodes = {
        rec["id"]: (rec["props"], rec["labels"])
        for rec in tx.run(
            "MATCH (n:Node) WHERE n.id IN $ids RETURN n.id AS id, properties(n) AS props, labels(n) AS labels",
            ids=ids,
        )
    }
    subject_of = {p.neo4j_type: p.direction for p in model.relationship_properties()}
    subject_of[model.edge_class.neo4j_type] = "out"
    # the relationships the batch's nodes state (they are their subject): not a hub's whole
    # neighbourhood, so a company held by thousands of holdings costs no more than any other
    existing_rels: dict[RelKey, dict[str, Any]] = {}
    for rec in tx.run(
        "MATCH (a:Node)-[r]->(b:Node) WHERE a.id IN $ids AND type(r) IN $out "
        "RETURN a.id AS a, type(r) AS t, b.id AS b, properties(r) AS props "
        "UNION ALL MATCH (a:Node)-[r]->(b:Node) WHERE b.id IN $ids AND type(r) IN $in "
        "RETURN a.id AS a, type(r) AS t, b.id AS b, properties(r) AS props",
        ids=ids,
        out=[t for t, d in subject_of.items() if d == "out"],
        **{"in": [t for t, d in subject_of.items() if d == "in"]},
    ):
        existing_rels[RelKey(rec["a"], rec["t"], rec["b"], rec["props"].get("key", ""))] = rec[
            "props"
        ]
    batch_ids = set(ids)

    # relationships: stated ones merged, stale ones (stated earlier by this report) dropped
    final_rels: dict[RelKey, dict[str, Any]] = {}
    drop_rels: list[RelKey] = []
    touched: set[RelKey] = set(stated)
    for key, props in existing_rels.items():
        subject = key.start if subject_of.get(key.type, "out") == "out" else key.end
        if subject in batch_ids and key not in stated and key not in plan.stated_in_file:
            reports = [r for r in props.get("reportIds") or [] if r != plan.report_id]
            if plan.report_id is None or plan.report_id in (props.get("reportIds") or []):
                if reports and plan.report_id is not None:
                    final_rels[key] = {**props, "reportIds": reports}
                    touched.add(key)
                else:
                    drop_rels.append(key)
                continue
        final_rels[key] = props
    for key, props in stated.items():
        old = existing_rels.get(key, {})
        subject = key.start if subject_of.get(key.type, "out") == "out" else key.end
        subject_reports = rows[subject].props.get("reportIds") if subject in rows else None
        if plan.report_id:
            reports = sorted(set(old.get("reportIds") or []) | {plan.report_id})
        elif key in plan.link_reports:
            reports = sorted(plan.link_reports[key])
        else:
            other = key.end if subject == key.start else key.start
            other_reports = (rows[other].props.get("reportIds") if other in rows else None) or (
                existing_nodes.get(other, ({}, []))[0].get("reportIds")
            )
            shared = sorted(set(subject_reports or []) & set(other_reports or []))
            reports = shared or sorted(subject_reports or [])
        final_rels[key] = {**old, **props, "reportIds": reports}

    # nodes: union of identity lists, derived stamps, change detection
    evidence_type = model.edge_class.neo4j_type
    sources_of: dict[str, set[str]] = defaultdict(set)
    for key in final_rels:
        if key.type == evidence_type:
            sources_of[key.start].add(key.end)
    node_writes: list[dict[str, Any]] = []
    for node_id, row in rows.items():
        old_props, old_labels = existing_nodes.get(node_id, ({}, []))
        new = dict(old_props)
        new.pop(RUN_PROPERTY, None)
        for name, value in row.props.items():
            if name in row.union and name in old_props:
                merged = list(old_props[name] or [])
                merged += [
                    v for v in (value if isinstance(value, list) else [value]) if v not in merged
                ]
                new[name] = (
                    sorted(merged) if name == "reportIds" else merged
                )  # a set, as on relationships
            else:
                new[name] = value
        others = set(old_props.get("reportIds") or []) - {plan.report_id}
        if plan.report_id and others and sharing.is_level(old_props.get("tlp")):
            # stated by other reports too: as open as the most open of them (order-independent)
            new["tlp"] = sharing.openest([old_props["tlp"], new["tlp"]])
        for name in _set_properties(model):  # multiple values are a set (as in RDF): kept sorted
            if isinstance(new.get(name), list):
                new[name] = sorted(new[name], key=str)
        new.update(_derived(new, row, sources_of.get(node_id, set()), model))
        old_cmp = {
            k: _number(v) if not isinstance(v, list) else v
            for k, v in old_props.items()
            if k != RUN_PROPERTY
        }
        new_cmp = {k: _number(v) if not isinstance(v, list) else v for k, v in new.items()}
        label = row.labels[-1]
        if set(old_props) <= {"id"}:  # a placeholder made by the lock above
            summary.created[label] += 1
        elif old_cmp == new_cmp and set(row.labels) <= set(old_labels):
            summary.unchanged[label] += 1
            continue
        else:
            summary.updated[label] += 1
        new[RUN_PROPERTY] = plan.run_id
        node_writes.append(
            {
                "id": node_id,
                "labels": row.labels,
                "props": {k: v for k, v in new.items() if v is not None},
            }
        )

    # relationship changes
    rel_writes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    written = {w["id"]: w["props"] for w in node_writes}
    for key in final_rels:  # a rewritten node's relationships carry its new sourceIds
        if (key.start if subject_of.get(key.type, "out") == "out" else key.end) in written:
            touched.add(key)
    for key, props in final_rels.items():
        if key not in touched:
            continue
        subject = key.start if subject_of.get(key.type, "out") == "out" else key.end
        subject_props = written.get(subject) or existing_nodes.get(subject, ({}, []))[0]
        props = {k: v for k, v in props.items() if k != RUN_PROPERTY}
        props.update(key=key.key, sourceIds=list(subject_props.get("sourceIds") or []))
        old = existing_rels.get(key)
        if old is not None and {k: v for k, v in old.items() if k != RUN_PROPERTY} == props:
            summary.unchanged[key.type] += 1
            continue
        (summary.created if old is None else summary.updated)[key.type] += 1
        rel_writes[key.type].append(
            {
                "a": key.start,
                "b": key.end,
                "key": key.key,
                "props": {**props, RUN_PROPERTY: plan.run_id},
            }
        )

    _write_nodes(tx, node_writes)
    for rel_type, batch in rel_writes.items():
        tx.run(
            f"UNWIND $rows AS row MATCH (a:Node {{id: row.a}}) MATCH (b:Node {{id: row.b}}) "
            f"MERGE (a)-[r:`{rel_type}` {{key: row.key}}]->(b) SET r = row.props, r.key = row.key",
            rows=batch,
        )
    for key in drop_rels:
        summary.removed[key.type] += 1
    if drop_rels:
        tx.run(
            "UNWIND $rows AS row MATCH (a:Node {id: row.a})-[r]->(b:Node {id: row.b}) "
            "WHERE type(r) = row.t AND coalesce(r.key, '') = row.key DELETE r",
            rows=[{"a": k.start, "b": k.end, "t": k.type, "key": k.key} for k in drop_rels],
        )
    if plan.report_id and plan.sweep_ids is not None:
        sweep(tx, plan.report_id, plan.sweep_ids, summary, plan.run_id)
    return summary


@cache
def _set_properties(model: OntologyModel) -> tuple[str, ...]:
    return tuple(
        p.neo4j_property for p in model.properties.values() if p.multiple and p.neo4j_property
    )


def _derived(
    props: dict[str, Any], row: NodeRow, sources: set[str], model: OntologyModel
) -> dict[str, Any]:
    out: dict[str, Any] = {system.SOURCE_IDS: sorted(sources)}
    cls = model.class_of_labels(row.labels)
    if cls.resolved:
        specs = model.properties_of(cls.name)
        record = {
            p.name: props.get(p.neo4j_property)
            for p in specs.values()
            if p.neo4j_property and props.get(p.neo4j_property) is not None
        }
        ids, names = resolution_keys(record, model)
        out[system.RESOLVE_KEYS] = sorted(set(ids + names))
        out[system.SEARCH_TEXT] = search_text(record, model)
        out[system.BLOCK_KEYS] = blocking.block_keys({**record, "type": cls.name}, model)
    return out


def _write_nodes(tx: ManagedTransaction, writes: list[dict[str, Any]]) -> None:
    by_labels: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for w in writes:
        by_labels[tuple(w["labels"])].append(w)
    for labels, batch in by_labels.items():
        label_expr = ":".join(f"`{label}`" for label in labels)
        tx.run(
            f"UNWIND $rows AS row MERGE (n:Node {{id: row.id}}) SET n = row.props, n:{label_expr}",
            rows=batch,
        )


def sweep(
    tx: ManagedTransaction, report_id: str, keep: set[str], summary: Summary, run_id: str = ""
) -> None:
    """Take this report off what it no longer states: nodes and relationships only it stated go;
    the rest lose its report id, and their evidence, sourceIds included, is what others state."""
    model = load_model()
    swept = list(
        tx.run(
            "MATCH (n:Node) WHERE $rid IN n.reportIds AND NOT n.id IN $keep "
            "RETURN n.id AS id, [r IN n.reportIds WHERE r <> $rid] AS rest, labels(n) AS labels",
            rid=report_id,
            keep=list(keep),
        )
    )
    gone = [r["id"] for r in swept if not r["rest"]]
    kept = [{"id": r["id"], "rest": r["rest"]} for r in swept if r["rest"]]
    for rec in swept:
        label = model.class_of_labels(rec["labels"]).neo4j_label
        (summary.updated if rec["rest"] else summary.removed)[label] += 1
    if gone:
        tx.run("UNWIND $ids AS id MATCH (n:Node {id: id}) DETACH DELETE n", ids=gone)
    if not kept:
        return
    incoming = [p.neo4j_type for p in model.relationship_properties() if p.direction == "in"]
    for rec in tx.run(  # the relationships a kept node states (it is their subject)
        "UNWIND $rows AS row MATCH (n:Node {id: row.id}) SET n.reportIds = row.rest, n.ingestRun = $run "
        "WITH n MATCH (n)-[r]-() WHERE $rid IN r.reportIds AND (startNode(r) = n) <> (type(r) IN $incoming) "
        "WITH DISTINCT r, type(r) AS t, [x IN r.reportIds WHERE x <> $rid] AS rest "
        "FOREACH (_ IN CASE WHEN size(rest) = 0 THEN [1] ELSE [] END | DELETE r) "
        "FOREACH (_ IN CASE WHEN size(rest) > 0 THEN [1] ELSE [] END | SET r.reportIds = rest, r.ingestRun = $run) "
        "RETURN t, size(rest) = 0 AS deleted",
        rows=kept,
        rid=report_id,
        incoming=incoming,
        run=run_id,
    ):
        (summary.removed if rec["deleted"] else summary.updated)[rec["t"]] += 1
    tx.run(  # sourceIds follow the evidence that is left, on the node and the relationships it states
        "UNWIND $ids AS id MATCH (n:Node {id: id}) "
        f"OPTIONAL MATCH (n)-[:`{model.edge_class.neo4j_type}`]->(s:Node) "
        "WITH n, s ORDER BY s.id WITH n, collect(DISTINCT s.id) AS sources SET n.sourceIds = sources "
        "WITH n, sources MATCH (n)-[r]-() WHERE (startNode(r) = n) <> (type(r) IN $incoming) "
        "SET r.sourceIds = sources",
        ids=[k["id"] for k in kept],
        incoming=incoming,
    )
