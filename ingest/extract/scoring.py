"""Scoring `rightsgraph extract` against hand-made answers: the seed article against its
curated report, and the corpus of tests/data/extract/corpus/ against each text's `.gold.yaml`
(precision and recall per kind of item and per language, quotes at their offsets). Used by
bench/extract_quality.py, which prints the figures, and by the tests, which hold the goals.
Reads files of the checkout (reports/, tests/data/), not of an installed package."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ingest.extract.draft import build_draft
from ingest.extract.gazetteer import Gazetteer
from ingest.extract.text import load_document
from ingest.normalize import normalise_name, slug
from ontology.model import load_model

ROOT = Path(__file__).resolve().parents[2]
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


CORPUS = ROOT / "tests" / "data" / "extract" / "corpus"
HELDOUT = ROOT / "tests" / "data" / "extract" / "heldout"  # never tuned on: see its README
HELDOUT2 = ROOT / "tests" / "data" / "extract" / "heldout2"  # written for issue 24: its README
HELDOUT3 = ROOT / "tests" / "data" / "extract" / "heldout3"  # written after issue 24, measured once


class _Names:
    """Resolves the gold's references (a gazetteer id or a name as written) to draft ids."""

    def __init__(self, records: list[dict]):
        self.ids: dict[str, str] = {}
        for r in records:
            self.ids[r["id"]] = r["id"]
            for n in [r.get("name"), *r.get("alias", [])]:
                if n:
                    self.ids.setdefault(normalise_name(n), r["id"])
        for r in records:
            for ev in r.get("evidence", []):
                if r["type"] not in ("Source",) and ev.get("quote"):
                    self.ids.setdefault(normalise_name(ev["quote"]), r["id"])

    def __call__(self, ref: str | None) -> str | None:
        if ref is None:
            return None
        return (
            self.ids.get(ref)
            or self.ids.get(slug(ref))
            or self.ids.get(normalise_name(ref))
            or f"?{ref}"
        )

    def all(self, refs: list[str] | None) -> frozenset:
        return frozenset(self(r) for r in refs or [])


def _amount_key(props: dict) -> tuple:
    return tuple(
        (k, float(props[k])) for k in ("amount", "amountMin", "amountMax") if k in props
    ) + ((("currency", props.get("currency")),) if props.get("currency") else ())


def gold_keys(gold: dict, names: _Names) -> dict[str, set]:
    """The gold annotations as keys, with their references resolved against the draft."""
    keys: dict[str, set] = {k: set() for k in KINDS}
    for ref, type_name in gold.get("entities", []):
        keys["entities"].add((names(ref), type_name))
    keys["regions"] = {("region", c) for c in gold.get("regions", [])}
    for m in gold.get("measures", []):
        keys["measures"].add((m["type"], names(m.get("by")), names.all(m.get("to")), m.get("date")))
        if m.get("amount"):
            keys["amounts"].add(_amount_key(m["amount"]))
    for c in gold.get("contracts", []):
        keys["contracts"].add(
            (
                names.all(c.get("supplier")),
                names(c.get("buyer")),
                c.get("start"),
                c.get("end"),
                c.get("status"),
            )
        )
        if c.get("amount"):
            keys["amounts"].add(_amount_key(c["amount"]))
    keys["ownership"] = {(names(a), names(b)) for a, b in gold.get("ownership", [])}
    for d in gold.get("demands", []):
        keys["demands"].add((d["type"], names.all(d.get("target")), names.all(d.get("names"))))
    for a in gold.get("allegations", []):
        against = names.all(a.get("against"))
        keys["allegations"].add(("against", against))
        keys["allegations"].update(("harm", h) for h in a.get("harm", []))
        keys["allegations"].update(("group", g) for g in a.get("groups", []))
        if a.get("response"):
            keys["allegations"].add(("response", against))
    for field, value in (gold.get("source") or {}).items():
        keys["source"].add((field, tuple(value) if isinstance(value, list) else value))
    return keys


def draft_keys(records: list[dict], gold: dict) -> dict[str, set]:
    """The same keys from a draft (the source's metadata only for the fields the gold gives)."""
    model = load_model()
    keys: dict[str, set] = {k: set() for k in KINDS}
    for r in records:
        t = r["type"]
        if t == "Region":
            if "partOf" in r:
                keys["regions"].add(("region", r.get("iso3166")))
        elif model.cls(t).is_a("Actor") and r.get("evidence"):  # named in the text
            keys["entities"].add((r["id"], t))
        elif t == "Measure":
            keys["measures"].add(
                (
                    r["measureType"],
                    r.get("imposedBy"),
                    frozenset(r.get("appliesTo", [])),
                    r.get("date") or r.get("startDate"),
                )
            )
        elif t == "Contract":
            keys["contracts"].add(
                (
                    frozenset(r.get("supplier", [])),
                    r.get("buyer"),
                    r.get("startDate"),
                    r.get("endDate"),
                    r.get("contractStatus"),
                )
            )
        elif t == "Ownership":
            keys["ownership"].add((r["owner"], r["owned"]))
        elif t == "Demand":
            keys["demands"].add(
                (r["demandType"], frozenset(r.get("target", [])), frozenset(r.get("names", [])))
            )
        elif t == "Allegation":
            against = frozenset(r.get("against", []))
            keys["allegations"].add(("against", against))
            keys["allegations"].update(("harm", h) for h in r.get("harmCategory", []))
            keys["allegations"].update(("group", g) for g in r.get("affectedGroup", []))
            if r.get("response"):
                keys["allegations"].add(("response", against))
        if t in ("Measure", "Contract") and _amount_key(r) and r.get("currency"):
            keys["amounts"].add(_amount_key(r))
    article = records[0]
    for field in gold.get("source") or {}:
        value = article.get("name" if field == "title" else field)
        if value is not None:
            keys["source"].add((field, tuple(value) if isinstance(value, list) else value))
    return keys


KINDS = (
    "entities",
    "regions",
    "measures",
    "contracts",
    "ownership",
    "demands",
    "allegations",
    "amounts",
    "source",
)


def run_corpus(
    store: Path, verbose: bool = False, corpus: Path = CORPUS
) -> tuple[dict[str, list[int]], dict[str, list[int]], int, int]:
    """Hits, found and expected per kind and per language over a corpus (the tuning set unless
    told, e.g. HELDOUT); quotes checked."""
    per_kind = {k: [0, 0, 0] for k in KINDS}
    per_language: dict[str, list[int]] = {}
    at_offsets = items = 0
    for gold_path in sorted(corpus.glob("*.gold.yaml")):
        stem = gold_path.name.removesuffix(".gold.yaml")
        text_path = next(p for p in corpus.glob(stem + ".*") if not p.name.endswith(".yaml"))
        gold = yaml.safe_load(gold_path.read_text(encoding="utf-8"))
        doc = load_document(text_path)
        draft = build_draft(doc, store=store)
        if draft.violations:
            print(f"{text_path.name}: draft violates the shapes:", *draft.violations, sep="\n  ")
        names = _Names(draft.records)
        expected, found = gold_keys(gold, names), draft_keys(draft.records, gold)
        lang = per_language.setdefault(gold["language"], [0, 0, 0])
        for kind in KINDS:
            hits = len(found[kind] & expected[kind])
            for tally in (per_kind[kind], lang):
                tally[0] += hits
                tally[1] += len(found[kind])
                tally[2] += len(expected[kind])
            if verbose:  # what was missed and what was extra, per text
                for miss in expected[kind] - found[kind]:
                    print(f"  {text_path.name} {kind} missed: {miss}")
                for extra in found[kind] - expected[kind]:
                    print(f"  {text_path.name} {kind} extra:  {extra}")
        at_offsets += sum(doc.text[i.start : i.end] == i.quote for i in draft.items)
        items += len(draft.items)
    return per_kind, per_language, at_offsets, items
