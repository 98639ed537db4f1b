"""Scores that explain themselves: compare a record with a candidate, feature by feature.

Features: shared identifiers, conflicting identifiers (a veto), name similarity after legal forms
are removed (token by token, generic words weighing little), country, same source. The verdict:

- `veto`: an identity key both carry with no value in common (two LEIs), or a pair decided
  "different";
- `merge`: a shared identifier, or an equal name fingerprint in a country that does not differ;
- `propose`: a score of at least PROPOSE_AT (0-1) without certainty, for a person to review;
- `none`: below that.
A distinctive word must match for any name score above GENERIC_CAP: sharing "Energy" or
"Properties" is not enough. Two records cited by one source are distinct to that source (a
published list names each company once): never proposed, only merged on certainty.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from rapidfuzz.distance import Levenshtein

from core import names as system
from ingest.blocking import (
    MIN_SQUASHED,
    NameInfo,
    analyse,
    identifier_values,
    record_from_props,
    record_names,
    values,
)
from ontology.model import OntologyModel
from ontology.records import Record

PROPOSE_AT = 0.85
GENERIC_WEIGHT = 0.3
GENERIC_CAP = 0.5
COUNTRY_DIFFERS = 0.85  # factor on a fuzzy score when both countries are known and differ
MIN_FUZZY_TOKEN = 6  # shorter words must match exactly ("nipro" is not "unipro")
CHARS_PER_EDIT = 6

Verdict = Literal["veto", "merge", "propose", "none"]
PROFILE_PROPERTIES = ("name", "alias", "country")  # besides the identity keys
LONG_TOKEN = 2 * CHARS_PER_EDIT  # from this length two edits are within a token's budget


def profile_properties(model: OntologyModel) -> list[str]:
    """The Neo4j properties a node's Profile is made of (nothing else need leave the server)."""
    wanted = set(PROFILE_PROPERTIES) | {p.name for p in model.identifier_properties()}
    out = {system.ID, system.TLP, system.SOURCE_IDS}
    for cls in model.resolved_classes():
        for name, spec in model.properties_of(cls.name).items():
            if name in wanted and spec.neo4j_property:
                out.add(spec.neo4j_property)
    return sorted(out)


@dataclass
class Profile:
    """What comparing needs to know of a record or a node."""

    id: str
    type: str
    names: list[NameInfo]
    ids: dict[str, set[str]]
    country: str | None = None
    sources: set[str] = field(default_factory=set)
    tlp: str | None = None
    display: str = ""

    @classmethod
    def of_record(cls, record: Record, model: OntologyModel, tlp: str | None = None) -> Profile:
        names = record_names(record)
        target = model.edge_class.edge_target or "source"
        return cls(
            id=record["id"],
            type=record["type"],
            names=[analyse(n) for n in names],
            ids=identifier_values(record, model),
            country=(str(record["country"]).upper() if record.get("country") else None),
            sources={
                str(e[target])
                for e in values(record.get("evidence"))
                if isinstance(e, dict) and target in e
            },
            tlp=tlp or record.get("tlp"),
            display=str(record.get("name") or record["id"]),
        )

    @classmethod
    def of_node(cls, type_name: str, props: dict[str, Any], model: OntologyModel) -> Profile:
        """From a node's Neo4j properties (names as the ontology maps them)."""
        profile = cls.of_record(record_from_props(type_name, props, model), model, props.get("tlp"))
        profile.sources = set(props.get("sourceIds") or [])
        return profile


@dataclass
class Comparison:
    verdict: Verdict
    score: float
    features: dict[str, Any]

    def explanation(self) -> list[str]:
        f = self.features
        out = []
        if f.get("identifier"):
            out.append("shares " + ", ".join(f["identifier"]))
        if f.get("identifier_conflict"):
            out.append("different " + ", ".join(f["identifier_conflict"]) + " (veto)")
        if "name" in f:
            out.append(f"name similarity {f['name']:.2f} ({f.get('name_pair', '')})")
        if f.get("generic_only"):
            out.append("only generic words in common")
        if f.get("country"):
            out.append(f"country {f['country']}")
        if f.get("same_source"):
            out.append("both cited by one source, which names them apart")
        if f.get("decision"):
            out.append(f"decided {f['decision']}")
        return out


def _token_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 3 and long_.startswith(short) and short.isalpha():  # "tech" ~ "technology"
        return 0.9
    if len(short) < MIN_FUZZY_TOKEN:
        return 0.0
    budget = max(1, len(short) // CHARS_PER_EDIT)
    distance = Levenshtein.distance(a, b, score_cutoff=budget)
    if distance > budget:
        return 0.0
    return 1.0 - distance / len(long_)


def name_similarity(a: NameInfo, b: NameInfo) -> tuple[float, bool]:
    """(weighted token alignment 0-1, whether a distinctive word matched)."""
    if not a.tokens or not b.tokens:
        return 0.0, False
    if a.fingerprint == b.fingerprint or (a.squashed_key and a.squashed_key == b.squashed_key):
        return 1.0, True
    distinctive_match = False
    total = matched = 0.0
    for left, right in ((a, b), (b, a)):
        for token in left.tokens:
            weight = GENERIC_WEIGHT if token in left.generic else 1.0
            best = max(_token_similarity(token, other) for other in right.tokens)
            total += weight
            matched += weight * best
            if best >= 0.8 and token in left.distinctive and token not in left.generic:
                distinctive_match = True
    score = matched / total if total else 0.0
    if not distinctive_match:
        score = min(score, GENERIC_CAP)
    return score, distinctive_match


@lru_cache(maxsize=200_000)
def token_sketch(tokens: tuple[str, ...]) -> frozenset[str]:
    """Keys two names share whenever any of their tokens could be similar at all (so names
    with disjoint sketches score 0 and are never merged nor proposed): each token, its first 3
    characters (the prefix rule, and one edit after them), its last 3 when it is long enough to
    be compared by edits (one edit before them: with a single edit the equal prefix and suffix
    cover all but one character), the squashed form; tokens long enough for two edits share a
    marker, so such pairs are always compared."""
    return _token_sketches(tokens) | {"~" + "".join(tokens)}


def _token_keys(token: str) -> list[str]:
    """One token's part of a sketch (token_sketch)."""
    keys = ["=" + token]
    if len(token) >= 3:
        keys.append("<" + token[:3])
    if len(token) >= MIN_FUZZY_TOKEN:
        keys.append(">" + token[-3:])
    if len(token) >= LONG_TOKEN:
        keys.append("*long")
    return keys


@lru_cache(maxsize=200_000)
def _token_sketches(tokens: tuple[str, ...]) -> frozenset[str]:
    """The sketch of a name's tokens taken one by one (token_sketch without the squashed name)."""
    return frozenset(k for t in tokens for k in _token_keys(t))


def could_reach(a: tuple[str, ...], b: tuple[str, ...], at: float = PROPOSE_AT) -> bool:
    """Could two names (their tokens) reach a name similarity of `at`? An upper bound that
    needs no comparing: a token whose sketch meets none of the other name's scores 0 (see
    token_sketch), every other one is counted as a perfect match, and the weights are the
    ones that favour the pair most (1 for those, GENERIC_WEIGHT for the rest). Names below it
    can be neither merged (1.0) nor proposed (PROPOSE_AT): "Lorem Ipsum Dolor" and "Lorem
    Amet Sit" share one word of three."""
    if not a or not b:
        return False
    if a == b or (len(squashed := "".join(a)) >= MIN_SQUASHED and squashed == "".join(b)):
        return True
    left, right = _token_sketches(a), _token_sketches(b)
    hits = sum(not right.isdisjoint(_token_keys(t)) for t in a)
    hits += sum(not left.isdisjoint(_token_keys(t)) for t in b)
    misses = len(a) + len(b) - hits
    return hits >= at * (hits + GENERIC_WEIGHT * misses) - 1e-9


SKETCH_CACHES = (token_sketch, _token_sketches)  # emptied by benchmarks


def names_sketch(names: Iterable[NameInfo]) -> frozenset[str]:
    """The union of the sketches of a record's names."""
    out: frozenset[str] = frozenset()
    for info in names:
        out |= token_sketch(info.tokens)
    return out


def compare(
    record: Profile, candidate: Profile, multiple: set[str], decision: str | None = None
) -> Comparison:
    """Compare a record with a candidate. `multiple`: identity keys a thing may hold several of
    (a conflict there vetoes only when nothing else is shared)."""
    features: dict[str, Any] = {}
    shared = sorted(
        f"{scheme}={value}"
        for scheme, vals in record.ids.items()
        for value in vals & candidate.ids.get(scheme, set())
    )
    conflicts = sorted(
        scheme
        for scheme, vals in record.ids.items()
        if scheme in candidate.ids and not vals & candidate.ids[scheme]
    )
    if shared:
        features["identifier"] = shared
    if conflicts:
        features["identifier_conflict"] = conflicts
    if decision:
        features["decision"] = decision
    if decision == "different":
        return Comparison("veto", 0.0, features)
    hard = [c for c in conflicts if c.split(":", 1)[0] not in multiple]
    if hard or (conflicts and not shared):
        return Comparison("veto", 0.0, features)
    if record.country and candidate.country:
        features["country"] = "same" if record.country == candidate.country else "different"
    if shared:
        return Comparison("merge", 1.0, features)
    best, best_pair, distinctive = 0.0, "", False
    for left in record.names:
        for right in candidate.names:
            score, dist = name_similarity(left, right)
            if score > best:
                best, best_pair, distinctive = score, f"{left.original} ~ {right.original}", dist
    exact = best >= 1.0
    features["name"] = round(best, 3)
    if best_pair:
        features["name_pair"] = best_pair
    if best and not distinctive:
        features["generic_only"] = True
    if record.sources & candidate.sources:
        features["same_source"] = True
    score = best
    if features.get("country") == "different":
        score *= COUNTRY_DIFFERS
    if exact and features.get("country") != "different":
        return Comparison("merge", 1.0, features)
    score = round(score, 3)
    if features.get("same_source"):  # the source names them apart
        return Comparison("none", score, features)
    return Comparison("propose" if score >= PROPOSE_AT else "none", score, features)
