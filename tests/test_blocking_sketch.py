"""Name sketches (ingest.scoring.token_sketch): the resolver leaves a candidate uncompared when
its sketch meets none of the record's, which is only right if every token pair the name
feature finds similar at all shares a sketch key. No database."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest

from ingest.adapters import read_batches
from ingest.blocking import analyse, block_keys
from ingest.resolve import GraphCandidate, Resolver
from ingest.scoring import (
    PROPOSE_AT,
    NameInfo,
    Profile,
    _token_similarity,
    compare,
    could_reach,
    name_similarity,
    names_sketch,
    token_sketch,
)
from ontology.model import load_model


def _edits(word: str, rng: random.Random) -> list[str]:
    """The word with one substitution, insertion, deletion or swap, and two edits."""
    letters = string.ascii_lowercase
    out = []
    for _ in range(30):
        i = rng.randrange(len(word))
        out.append(word[:i] + rng.choice(letters) + word[i + 1 :])
        out.append(word[:i] + rng.choice(letters) + word[i:])
        out.append(word[:i] + word[i + 1 :])
        j = rng.randrange(len(word))
        once = word[:i] + rng.choice(letters) + word[i + 1 :]
        out.append(once[:j] + rng.choice(letters) + once[j + 1 :])
    out += [word[:k] for k in range(1, len(word))] + [word + "ology", word + "s"]
    return [w for w in out if w]


def test_every_similar_token_pair_shares_a_sketch_key() -> None:
    rng = random.Random(16)
    checked = 0
    for length in (3, 5, 6, 7, 11, 12, 13, 18, 24):
        for _ in range(40):
            word = "".join(rng.choice("abcdefghiklmnoprstu") for _ in range(length))
            for other in _edits(word, rng):
                if _token_similarity(word, other) > 0:
                    checked += 1
                    assert token_sketch((word,)) & token_sketch((other,)), (word, other)
    assert checked > 1000


def test_names_with_disjoint_sketches_score_zero_and_meeting_ones_are_compared() -> None:
    pairs = [
        ("Hangzhou Hikvision Digital Technology Co Ltd", "Hangzhou Hikvison Digitel Technology"),
        ("JVCKenwood Corp", "JVC Kenwood"),
        ("Unipro PJSC", "Nipro Corp"),
        ("Babababa Pevosevu Lefamuzi Ltd", "Babababa Pevsoevu Lefamuzi Ltd"),
        ("Vistra Energy Corp", "NuVista Energy Ltd"),
        ("Tokyo Gas", "Kyoto Gas"),
    ]
    for left, right in pairs:
        a, b = analyse(left), analyse(right)
        score, _ = name_similarity(a, b)
        if not names_sketch([a]) & names_sketch([b]):
            assert score == 0.0, (left, right)
    hik = [analyse(n) for n in pairs[0]]
    assert names_sketch(hik[:1]) & names_sketch(hik[1:])  # the typo is compared
    record = Profile("r", "Company", [hik[0]], {})
    candidate = Profile("c", "Company", [hik[1]], {})
    assert compare(record, candidate, set()).verdict == "propose"


def test_names_the_score_bound_leaves_out_could_be_neither_merged_nor_proposed() -> None:
    """could_reach is an upper bound: random names of 1-4 words, each word kept, edited,
    dropped or joined by another (generic words too), never score PROPOSE_AT when it says they
    cannot; and it does leave most unrelated pairs out."""
    rng = random.Random(17)
    syllables = ["ka", "lo", "mi", "ne", "su", "ta", "vo", "ri", "ba", "de"]
    reached = left_out = 0
    for _ in range(4000):
        words = [
            "".join(rng.choice(syllables) for _ in range(rng.randint(1, 6)))
            for _ in range(rng.randint(1, 4))
        ]
        other = []
        for word in words:
            kind = rng.randrange(4)
            if kind == 0:
                other.append(word)
            elif kind == 1:
                other.append(rng.choice(_edits(word, rng)))
            elif kind == 2:
                other.append("".join(rng.choice(syllables) for _ in range(3)))
        other = other or [words[0]]
        a = NameInfo("a", tuple(words), frozenset(rng.sample(words, rng.randint(0, 1))))
        b = NameInfo("b", tuple(other), frozenset(rng.sample(other, rng.randint(0, 1))))
        score, _ = name_similarity(a, b)
        if could_reach(a.tokens, b.tokens):
            reached += 1
        else:
            left_out += 1
            assert score < PROPOSE_AT, (a.tokens, b.tokens, score)
    assert left_out > 1000 and reached > 500


HOLDINGS = Path("/work/shared/data/holdings")


@pytest.mark.slow
def test_screened_candidates_are_the_ones_comparing_all_would_merge_or_propose() -> None:
    """NBIM's 2018 names as the graph (nodes with the blockKeys the writer gives them), 2019's
    as the records: `match`'s screened candidates are exactly the merges and proposals of
    comparing every candidate. No database: candidates come from the run's own index."""
    files = [HOLDINGS / "EQ_2018_Industry.xlsx", HOLDINGS / "EQ_2019_Industry.xlsx"]
    if not all(f.is_file() for f in files):
        pytest.skip(f"no NBIM files in {HOLDINGS} (the shared data folder is absent)")
    model = load_model()
    years = [
        [
            r
            for b in read_batches(f, None, fund="Government Pension Fund Global")
            for r in b.records
            if model.cls(r["type"]).resolved and r["type"] != "Source"
        ]
        for f in files
    ]
    index = Resolver(None)
    nodes = {}
    for r in years[0]:
        index.remember(r, "GREEN")
        props = {"id": r["id"], "tlp": "GREEN"}
        for name, spec in model.properties_of(r["type"]).items():
            if spec.neo4j_property and r.get(name) is not None:
                props[spec.neo4j_property] = r[name]
        keys = frozenset(block_keys(r, model))
        nodes[r["id"]] = GraphCandidate(r["type"], r["id"], keys, True, props)
    resolver = Resolver(None)
    found = 0
    for r in years[1]:
        resolver._graph[r["id"]] = [nodes[t] for t in index._memory_candidates(r)]
        full, screened = (
            [
                (c.id, x.verdict, x.score)
                for c, x in resolver.candidates(r, "GREEN", certain=certain)
                if x.verdict in ("merge", "propose")
            ]
            for certain in (False, True)
        )
        assert full == screened, r.get("name")
        found += len(full)
    assert found > 50  # the years share thousands of companies: many merges were compared
