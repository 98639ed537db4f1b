"""Holdings tables: NBIM's columns and the generic layout, CSV and XLSX, streamed in batches."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from adapter_helpers import DATA, ingest, of_type, read_all, shared_sample

from core.dump import canonical_dump
from ingest.errors import IngestError
from ingest.source_holdings import as_of_from_name, fund_from_name, header_key, map_header


@pytest.mark.parametrize(
    "header",
    [
        "Market Value(NOK)",
        "Market Value NOK",
        "market value (nok)",
        "MARKET_VALUE_NOK",
        " Market  Value [NOK] ",
    ],
)
def test_header_variants_name_the_same_column(header):
    assert header_key(header) == "marketvaluenok"
    assert map_header(["Name", header]) == {0: "name", 1: "value_nok"}


def test_fund_and_date_come_from_the_file_name():
    assert as_of_from_name(Path("EQ_2019_Industry.xlsx")) == "2019-12-31"
    assert as_of_from_name(Path("EQ_2025_06_30_Industry.xlsx")) == "2025-06-30"
    assert as_of_from_name(Path("nbim_holdings_2018_2025.csv")) is None  # two years: ambiguous
    assert fund_from_name(Path("GPFG_EQ_2019.csv")) == "Government Pension Fund Global"


def test_nbim_columns_give_holdings_with_percentages_as_fractions():
    batches, records = read_all(DATA / "GPFG_EQ_2019_Industry.csv")
    assert (
        len(batches) == 1 and batches[0].final and batches[0].report["reviewStatus"] == "published"
    )
    holdings = {h["company"]: h for h in of_type(records, "Holding")}
    hik = holdings["company-hangzhou-hikvision-digital-technology"]
    assert hik["asOf"] == "2019-12-31" and hik["fund"] == "fund-government-pension-fund-global"
    assert hik["marketValue"] == Decimal("1241058528") and hik["currency"] == "NOK"
    assert hik["ownershipShare"] == Decimal("0.0032") and hik["marketValueUsd"] == Decimal(
        "141233203"
    )
    assert holdings["company-zhejiang-dahua-technology"]["votingShare"] == Decimal(
        "0.0035"
    )  # "0,35"
    assert (
        hik["evidence"][0]["locator"] == "row 2"
        and "HANGZHOU HIKVISION" in hik["evidence"][0]["quote"]
    )
    source = of_type(records, "Source")[0]
    assert source["sourceType"] == "dataset" and len(source["sha256"]) == 64
    assert records["company-equinor"]["country"] == "NO"


def test_generic_layout_uses_identifiers_for_company_ids():
    _, records = read_all(DATA / "holdings_generic.csv")
    assert records["isin-CNE100000PM8"]["isin"] == ["CNE100000PM8"]
    assert records["lei-3003008GT5N5ZQ1L7K68"]["lei"] == "3003008GT5N5ZQ1L7K68"
    holding = next(
        h for h in of_type(records, "Holding") if h["company"] == "lei-3003008GT5N5ZQ1L7K68"
    )
    assert holding["ownershipShare"] == Decimal("0.015") and holding["currency"] == "EUR"
    assert holding["asOf"] == "2020-06-30" and holding["fund"] == "fund-example-pension-fund"


def test_xlsx_reads_like_the_csv(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(
        ["Norges Bank Investment Management: all investments"]
    )  # a title row before the header
    sheet.append(
        [
            "Region",
            "Country",
            "Name",
            "Industry",
            "Market Value(NOK)",
            "Market Value(USD)",
            "Voting",
            "Ownership",
            "Incorporation Country",
        ]
    )
    sheet.append(
        [
            "Asia",
            "China",
            "Hangzhou Hikvision Digital Technology Co Ltd",
            "Industrials",
            1241058528,
            141233203,
            0.32,
            0.32,
            "China",
        ]
    )
    path = tmp_path / "EQ_2019_Industry.xlsx"
    book.save(path)
    _, records = read_all(path, fund="GPFG")
    (holding,) = of_type(records, "Holding")
    assert holding["asOf"] == "2019-12-31" and holding["ownershipShare"] == Decimal("0.0032")
    assert holding["evidence"][0]["locator"] == "row 3"


def test_streams_in_batches_with_final_only_on_the_last(tmp_path):
    path = tmp_path / "holdings.csv"
    rows = ["fund,company,as_of,value,currency"] + [
        f"F,Company {i} Ltd,2020-01-01,{i},USD" for i in range(7)
    ]
    path.write_text("\n".join(rows) + "\n")
    batches, records = read_all(path, batch_size=3)
    assert [b.final for b in batches] == [False, False, True]
    assert batches[0].report is not None and all(b.report is None for b in batches[1:])
    assert len({b.report_id for b in batches}) == 1 and len(of_type(records, "Holding")) == 7


def test_missing_fund_is_a_clear_error_and_the_option_fixes_it():
    with pytest.raises(IngestError) as exc:
        read_all(DATA / "holdings_no_fund.csv")
    assert (
        exc.value.problems[0].rule == "holdings-fund" and "--fund" in exc.value.problems[0].message
    )
    _, records = read_all(DATA / "holdings_no_fund.csv", fund="Some Fund", as_of="2021-12-31")
    assert of_type(records, "Holding")[0]["asOf"] == "2021-12-31"


def test_malformed_rows_are_rejected_naming_file_row_and_reason(neo4j_db, settings):
    before = canonical_dump(neo4j_db, settings.neo4j_database)
    result = ingest(neo4j_db, settings.neo4j_database, [DATA / "holdings_bad_value.csv"])
    assert not result.ok
    problems = {(p.record, p.rule, p.line) for p in result.problems}
    assert ("row 3", "holdings-number", 3) in problems and ("row 4", "holdings-name", 4) in problems
    assert all(p.file.endswith("holdings_bad_value.csv") for p in result.problems)
    assert canonical_dump(neo4j_db, settings.neo4j_database) == before


def test_reingest_changes_nothing_and_a_changed_file_sweeps_stale_rows(
    neo4j_db, settings, tmp_path
):
    db = settings.neo4j_database
    path = tmp_path / "GPFG_EQ_2019_Industry.csv"
    shutil.copy(DATA / "GPFG_EQ_2019_Industry.csv", path)
    first = ingest(neo4j_db, db, [path], batch_size=2)
    assert first.ok, first.problems
    dump = canonical_dump(neo4j_db, db)
    again = ingest(neo4j_db, db, [path], batch_size=2)
    assert again.summary.changes == 0 and canonical_dump(neo4j_db, db) == dump
    path.write_text("\n".join(path.read_text().splitlines()[:2]) + "\n")  # keep only Hikvision
    ingest(neo4j_db, db, [path])
    rows, _, _ = neo4j_db.execute_query("MATCH (h:Holding) RETURN h.id AS id", database_=db)
    assert [r["id"] for r in rows] == [  # derived from (fund, company, as-of): ingest.fact_keys
        "holding-fund-government-pension-fund-global-company-hangzhou-hikvision-digital-technology-2019-12-31"
    ]


def test_shared_nbim_extract_loads_every_year(neo4j_db, settings):
    path = shared_sample("holdings", "nbim_gpfg_selected_holdings_2018_2025.csv")
    result = ingest(neo4j_db, settings.neo4j_database, [path])
    assert result.ok, result.problems
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (:Fund)-[:HOLDS]->(h:Holding)-[:IN]->(c:Company) WHERE c.name CONTAINS 'Hikvision' "
        "RETURN h.asOf AS asOf, h.marketValue AS value, h.ownershipShare AS share ORDER BY asOf",
        database_=settings.neo4j_database,
    )
    assert [(r["asOf"], r["value"], r["share"]) for r in rows] == [
        ("2018-12-31", 953904167, 0.0032),
        ("2019-12-31", 1241058528, 0.0032),
    ]
    (count,) = neo4j_db.execute_query(
        "MATCH (h:Holding) RETURN count(h) AS n", database_=settings.neo4j_database
    )[0]
    assert count["n"] == 12


# NBIM's half-year file of 2025, as published: sheet "Holdings Report", no fund and no date
# column (the file name carries the date), empty cells left out, three short positions.
NBIM_HEADER = (
    "Industry",
    "Region",
    "Country",
    "Name",
    "Market Value(NOK)",
    "Market Value(USD)",
    "Voting",
    "Ownership",
    "Incorporation Country",
)
NBIM_2025_ROWS = [
    ("Technology", "Asia", "China", "Iflytek Co Ltd", 50057046, 5780827, 0.08, 0.08, "China"),
    ("Basic Materials", "Europe", "Spain", "Acerinox SA", 780869918, 88863464, 2.91, 2.91, "Spain"),
    ("Industrials", "Europe", "Sweden", "Short One AB", 1520000, 150000, None, -0.46, "Sweden"),
    ("Financials", "Europe", "Norway", "Short Two ASA", 2300000, 230000, -0.38, -0.38, "Norway"),
    ("Energy", "Americas", "Canada", "Short Three Inc", 990000, 99000, -0.15, -0.15, "Canada"),
]


def nbim_workbook(path: Path, rows=NBIM_2025_ROWS) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Holdings Report"
    sheet.append(NBIM_HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_short_positions_load_with_their_sign_and_a_flag(tmp_path):
    path = nbim_workbook(tmp_path / "EQ_2025_06_30_Industry.xlsx")
    _, records = read_all(path, fund="Government Pension Fund Global")
    holdings = {
        h["name"].split(" in ", 1)[1].rsplit(",", 1)[0]: h for h in of_type(records, "Holding")
    }
    assert len(holdings) == 5
    short = holdings["Short One AB"]
    assert short["ownershipShare"] == Decimal("-0.0046") and short["shortPosition"] is True
    assert "votingShare" not in short  # the empty cell stays empty
    assert holdings["Short Three Inc"]["votingShare"] == Decimal("-0.0015")
    assert "shortPosition" not in holdings["Acerinox SA"]
    assert {h["asOf"] for h in holdings.values()} == {"2025-06-30"}


def test_a_short_position_file_is_ingested_whole(tmp_path, neo4j_db, settings):
    path = nbim_workbook(tmp_path / "EQ_2025_06_30_Industry.xlsx")
    result = ingest(
        neo4j_db, settings.neo4j_database, [path], fund="Government Pension Fund Global"
    )
    assert result.ok, [str(p) for p in result.problems]
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (h:Holding {shortPosition: true}) RETURN h.ownershipShare AS share ORDER BY share",
        database_=settings.neo4j_database,
    )
    assert [r["share"] for r in rows] == [-0.0046, -0.0038, -0.0015]


def test_an_nbim_file_of_any_year_needs_only_the_fund(tmp_path):
    path = nbim_workbook(tmp_path / "EQ_2016_Industry.xlsx", NBIM_2025_ROWS[:2])
    with pytest.raises(IngestError) as exc:
        read_all(path)
    assert "--fund" in exc.value.problems[0].message
    _, records = read_all(path, fund="GPFG")
    assert {h["asOf"] for h in of_type(records, "Holding")} == {"2016-12-31"}


def test_a_generic_isin_sheet_maps_by_its_header_and_reads_amounts():
    _, records = read_all(DATA / "holdings_generic_isin_sheet.csv", fund="Example Fund")
    holdings = {h["company"]: h for h in of_type(records, "Holding")}
    assert holdings["isin-CNE100000PM8"]["marketValue"] == Decimal("12410000")
    assert holdings["isin-NO0010096985"]["marketValue"] == Decimal("1200000000")
    apple = holdings["isin-US0378331005"]
    assert apple["marketValue"] == Decimal("1480000000") and apple["currency"] == "USD"
    assert {h["asOf"] for h in holdings.values()} == {"2020-06-30"}


def test_a_value_with_text_that_is_no_unit_is_refused_not_truncated(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text('Fund,Name,Value,Currency,As Of\nF,Acme,"12,41 apples",NOK,2020-06-30\n')
    with pytest.raises(IngestError) as exc:
        read_all(path)
    problem = exc.value.problems[0]
    assert problem.rule == "holdings-number" and "'apples'" in problem.message


@pytest.mark.parametrize("fmt", [None, "holdings"])
def test_a_misspelt_header_lists_the_columns_and_suggests(fmt):
    with pytest.raises(IngestError) as exc:
        read_all(DATA / "holdings_misspelt_header.csv", fmt)
    message = exc.value.problems[0].message
    assert "'Fund', 'Compnay', 'ISN', 'Market Value(NOK)', 'As Of'" in message
    assert """'Compnay' (did you mean "Company"?)""" in message
    assert "read 'Fund' as the fund, 'Market Value(NOK)' as the value in NOK" in message
    assert """'ISN' (did you mean "ISIN"?)""" in message
