"""ontology/types: each value kind parses what publishers write and refuses what it cannot read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rdflib import XSD

from ontology.types import dates, identifiers, money, url


@pytest.mark.parametrize(
    ("text", "currency", "amount", "expected_currency"),
    [
        ("12,41 mill", "NOK", Decimal("12410000"), "NOK"),
        ("1,2 milliarder", "NOK", Decimal("1200000000"), "NOK"),
        ("NOK 1.48bn", None, Decimal("1480000000"), "NOK"),
        ("DKK17m", None, Decimal("17000000"), "DKK"),
        ("200 millionar", "NOK", Decimal("200000000"), "NOK"),
        ("3,5 Mrd. EUR", None, Decimal("3500000000"), "EUR"),
        ("1 241 058 528", "NOK", Decimal("1241058528"), "NOK"),
        ("1,241,058,528", None, Decimal("1241058528"), None),
        ("100 USD", "usd", Decimal("100"), "USD"),
        (1241058528, "NOK", Decimal("1241058528"), "NOK"),
    ],
)
def test_amounts_parse_with_scale_words_and_currencies(text, currency, amount, expected_currency):
    parsed = money.parse_amount(text, currency)
    assert parsed is not None
    assert parsed.amount == amount
    assert parsed.currency == expected_currency


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("12,41 apples", "neither a scale word"),
        ("USD 5m", "column holds NOK"),
        ("NOK 5 USD", "two currencies"),
        ("XYZ 5", "not an ISO 4217"),
        ("about 5", "not an amount"),
    ],
)
def test_amounts_with_unknown_text_are_refused(text, why):
    with pytest.raises(ValueError, match=why):
        money.parse_amount(text, "NOK")


def test_a_number_column_refuses_trailing_text_instead_of_truncating():
    with pytest.raises(ValueError, match="text 'mill' after the figure"):
        money.parse_number("12,41 mill")
    assert money.parse_number("1 241 058,5") == Decimal("1241058.5")
    assert money.parse_number("1.241.058,5") == Decimal("1241058.5")
    assert money.parse_number("-") is None
    with pytest.raises(ValueError, match="implausibly large"):
        money.parse_number("1e30")
    with pytest.raises(ValueError, match="finite"):
        money.parse_number(float("nan"))


def test_percentages_keep_their_sign():
    assert money.percent_to_fraction("-0,46") == Decimal("-0.0046")
    assert money.percent_to_fraction("0.32%") == Decimal("0.0032")


def test_numbers_convert_for_neo4j_and_rdf():
    assert money.to_neo4j(Decimal("12410000.00")) == 12410000
    assert isinstance(money.to_neo4j(Decimal("0.0032")), float)
    assert str(money.to_rdf(Decimal("1E+3"))) == "1000"
    assert money.to_rdf("x").datatype == XSD.decimal


@pytest.mark.parametrize(
    ("text", "parsed", "precision"),
    [
        ("2017", "2017", "year"),
        ("2017-04", "2017-04", "month"),
        ("2010-06-10T14:23:12Z", "2010-06-10", "day"),
    ],
)
def test_partial_dates_keep_their_precision(text, parsed, precision):
    assert dates.parse(text) == parsed
    assert dates.precision(parsed) == precision


@pytest.mark.parametrize("text", ["2015-02-31", "2017-13", "June 2017", "17"])
def test_impossible_or_unknown_dates_are_refused(text):
    with pytest.raises(ValueError):
        dates.parse(text)
    assert dates.lenient(text) is None


def test_full_dates_from_the_forms_tables_use():
    assert dates.parse_full("31.12.2019") == "2019-12-31"
    assert dates.parse_full("2019/12/31") == "2019-12-31"
    assert dates.parse_full(dt.datetime(2019, 12, 31, 10, 0)) == "2019-12-31"
    with pytest.raises(ValueError):
        dates.parse_full("2019")
    assert dates.to_neo4j(dt.date(2019, 12, 31)) == "2019-12-31"
    assert dates.to_rdf("2019").datatype == XSD.date


def test_identifiers_check_digits_and_forms():
    lei = "5493001KJTIIGC8Y1R" + identifiers.lei_check_digits("5493001KJTIIGC8Y1R")
    assert identifiers.valid_lei(lei)
    assert not identifiers.valid_lei(lei[:-1] + str((int(lei[-1]) + 1) % 10))
    assert identifiers.checked_isin(" cne100000pm8 ") == "CNE100000PM8"
    assert identifiers.checked_isin("CNE100000PM9") is None
    assert identifiers.isin_check_digit("US037833100") == "5"  # Apple
    assert identifiers.checked_qid("q42") == "Q42"
    assert identifiers.checked_qid("Q0") is None


def test_urls_are_absolute_http():
    assert url.parse(" https://example.org/a ") == "https://example.org/a"
    assert url.parse("example.org") is None
    assert url.parse("javascript:alert(1)") is None
    assert url.to_rdf("https://x.org").datatype == XSD.anyURI
