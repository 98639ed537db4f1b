"""The fast validator gives pyshacl's verdicts — the same set of Violations — on the bundled
reports, on invalid variants of their records and on random mutations of them; and its compiler
refuses any shape it does not implement."""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from decimal import Decimal, InvalidOperation

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
    bundled_types,
    drop,
    known_for,
    report_records,
    set_to,
)
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef

from ontology.fast_validate import ShapeCompileError, compile_shapes, fast_validate
from ontology.model import SHAPES_FILE, load_model
from ontology.records import Record, RecordError, check_record
from ontology.validate import SH, validate_records

MODEL = load_model()
RECORDS = bundled_records()
CLASS_OF = bundled_types()


@pytest.fixture(autouse=True)
def _quiet_rdflib():
    """rdflib logs a traceback for every ill-typed literal; these tests make many on purpose."""
    logging.disable(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield
    logging.disable(logging.NOTSET)


def both(records: list[Record], known: dict[str, str] | None = None) -> tuple[list, list]:
    return validate_records(records, known, engine="pyshacl"), fast_validate(records, known)


def alone(record: Record) -> tuple[list, list]:
    """One record validated against the bundled records it refers to."""
    checked = check_record(record)
    return both([checked], known_for(checked))


@pytest.mark.parametrize("path", [SEED, DOCUMENTED], ids=lambda p: p.stem)
def test_bundled_reports_conform_in_both_validators(path) -> None:
    assert both(report_records(path)) == ([], [])


INVALID = [
    ("fact-without-evidence", DEMAND, drop("evidence")),
    ("negative-amount", CONTRACT, set_to("amountMin", -5)),
    ("minus-infinity-amount", CONTRACT, set_to("amountMin", "-Infinity")),
    ("unknown-currency", CONTRACT, set_to("currency", "USX")),
    ("amount-without-currency", CONTRACT, drop("currency")),
    ("bad-lei-check-digits", "hikvision", set_to("lei", VALID_LEI[:-2] + "00")),
    ("lei-wrong-length", "hikvision", set_to("lei", "5493001KJ")),
    ("bad-isin-check-digit", "hikvision", set_to("isin", [VALID_ISIN, VALID_ISIN[:-1] + "1"])),
    ("isin-wrong-form", "hikvision", set_to("isin", ["cne100000pm8"])),
    ("ownership-share-above-1", OWNERSHIP, set_to("share", 38.88)),
    ("ownership-share-not-a-number", OWNERSHIP, set_to("share", "a third")),
    ("holding-share-as-percent", HOLDING, set_to("ownershipShare", 32)),
    ("negative-market-value", HOLDING, set_to("marketValue", -1)),
    ("unknown-harm-category", ALLEGATION, set_to("harmCategory", ["bad vibes!"])),
    ("unknown-status", ALLEGATION, set_to("status", "rumoured")),
    ("two-statuses", ALLEGATION, set_to("status", ["alleged", "withdrawn"])),
    ("allegation-without-target", ALLEGATION, drop("against")),
    ("allegation-against-a-region", ALLEGATION, set_to("against", ["xinjiang"])),
    ("holding-without-as-of", HOLDING, drop("asOf")),
    ("holding-impossible-date", HOLDING, set_to("asOf", "2019-02-30")),
    ("holding-partial-as-of", HOLDING, set_to("asOf", "2019-12")),
    ("month-13-start-date", CONTRACT, set_to("startDate", "2016-13")),
    ("holding-two-funds", HOLDING, set_to("fund", ["gpfg", "hikvision"])),
    ("holding-fund-is-a-company", HOLDING, set_to("fund", "dahua")),
    ("holding-in-itself", HOLDING, set_to("company", HOLDING)),
    ("dangling-reference", HOLDING, set_to("company", "no-such-company")),
    ("held-not-boolean", HOLDING, set_to("held", "maybe")),
    ("bad-tlp", DEMAND, set_to("tlp", "YELLOW")),
    ("bad-url", SOURCE, set_to("url", "scandasia.com/article")),
    ("url-with-space", SOURCE, set_to("url", "https://example.org/a b")),
    ("bad-qid", "xinjiang", set_to("wikidataId", "Q0148")),
    ("qid-as-url", "xinjiang", set_to("wikidataId", "http://www.wikidata.org/entity/Q34800")),
    ("country-not-iso", "gpfg", set_to("country", "Norway")),
    ("two-names", "hikvision", set_to("name", ["Hikvision", "Hangzhou Hikvision"])),
    ("empty-name", "hikvision", set_to("name", "")),
    (
        "evidence-from-a-company",
        DEMAND,
        set_to("evidence", [{"source": "hikvision", "quote": "x"}]),
    ),
    ("evidence-empty-quote", DEMAND, set_to("evidence", [{"source": SOURCE, "quote": ""}])),
    ("evidence-without-source", DEMAND, set_to("evidence", [{"quote": "x", "locator": "p. 1"}])),
    ("retrieved-not-a-date", SOURCE, set_to("retrieved", "yesterday")),
    ("bad-sha256", SOURCE, set_to("sha256", "5F4BED40")),
    ("unknown-review-status", "report-seed-open-letter", set_to("reviewStatus", "draft")),
]


@pytest.mark.parametrize(
    ("record_id", "mutate"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_variant_gets_pyshacls_violations(record_id: str, mutate) -> None:
    record = dict(RECORDS[record_id])
    mutate(record)
    reference, fast = alone(record)
    assert reference, "the variant must be invalid"
    assert fast == reference


def test_two_records_with_one_id_are_one_node() -> None:
    """In RDF one id is one node: its values join (two names break maxCount), its types add up."""
    company = check_record(dict(RECORDS["hikvision"]))
    fund = check_record({"id": "hikvision", "type": "Fund", "name": "Hikvision Fund"})
    reference, fast = both([company, fund], {"hangzhou": "Region"})
    assert reference and fast == reference


def test_well_typed_after_rdflib_normalisation_conforms_in_both() -> None:
    """rdflib reads "1" as the boolean true and "2019-12-31Z" as a date: both conform."""
    record = dict(RECORDS[HOLDING], held="1", asOf="2019-12-31Z", marketValue=" 1e3 ")
    assert alone(record) == ([], [])


def test_nan_amount_is_a_violation_where_pyshacl_fails() -> None:
    """pyshacl raises on a NaN decimal (it orders NaN against the bound); we report it."""
    record = check_record(dict(RECORDS[CONTRACT], amountMin="NaN"))
    known = known_for(record)
    with pytest.raises(InvalidOperation):
        validate_records([record], known, engine="pyshacl")
    assert [(v.rule, v.value) for v in fast_validate([record], known)] == [
        ("Fact-amountMin", "NaN")
    ]


def test_validate_records_uses_the_fast_engine_by_default() -> None:
    record = check_record(dict(RECORDS[HOLDING], asOf="2019-12"))
    assert validate_records([record], CLASS_OF) == fast_validate([record], CLASS_OF)
    with pytest.raises(ValueError, match="engine"):
        validate_records([record], CLASS_OF, engine="other")  # type: ignore[arg-type]


# ---------------------------------------------------------------------- random mutations

IDS = sorted(RECORDS)
TEXT = st.text(
    # backslashes are left out: pyshacl puts values into SPARQL messages with re.sub, which
    # reads them as escapes; we substitute them as written
    alphabet=st.characters(exclude_characters="\\", exclude_categories=("Cs",)),
    max_size=12,
)
SCALAR = st.one_of(
    TEXT,
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1.5",
            "true",
            "2019-12-31",
            "2019-13",
            "USD",
            "GREEN",
            "Q42",
            "CN",
            "CN-XJ",
            "https://example.org/x",
            VALID_LEI,
            VALID_ISIN,
            "alleged",
            "forced-labour",
            "article",
            "divest",
            "SZSE:002415",
            "a:b",
        ]
    ),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, width=32),
    st.decimals(allow_nan=False, places=4),
    st.booleans(),
    st.dates(),
)
EDGE = st.fixed_dictionaries(
    {},
    optional={
        "source": st.one_of(st.sampled_from(IDS), st.just("no-such-source"), SCALAR),
        "quote": SCALAR,
        "locator": SCALAR,
    },
)


def _value_for(key: str, record_type: str) -> st.SearchStrategy:
    spec = MODEL.properties_of(record_type)[key]
    if spec.kind in ("link", "idlist"):
        ref = st.sampled_from([*IDS, "no-such-id"])
        return st.one_of(ref, st.lists(ref, max_size=3))
    if spec.kind == "edge":
        return st.lists(EDGE, max_size=3)
    return st.one_of(SCALAR, st.lists(SCALAR, max_size=3))


@st.composite
def mutated(draw) -> Record:
    record = dict(draw(st.sampled_from(list(RECORDS.values()))))
    keys = sorted(MODEL.properties_of(record["type"]))
    present = sorted(k for k in record if k not in ("id", "type"))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["drop", "set", "duplicate", "retarget"]))
        if kind == "drop" and present:
            record.pop(draw(st.sampled_from(present)), None)
        elif kind == "set":
            key = draw(st.sampled_from(keys))
            record[key] = draw(_value_for(key, record["type"]))
        elif kind == "duplicate":
            single = [k for k in present if k in record and not MODEL.properties[k].multiple]
            if single:
                key = draw(st.sampled_from(single))
                record[key] = [record[key], draw(st.one_of(st.just(record[key]), SCALAR))]
        elif kind == "retarget" and (
            links := [k for k in keys if MODEL.properties[k].kind == "link"]
        ):
            key = draw(st.sampled_from(links))
            wanted = MODEL.properties[key].range
            others = [i for i in IDS if not MODEL.cls(CLASS_OF[i]).is_a(wanted)]
            record[key] = draw(st.sampled_from(others))
    return record


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_random_mutations_get_pyshacls_violations(record: Record) -> None:
    try:
        checked = check_record(record)
    except RecordError:
        assume(False)
        return
    note(repr(checked))
    known = known_for(checked)
    try:
        reference = validate_records([checked], known, engine="pyshacl")
    except InvalidOperation:  # a NaN decimal from random text: see test_nan_amount_...
        assume(False)
        return
    assert fast_validate([checked], known) == reference


# ---------------------------------------------------------------------- the compiler


def _shapes_with(extra: str) -> Graph:
    graph = Graph()
    graph.parse(SHAPES_FILE, format="turtle")
    graph.parse(data=PREFIXES + extra, format="turtle")
    return graph


PREFIXES = """
@prefix rg: <https://w3id.org/rightsgraph/ontology#> .
@prefix rgsh: <https://w3id.org/rightsgraph/shapes#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def test_the_shipped_shapes_compile() -> None:
    compiled = compile_shapes(_shapes_with(""), MODEL)
    assert {s.name for s in compiled.by_class["Company"]} == {
        "Node",
        "Actor",
        "Organization",
        "Company",
    }


REFUSED = {
    "maxLength": "rgsh:Node-name sh:maxLength 200 .",
    "severity": "rgsh:Node-note sh:severity sh:Warning .",
    "or": "rgsh:Company sh:or ( rgsh:Company-isin rgsh:Company-ticker ) .",
    "sequence-path": (
        "rgsh:Company sh:property rgsh:C-a . rgsh:C-a sh:path ( rg:alias rg:name ) ;"
        ' sh:message "x" .'
    ),
    "integer-datatype": (
        "rgsh:Company sh:property rgsh:C-b . rgsh:C-b sh:path rg:name ;"
        ' sh:datatype xsd:int ; sh:message "x" .'
    ),
    "no-message": "rgsh:Company sh:property rgsh:C-c . rgsh:C-c sh:path rg:name ; sh:minCount 1 .",
    "unknown-sparql": (
        "rgsh:Company sh:sparql rgsh:C-new . rgsh:C-new a sh:SPARQLConstraint ;"
        ' sh:message "x" ; sh:select "SELECT $this WHERE { }" .'
    ),
    "node-on-a-link": "rgsh:Holding-fund sh:node rgsh:Fund .",
    "targetNode": "rgsh:Extra a sh:NodeShape ; sh:targetNode rg:Company .",
    "unused-shape": "rgsh:Stray sh:path rg:name .",
}


@pytest.mark.parametrize("extra", REFUSED.values(), ids=REFUSED.keys())
def test_compiler_refuses_what_it_does_not_implement(extra: str) -> None:
    with pytest.raises(ShapeCompileError):
        compile_shapes(_shapes_with(extra), MODEL)


def test_sparql_implementation_must_match_its_query() -> None:
    graph = _shapes_with("")
    node = URIRef("https://w3id.org/rightsgraph/shapes#Organization-leiCheckDigits")
    graph.set((node, SH.select, Literal("SELECT $this ?value WHERE { $this rg:isin ?value }")))
    with pytest.raises(ShapeCompileError, match="no longer mentions"):
        compile_shapes(graph, MODEL)


def test_values_of_any_python_kind_compare_alike() -> None:
    """Decimal, float, int and str of one number are one value; a date object is its ISO text."""
    record = dict(RECORDS[HOLDING], marketValue=Decimal("5.50"), asOf=dt.date(2019, 12, 31))
    assert alone(record) == ([], [])
