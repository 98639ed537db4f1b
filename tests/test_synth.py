"""The one synthetic generator: `rightsgraph synth` writes a deterministic, realistic graph that
ingests without problems; small graphs in memory and one-fund holdings tables for the tests."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from helpers import label_counts
from typer.testing import CliRunner

from ingest.adapters import adapter_for
from ingest.pipeline import ingest_paths
from ontology.identifiers import valid_isin, valid_lei
from ontology.model import load_model
from ontology.records import check_record
from ontology.types import sharing
from ontology.validate import validate_records
from rightsgraph.cli import app
from rightsgraph.synth import (
    MAX_OWNERSHIP_DEPTH,
    Synth,
    SynthConfig,
    generate_records,
    generate_report,
    write_fund_holdings,
    write_synth,
)

SMALL = SynthConfig(
    funds=4, companies=120, holdings=700, contracts=60, regions=40, seed=7, chunk=80
)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    write_synth(SMALL, tmp_path / "a")
    result = CliRunner().invoke(
        app,
        [
            "synth",
            "-o",
            str(tmp_path / "b"),
            "--funds",
            "4",
            "--companies",
            "120",
            "--holdings",
            "700",
            "--contracts",
            "60",
            "--regions",
            "40",
            "--seed",
            "7",
            "--chunk",
            "80",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "holding rows" in result.output
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    write_synth(SynthConfig(**{**SMALL.__dict__, "seed": 8}), tmp_path / "c")
    assert _files(tmp_path / "c")["3-holdings.csv"] != _files(tmp_path / "a")["3-holdings.csv"]


def test_holdings_are_distinct_power_law_rows_with_valid_identifiers(tmp_path: Path) -> None:
    config = SynthConfig(funds=8, companies=2000, holdings=2000, seed=3)
    write_synth(config, tmp_path)
    with (tmp_path / "3-holdings.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2000
    assert len({(r["fund"], r["isin"], r["as_of"]) for r in rows}) == 2000
    assert all(valid_isin(r["isin"]) and valid_lei(r["lei"]) for r in rows)
    per_fund = sorted(Counter(r["fund"] for r in rows).values(), reverse=True)
    assert per_fund[0] > 3 * per_fund[-1]  # a few funds hold most
    per_company = sorted(Counter(r["isin"] for r in rows).values(), reverse=True)
    assert per_company[0] > 3 * per_company[len(per_company) // 2]


def test_ownership_trees_are_at_most_four_deep() -> None:
    synth = Synth(SynthConfig(companies=2000, seed=1))
    parent = {r["owned"]: r["owner"] for r in synth.ownership_records()}
    assert len(parent) == 2000 - synth.n_listed

    def depth(node: str) -> int:
        return 1 + depth(parent[node]) if node in parent else 0

    depths = Counter(depth(child) for child in parent)
    assert max(depths) == MAX_OWNERSHIP_DEPTH
    assert min(depths) == 1


def test_contracts_concentrate_in_hot_provinces() -> None:
    synth = Synth(SynthConfig(contracts=500, regions=300, seed=2))
    places = Counter(
        r["awards"][0]["items"][0]["deliveryAddresses"][0]["region"] for r in synth.ocds_releases()
    )
    hot = {synth.provinces[p].record["iso3166"] for p in synth.hot_provinces}
    assert sum(n for code, n in places.items() if code in hot) > 0.6 * 500
    assert len(hot) < 0.2 * len(synth.provinces)


def test_synthetic_graph_ingests_without_problems(tmp_path: Path, neo4j_db, settings) -> None:
    summary = write_synth(SMALL, tmp_path)
    result = ingest_paths([tmp_path], neo4j_db, database=settings.neo4j_database)
    assert result.ok, [str(p) for p in result.problems[:5]]
    synth = Synth(SMALL)
    buyers = {
        json.loads(line)["parties"][0]["identifier"]["id"]
        for line in (tmp_path / "4-contracts.jsonl").read_text(encoding="utf-8").splitlines()
    }
    reports = [f for f in summary.files if f.suffix == ".yaml"]
    counts = label_counts(neo4j_db, settings.neo4j_database)
    assert {label: counts[label] for label in EXPECTED_LABELS} == {
        "Fund": SMALL.funds,
        "Company": SMALL.companies,
        "Holding": SMALL.holdings,
        "Contract": SMALL.contracts,
        "Region": SMALL.regions,
        "Ownership": SMALL.companies - synth.n_listed,
        "Allegation": summary.records["Allegation"],
        "CivilSocietyOrganization": synth.n_csos,
        "GovernmentBody": len(buyers),
        "Source": len(reports) + 2,  # one per report, the holdings file and the OCDS file
        "Report": len(reports) + 2,
    }
    assert summary.records["Allegation"] >= 1
    again = ingest_paths([tmp_path], neo4j_db, database=settings.neo4j_database)
    assert again.ok and not again.summary.created and not again.summary.updated


EXPECTED_LABELS = (
    "Fund",
    "Company",
    "Holding",
    "Contract",
    "Region",
    "Ownership",
    "Allegation",
    "CivilSocietyOrganization",
    "GovernmentBody",
    "Source",
    "Report",
)


@pytest.mark.parametrize(
    "args", [["--regions", "1"], ["--allegations-pct", "120"], ["--funds", "0"]], ids=str
)
def test_bad_options_are_refused(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, ["synth", "-o", str(tmp_path), *args])
    assert result.exit_code != 0


# ---------------------------------------------------------------------- records in memory


def test_generated_records_are_deterministic_valid_and_use_the_ontologys_vocabularies() -> None:
    model = load_model()
    doc = generate_report(units=30, seed=4, prefix="v", levels=sharing.levels())
    assert doc == generate_report(units=30, seed=4, prefix="v", levels=sharing.levels())
    assert doc["tlp"] == sharing.most_open()
    records = doc["@graph"]
    harms = set(model.vocabulary("HarmCategories").concepts)
    statuses = set(model.vocabulary("AllegationStatuses").concepts)
    allegations = [r for r in records if r["type"] == "Allegation"]
    assert allegations and all(set(r["harmCategory"]) <= harms for r in allegations)
    assert {r["status"] for r in allegations} <= statuses
    assert {r["tlp"] for r in records if "tlp" in r} <= set(sharing.levels())
    report = {k: v for k, v in doc.items() if k not in ("@context", "@graph")}
    checked = [check_record(r) for r in [report, *records]]
    assert validate_records(checked) == []


def test_generated_identifiers_are_valid_and_differ_between_prefixes() -> None:
    first, second = generate_records(20, prefix="a"), generate_records(20, prefix="b")
    leis = [[r["lei"] for r in rs if "lei" in r] for rs in (first, second)]
    assert all(valid_lei(x) for x in leis[0] + leis[1])
    assert len(set(leis[0])) == len(leis[0]) and not set(leis[0]) & set(leis[1])
    assert all(valid_isin(i) for r in first if "isin" in r for i in r["isin"])


def test_unknown_sharing_levels_are_refused() -> None:
    with pytest.raises(ValueError, match="PURPLE"):
        generate_records(2, levels=("GREEN", "PURPLE"))


def test_fund_holdings_table_reads_as_one_funds_holdings(tmp_path: Path) -> None:
    path = write_fund_holdings(tmp_path / "h.csv", companies=7, dates=3, fund="F", first_year=2010)
    batches = list(adapter_for(path, None).read(path))
    holdings = [r for b in batches for r in b.records if r["type"] == "Holding"]
    assert len(holdings) == 21 and {h["asOf"] for h in holdings} == {
        "2010-12-31",
        "2011-12-31",
        "2012-12-31",
    }
    assert len({h["company"] for h in holdings}) == 7
