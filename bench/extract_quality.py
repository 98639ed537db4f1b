"""Precision and recall of `rightsgraph extract`: the seed article, and a corpus in six languages.

    .venv/bin/python bench/extract_quality.py

Part 2 reads every text of tests/data/extract/corpus/ (the tuning set) with its `.gold.yaml`
(written by hand), then separately every text of tests/data/extract/heldout/ (written after the
tuning, never tuned on) and of tests/data/extract/heldout2/ (six more, written before the
changes of issue 24) and of tests/data/extract/heldout3/ (three, written after them), and prints for each precision and recall per kind of item (entities, regions, measures, contracts,
ownership, demands, allegations, amounts, source metadata) and per language, and checks that
every quote stands verbatim at its offsets.

Compares the draft with reports/seed-open-letter.yaml: entities (actors and regions) by id and
type, the claims (the demand, the allegation, the aggregate contract and its amount) by their
defining fields, and the sources by sha256 or type and publisher. The baseline, measured in the
same run, is the same extractor with typo tolerance switched off (exact names only).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.extract.gazetteer import Gazetteer, bundled  # noqa: E402
from ingest.extract.scoring import (  # noqa: E402
    ARTICLE,
    CORPUS,
    HELDOUT,
    HELDOUT2,
    HELDOUT3,
    REFERENCE,
    run,
    run_corpus,
)  # noqa: E402


def _line(name: str, hits: int, found: int, expected: int) -> str:
    p, r = hits / found if found else 1.0, hits / expected if expected else 1.0
    return f"{name:12} {p:9.2f} {r:7.2f} {f'{hits}/{found}/{expected}':>20}"


def main_corpus(corpus: Path, label: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        per_kind, per_language, at_offsets, items = run_corpus(
            Path(tmp), verbose="-v" in sys.argv, corpus=corpus
        )
    texts = len(list(corpus.glob("*.gold.yaml")))
    print(f"\n{label}: extract on {texts} texts of {corpus.relative_to(ROOT)} vs their .gold.yaml")
    print(f"{'kind':12} {'precision':>9} {'recall':>7} {'hits/found/expected':>20}")
    for kind, tally in per_kind.items():
        print(_line(kind, *tally))
    total = [sum(t[i] for t in per_kind.values()) for i in range(3)]
    print(_line("overall", *total))
    print(f"{'language':12} {'precision':>9} {'recall':>7} {'hits/found/expected':>20}")
    for lang, tally in sorted(per_language.items()):
        print(_line(lang, *tally))
    print(f"quotes at their offsets: {at_offsets}/{items}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scores, at_offsets, items = run(Path(tmp))
        baseline, _, _ = run(Path(tmp), Gazetteer(bundled().entities, fuzzy=False))
    print(f"extract on {ARTICLE.relative_to(ROOT)} vs {REFERENCE.relative_to(ROOT)}")
    print(
        f"{'':10} {'precision':>9} {'recall':>7} {'hits/found/expected':>20}"
        "   baseline (exact names) P / R"
    )
    for name, (p, r, hits, found, expected) in scores.items():
        bp, br, *_ = baseline[name]
        print(
            f"{name:10} {p:9.2f} {r:7.2f} {f'{hits}/{found}/{expected}':>20}   {bp:.2f} / {br:.2f}"
            f"   (recall × {r / br if br else float('inf'):.2f})"
        )
    print(f"quotes at their offsets: {at_offsets}/{items}")
    main_corpus(CORPUS, "TUNING SET")
    main_corpus(HELDOUT, "HELD-OUT SET (never tuned on)")
    main_corpus(HELDOUT2, "SECOND HELD-OUT SET (written before the issue-24 changes)")
    main_corpus(HELDOUT3, "THIRD HELD-OUT SET (written after the issue-24 changes, measured once)")


if __name__ == "__main__":
    main()
