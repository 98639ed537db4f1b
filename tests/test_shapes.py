"""The SHACL shapes hold the evidence rules: the bundled reports conform, and each broken rule is
reported by its name (the shape's IRI), on the record that breaks it."""

from __future__ import annotations

import pytest
from helpers import (
    ALLEGATION,
    CONTRACT,
    DEMAND,
    DOCUMENTED,
    HOLDING,
    OWNERSHIP,
    SEED,
    SOURCE,
    VALID_ISIN,
    VALID_LEI,
    bundled_records,
    drop,
    known_for,
    report_records,
    set_to,
)

from ontology.records import Record, check_record
from ontology.validate import validate_records

ALL_RECORDS = bundled_records()


def violations_of(record: Record) -> list:
    """Validate one record; the ids it refers to stand in the graph as typed stubs."""
    return validate_records([check_record(record)], known_for(record))


@pytest.mark.parametrize("path", [SEED, DOCUMENTED], ids=lambda p: p.stem)
def test_bundled_report_conforms(path) -> None:
    assert validate_records(report_records(path)) == []


def test_valid_identifiers_conform() -> None:
    company = {**ALL_RECORDS["hikvision"], "lei": VALID_LEI, "isin": [VALID_ISIN]}
    assert violations_of(company) == []


# (name, record id, mutation, the rules the violations must name — exactly)
INVALID = [
    ("fact-without-evidence", DEMAND, drop("evidence"), {"Fact-evidence"}),
    ("negative-amount", CONTRACT, set_to("amountMin", -5), {"Fact-amountMin"}),
    ("unknown-currency", CONTRACT, set_to("currency", "USX"), {"Fact-currency"}),
    ("amount-without-currency", CONTRACT, drop("currency"), {"Fact-amountHasCurrency"}),
    (
        "bad-lei-check-digits",
        "hikvision",
        set_to("lei", VALID_LEI[:-2] + "00"),
        {"Organization-leiCheckDigits"},
    ),
    (
        "lei-wrong-length",
        "hikvision",
        set_to("lei", "5493001KJ"),
        {"Organization-lei"},  # the form's rule; check digits are checked on well-formed LEIs
    ),
    (
        "bad-isin-check-digit",
        "hikvision",
        set_to("isin", [VALID_ISIN[:-1] + "1"]),
        {"Company-isinCheckDigit"},
    ),
    ("ownership-share-above-1", OWNERSHIP, set_to("share", 38.88), {"Ownership-share"}),
    ("holding-share-as-percent", HOLDING, set_to("ownershipShare", 32), {"Holding-ownershipShare"}),
    ("negative-market-value", HOLDING, set_to("marketValue", -1), {"Holding-marketValue"}),
    (
        "unknown-harm-category",
        ALLEGATION,
        set_to("harmCategory", ["bad-vibes"]),
        {"Allegation-harmCategory"},
    ),
    ("unknown-status", ALLEGATION, set_to("status", "rumoured"), {"Allegation-status"}),
    ("two-statuses", ALLEGATION, set_to("status", ["alleged", "withdrawn"]), {"Allegation-status"}),
    ("allegation-without-target", ALLEGATION, drop("against"), {"Allegation-against"}),
    (
        "allegation-against-a-region",
        ALLEGATION,
        set_to("against", ["xinjiang"]),
        {"Allegation-against"},
    ),
    ("holding-without-date", HOLDING, drop("asOf"), {"Holding-asOf"}),
    ("holding-impossible-date", HOLDING, set_to("asOf", "2019-02-30"), {"Holding-asOf"}),
    ("holding-partial-asof", HOLDING, set_to("asOf", "2019-12"), {"Holding-asOf"}),
    ("partial-date-month-13", CONTRACT, set_to("startDate", "2016-13"), {"Fact-startDate"}),
    ("holding-two-funds", HOLDING, set_to("fund", ["gpfg", "nbim"]), {"Holding-fund"}),
    ("holding-fund-is-a-company", HOLDING, set_to("fund", "dahua"), {"Holding-fund"}),
    ("held-not-boolean", HOLDING, set_to("held", "maybe"), {"Holding-held"}),
    ("bad-wikidata-qid", "china", set_to("wikidataId", "Q0148"), {"Node-wikidataId"}),
    ("wikidata-url-not-qid", "china", set_to("wikidataId", "wd:Q148"), {"Node-wikidataId"}),
    (
        "evidence-from-a-company",
        DEMAND,
        set_to("evidence", [{"source": "hikvision", "quote": "x"}]),
        {"Evidence-source", "Node-evidence"},
    ),
    (
        "evidence-with-empty-quote",
        DEMAND,
        set_to("evidence", [{"source": SOURCE, "quote": ""}]),
        {"Evidence-quote", "Node-evidence"},
    ),
    (
        "evidence-with-empty-locator",
        DEMAND,
        set_to("evidence", [{"source": SOURCE, "quote": "x", "locator": ""}]),
        {"Evidence-locator", "Node-evidence"},
    ),
    ("demand-without-target", DEMAND, drop("target"), {"Demand-target"}),
    ("unknown-demand-type", DEMAND, set_to("demandType", "boycott"), {"Demand-demandType"}),
    ("bad-tlp-level", DEMAND, set_to("tlp", "YELLOW"), {"Node-tlp"}),
    ("country-not-iso", "gpfg", set_to("country", "Norway"), {"Node-country"}),
    ("bad-url", SOURCE, set_to("url", "scandasia.com/article"), {"Source-url"}),
    ("bad-sha256", SOURCE, set_to("sha256", "5F4BED40"), {"Source-sha256"}),
    ("unknown-source-type", SOURCE, set_to("sourceType", "tweet"), {"Source-sourceType"}),
    ("source-without-title", SOURCE, drop("name"), {"Source-name"}),
    ("bad-identifier-form", "hikvision", set_to("identifier", ["002415"]), {"Node-identifier"}),
    (
        "unknown-review-status",
        "report-seed-open-letter",
        set_to("reviewStatus", "draft"),
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


def test_evidence_without_a_locator_or_quote_conforms() -> None:
    """A web article's quote has no page, a register entry no quote: neither is required
    (docs/case-report-format.md); the Source is."""
    record = dict(ALL_RECORDS[DEMAND])
    record["evidence"] = [{"source": SOURCE, "quote": "x"}, {"source": SOURCE}]
    assert violations_of(record) == []


def test_violation_names_path_and_value() -> None:
    record = dict(ALL_RECORDS[CONTRACT], currency="USX")
    (violation,) = violations_of(record)
    assert (violation.path, violation.value) == ("currency", "USX")
    assert "ISO 4217" in violation.message


def test_dangling_references_to_unknown_ids_are_class_violations() -> None:
    """Without the referenced node in the input or graph, sh:class cannot hold."""
    record = dict(ALL_RECORDS[HOLDING], company="no-such-company")
    assert "Holding-company" in {v.rule for v in violations_of(record)}
