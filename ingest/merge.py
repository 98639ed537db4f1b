"""A "same" decision merges two entities into one canonical node; `split` undoes it exactly.

The canonical node keeps its id and gains the other's names (as aliases), identifiers, reports,
sources and every relationship (statements, evidence, holdings, contracts); the other id becomes
a `Redirect` to it, which later records and API requests follow. What the merge changed is kept
on the decision (`merge`, JSON): both nodes as they were, each relationship moved. A split puts
the old node back with what it had; what was added to the canonical node after the merge stays.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from neo4j import Driver, ManagedTransaction

from core import names as system
from ingest import watches
from ingest.changes import Changes
from ingest.decisions import DECISION, PROPOSAL, REDIRECT, now, pair_id, record_decision
from ingest.writer import _derived, link_state, node_state
from ontology import statements as st
from ontology.model import OntologyModel, load_model

ALIASES = "aliases"


class MergeError(ValueError):
    """A merge or split that cannot be done (unknown ids, different classes or levels)."""


def _node(tx: ManagedTransaction, node_id: str) -> dict[str, Any] | None:
    rec = tx.run(
        "MATCH (n:Node {id: $id}) RETURN properties(n) AS props, labels(n) AS labels", id=node_id
    ).single()
    return {"props": rec["props"], "labels": sorted(rec["labels"])} if rec else None


def _rels(tx: ManagedTransaction, node_id: str) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in tx.run(
            "MATCH (n:Node {id: $id})-[r]-(o:Node) RETURN type(r) AS type, "
            "startNode(r) = n AS out, o.id AS other, properties(r) AS props",
            id=node_id,
        )
    ]


def _added_statements(keep: dict[str, Any], gone: dict[str, Any]) -> list[st.Statement]:
    """The other node's statements as the canonical node holds them: a name other than the
    canonical one is stated as an alias (as a resolved record's name is at ingest)."""
    held = set(st.decode(keep.get(system.STATEMENTS)))
    name = keep.get("name")
    added = [
        replace(s, prop=ALIASES, multi=True) if s.prop == "name" and s.value != name else s
        for s in st.decode(gone.get(system.STATEMENTS))
    ]
    return [s for s in dict.fromkeys(added) if s not in held]


def _same_statement(a: st.Statement, b: st.Statement) -> bool:
    """One statement, retracted since or not."""
    return (a.prop, st.value_key(a.value), a.report, a.first) == (
        b.prop,
        st.value_key(b.value),
        b.report,
        b.first,
    )


def _merged_props(
    keep: dict[str, Any], gone: dict[str, Any], labels: list[str], model: OntologyModel
) -> dict[str, Any]:
    if keep.get(system.STATEMENTS) or gone.get(system.STATEMENTS):
        statements = [*st.decode(keep.get(system.STATEMENTS)), *_added_statements(keep, gone)]
        merged = node_state(keep[system.ID], labels, statements, model)
        if merged is not None:
            return merged
    out = dict(keep)
    for key, value in gone.items():
        if key in (system.ID, system.TLP, system.INGEST_RUN) or value is None:
            continue
        if isinstance(value, list) or isinstance(out.get(key), list):
            merged = list(out.get(key) or [])
            merged += [
                v for v in (value if isinstance(value, list) else [value]) if v not in merged
            ]
            out[key] = sorted(merged, key=str)
        elif key not in out:
            out[key] = value
    alias = ALIASES
    names = [gone.get("name"), *(gone.get(alias) or [])]
    extra = [n for n in names if n and n != out.get("name") and n not in (out.get(alias) or [])]
    if extra:
        out[alias] = sorted([*(out.get(alias) or []), *extra], key=str)
    out.update(_derived(out, labels, set(out.get(system.SOURCE_IDS) or []), model))
    return out


def _match_rel(rel: dict[str, Any], node_param: str) -> str:
    arrow = f"(n)-[r:`{rel['type']}`]->(o)" if rel["out"] else f"(n)<-[r:`{rel['type']}`]-(o)"
    return (
        f"MATCH (n:Node {{id: ${node_param}}}) MATCH (o:Node {{id: $other}}) "
        f"MATCH {arrow} WHERE coalesce(r.key, '') = $key"
    )


def _create_rel(tx: ManagedTransaction, node_id: str, rel: dict[str, Any]) -> None:
    arrow = f"(n)-[r:`{rel['type']}`]->(o)" if rel["out"] else f"(n)<-[r:`{rel['type']}`]-(o)"
    tx.run(
        f"MATCH (n:Node {{id: $id}}) MATCH (o:Node {{id: $other}}) CREATE {arrow} SET r = $props",
        id=node_id,
        other=rel["other"],
        props=rel["props"],
    )


def merge_in_tx(
    tx: ManagedTransaction, keep_id: str, gone_id: str, model: OntologyModel | None = None
) -> dict[str, Any]:
    """Fold `gone_id` into `keep_id`; returns what split needs to undo it."""
    model = model or load_model()
    keep, gone = _node(tx, keep_id), _node(tx, gone_id)
    if keep is None or gone is None:
        raise MergeError(f"no entity {keep_id if keep is None else gone_id!r} to merge")
    if model.class_of_labels(keep["labels"]).name != model.class_of_labels(gone["labels"]).name:
        raise MergeError(f"{keep_id} and {gone_id} are of different classes")
    if keep["props"].get(system.TLP) != gone["props"].get(system.TLP):
        raise MergeError(
            f"{keep_id} and {gone_id} are at different sharing levels: decided, not merged"
        )
    gone_rels = _rels(tx, gone_id)
    keep_rels = {
        (r["type"], r["out"], r["other"], r["props"].get("key", "")): r for r in _rels(tx, keep_id)
    }
    moved, collided, internal = [], [], []
    for rel in gone_rels:
        key = rel["props"].get("key", "")
        if rel["other"] == keep_id:
            internal.append(rel)
            continue
        existing = keep_rels.get((rel["type"], rel["out"], rel["other"], key))
        if existing is None:
            _create_rel(tx, keep_id, rel)
            moved.append(rel)
            continue
        after = dict(existing["props"])
        for name in (system.REPORT_IDS, system.SOURCE_IDS):
            merged = set(after.get(name) or []) | set(rel["props"].get(name) or [])
            if merged:
                after[name] = sorted(merged)
        if after.get(system.STATEMENTS) or rel["props"].get(system.STATEMENTS):
            both = st.decode(after.get(system.STATEMENTS))
            both += [s for s in st.decode(rel["props"].get(system.STATEMENTS)) if s not in both]
            after.update(link_state(st.encode(both), str(after.get(system.TLP))))
        tx.run(
            _match_rel(rel, "keep") + " SET r = $props",
            keep=keep_id,
            other=rel["other"],
            key=key,
            props=after,
        )
        collided.append({**rel, "before": existing["props"], "after": after})
    after_props = _merged_props(keep["props"], gone["props"], keep["labels"], model)
    tx.run("MATCH (n:Node {id: $id}) SET n = $props", id=keep_id, props=after_props)
    chained = [
        r["id"]
        for r in tx.run(
            f"MATCH (r:{REDIRECT} {{to: $gone}}) SET r.to = $keep RETURN r.id AS id",
            gone=gone_id,
            keep=keep_id,
        )
    ]
    tx.run("MATCH (n:Node {id: $id}) DETACH DELETE n", id=gone_id)
    tx.run(
        f"MERGE (r:{REDIRECT} {{id: $gone}}) SET r.to = $keep, r.decision = $pid",
        gone=gone_id,
        keep=keep_id,
        pid=pair_id(keep_id, gone_id),
    )
    return {
        "keep": keep_id,
        "gone": gone_id,
        "keep_before": keep,
        "keep_after": after_props,
        "added": st.encode(_added_statements(keep["props"], gone["props"])),
        "gone_node": gone,
        "moved": moved,
        "collided": collided,
        "internal": internal,
        "chained": chained,
    }


def _moved(node_id: str, rels: list[dict[str, Any]]) -> Changes:
    """The relationships a merge or split made at `node_id`, as changes for the alert engine."""
    changes = Changes()
    for rel in rels:
        start, end = (node_id, rel["other"]) if rel["out"] else (rel["other"], node_id)
        changes.link(start, rel["type"], end)
    return changes


def decide(
    driver: Driver,
    left: str,
    right: str,
    judgement: str,
    user: str,
    note: str | None = None,
    database: str | None = None,
) -> dict[str, Any]:
    """Record a decision; "same" also merges `right` into `left` (the canonical entity)."""

    def work(tx: ManagedTransaction) -> dict[str, Any]:
        decision = record_decision(tx, left, right, judgement, user, note)
        if judgement == "same":
            try:
                snapshot = merge_in_tx(tx, left, right)
            except MergeError as exc:
                decision["merged"] = False
                decision["reason"] = str(exc)
                return decision
            tx.run(
                f"MATCH (d:{DECISION} {{id: $id}}) SET d.merge = $merge, d.canonical = $keep",
                id=decision["id"],
                merge=json.dumps(snapshot, ensure_ascii=False, default=str),
                keep=left,
            )
            decision["merged"] = True
            decision["canonical"] = left
            # facts of the merged-away entity now touch the watches of the canonical one
            watches.raise_alerts(tx, _moved(left, snapshot["moved"]), f"merge {decision['id']}")
        return decision

    with driver.session(database=database) as session:
        return session.execute_write(work)


def _without_added(
    props: dict[str, Any],
    added: str | None,
    node_id: str,
    current: Any,
    model: OntologyModel,
) -> dict[str, Any] | None:
    """The canonical node's properties once the statements a merge added are gone (None for a
    merge made before statements, which is undone property by property)."""
    if added is None or current is None or not props.get(system.STATEMENTS):
        return None
    merged = st.decode(added)
    kept = [
        s
        for s in st.decode(props[system.STATEMENTS])
        if not any(_same_statement(s, m) for m in merged)
    ]
    return node_state(node_id, list(current["labels"]), kept, model)


def split(driver: Driver, ref: str, user: str, database: str | None = None) -> dict[str, Any]:
    """Undo the merge of a decision (its id, or the merged-away id): the old node is back with
    what it had; what the canonical node gained since stays with it."""
    model = load_model()

    def work(tx: ManagedTransaction) -> dict[str, Any]:
        rec = tx.run(
            f"OPTIONAL MATCH (r:{REDIRECT} {{id: $ref}}) WITH r "
            f"MATCH (d:{DECISION}) WHERE (d.id = $ref OR d.id = r.decision) AND d.merge IS NOT NULL "
            "AND d.undone IS NULL RETURN d.id AS id, d.merge AS merge",
            ref=ref,
        ).single()
        if rec is None:
            raise MergeError(f"no merge to split for {ref!r}")
        snap = json.loads(rec["merge"])
        keep_id, gone_id = snap["keep"], snap["gone"]
        gone = snap["gone_node"]
        labels = ":".join(f"`{label}`" for label in gone["labels"])
        tx.run(f"CREATE (n:{labels}) SET n = $props", props=gone["props"])
        for rel in snap["moved"]:
            key = rel["props"].get("key", "")
            tx.run(_match_rel(rel, "keep") + " DELETE r", keep=keep_id, other=rel["other"], key=key)
            _create_rel(tx, gone_id, rel)
        for rel in snap["collided"]:
            key = rel["props"].get("key", "")
            tx.run(
                _match_rel(rel, "keep") + " AND properties(r) = $after SET r = $before",
                keep=keep_id,
                other=rel["other"],
                key=key,
                after=rel["after"],
                before=rel["before"],
            )
            _create_rel(tx, gone_id, rel)
        for rel in snap["internal"]:
            _create_rel(tx, gone_id, rel)
        current = tx.run(
            "MATCH (n:Node {id: $id}) RETURN properties(n) AS p, labels(n) AS labels", id=keep_id
        ).single()
        props = dict(current["p"]) if current else {}
        before, after = snap["keep_before"]["props"], snap["keep_after"]
        restated = _without_added(props, snap.get("added"), keep_id, current, model)
        if restated is not None:  # the statements the merge added go; later ones stay
            props = restated
        else:
            for name in set(before) | set(after):
                if props.get(name) == after.get(name):  # unchanged since the merge: as it was
                    if name in before:
                        props[name] = before[name]
                    else:
                        props.pop(name, None)
        tx.run("MATCH (n:Node {id: $id}) SET n = $props", id=keep_id, props=props)
        tx.run(f"MATCH (r:{REDIRECT} {{id: $id}}) DELETE r", id=gone_id)
        restored = snap["moved"] + snap["collided"] + snap["internal"]
        watches.raise_alerts(tx, _moved(gone_id, restored), f"split {rec['id']}")
        tx.run(
            f"MATCH (r:{REDIRECT}) WHERE r.id IN $ids SET r.to = $gone",
            ids=snap["chained"],
            gone=gone_id,
        )
        tx.run(
            f"MATCH (d:{DECISION} {{id: $id}}) SET d.undone = $at, d.undoneBy = $user "
            f"WITH d OPTIONAL MATCH (p:{PROPOSAL} {{id: $id}}) SET p.status = 'open'",
            id=rec["id"],
            at=now(),
            user=user,
        )
        return {"decision": rec["id"], "canonical": keep_id, "restored": gone_id}

    with driver.session(database=database) as session:
        return session.execute_write(work)
