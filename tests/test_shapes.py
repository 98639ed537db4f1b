"""The SHACL shapes hold the evidence rules: the bundled reports conform, and each broken rule is
reported by its name (the shape's IRI), on the record that breaks it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from helpers import DOCUMENTED, SEED, by_id, report_records

from ontology.identifiers import isin_check_digit, lei_check_digits
from ontology.records import Record, check_record
from ontology.validate import validate_records

SEED_RECORDS = by_id(report_records(SEED))
DOCUMENTED_RECORDS = by_id(report_records(DOCUMENTED))
ALL_RECORDS = {**SEED_RECORDS, **DOCUMENTED_RECORDS}
KNOWN = {rid: r["type"] for rid, r in ALL_RECORDS.items()}

VALID_LEI = "5493001KJTIIGC8Y1R" + lei_check_digits("5493001KJTIIGC8Y1R")
VALID_ISIN = "CNE100000PM" + isin_check_digit("CNE100000PM")
HOLDING = "holding-gpfg-hikvision-2019-12-31"
OWNERSHIP = "ownership-cethik-hikvision"
CONTRACT = "contracts-xinjiang-hikvision-dahua-since-2016"
ALLEGATION = "allegation-open-letter-hikvision-dahua-xinjiang"
DEMAND = "demand-open-letter-gpfg-divest-hikvision-dahua"
SOURCE = "src-scandasia-2020-ngos-divest"


def _strings(value) -> set[str]:
    if isinstance(value, dict):
        return set().union(*map(_strings, value.values()))
    if isinstance(value, list):
        return set().union(*map(_strings, value)) if value else set()
    return {value} if isinstance(value, str) else set()


def violations_of(record: Record) -> list:
    """Validate one record; the ids it refers to stand in the graph as typed stubs."""
    refs = _strings({k: v for k, v in record.items() if k != "id"})
    known = {rid: KNOWN[rid] for rid in refs if rid in KNOWN}
    return validate_records([check_record(record)], known)


@pytest.mark.parametrize("path", [SEED, DOCUMENTED], ids=lambda p: p.stem)
def test_bundled_report_conforms(path) -> None:
    assert validate_records(report_records(path)) == []


def test_valid_identifiers_conform() -> None:
    company = {**ALL_RECORDS["hikvision"], "lei": VALID_LEI, "isin": [VALID_ISIN]}
    assert violations_of(company) == []


def _set(key, value) -> Callable[[Record], None]:
    return lambda r: r.__setitem__(key, value)


def _drop(key) -> Callable[[Record], None]:
    return lambda r: r.pop(key)


# (name, record id, mutation, the rules the violations must name — exactly)
INVALID = [
    ("fact-without-evidence", DEMAND, _drop("evidence"), {"Fact-evidence"}),
    ("negative-amount", CONTRACT, _set("amountMin", -5), {"Fact-amountMin"}),
    ("unknown-currency", CONTRACT, _set("currency", "USX"), {"Fact-currency"}),
    ("amount-without-currency", CONTRACT, _drop("currency"), {"Fact-amountHasCurrency"}),
    (
        "bad-lei-check-digits",
        "hikvision",
        _set("lei", VALID_LEI[:-2] + "00"),
        {"Organization-leiCheckDigits"},
    ),
    (
        "lei-wrong-length",
        "hikvision",
        _set("lei", "5493001KJ"),
        {"Organization-lei", "Organization-leiCheckDigits"},
    ),
    (
        "bad-isin-check-digit",
        "hikvision",
        _set("isin", [VALID_ISIN[:-1] + "1"]),
        {"Company-isinCheckDigit"},
    ),
    ("ownership-share-above-1", OWNERSHIP, _set("share", 38.88), {"Ownership-share"}),
    ("holding-share-as-percent", HOLDING, _set("ownershipShare", 32), {"Holding-ownershipShare"}),
    ("negative-market-value", HOLDING, _set("marketValue", -1), {"Holding-marketValue"}),
    (
        "unknown-harm-category",
        ALLEGATION,
        _set("harmCategory", ["bad-vibes"]),
        {"Allegation-harmCategory"},
    ),
    ("unknown-status", ALLEGATION, _set("status", "rumoured"), {"Allegation-status"}),
    ("two-statuses", ALLEGATION, _set("status", ["alleged", "withdrawn"]), {"Allegation-status"}),
    ("allegation-without-target", ALLEGATION, _drop("against"), {"Allegation-against"}),
    (
        "allegation-against-a-region",
        ALLEGATION,
        _set("against", ["xinjiang"]),
        {"Allegation-against"},
    ),
    ("holding-without-date", HOLDING, _drop("asOf"), {"Holding-asOf"}),
    ("holding-impossible-date", HOLDING, _set("asOf", "2019-02-30"), {"Holding-asOf"}),
    ("holding-partial-asof", HOLDING, _set("asOf", "2019-12"), {"Holding-asOf"}),
    ("partial-date-month-13", CONTRACT, _set("startDate", "2016-13"), {"Fact-startDate"}),
    ("holding-two-funds", HOLDING, _set("fund", ["gpfg", "nbim"]), {"Holding-fund"}),
    ("holding-fund-is-a-company", HOLDING, _set("fund", "dahua"), {"Holding-fund"}),
    ("held-not-boolean", HOLDING, _set("held", "maybe"), {"Holding-held"}),
    ("bad-wikidata-qid", "china", _set("wikidataId", "Q0148"), {"Node-wikidataId"}),
    ("wikidata-url-not-qid", "china", _set("wikidataId", "wd:Q148"), {"Node-wikidataId"}),
    (
        "evidence-from-a-company",
        DEMAND,
        _set("evidence", [{"source": "hikvision", "quote": "x"}]),
        {"Evidence-source", "Node-evidence"},
    ),
    (
        "evidence-with-empty-quote",
        DEMAND,
        _set("evidence", [{"source": SOURCE, "quote": ""}]),
        {"Evidence-quote", "Node-evidence"},
    ),
    ("demand-without-target", DEMAND, _drop("target"), {"Demand-target"}),
    ("unknown-demand-type", DEMAND, _set("demandType", "boycott"), {"Demand-demandType"}),
    ("bad-tlp-level", DEMAND, _set("tlp", "YELLOW"), {"Node-tlp"}),
    ("country-not-iso", "gpfg", _set("country", "Norway"), {"Node-country"}),
    ("bad-url", SOURCE, _set("url", "scandasia.com/article"), {"Source-url"}),
    ("bad-sha256", SOURCE, _set("sha256", "5F4BED40"), {"Source-sha256"}),
    ("unknown-source-type", SOURCE, _set("sourceType", "tweet"), {"Source-sourceType"}),
    ("source-without-title", SOURCE, _drop("name"), {"Source-name"}),
    ("bad-identifier-form", "hikvision", _set("identifier", ["002415"]), {"Node-identifier"}),
    (
        "unknown-review-status",
        "report-seed-open-letter",
        _set("reviewStatus", "draft"),
        {"Report-reviewStatus"},
    ),
]


@pytest.mark.parametrize(
    ("record_id", "mutate", "rules"), [case[1:] for case in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_variant_fails_with_its_rule(record_id: str, mutate, rules: set[str]) -> None:
    record = dict(ALL_RECORDS[record_id])
    assert violations_of(record) == [], "the unmutated record must conform"
    mutate(record)
    violations = violations_of(record)
    assert {v.rule for v in violations} == rules, [str(v) for v in violations]
    assert {v.record for v in violations} == {record_id}
    assert all(v.message and f"[rule {v.rule}]" in str(v) for v in violations)


def test_violation_names_path_and_value() -> None:
    record = dict(ALL_RECORDS[CONTRACT], currency="USX")
    (violation,) = violations_of(record)
    assert (violation.path, violation.value) == ("currency", "USX")
    assert "ISO 4217" in violation.message


def test_dangling_references_to_unknown_ids_are_class_violations() -> None:
    """Without the referenced node in the input or graph, sh:class cannot hold."""
    record = dict(ALL_RECORDS[HOLDING], company="no-such-company")
    assert "Holding-company" in {v.rule for v in violations_of(record)}
