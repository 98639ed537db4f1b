"""Resolution: attach records to entities already in the graph instead of creating twins.

Which classes are resolved, which of them also by name, and which properties are identity keys
are flags in the ontology (`rg:resolved`, `rg:resolvedByName`, `rg:identityKey`), read through
the model. Candidates come from blocking keys (ingest.blocking), never from a scan; each is
compared feature by feature (ingest.scoring): a shared identifier or an equal name fingerprint
merges, a near miss is a proposal for a person to review (ingest.decisions), never a merge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from neo4j import Driver

from core import names as system
from ingest.blocking import (
    INDEX_NAME,
    analyse,
    block_keys,
    exact_keys,
    identity_value,
    lucene_query,
    record_names,
)
from ingest.decisions import Decisions, Proposal
from ingest.normalize import normalise_name
from ingest.scoring import Profile, compare, could_reach, profile_properties
from ontology.model import OntologyModel, load_model
from ontology.records import Record
from ontology.types import sharing

FUZZY_CUTOFF = 88.0  # screening (api.matching): rapidfuzz score a name must reach
CANDIDATES = 20  # candidates per record (those sharing the most keys with it)
MAX_POSTINGS = 200  # a non-exact key shared by more records of one run is not a block
MAX_FANOUT = 10  # a non-exact key more nodes of a class hold in the graph is not a block
KEY_CACHE = 20_000  # records whose blocking keys are kept (a few batches)
NODE_CACHE = 100_000  # graph candidates kept across batches while their values are unchanged


def _values(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def resolution_keys(
    record: Record, model: OntologyModel | None = None
) -> tuple[list[str], list[str]]:
    """(identifier keys, name keys) of a record; keys are scoped by the caller to a class."""
    model = model or load_model()
    ids = [
        f"{p.name}:{identity_value(p, v)}"
        for p in model.identifier_properties()
        for v in _values(record.get(p.name))
    ]
    names = [
        normalise_name(str(n)) for n in _values(record.get("name")) + _values(record.get("alias"))
    ]
    return ids, [f"name:{n}" for n in names if n]


def search_text(record: Record, model: OntologyModel | None = None) -> str:
    """The values of the searchable properties, in rank order (identity keys as compared)."""
    model = model or load_model()
    texts = [
        identity_value(p, v) if p.identity_key else v
        for p in model.searchable_properties()
        for v in _values(record.get(p.name))
    ]
    return " | ".join(str(t) for t in texts if t)


@dataclass(eq=False)
class GraphCandidate:
    """A node the blocking index found. The lookup brings only its id, class and `blockKeys`
    (derived from its own values by the writer, merge and erasure): most candidates share a
    token or a phonetic code and nothing a match could be made of, which those keys tell. The
    properties a comparison needs (`props`) are read, and its Profile built, only for the
    candidates that could match."""

    type: str
    node_id: str
    keys: frozenset[str] | None  # its identifier and fingerprint blockKeys; None: it has none
    by_name: bool  # its class is resolved by name: its keys hold its names' fingerprints
    props: dict[str, Any] | None = None  # read by the second query, when a comparison needs it
    _profile: Profile | None = None
    _names: tuple[tuple[str, ...], ...] | None = None

    @property
    def id(self) -> str:
        return self.node_id

    def read(self, props: dict[str, Any]) -> None:
        """Its properties as read now (the profile is kept while they are unchanged)."""
        if props != self.props:
            self.props, self._profile = props, None

    def profile(self, model: OntologyModel) -> Profile:
        if self._profile is None:
            assert self.props is not None, "a candidate compared before its properties were read"
            self._profile = Profile.of_node(self.type, self.props, model)
        return self._profile

    def names(self) -> tuple[tuple[str, ...], ...] | None:
        """Its names' tokens, from its fingerprint keys, or None when its keys cannot tell."""
        if self.keys is None or not self.by_name:
            return None
        if self._names is None:
            self._names = tuple(tuple(k[3:].split(" ")) for k in self.keys if k[:3] == "fp:")
        return self._names


class Resolver:
    """Finds the entity a record is about: blocking keys in the graph's `rg_block` index and in
    this run's own records, then an explained comparison with each candidate (ingest.scoring).

    A record is merged only with a node visible at its own report's level; a look-alike above it
    is a proposal (visible to callers cleared for both), never a merge.
    """

    def __init__(
        self, driver: Driver | None, database: str | None = None, model: OntologyModel | None = None
    ):
        self.driver = driver
        self.database = database
        self.model = model or load_model()
        self.decisions = Decisions.load(driver, database)
        self.multiple = {p.name for p in self.model.identifier_properties() if p.multiple}
        self._postings: dict[str, list[str]] = defaultdict(list)  # this run: key -> target ids
        self._profiles: dict[str, Profile] = {}  # this run: target id -> profile
        self._graph: dict[str, list[GraphCandidate]] = {}  # record id -> candidates in the graph
        self.claimed: dict[str, set[str]] = defaultdict(set)  # source -> targets it states
        self._keys: dict[str, tuple[Record, list[str]]] = {}  # record id -> (record, its keys)
        self._nodes: dict[str, GraphCandidate] = {}  # element id -> node, across batches
        self._classes: dict[tuple[str, ...], Any] = {}  # labels -> class
        self._projection = ", ".join(f".`{p}`" for p in profile_properties(self.model))
        self._screened: set[str] = set()  # records whose candidates were screened (certain)
        self._common: set[tuple[str, str]] = set()  # (label, fuzzy key) too many nodes hold

    # ------------------------------------------------------------------ candidates
    def _block_keys(self, record: Record) -> list[str]:
        """A record's blocking keys, computed once for the lookup, the run's index and remember."""
        cached = self._keys.get(record["id"])
        if cached is not None and cached[0] is record:
            return cached[1]
        if len(self._keys) >= KEY_CACHE:
            self._keys.clear()
        keys = block_keys(record, self.model)
        self._keys[record["id"]] = (record, keys)
        return keys

    def _node(self, element: str, labels: list[str], node_id: str, keys: Any) -> GraphCandidate:
        """The candidate of an index hit, reused (its names, its profile) while its id and keys
        are unchanged."""
        found = frozenset(keys) if keys is not None else None
        cached = self._nodes.get(element)
        if cached is not None and cached.node_id == node_id and cached.keys == found:
            return cached
        cls = self._classes.get(tuple(labels))
        if cls is None:
            cls = self._classes[tuple(labels)] = self.model.class_of_labels(labels)
        if len(self._nodes) >= NODE_CACHE:
            self._nodes.clear()
        node = GraphCandidate(cls.name, node_id, found, cls.resolved_by_name)
        self._nodes[element] = node
        return node

    def _screen(self, record: Record) -> tuple[tuple[tuple[str, ...], ...], set[str]]:
        """What tells whether a candidate could match a record: its names' tokens and its
        identifier keys."""
        names = tuple(analyse(n).tokens for n in record_names(record))
        return names, {k for k in self._block_keys(record) if k[:3] == "id:"}

    def _compared(self, record: Record, candidate: GraphCandidate, screen: Any) -> bool:
        """Is this candidate compared with the record: never itself, always when the pair is
        decided, else when it could match (everything, without a screen)."""
        cand_id = self.decisions.canonical(candidate.id)
        if cand_id == record["id"]:
            return False
        if screen is None or self.decisions.judgement(record["id"], cand_id) is not None:
            return True
        return _could_match(screen[0], screen[1], candidate)

    def prefetch(self, records: Iterable[Record], certain: bool = True) -> None:
        """Look up the graph candidates of a batch's records: one query for the nodes of the
        batch's distinct keys (a fuzzy key held by more than MAX_FANOUT nodes brings none),
        with each node's id and keys, then one for the properties of the nodes a comparison
        needs. `certain`: only those that could be merged or proposed (what `match` compares,
        `candidates(certain=True)`); the others are left unread."""
        todo: list[tuple[Record, list[int]]] = []  # record, its (label, key) positions
        entries: dict[tuple[str, str], int] = {}
        for record in records:
            if record["id"] in self._graph or not self.model.cls(record["type"]).resolved:
                continue
            self._graph[record["id"]] = []
            if certain:
                self._screened.add(record["id"])
            label = self.model.cls(record["type"]).neo4j_label
            wanted_keys = [
                entries.setdefault((label, key), len(entries)) for key in self._block_keys(record)
            ]
            if wanted_keys:
                todo.append((record, wanted_keys))
        if self.driver is None or not todo:
            return
        exact = exact_keys(key for _, key in entries)
        is_exact = [key in exact for _, key in entries]
        found: dict[str, GraphCandidate] = {}
        holders: list[list[str]] = [[] for _ in entries]  # per (label, key): the nodes
        for element, labels, node_id, keys, positions in self._lookup(list(entries), is_exact):
            found[element] = self._node(element, labels, node_id, keys)
            for i in positions:
                holders[i].append(element)
        by_record = [_ranked(positions, holders, is_exact) for _, positions in todo]
        records = [record for record, _ in todo]
        wanted: dict[str, GraphCandidate] = {}
        for record, elements in zip(records, by_record, strict=True):
            screen = self._screen(record) if certain else None
            kept = self._graph[record["id"]]
            for element in elements:
                if self._compared(record, found[element], screen):
                    kept.append(found[element])
                    wanted[element] = found[element]
        if wanted:
            for element, props in self._read(list(wanted)):
                wanted[element].read(props)

    def _lookup(self, entries: list[tuple[str, str]], is_exact: list[bool]) -> list:
        """The nodes of each (label, key): an exact key's first CANDIDATES, a fuzzy key's all
        when at most MAX_FANOUT nodes hold it, else none (a key that many share is not a
        block). Each node once: its element id, labels, id, the keys screening reads
        (identifiers, fingerprints) and the positions of the entries that found it. A fuzzy key
        found held by more is not asked again in this run (`_common`): nodes only gain keys
        while an ingest runs, so it stays too common."""
        assert self.driver is not None
        asked = [i for i, entry in enumerate(entries) if is_exact[i] or entry not in self._common]
        if not asked:
            return []
        rows, _, _ = self.driver.execute_query(
            "UNWIND $entries AS e CALL (e) { "
            f"CALL db.index.fulltext.queryNodes('{INDEX_NAME}', e.q, {{limit: e.limit}}) "
            "YIELD node WHERE e.label IN labels(node) RETURN collect(node) AS nodes } "
            "WITH e, nodes, e.exact OR size(nodes) <= $fanout AS kept "
            "WITH collect(CASE WHEN kept THEN {i: e.i, nodes: nodes} END) AS hits, "
            "collect(CASE WHEN NOT kept THEN e.i END) AS common "
            "CALL (hits) { UNWIND hits AS hit UNWIND hit.nodes AS node "
            "WITH node, collect(hit.i) AS positions "
            f"RETURN collect([elementId(node), labels(node), node.`{system.ID}`, "
            f"[k IN node.`{system.BLOCK_KEYS}` WHERE k STARTS WITH 'id:' OR k STARTS WITH 'fp:'], "
            "positions]) AS found } "
            "RETURN found, common",
            entries=[
                {
                    "i": i,
                    "label": entries[i][0],
                    "q": _term_query(entries[i][1]),
                    "exact": is_exact[i],
                    "limit": CANDIDATES if is_exact[i] else MAX_FANOUT + 1,
                }
                for i in asked
            ],
            fanout=MAX_FANOUT,
            database_=self.database,
            routing_="r",
        )
        self._common.update(entries[i] for i in rows[0]["common"])
        return rows[0]["found"]

    def _read(self, elements: list[str]) -> list:
        """(element id, the properties a comparison is made of) of these nodes, in one query."""
        assert self.driver is not None
        rows, _, _ = self.driver.execute_query(
            "UNWIND $elements AS e MATCH (n) WHERE elementId(n) = e "
            f"RETURN e, n {{{self._projection}}} AS props",
            elements=elements,
            database_=self.database,
            routing_="r",
        )
        return [(r["e"], r["props"]) for r in rows]

    def _memory_candidates(self, record: Record) -> list[str]:
        counts: dict[str, int] = defaultdict(int)
        for key in self._block_keys(record):
            postings = self._postings.get(key, ())
            if len(postings) > MAX_POSTINGS and key not in exact_keys([key]):
                continue  # a key this many records share identifies nothing
            for target in postings:
                counts[target] += 1
        ranked = sorted(counts, key=lambda t: (-counts[t], t))[:CANDIDATES]
        return [t for t in ranked if self._profiles[t].type == record["type"]]

    def candidates(
        self, record: Record, level: str | None = None, certain: bool = False
    ) -> list[tuple[Profile, Any]]:
        """(candidate, comparison) for every candidate of a record, best first. `certain`:
        only those that could be merged or proposed (the others are left uncompared: no
        identifier in common, and no token that could be similar to one of the record's)."""
        if not certain and record["id"] in self._screened:  # all its candidates are wanted now
            del self._graph[record["id"]]
            self._screened.discard(record["id"])
        if record["id"] not in self._graph:
            self.prefetch([record], certain)
        profile = Profile.of_record(record, self.model, level)
        found: dict[str, GraphCandidate | Profile] = {
            c.id: c for c in self._graph.get(record["id"], [])
        }
        found.update({t: self._profiles[t] for t in self._memory_candidates(record)})
        names, id_keys = self._screen(record) if certain else ((), set())
        out = []
        for cand_id, candidate in found.items():
            cand_id = self.decisions.canonical(cand_id)
            if cand_id == record["id"]:
                continue
            decision = self.decisions.judgement(record["id"], cand_id)
            if (
                certain
                and decision is None
                and not _could_match(names, id_keys, candidate, profile)
            ):
                continue
            if isinstance(candidate, GraphCandidate):
                candidate = candidate.profile(self.model)
            comparison = compare(profile, candidate, self.multiple, decision)
            if decision == "same" and comparison.verdict != "veto":
                comparison.verdict, comparison.score = "merge", 1.0
            out.append((candidate, comparison))
        order = {"merge": 0, "propose": 1, "none": 2, "veto": 3}
        out.sort(key=lambda x: (order[x[1].verdict], -x[1].score, x[0].id))
        return out

    # ------------------------------------------------------------------ matching
    def match(self, record: Record, level: str | None = None) -> tuple[str | None, Proposal | None]:
        """The id of the entity this record is about, or a proposal for review."""
        cls = self.model.cls(record["type"])
        if not cls.resolved:
            return None, None
        canonical = self.decisions.canonical(record["id"])
        if canonical != record["id"]:
            return canonical, None
        level = level or record.get("tlp")
        ranked = [
            (candidate, comparison)
            for candidate, comparison in self.candidates(record, level, certain=True)
            if comparison.verdict in ("merge", "propose")
        ]
        for candidate, comparison in ranked:  # the best certain match visible at the level
            if comparison.verdict == "merge" and not self._above(candidate, level):
                return candidate.id, None
        if not ranked:
            return None, None
        candidate, comparison = ranked[0]  # a look-alike, or a certain match above the level
        if comparison.verdict == "merge":
            comparison.features["above_level"] = candidate.tlp
        return None, self._proposal(record, level, candidate, comparison)

    @staticmethod
    def _above(candidate: Profile, level: str | None) -> bool:
        """Is the candidate restricted above the record's level (not visible to its readers)?"""
        return bool(
            level
            and sharing.is_level(candidate.tlp)
            and sharing.rank(candidate.tlp) > sharing.rank(level)
        )

    def _proposal(
        self, record: Record, level: str | None, candidate: Profile, comparison: Any
    ) -> Proposal:
        target = self.model.edge_class.edge_target or "source"
        return Proposal(
            record["id"],
            record["type"],
            str(record.get("name") or record["id"]),
            candidate.id,
            candidate.display,
            round(comparison.score * 100, 1),
            comparison.features,
            comparison.explanation(),
            level,
            candidate.tlp,
            sorted(
                {
                    str(e[target])
                    for e in _values(record.get("evidence"))
                    if isinstance(e, dict) and target in e
                }
            ),
        )

    def remember(self, record: Record, level: str | None = None) -> None:
        """Add a record (under its resolved id) to this run's index, so later records find it."""
        if not self.model.cls(record["type"]).resolved:
            return
        profile = Profile.of_record(record, self.model, level or record.get("tlp"))
        self._profiles[record["id"]] = profile
        for key in self._block_keys(record):
            postings = self._postings[key]
            if record["id"] not in postings and len(postings) <= MAX_POSTINGS:
                postings.append(record["id"])
        for source in profile.sources:
            self.claimed[source].add(record["id"])

    def unclaimed(self, proposals: Iterable[Proposal]) -> list[Proposal]:
        """Proposals whose candidate no record of the same source already is: a list that names
        both holds them apart ("Fox Corp" is not the "Fox Factory" the same file also lists)."""
        return [
            p
            for p in proposals
            if not any(p.candidate in self.claimed.get(s, ()) for s in p.sources)
        ]


@lru_cache(maxsize=KEY_CACHE * 10)
def _term_query(key: str) -> str:
    """The index query of one key (keys recur across the records of a batch and of a run)."""
    return lucene_query([key])


def _ranked(positions: list[int], holders: list[list[str]], exact: list[bool]) -> list[str]:
    """A record's graph candidates from the nodes of its keys: those of more of its exact keys,
    then of more of its keys, first (as the run's own index ranks them); CANDIDATES at most."""
    counts: dict[str, list[int]] = {}
    for i in positions:
        for element in holders[i]:
            count = counts.setdefault(element, [0, 0])
            count[0] -= exact[i]
            count[1] -= 1
    return sorted(counts, key=lambda e: (*counts[e], e))[:CANDIDATES]


def _could_match(
    names: tuple[tuple[str, ...], ...],
    id_keys: set[str],
    candidate: GraphCandidate | Profile,
    record: Profile | None = None,
) -> bool:
    """Could comparing give merge or propose? Only through a shared identifier (a key of both;
    a conflict alone vetoes) or a pair of names that could reach the proposal score
    (ingest.scoring.could_reach). `names`: the record's names' tokens; `record`: its profile,
    needed for a candidate of this run (a Profile)."""
    if isinstance(candidate, Profile):
        assert record is not None
        if any(scheme in candidate.ids for scheme in record.ids):
            return True
        theirs: tuple[tuple[str, ...], ...] | None = tuple(n.tokens for n in candidate.names)
    else:
        theirs = candidate.names()
        if theirs is None or (id_keys and not id_keys.isdisjoint(candidate.keys or ())):
            return True
    return any(could_reach(mine, other) for mine in names for other in theirs or ())


def merge_records(base: Record, other: Record, model: OntologyModel) -> Record:
    """Fold `other` into `base`: lists are united, scalars already set are kept."""
    out = dict(base)
    props = model.properties_of(base["type"])
    for key, value in other.items():
        if key in ("id", "type"):
            continue
        spec = props.get(key)
        if spec is not None and spec.multiple:
            merged = list(_values(out.get(key)))
            for v in _values(value):
                if v not in merged:
                    merged.append(v)
            out[key] = merged
        elif key not in out:
            out[key] = value
        elif key == "name" and value != out[key]:
            out["alias"] = (
                [a for a in _values(out.get("alias"))] + [value]
                if value not in _values(out.get("alias"))
                else out.get("alias")
            )
    return out


def rename_references(
    records: Iterable[Record], renames: dict[str, str], model: OntologyModel
) -> list[Record]:
    """Point every reference at the resolved ids."""
    if not renames:
        return list(records)
    out = []
    for record in records:
        props = model.properties_of(record["type"])
        new = dict(record)
        for key, value in record.items():
            spec = props.get(key)
            if spec is None:
                continue
            if spec.kind in ("link", "idlist"):
                new[key] = (
                    [renames.get(v, v) for v in value]
                    if isinstance(value, list)
                    else renames.get(value, value)
                )
            elif spec.kind == "edge":
                new[key] = [
                    {
                        k: (renames.get(v, v) if k == model.edge_class.edge_target else v)
                        for k, v in e.items()
                    }
                    for e in value
                ]
        out.append(new)
    return out


def match_records(
    driver: Driver,
    records: list[Record],
    levels: list[str],
    *,
    database: str | None = None,
    limit: int = 10,
    model: OntologyModel | None = None,
) -> list[dict[str, Any]]:
    """For each record, the graph's candidates the caller may see, best first, each with its
    score (0-100), verdict and the features behind it. Nothing is written."""
    resolver = Resolver(driver, database, model)
    resolver.prefetch(records, certain=False)
    out = []
    for record in records:
        if not resolver.model.cls(record["type"]).resolved:
            out.append({"record": record["id"], "type": record["type"], "candidates": []})
            continue
        ranked = [
            {
                "id": candidate.id,
                "name": candidate.display,
                "score": round(comparison.score * 100, 1),
                "verdict": comparison.verdict,
                "features": comparison.features,
                "explanation": comparison.explanation(),
            }
            for candidate, comparison in resolver.candidates(record)
            if candidate.tlp in levels and comparison.verdict != "veto"
        ]
        out.append({"record": record["id"], "type": record["type"], "candidates": ranked[:limit]})
    return out
