"""Write resolved, validated records into Neo4j: one managed transaction per batch, idempotent.

Within the transaction the writer reads what the graph holds for the batch's nodes, computes the
final state of each node and relationship in Python, and writes only what changed with batched
`UNWIND … MERGE`. So a second run of the same input writes nothing and reports it unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from typing import Any

from neo4j import Driver, ManagedTransaction

from core import names as system
from ingest import blocking, decisions, watches
from ingest import conflicts as conflict_store
from ingest.changes import Changes
from ingest.resolve import resolution_keys, search_text
from ontology import statements as st
from ontology.model import OntologyModel, load_model
from ontology.records import Record
from ontology.types import dates, money, sharing

DERIVED = (system.SOURCE_IDS, system.RESOLVE_KEYS, system.SEARCH_TEXT, system.BLOCK_KEYS)
RUN_PROPERTY = system.INGEST_RUN
# what a node's statements do not state: bookkeeping, and reportIds (the statements' reports)
NOT_STATED = {system.ID, system.TLP, system.REPORT_IDS, *system.SYSTEM_PROPERTIES}
# reports of the adapters' imports, by id; they were `unreviewed` before `published` existed
IMPORT_REPORT = re.compile(r"^report-(holdings|ocds|bods|ftm)-")


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


def _comparable(props: dict[str, Any]) -> dict[str, Any]:
    """A node's properties as compared for change: numbers as floats, no run stamp."""
    return {
        k: _number(v) if not isinstance(v, list) else v
        for k, v in props.items()
        if k != RUN_PROPERTY
    }


@dataclass
class Summary:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    removed: Counter = field(default_factory=Counter)
    conflicts: list[st.Conflict] = field(default_factory=list)
    # what this transaction changed, for the alert engine (never added up across batches)
    changed: Changes = field(default_factory=Changes, repr=False, compare=False)

    def add(self, other: Summary) -> None:
        for name in ("created", "updated", "unchanged", "removed"):
            getattr(self, name).update(getattr(other, name))
        self.conflicts.extend(other.conflicts)

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
    stmts += watches.schema_statements() + conflict_store.schema_statements()
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
    multi: set[str] = field(default_factory=set)  # multiple-valued properties (sets)


@dataclass(frozen=True)
class RelKey:
    start: str
    type: str
    end: str
    key: str = ""  # distinguishes several EVIDENCED_BY links to one source


def node_row(record: Record, model: OntologyModel, tlp: str) -> NodeRow:
    props: dict[str, Any] = {"id": record["id"], "tlp": tlp}
    union: set[str] = set()
    multi: set[str] = set()
    specs = model.properties_of(record["type"])
    for key, value in record.items():
        spec = specs.get(key)
        if spec is None or spec.neo4j_property is None or spec.name == "tlp":
            continue
        props[spec.neo4j_property] = to_neo4j(value)
        if spec.multiple and isinstance(value, list):  # a string is not a list to unite
            multi.add(spec.neo4j_property)
        if spec.union:  # several reports add to it (rg:union, only on lists)
            union.add(spec.neo4j_property)
    return NodeRow(record["id"], model.labels_of(record["type"]), props, union, multi)


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
    standing: str | None = None  # the standing of what report_id states (its review status)
    stated_on: str | None = None  # the day its statements are first stated (default: the run's)
    source_dates: dict[str, str] = field(default_factory=dict)  # source id -> its `published`
    standings: dict[str, str] = field(default_factory=dict)  # report id -> standing, when known
    # node id -> stored statements to take as they are (a restore of a backup that has them)
    given_statements: dict[str, str] = field(default_factory=dict)
    given_link_statements: dict[RelKey, str] = field(default_factory=dict)
    # ids the plan knows the graph does not hold (the bulk path checked them before writing):
    # they are created, not merged, and nothing is read back for them
    new_ids: frozenset[str] = frozenset()

    @property
    def today(self) -> str:
        return self.stated_on or run_day(self.run_id)


def run_day(run_id: str) -> str:
    """The day (YYYY-MM-DD) of an ingest run id (`20250131T…`), else today (UTC)."""
    found = re.match(r"(\d{4})(\d{2})(\d{2})T", run_id or "")
    if found:
        return "-".join(found.groups())
    return dt.datetime.now(dt.UTC).date().isoformat()


def standing_of_report(report_id: str | None, review_status: str | None) -> str:
    """A report's statements' standing: its review status; an adapter's import of a
    publisher's dataset is `published` (also when an older version marked it unreviewed)."""
    if review_status in ("reviewed", "published"):
        return review_status
    if report_id and IMPORT_REPORT.match(report_id):
        return "published"
    return "unreviewed"


class Standings:
    """Report id -> standing, from the plan or, lazily, the Report nodes in the graph."""

    def __init__(self, tx: ManagedTransaction, known: dict[str, str]):
        self.tx = tx
        self.known = dict(known)

    def __call__(self, report_id: str | None) -> str:
        if report_id is None:
            return "reviewed"  # records without a report: our own exports, read back
        if report_id not in self.known:
            rows = list(
                self.tx.run(
                    "MATCH (r:Node {id: $id}) RETURN r.reviewStatus AS status", id=report_id
                )
            )
            self.known[report_id] = standing_of_report(
                report_id, rows[0]["status"] if rows else None
            )
        return self.known[report_id]


def stored_statements(
    props: dict[str, Any],
    labels: list[str],
    model: OntologyModel,
    standing_of: Callable[[str | None], str],
) -> list[st.Statement]:
    """A node's statements; for a node written before statements existed (no `statements`),
    synthesised from its properties: every report in its reportIds states every value, at the
    node's level, citing its sourceIds, first stated on the day of its last ingest run."""
    if props.get(system.STATEMENTS):
        return st.decode(props[system.STATEMENTS])
    if set(props) <= {system.ID}:
        return []
    multi = set(_set_properties(model))
    values = {k: v for k, v in props.items() if k not in NOT_STATED and v is not None}
    day = run_day(str(props.get(RUN_PROPERTY) or ""))
    out: list[st.Statement] = []
    for report in props.get(system.REPORT_IDS) or [None]:
        claim = st.Claim(
            report,
            props.get(system.TLP) or sharing.DEFAULT,
            standing_of(report),
            tuple(props.get(system.SOURCE_IDS) or ()),
        )
        out = st.restate(out, claim, values, multi, day)
    return out


def relationship_statements(
    old: dict[str, Any] | None,
    reports: list[str],
    level: str,
    standing_of: Callable[[str | None], str],
    today: str,
) -> str:
    """A relationship's statements (that it exists, by report) once `reports` state it."""
    old = old or {}
    if old.get(system.STATEMENTS):
        before = st.decode(old[system.STATEMENTS])
    else:  # written before statements existed, or new
        day = run_day(str(old.get(RUN_PROPERTY) or ""))
        before = [
            st.Statement(st.EXISTS, True, r, level, standing_of(r), day)
            for r in old.get(system.REPORT_IDS) or []
        ]
    live = {s.report for s in before if s.live()}
    out = [
        replace(s, retracted=today) if s.live() and s.report not in reports else s for s in before
    ]
    out += [
        st.Statement(st.EXISTS, True, r, level, standing_of(r), today)
        for r in reports
        if r not in live
    ]
    return st.encode(out)


class _LinkTexts:
    """`relationship_statements` of one transaction, each distinct question answered once."""

    def __init__(self, standing_of: Callable[[str | None], str], today: str):
        self.standing_of, self.today = standing_of, today
        self.known: dict[tuple, str] = {}

    def __call__(self, old: dict[str, Any] | None, reports: list[str], level: str) -> str:
        old = old or {}
        stored = old.get(system.STATEMENTS)
        # without a stored text, the answer depends on the run stamp (its day) and the reports
        before = stored or (old.get(RUN_PROPERTY), tuple(old.get(system.REPORT_IDS) or ()))
        key = (before, tuple(reports), level)
        if key not in self.known:
            self.known[key] = relationship_statements(
                old, reports, level, self.standing_of, self.today
            )
        return self.known[key]


def relationship_level(statements: str, default: str) -> str:
    """A relationship's level: the most open level of its live statements (a link an AMBER
    report alone states between two public nodes is AMBER)."""
    return st.existence_level(st.decode(statements), sharing.levels()) or default


def link_state(statements: str, default: str) -> dict[str, Any]:
    """A relationship's system properties from its statements text: the text, its level
    (`relationship_level`) and when it was known (`knownSpans`)."""
    return {
        system.STATEMENTS: statements,
        system.TLP: relationship_level(statements, default),
        system.KNOWN_SPANS: st.spans(st.decode(statements)),
    }


def node_state(
    node_id: str, labels: list[str], statements: list[st.Statement], model: OntologyModel
) -> dict[str, Any] | None:
    """A node's stored properties: its statements projected at its own level (the most open
    level of any live statement), so whoever sees the node sees nothing of more restricted
    statements; None when no statement is live."""
    order = sharing.levels()
    level = st.existence_level(statements, order)
    if level is None:
        return None
    seen = st.project(statements, sharing.levels_up_to(level), order=order)
    props: dict[str, Any] = {system.ID: node_id, system.TLP: level, **seen.properties}
    props[system.REPORT_IDS] = seen.report_ids
    props[system.STATED_BY] = st.live_reports(statements)
    props[system.STATEMENTS] = st.encode(statements)
    props[system.KNOWN_SPANS] = st.spans(statements)
    props.update(_derived(props, labels, set(seen.source_ids), model))
    return props


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
    new_ids = plan.new_ids
    ids = sorted(i for i in rows if i not in new_ids)  # what the graph may hold: read it

    # Lock the batch's nodes before reading them (creating placeholders for new ones), so
    # concurrent ingests of overlapping inputs serialise instead of overwriting each other;
    # a deadlock between two such transactions is transient and the driver retries it. Nodes
    # the plan knows are new are created below: the id's uniqueness constraint guards them.
    if ids:
        tx.run(
            "UNWIND $ids AS id MERGE (n:Node {id: id}) SET n.`_lock` = true REMOVE n.`_lock`",
            ids=ids,
        )
    existing_nodes = {
        rec["id"]: (rec["props"], rec["labels"])
        for rec in (
            tx.run(
                "MATCH (n:Node) WHERE n.id IN $ids RETURN n.id AS id, properties(n) AS props, labels(n) AS labels",
                ids=ids,
            )
            if ids
            else ()
        )
    }
    subject_of = {p.neo4j_type: p.direction for p in model.relationship_properties()}
    subject_of[model.edge_class.neo4j_type] = "out"
    # the relationships the batch's nodes state (they are their subject): not a hub's whole
    # neighbourhood, so a company held by thousands of holdings costs no more than any other
    existing_rels: dict[RelKey, dict[str, Any]] = {}
    for rec in (
        ()
        if not ids
        else tx.run(
            "MATCH (a:Node)-[r]->(b:Node) WHERE a.id IN $ids AND type(r) IN $out "
            "RETURN a.id AS a, type(r) AS t, b.id AS b, properties(r) AS props "
            "UNION ALL MATCH (a:Node)-[r]->(b:Node) WHERE b.id IN $ids AND type(r) IN $in "
            "RETURN a.id AS a, type(r) AS t, b.id AS b, properties(r) AS props",
            ids=ids,
            out=[t for t, d in subject_of.items() if d == "out"],
            **{"in": [t for t, d in subject_of.items() if d == "in"]},
        )
    ):
        existing_rels[RelKey(rec["a"], rec["t"], rec["b"], rec["props"].get("key", ""))] = rec[
            "props"
        ]
    batch_ids = set(rows)

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

    # nodes: the records' statements beside the others', projected at the node's own level
    evidence_type = model.edge_class.neo4j_type
    cited: dict[str, set[str]] = defaultdict(set)  # sources each record cites
    for key in stated:
        if key.type == evidence_type:
            cited[key.start].add(key.end)
    known = {
        r["id"]: standing_of_report(r["id"], r.get("reviewStatus"))
        for r in plan.records
        if r["type"] == "Report"
    }
    if plan.report_id and plan.standing:
        known[plan.report_id] = plan.standing
    standing_of = Standings(tx, {**known, **plan.standings})
    today = plan.today
    node_writes: list[dict[str, Any]] = []
    for node_id, row in rows.items():
        old_props, old_labels = existing_nodes.get(node_id, ({}, []))
        old_st = stored_statements(old_props, old_labels, model, standing_of)
        if node_id in plan.given_statements:
            new_st = st.decode(plan.given_statements[node_id])
        else:
            values = {k: v for k, v in row.props.items() if k not in NOT_STATED and v is not None}
            sources = tuple(sorted(cited.get(node_id, ())))
            dates = [plan.source_dates[x] for x in sources if plan.source_dates.get(x)]
            reports = (
                [plan.report_id] if plan.report_id else row.props.get(system.REPORT_IDS) or [None]
            )
            new_st = old_st
            for report in reports:
                standing = (
                    plan.standing if report == plan.report_id and plan.standing else None
                ) or standing_of(report)
                claim = st.Claim(
                    report, plan.tlp[node_id], standing, sources, max(dates) if dates else None
                )
                new_st = st.restate(new_st, claim, values, row.multi, today)
            # against what this report's own readers may see; nothing to list when no other
            # report states anything on the node
            if plan.report_id and any(s.report != plan.report_id for s in new_st):
                seen = st.visible(new_st, sharing.levels_up_to(plan.tlp[node_id]))
                summary.conflicts.extend(st.conflicts(node_id, seen, plan.report_id))
        new = node_state(node_id, row.labels, new_st, model) or {}
        label = row.labels[-1]
        if set(old_props) <= {"id"}:  # new, or a placeholder made by the lock above
            summary.created[label] += 1
        elif _comparable(old_props) == _comparable(new) and set(row.labels) <= set(old_labels):
            summary.unchanged[label] += 1
            continue
        else:
            summary.updated[label] += 1
        new[RUN_PROPERTY] = plan.run_id
        summary.changed.node(
            node_id,
            row.labels,
            old_props.get(system.STATEMENTS) or (st.encode(old_st) if old_st else None),
            new.get(system.STATEMENTS),
        )
        node_writes.append(
            {
                "id": node_id,
                "labels": row.labels,
                "props": {k: v for k, v in new.items() if v is not None},
            }
        )

    # relationship changes (the many links that say the same, say of one report today,
    # share one statements text: each distinct one is computed once)
    rel_writes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    link_texts = _LinkTexts(standing_of, today)
    link_states = cache(link_state)  # per batch; its answers (and their lists) are shared
    written = {w["id"]: w["props"] for w in node_writes}
    for key in final_rels:  # a rewritten node's relationships carry its new sourceIds
        if (key.start if subject_of.get(key.type, "out") == "out" else key.end) in written:
            touched.add(key)
    for key, props in final_rels.items():
        if key not in touched:
            continue
        subject = key.start if subject_of.get(key.type, "out") == "out" else key.end
        subject_props = written.get(subject) or existing_nodes.get(subject, ({}, []))[0]
        props = dict(props)  # a copy: an unstated one is the read-back dict itself
        props.pop(RUN_PROPERTY, None)
        props.update(key=key.key, sourceIds=list(subject_props.get("sourceIds") or []))
        old = existing_rels.get(key)
        level = plan.tlp.get(subject) or subject_props.get(system.TLP) or sharing.DEFAULT
        text = plan.given_link_statements.get(key) or link_texts(
            old, list(props.get(system.REPORT_IDS) or []), level
        )
        props.update(link_states(text, level))
        if old is not None and {k: v for k, v in old.items() if k != RUN_PROPERTY} == props:
            summary.unchanged[key.type] += 1
            continue
        (summary.created if old is None else summary.updated)[key.type] += 1
        if old is None:
            summary.changed.link(key.start, key.type, key.end)
        rel_writes[key.type].append(
            {
                "a": key.start,
                "b": key.end,
                "key": key.key,
                "props": {**props, RUN_PROPERTY: plan.run_id},
            }
        )

    _write_nodes(tx, node_writes, new_ids)
    for rel_type, batch in rel_writes.items():
        _write_relationships(tx, rel_type, batch, new_ids)
    for key in drop_rels:
        summary.removed[key.type] += 1
        summary.changed.link(key.start, key.type, key.end)
    if drop_rels:
        tx.run(
            "UNWIND $rows AS row MATCH (a:Node {id: row.a})-[r]->(b:Node {id: row.b}) "
            "WHERE type(r) = row.t AND coalesce(r.key, '') = row.key DELETE r",
            rows=[{"a": k.start, "b": k.end, "t": k.type, "key": k.key} for k in drop_rels],
        )
    if plan.report_id and plan.sweep_ids is not None:
        sweep(tx, plan.report_id, plan.sweep_ids, summary, plan.run_id, today, standing_of)
    return summary


@cache
def _set_properties(model: OntologyModel) -> tuple[str, ...]:
    return tuple(
        p.neo4j_property for p in model.properties.values() if p.multiple and p.neo4j_property
    )


def _derived(
    props: dict[str, Any], labels: list[str], sources: set[str], model: OntologyModel
) -> dict[str, Any]:
    out: dict[str, Any] = {system.SOURCE_IDS: sorted(sources)}
    cls = model.class_of_labels(labels)
    if cls.resolved:
        specs = model.properties_of(cls.name)
        record = {
            p.name: props.get(p.neo4j_property)
            for p in specs.values()
            if p.neo4j_property and props.get(p.neo4j_property) is not None
        }
        out.update(entity_keys(record, cls.name, model))
    return out


def entity_keys(record: Record, class_name: str, model: OntologyModel) -> dict[str, Any]:
    """The keys an entity is found by (resolution, search, blocking), from its own values."""
    ids, names = resolution_keys(record, model)
    return {
        system.RESOLVE_KEYS: sorted(set(ids + names)),
        system.SEARCH_TEXT: search_text(record, model),
        system.BLOCK_KEYS: blocking.block_keys({**record, "type": class_name}, model),
    }


def _write_nodes(
    tx: ManagedTransaction, writes: list[dict[str, Any]], new_ids: frozenset[str] = frozenset()
) -> None:
    """One UNWIND per label set and kind: MERGE for nodes the graph may hold, CREATE for those
    the plan knows are new."""
    by_labels: dict[tuple[tuple[str, ...], bool], list[dict[str, Any]]] = defaultdict(list)
    for w in writes:
        by_labels[(tuple(w["labels"]), w["id"] in new_ids)].append(w)
    for (labels, new), batch in by_labels.items():
        label_expr = ":".join(f"`{label}`" for label in labels)
        if new:
            tx.run(f"UNWIND $rows AS row CREATE (n:{label_expr}) SET n = row.props", rows=batch)
            continue
        tx.run(
            f"UNWIND $rows AS row MERGE (n:Node {{id: row.id}}) SET n = row.props, n:{label_expr}",
            rows=batch,
        )


def _write_relationships(
    tx: ManagedTransaction, rel_type: str, rows: list[dict[str, Any]], new_ids: frozenset[str]
) -> None:
    """MERGE the relationships; CREATE those with a node the plan knows is new (no such
    relationship can exist yet)."""
    fresh = [r for r in rows if r["a"] in new_ids or r["b"] in new_ids]
    known = [r for r in rows if not (r["a"] in new_ids or r["b"] in new_ids)]
    match = "UNWIND $rows AS row MATCH (a:Node {id: row.a}) MATCH (b:Node {id: row.b}) "
    if fresh:
        tx.run(
            f"{match}CREATE (a)-[r:`{rel_type}`]->(b) SET r = row.props, r.key = row.key",
            rows=fresh,
        )
    if known:
        tx.run(
            f"{match}MERGE (a)-[r:`{rel_type}` {{key: row.key}}]->(b) SET r = row.props, r.key = row.key",
            rows=known,
        )


def sweep(
    tx: ManagedTransaction,
    report_id: str,
    keep: set[str],
    summary: Summary,
    run_id: str = "",
    today: str | None = None,
    standing_of: Callable[[str | None], str] | None = None,
) -> None:
    """Retract this report's statements of what it no longer states (kept, with the day): a
    node or relationship no live statement is left of goes; the rest are projected again from
    what others state, their sourceIds included."""
    model = load_model()
    today = today or run_day(run_id)
    standing_of = standing_of or Standings(tx, {})
    swept = list(
        tx.run(
            "MATCH (n:Node) WHERE ($rid IN n.statedBy OR (n.statedBy IS NULL AND $rid IN n.reportIds)) "
            "AND NOT n.id IN $keep RETURN n.id AS id, properties(n) AS props, labels(n) AS labels",
            rid=report_id,
            keep=list(keep),
        )
    )
    gone: list[str] = []
    writes: list[dict[str, Any]] = []
    for rec in swept:
        label = model.class_of_labels(rec["labels"]).neo4j_label
        before = stored_statements(rec["props"], rec["labels"], model, standing_of)
        new = node_state(rec["id"], rec["labels"], st.retract(before, report_id, today), model)
        summary.changed.node(
            rec["id"],
            rec["labels"],
            rec["props"].get(system.STATEMENTS) or st.encode(before),
            new[system.STATEMENTS] if new else None,
        )
        if new is None:
            gone.append(rec["id"])
            summary.removed[label] += 1
        else:
            writes.append(
                {"id": rec["id"], "labels": rec["labels"], "props": {**new, RUN_PROPERTY: run_id}}
            )
            summary.updated[label] += 1
    if gone:
        tx.run("UNWIND $ids AS id MATCH (n:Node {id: id}) DETACH DELETE n", ids=gone)
    if not writes:
        return
    _write_nodes(tx, writes)
    sources = {w["id"]: w["props"].get(system.SOURCE_IDS) or [] for w in writes}
    levels = {w["id"]: w["props"][system.TLP] for w in writes}
    incoming = [p.neo4j_type for p in model.relationship_properties() if p.direction == "in"]
    deleted: list[str] = []
    updated: list[dict[str, Any]] = []
    for rec in tx.run(  # the relationships a kept node states (it is their subject)
        "UNWIND $ids AS id MATCH (n:Node {id: id})-[r]-() "
        "WHERE (startNode(r) = n) <> (type(r) IN $incoming) "
        "RETURN n.id AS n, elementId(r) AS eid, type(r) AS t, properties(r) AS props",
        ids=list(sources),
        incoming=incoming,
    ):
        props = dict(rec["props"])
        reports = list(props.get(system.REPORT_IDS) or [])
        if report_id in reports:
            rest = [r for r in reports if r != report_id]
            if not rest:
                deleted.append(rec["eid"])
                summary.removed[rec["t"]] += 1
                continue
            props[system.REPORT_IDS] = rest
            text = relationship_statements(rec["props"], rest, levels[rec["n"]], standing_of, today)
            props.update(link_state(text, levels[rec["n"]]))
        props[system.SOURCE_IDS] = sources[rec["n"]]
        if props != rec["props"]:
            if report_id in reports:
                summary.updated[rec["t"]] += 1
            updated.append({"eid": rec["eid"], "props": {**props, RUN_PROPERTY: run_id}})
    if deleted:
        tx.run("UNWIND $ids AS eid MATCH ()-[r]->() WHERE elementId(r) = eid DELETE r", ids=deleted)
    if updated:
        tx.run(
            "UNWIND $rows AS row MATCH ()-[r]->() WHERE elementId(r) = row.eid SET r = row.props",
            rows=updated,
        )
