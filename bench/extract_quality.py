"""Precision and recall of `rightsgraph extract` on the seed article, against the hand-made report.

    .venv/bin/python bench/extract_quality.py

Compares the draft with reports/seed-open-letter.yaml: entities (actors and regions) by id and
type, the claims (the demand, the allegation, the aggregate contract and its amount) by their
defining fields, and the sources by sha256 or type and publisher. The baseline, measured in the
same run, is the same extractor with typo tolerance switched off (exact names only).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.extract.draft import build_draft  # noqa: E402
from ingest.extract.gazetteer import Gazetteer, bundled  # noqa: E402
from ingest.extract.text import load_document  # noqa: E402
from ingest.normalize import normalise_name  # noqa: E402
from ontology.model import load_model  # noqa: E402

ARTICLE = ROOT / "reports" / "sources" / "seed-open-letter-article.txt"
REFERENCE = ROOT / "reports" / "seed-open-letter.yaml"


def _set(value: Any) -> frozenset:
    return frozenset(value if isinstance(value, list) else [value] if value is not None else [])


def entity_keys(records: list[dict]) -> set[tuple[str, str]]:
    model = load_model()
    kinds = ("Actor", "Region")
    return {
        (r["id"], r["type"]) for r in records if any(model.cls(r["type"]).is_a(k) for k in kinds)
    }


def claim_keys(records: list[dict]) -> set[tuple]:
    """One key per claim, made of the fields that define it."""
    keys: set[tuple] = set()
    for r in records:
        if r["type"] == "Demand":
            keys.add(
                (
                    "demand",
                    r.get("demandType"),
                    _set(r.get("target")),
                    _set(r.get("names")),
                    _set(r.get("madeBy")),
                )
            )
        elif r["type"] == "Allegation":
            keys.add(
                ("allegation", _set(r.get("against")), _set(r.get("concerns")), r.get("status"))
            )
            keys.update(("harm", h) for h in _set(r.get("harmCategory")))
            keys.update(("affected group", g) for g in _set(r.get("affectedGroup")))
        elif r["type"] == "Contract":
            keys.add(
                (
                    "contract",
                    _set(r.get("supplier")),
                    _set(r.get("performedIn")),
                    r.get("aggregate"),
                )
            )
            keys.add(
                (
                    "amount",
                    float(r.get("amountMin") or 0),
                    float(r.get("amountMax") or 0),
                    float(r.get("amount") or 0),
                    r.get("currency"),
                    str(r.get("startDate")),
                )
            )
    return keys


def source_keys(records: list[dict]) -> set[tuple]:
    return {
        ("sha256", r["sha256"])
        if r.get("sha256")
        else (r.get("sourceType"), normalise_name(r.get("publisher") or ""))
        for r in records
        if r["type"] == "Source"
    }


def score(found: set, expected: set) -> tuple[float, float, int, int, int]:
    hits = len(found & expected)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(expected) if expected else 1.0
    return precision, recall, hits, len(found), len(expected)


def run(store: Path, gazetteer: Gazetteer | None = None) -> tuple[dict[str, tuple], int, int]:
    doc = load_document(ARTICLE)
    draft = build_draft(doc, publisher="ScandAsia", store=store, gazetteer=gazetteer)
    reference = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))["@graph"]
    scores = {
        "entities": score(entity_keys(draft.records), entity_keys(reference)),
        "claims": score(claim_keys(draft.records), claim_keys(reference)),
        "sources": score(source_keys(draft.records), source_keys(reference)),
    }
    at_offsets = sum(doc.text[i.start : i.end] == i.quote for i in draft.items)
    if draft.violations:
        print("draft violates the shapes:", *draft.violations, sep="\n  ")
    return scores, at_offsets, len(draft.items)


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


if __name__ == "__main__":
    main()
