"""Watches and alerts: what a user follows, and the changes that touch it.

A **watch** follows a fund (its holdings as of a day, or its latest), a list of companies (one
company, or an uploaded portfolio resolved like screening), a region, or a named query with
parameters. It is the API's own data (`:RgSystem:RgSystemWatch`, every property `rgsystem…`), so
no query, search, export or `/cypher` sees it; it carries its owner (an API key id, or `cli`) and
its sharing level: the most restricted level its alerts may rest on.

An **alert** is raised by the write that makes the change, in the same transaction (`raise_alerts`,
called by the ingest pipeline, merges and splits), so a failed ingest raises none and a re-run that
changes nothing raises none. For each watch, every changed fact (allegation, contract, measure,
demand) is projected at the watch's levels before and after the change (ontology/statements.py):
a fact that became visible, or whose links changed, and that now touches the watch by a path
(queries/watch_paths.cypher) is new; an allegation whose visible status changed is a status
change; a fact alerted before that is no longer visible is retracted. An alert holds the fact as
the watch may see it, its sources and quotes, and the path. With a webhook, each alert also gets a
delivery (`:RgSystemDelivery`), the queue the API's delivery worker works through (api/delivery.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import neo4j
from neo4j import Driver, ManagedTransaction
from neo4j.exceptions import Neo4jError

from core.names import ALERT_LABEL, DELIVERY_LABEL, SYSTEM_LABEL, WATCH_LABEL
from core.names import system_property as prop
from ingest.changes import Changes
from ontology import statements as st
from ontology.types import sharing
from queries import load

log = logging.getLogger("rightsgraph.watches")
WATCH = f"`{SYSTEM_LABEL}`:`{WATCH_LABEL}`"
ALERT = f"`{SYSTEM_LABEL}`:`{ALERT_LABEL}`"
DELIVERY = f"`{SYSTEM_LABEL}`:`{DELIVERY_LABEL}`"
KINDS = ("fund", "company", "portfolio", "region", "query")
# the class of a fact (its most specific label) -> the kind of alert its appearance raises
FACT_KINDS = {
    "Allegation": "allegation",
    "Contract": "contract",
    "Measure": "measure",
    "Demand": "demand",
}
STATUS_KIND, RETRACTED_KIND = "allegation-status", "retracted"
ALERT_KINDS = (*FACT_KINDS.values(), STATUS_KIND, RETRACTED_KIND)
# relationships whose making or removal can bring a fact onto a watch's paths
PATH_LINKS = frozenset(
    {"AGAINST", "APPLIES_TO", "TARGETS", "NAMES", "SUPPLIER_OF", "PERFORMED_IN", "CONCERNS"}
)
DEFAULT_HOPS = 2
MAX_HOPS = 4
FEED_PREFIX = "rgf"
_FEED_TOKEN = re.compile(r"^rgf_(w-[0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_PARAMS = re.compile(r"^//\s+(\$\w+(?:\s*,\s*\$\w+)*)\s", re.MULTILINE)
TITLES = {
    "allegation": "New allegation",
    "contract": "New contract in a flagged region",
    "measure": "New measure",
    "demand": "New demand",
    STATUS_KIND: "Allegation status changed",
    RETRACTED_KIND: "Retracted",
}
SCHEMA = (
    f"CREATE CONSTRAINT rgsystem_watch_id IF NOT EXISTS FOR (w:`{WATCH_LABEL}`) "
    "REQUIRE w.rgsystemId IS UNIQUE",
    f"CREATE CONSTRAINT rgsystem_alert_id IF NOT EXISTS FOR (a:`{ALERT_LABEL}`) "
    "REQUIRE a.rgsystemId IS UNIQUE",
    f"CREATE CONSTRAINT rgsystem_delivery_id IF NOT EXISTS FOR (d:`{DELIVERY_LABEL}`) "
    "REQUIRE d.rgsystemId IS UNIQUE",
    f"CREATE INDEX rgsystem_alert_watch IF NOT EXISTS FOR (a:`{ALERT_LABEL}`) "
    "ON (a.rgsystemWatch, a.rgsystemRaised)",
    f"CREATE INDEX rgsystem_delivery_status IF NOT EXISTS FOR (d:`{DELIVERY_LABEL}`) "
    "ON (d.rgsystemStatus, d.rgsystemNextAt)",
)


class WatchError(ValueError):
    """A watch that cannot be made or found (bad target, unknown id, bad parameters)."""


def schema_statements() -> list[str]:
    return list(SCHEMA)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Watch:
    id: str
    name: str
    kind: str
    owner: str
    tlp: str
    created: str
    target: str | None = None  # the fund, company or region id, or the query's name
    as_of: str | None = None
    companies: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    flagged_regions: tuple[str, ...] | None = None
    ownership_hops: int = DEFAULT_HOPS
    webhook_url: str | None = None
    feed_hash: str | None = None
    webhook_secret: str | None = None

    @property
    def levels(self) -> list[str]:
        return list(sharing.levels_up_to(self.tlp))

    def as_dict(self) -> dict[str, Any]:
        """What its owner is shown (never the feed token's hash or the webhook secret)."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "target": self.target,
            "asOf": self.as_of,
            "companies": list(self.companies),
            "params": self.params,
            "flaggedRegions": None if self.flagged_regions is None else list(self.flagged_regions),
            "ownershipHops": self.ownership_hops,
            "owner": self.owner,
            "tlp": self.tlp,
            "created": self.created,
            "webhook": self.webhook_url,
        }

    def props(self) -> dict[str, Any]:
        values = {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "owner": self.owner,
            "tlp": self.tlp,
            "created": self.created,
            "target": self.target,
            "asOf": self.as_of,
            "companies": list(self.companies),
            "params": json.dumps(self.params, sort_keys=True),
            "flaggedRegions": None if self.flagged_regions is None else list(self.flagged_regions),
            "ownershipHops": self.ownership_hops,
            "webhookUrl": self.webhook_url,
            "feedHash": self.feed_hash,
            "webhookSecret": self.webhook_secret,
        }
        return {prop(k): v for k, v in values.items() if v is not None}

    @classmethod
    def from_props(cls, p: dict[str, Any]) -> Watch:
        def get(name: str) -> Any:
            return p.get(prop(name))

        flagged = get("flaggedRegions")
        return cls(
            id=get("id"),
            name=get("name"),
            kind=get("kind"),
            owner=get("owner"),
            tlp=get("tlp"),
            created=get("created"),
            target=get("target"),
            as_of=get("asOf"),
            companies=tuple(get("companies") or ()),
            params=json.loads(get("params") or "{}"),
            flagged_regions=None if flagged is None else tuple(flagged),
            ownership_hops=int(get("ownershipHops") or 0),
            webhook_url=get("webhookUrl"),
            feed_hash=get("feedHash"),
            webhook_secret=get("webhookSecret"),
        )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def query_parameters(name: str) -> list[str]:
    """The parameters a named query's header names (`//   $name  TYPE …`)."""
    found = {p for group in _PARAMS.findall(load(name)) for p in re.findall(r"\$(\w+)", group)}
    return sorted(found)


def _query_params(watch: Watch) -> dict[str, Any]:
    """A query watch's parameters: those it was given, null for the others its header names,
    and the watch's levels as `tlp`."""
    params: dict[str, Any] = {p: None for p in query_parameters(watch.target or "")}
    params.update(watch.params)
    params["tlp"] = watch.levels
    return params


# ---------------------------------------------------------------------- the store


_SCHEMA_MADE: set[tuple[int, str | None]] = set()


class WatchStore:
    """Watches, their alerts and deliveries in the graph (the same for the API and the CLI)."""

    def __init__(self, driver: Driver, database: str | None = None):
        self.driver = driver
        self.database = database

    def run(self, cypher: str, write: bool = False, **params: Any) -> list[dict[str, Any]]:
        if (id(self.driver), self.database) not in _SCHEMA_MADE:  # once per driver, not request
            for stmt in SCHEMA:
                self.driver.execute_query(stmt, database_=self.database)
            _SCHEMA_MADE.add((id(self.driver), self.database))
        records, _, _ = self.driver.execute_query(
            cypher, params, database_=self.database, routing_="w" if write else "r"
        )
        return [r.data() for r in records]

    def check_targets(self, watch: Watch) -> None:
        """Refuse a watch whose fund, companies, region or flagged regions are not in the graph
        at its level, or whose query does not run with its parameters."""
        levels = watch.levels
        wanted: list[tuple[str, str]] = []
        if watch.kind in ("fund", "region"):
            wanted.append(("Fund" if watch.kind == "fund" else "Region", watch.target or ""))
        if watch.kind in ("company", "portfolio"):
            wanted += [("Company", c) for c in watch.companies]
        wanted += [("Region", r) for r in watch.flagged_regions or ()]
        if watch.kind == "portfolio" and not watch.companies:
            raise WatchError("no row of the portfolio matches a company in the graph")
        if wanted:
            found = {
                (r["label"], r["id"])
                for r in self.run(
                    "UNWIND $wanted AS w MATCH (n:Node {id: w[1]}) "
                    "WHERE w[0] IN labels(n) AND n.tlp IN $tlp RETURN w[0] AS label, w[1] AS id",
                    wanted=[list(w) for w in wanted],
                    tlp=levels,
                )
            }
            missing = [f"{label} {i!r}" for label, i in wanted if (label, i) not in found]
            if missing:
                raise WatchError(f"not in the graph (at {watch.tlp}): {', '.join(missing)}")
        if watch.kind == "query":
            try:
                text = load(watch.target or "")
            except KeyError as exc:
                raise WatchError(str(exc.args[0])) from None
            unknown = sorted(set(watch.params) - set(query_parameters(watch.target or "")))
            if unknown or "tlp" in watch.params:
                raise WatchError(
                    f"the query {watch.target} takes no parameter {', '.join(unknown or ['tlp'])}"
                    f" (it takes: {', '.join(query_parameters(watch.target or ''))}; tlp is the "
                    "watch's own)"
                )
            try:
                with self.driver.session(
                    database=self.database, default_access_mode=neo4j.READ_ACCESS
                ) as session:
                    session.run(neo4j.Query(text, timeout=10.0), _query_params(watch)).consume()  # type: ignore[arg-type]
            except Neo4jError as exc:
                raise WatchError(
                    f"the query {watch.target} does not run with these parameters: {exc.message}"
                ) from None

    def create(
        self,
        *,
        name: str,
        kind: str,
        owner: str,
        tlp: str,
        target: str | None = None,
        as_of: str | None = None,
        companies: Iterable[str] = (),
        params: dict[str, Any] | None = None,
        flagged_regions: Iterable[str] | None = None,
        ownership_hops: int = DEFAULT_HOPS,
        webhook_url: str | None = None,
    ) -> tuple[Watch, str, str | None]:
        """A new watch, its feed token and its webhook secret (both shown once)."""
        if kind not in KINDS:
            raise WatchError(f"unknown kind of watch {kind!r}; use one of {', '.join(KINDS)}")
        if not name.strip():
            raise WatchError("a watch needs a name")
        if not sharing.is_level(tlp):
            raise WatchError(f"unknown sharing level {tlp!r}")
        if as_of is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of):
            raise WatchError(f"as of {as_of!r}: a day is YYYY-MM-DD")
        if not 0 <= ownership_hops <= MAX_HOPS:
            raise WatchError(f"ownership hops must be 0 to {MAX_HOPS}")
        watch_id = "w-" + secrets.token_hex(6)
        feed_token = f"{FEED_PREFIX}_{watch_id}_{secrets.token_urlsafe(32)}"
        secret = secrets.token_urlsafe(32) if webhook_url else None
        watch = Watch(
            id=watch_id,
            name=name.strip(),
            kind=kind,
            owner=owner,
            tlp=tlp,
            created=now(),
            target=target,
            as_of=as_of,
            companies=tuple(dict.fromkeys(companies)),
            params=dict(params or {}),
            flagged_regions=None if flagged_regions is None else tuple(flagged_regions),
            ownership_hops=ownership_hops,
            webhook_url=webhook_url,
            feed_hash=_hash(feed_token),
            webhook_secret=secret,
        )
        self.check_targets(watch)
        self.run(f"CREATE (w:{WATCH}) SET w = $props", True, props=watch.props())
        return watch, feed_token, secret

    def get(self, watch_id: str) -> Watch:
        rows = self.run(
            f"MATCH (w:{WATCH} {{rgsystemId: $id}}) RETURN properties(w) AS p", id=watch_id
        )
        if not rows:
            raise WatchError(f"no watch {watch_id!r}")
        return Watch.from_props(rows[0]["p"])

    def list(self, owner: str | None = None) -> list[Watch]:
        rows = self.run(
            f"MATCH (w:{WATCH}) WHERE $owner IS NULL OR w.rgsystemOwner = $owner "
            "RETURN properties(w) AS p ORDER BY w.rgsystemCreated, w.rgsystemId",
            owner=owner,
        )
        return [Watch.from_props(r["p"]) for r in rows]

    def delete(self, watch_id: str) -> dict[str, int]:
        """Remove a watch with its alerts and deliveries; the counts removed."""
        self.get(watch_id)
        rows = self.run(
            f"MATCH (w:{WATCH} {{rgsystemId: $id}}) "
            f"CALL (w) {{ OPTIONAL MATCH (a:{ALERT} {{rgsystemWatch: w.rgsystemId}}) "
            "DETACH DELETE a RETURN count(a) AS alerts } "
            f"CALL (w) {{ OPTIONAL MATCH (d:{DELIVERY} {{rgsystemWatch: w.rgsystemId}}) "
            "DETACH DELETE d RETURN count(d) AS deliveries } "
            "DETACH DELETE w RETURN alerts, deliveries",
            True,
            id=watch_id,
        )
        return {"watches": 1, **rows[0]}

    def by_feed_token(self, token: str) -> Watch | None:
        """The watch a feed token opens, or None (compared in constant time)."""
        match = _FEED_TOKEN.match(token.strip())
        if not match:
            return None
        try:
            watch = self.get(match.group(1))
        except WatchError:
            return None
        if not watch.feed_hash or not hmac.compare_digest(watch.feed_hash, _hash(token.strip())):
            return None
        return watch

    def alerts(
        self,
        watch: Watch,
        levels: Iterable[str],
        since: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> tuple[int, list[dict[str, Any]]]:
        """(total, page) of a watch's alerts raised at or after `since`, newest first; only
        those resting on `levels` (the reader's, never more than the watch's)."""
        allowed = sorted(set(levels) & set(watch.levels))
        rows = self.run(
            f"MATCH (a:{ALERT} {{rgsystemWatch: $id}}) "
            "WHERE ($since IS NULL OR a.rgsystemRaised >= $since) AND a.rgsystemTlp IN $tlp "
            "WITH a ORDER BY a.rgsystemRaised DESC, a.rgsystemId "
            "WITH collect(a.rgsystemBody) AS bodies "
            "RETURN size(bodies) AS total, bodies[$offset..$offset + $limit] AS page",
            id=watch.id,
            since=since,
            tlp=allowed,
            offset=offset,
            limit=limit,
        )
        row = rows[0] if rows else {"total": 0, "page": []}
        return row["total"], [json.loads(b) for b in row["page"]]

    def deliveries(self, watch: Watch, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.run(
            f"MATCH (d:{DELIVERY} {{rgsystemWatch: $id}}) RETURN properties(d) AS p "
            "ORDER BY d.rgsystemCreated DESC, d.rgsystemId LIMIT $limit",
            id=watch.id,
            limit=limit,
        )
        return [delivery_view(r["p"]) for r in rows]


def delivery_view(p: dict[str, Any]) -> dict[str, Any]:
    """A delivery as shown: its alert, status, attempts, next try and the log of attempts."""
    return {
        "alert": p.get(prop("alert")),
        "url": p.get(prop("url")),
        "status": p.get(prop("status")),
        "attempts": p.get(prop("attempts")),
        "nextAt": p.get(prop("nextAt")),
        "deliveredAt": p.get(prop("deliveredAt")),
        "log": json.loads(p.get(prop("log")) or "[]"),
    }


# ---------------------------------------------------------------------- the alert engine


@dataclass
class FactChange:
    id: str
    kind: str  # allegation | contract | measure | demand
    before: list[st.Statement]
    after: list[st.Statement]
    linked: bool  # a relationship on its paths was made or removed


def fact_kind(labels: Iterable[str]) -> str | None:
    return next((FACT_KINDS[label] for label in labels if label in FACT_KINDS), None)


def _facts(tx: ManagedTransaction, changes: Changes) -> dict[str, FactChange]:
    """The changed facts: those rewritten, and those at the end of a relationship made or
    removed on the watches' paths (read from the graph as they are now)."""
    linked = changes.linked_ids(PATH_LINKS)
    out: dict[str, FactChange] = {}
    for c in changes.nodes.values():
        kind = fact_kind(c.labels)
        if kind:
            out[c.id] = FactChange(
                c.id, kind, c.statements("before"), c.statements("after"), c.id in linked
            )
    rest = sorted(linked - set(changes.nodes))
    if rest:
        for rec in tx.run(
            "MATCH (n:Node) WHERE n.id IN $ids RETURN n.id AS id, labels(n) AS labels, "
            "n.statements AS statements",
            ids=rest,
        ):
            kind = fact_kind(rec["labels"])
            if kind:
                stated = st.decode(rec["statements"])
                out[rec["id"]] = FactChange(rec["id"], kind, stated, stated, True)
    return out


def alert_id(*parts: str) -> str:
    return "a-" + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]


def _paths(tx: ManagedTransaction, watch: Watch, fact_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Fact id -> {nodes, links} from the watch to it, for the facts that touch the watch."""
    if watch.kind == "query":
        return _query_paths(tx, watch, fact_ids)
    rows = tx.run(
        load("watch_paths"),
        facts=fact_ids,
        fund=watch.target if watch.kind == "fund" else None,
        as_of=watch.as_of,
        companies=list(watch.companies) if watch.kind in ("company", "portfolio") else None,
        region=watch.target if watch.kind == "region" else None,
        flagged_regions=None if watch.flagged_regions is None else list(watch.flagged_regions),
        ownership_hops=watch.ownership_hops,
        tlp=watch.levels,
    )
    return {r["fact"]: {"nodes": r["nodes"], "links": r["links"]} for r in rows}


def _ids_in(value: Any, out: set[str]) -> set[str]:
    if isinstance(value, dict):
        if isinstance(value.get("id"), str):
            out.add(value["id"])
        for v in value.values():
            _ids_in(v, out)
    elif isinstance(value, list):
        for v in value:
            _ids_in(v, out)
    elif isinstance(value, neo4j.graph.Node):
        out.add(value.get("id"))
    return out


def _query_paths(
    tx: ManagedTransaction, watch: Watch, fact_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """A named query's watch: the facts whose ids its answer holds; the path names the query."""
    found: set[str] = set()
    for rec in tx.run(load(watch.target or ""), _query_params(watch)):
        _ids_in(list(rec.values()), found)
    step = {"query": watch.target, "params": watch.params}
    return {f: {"nodes": [], "links": [], "via": step} for f in fact_ids if f in found}


def _evidence(tx: ManagedTransaction, watch: Watch, fact_ids: list[str]) -> dict[str, list]:
    return {
        r["fact"]: r["evidence"]
        for r in tx.run(load("watch_evidence"), facts=fact_ids, tlp=watch.levels)
    }


def _earlier(tx: ManagedTransaction, watch: Watch, fact_ids: list[str]) -> dict[str, list[dict]]:
    """The alerts a watch already holds about each of these facts, oldest first."""
    out: dict[str, list[dict]] = {}
    for rec in tx.run(
        f"MATCH (a:{ALERT}) WHERE a.rgsystemWatch = $id AND a.rgsystemFact IN $facts "
        "RETURN a.rgsystemFact AS fact, a.rgsystemBody AS body ORDER BY a.rgsystemRaised",
        id=watch.id,
        facts=fact_ids,
    ):
        out.setdefault(rec["fact"], []).append(json.loads(rec["body"]))
    return out


def raise_alerts(
    tx: ManagedTransaction,
    changes: Changes,
    run: str,
    *,
    queries: bool = False,
) -> list[dict[str, Any]]:
    """Turn the changes of this transaction into alerts of every watch they touch (named-query
    watches only with `queries`, see `raise_query_alerts`); the alerts made."""
    if not changes:
        return []
    rows = tx.run(
        f"MATCH (w:{WATCH}) WHERE (w.rgsystemKind = 'query') = $queries RETURN properties(w) AS p",
        queries=queries,
    )
    watches = [Watch.from_props(r["p"]) for r in rows]
    if not watches:
        return []
    facts = _facts(tx, changes)
    if not facts:
        return []
    made: list[dict[str, Any]] = []
    order = sharing.levels()
    for watch in watches:
        made += _watch_alerts(tx, watch, facts, run, order)
    return made


def _watch_alerts(
    tx: ManagedTransaction,
    watch: Watch,
    facts: dict[str, FactChange],
    run: str,
    order: tuple[str, ...],
) -> list[dict[str, Any]]:
    levels = watch.levels
    candidates: dict[str, tuple[str, st.Projection, dict[str, Any], str]] = {}
    gone: dict[str, tuple[st.Projection, str]] = {}
    for f in facts.values():
        before = st.project(f.before, levels, order=order)
        after = st.project(f.after, levels, order=order)
        if after.visible:
            level = stated_level(f.after, levels, after.properties, order)
            if not before.visible or f.linked:
                candidates[f.id] = (f.kind, after, {}, level)
            elif f.kind == "allegation" and before.properties.get("status") != after.properties.get(
                "status"
            ):
                change = {
                    "property": "status",
                    "before": before.properties.get("status"),
                    "after": after.properties.get("status"),
                }
                was = stated_level(f.before, levels, {"status": change["before"]}, order)
                candidates[f.id] = (STATUS_KIND, after, change, sharing.strictest([level, was]))
        elif before.visible:
            gone[f.id] = (before, stated_level(f.before, levels, before.properties, order))
    if not candidates and not gone:
        return []
    earlier = _earlier(tx, watch, sorted(set(candidates) | set(gone)))
    paths = _paths(tx, watch, sorted(candidates)) if candidates else {}
    evidence = _evidence(tx, watch, sorted(paths)) if paths else {}
    raised = now()
    made = []
    for fact_id, (kind, seen, change, level) in sorted(candidates.items()):
        if fact_id not in paths:
            continue
        told = [a for a in earlier.get(fact_id, []) if a["kind"] != STATUS_KIND]
        if kind != STATUS_KIND and told and told[-1]["kind"] != RETRACTED_KIND:
            continue  # it touched this watch before (a merge, a new link): said already
        key = alert_id(watch.id, fact_id, kind, run, json.dumps(change, sort_keys=True))
        made.append(
            _alert(
                key,
                watch,
                kind,
                fact_id,
                seen,
                paths[fact_id],
                evidence.get(fact_id, []),
                change,
                run,
                raised,
                level,
            )
        )
    for fact_id, (seen, level) in sorted(gone.items()):
        told = earlier.get(fact_id)
        if not told or told[-1]["kind"] == RETRACTED_KIND:
            continue  # never alerted (or already retracted): nothing to take back
        last = told[-1]
        path = last["path"]
        key = alert_id(watch.id, fact_id, RETRACTED_KIND, run)
        made.append(
            _alert(key, watch, RETRACTED_KIND, fact_id, seen, path, [], {}, run, raised, level)
        )
    for alert in made:
        _store(tx, watch, alert)
    return made


def stated_level(
    statements: list[st.Statement],
    levels: list[str],
    properties: dict[str, Any],
    order: tuple[str, ...],
) -> str:
    """The strictest level an alert showing these values rests on: per value shown, the most
    open level of a visible live statement stating it (the fact's own existence included)."""
    seen = st.visible(statements, levels)
    ranks = {lvl: i for i, lvl in enumerate(order)}

    def most_open(found: list[str]) -> str | None:
        return min(found, key=lambda lvl: ranks.get(lvl, len(ranks))) if found else None

    def stating(name: str, value: Any) -> str | None:
        key = st.value_key(value)
        return most_open([s.level for s in seen if s.prop == name and st.value_key(s.value) == key])

    out = [most_open([s.level for s in seen if s.prop == st.EXISTS])]
    for name, value in properties.items():
        whole = stating(name, value)
        if whole or not isinstance(value, list):
            out.append(whole)
        else:  # a set: each of its values is stated on its own
            out += [stating(name, v) for v in value]
    return sharing.strictest(out)


def _alert(
    key: str,
    watch: Watch,
    kind: str,
    fact_id: str,
    seen: st.Projection,
    path: dict[str, Any],
    evidence: list[dict[str, Any]],
    change: dict[str, Any],
    run: str,
    raised: str,
    level: str,
) -> dict[str, Any]:
    """The alert as stored and shown: every part at the watch's levels, its own level the
    strictest of them (`level`: that of the fact's values shown)."""
    levels = [level] + [n.get("tlp") for n in path.get("nodes", [])]
    levels += [x.get("tlp") for x in path.get("links", [])]
    levels += [e.get(k) for e in evidence for k in ("tlp", "sourceTlp")]
    name = seen.properties.get("name") or fact_id
    fact_type = (
        next(k for k, v in FACT_KINDS.items() if v == kind) if kind in FACT_KINDS.values() else None
    )
    title = f"{TITLES[kind]}: {name}"
    if change:
        title = f"{TITLES[kind]} ({change['before']} → {change['after']}): {name}"
    return {
        "id": key,
        "watch": watch.id,
        "kind": kind,
        "title": title,
        "raised": raised,
        "run": run,
        "tlp": sharing.strictest(levels),
        "fact": {
            "id": fact_id,
            "type": fact_type or _type_of(path, fact_id),
            "properties": seen.properties,
            "reports": seen.report_ids,
            "sources": seen.source_ids,
        },
        "change": change or None,
        "path": path,
        "evidence": [
            {k: v for k, v in e.items() if k not in ("tlp", "sourceTlp")} for e in evidence
        ],
    }


def _type_of(path: dict[str, Any], fact_id: str) -> str | None:
    for node in path.get("nodes", []):
        if node.get("id") == fact_id:
            return next((label for label in node.get("labels", []) if label in FACT_KINDS), None)
    return None


def _store(tx: ManagedTransaction, watch: Watch, alert: dict[str, Any]) -> None:
    """The alert node and, for a watch with a webhook, its delivery (created once: an alert
    raised again by the same id changes nothing)."""
    props = {
        prop("id"): alert["id"],
        prop("watch"): watch.id,
        prop("fact"): alert["fact"]["id"],
        prop("kind"): alert["kind"],
        prop("raised"): alert["raised"],
        prop("run"): alert["run"],
        prop("tlp"): alert["tlp"],
        prop("body"): json.dumps(alert, ensure_ascii=False, sort_keys=True, default=str),
    }
    tx.run(
        f"MERGE (a:{ALERT} {{rgsystemId: $id}}) ON CREATE SET a = $props",
        id=alert["id"],
        props=props,
    )
    if watch.webhook_url:
        tx.run(
            f"MERGE (d:{DELIVERY} {{rgsystemId: $id}}) ON CREATE SET d = $props",
            id=alert["id"],
            props={
                prop("id"): alert["id"],
                prop("alert"): alert["id"],
                prop("watch"): watch.id,
                prop("url"): watch.webhook_url,
                prop("status"): "pending",
                prop("attempts"): 0,
                prop("created"): alert["raised"],
                prop("nextAt"): alert["raised"],
                prop("log"): "[]",
            },
        )


def raise_query_alerts(
    driver: Driver, changes: Changes, run: str, database: str | None = None
) -> list[dict[str, Any]]:
    """The alerts of named-query watches, in a transaction of their own after the write (a
    query that fails must not undo an ingest): logged, never raised."""
    if not changes:
        return []
    try:
        with driver.session(database=database) as session:
            return session.execute_write(lambda tx: raise_alerts(tx, changes, run, queries=True))
    except Neo4jError as exc:
        log.warning("named-query watches not evaluated for run %s: %s", run, exc)
        return []
