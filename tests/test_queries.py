"""The named Cypher queries, run directly through the driver, on the seed case, the documented
case and the API test fixture (tests/data/api/portfolio-additions.yaml)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from graph_fixture import ADDITIONS, load_reports
from helpers import DOCUMENTED, SEED
from neo4j import Driver

import queries
from api.fulltext import lucene_query
from api.settings import TLP_LEVELS

ALL = list(TLP_LEVELS)
PARAM = re.compile(r"^//\s+:param (\w+) => (.+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def graph(driver: Driver, settings) -> Driver:
    load_reports(driver, settings.neo4j_database, [SEED, DOCUMENTED, ADDITIONS])
    return driver


def run(graph: Driver, name: str, **params: Any) -> list[dict[str, Any]]:
    rows, _, _ = graph.execute_query(queries.load(name), params, routing_="r")
    return [r.data() for r in rows]


def exposure(graph: Driver, **params: Any) -> dict[str, Any]:
    defaults = {
        "region": None,
        "as_of": None,
        "ownership_hops": 0,
        "tlp": ALL,
        "as_known_on": None,
        "offset": 0,
        "limit": 100,
    }
    (row,) = run(graph, "exposure", **{**defaults, **params})
    return row


def header_params(graph: Driver, name: str) -> dict[str, Any]:
    """The `:param` lines of a query's header, each value evaluated as Cypher by Neo4j."""
    params = {}
    for key, literal in PARAM.findall(queries.load(name)):
        rows, _, _ = graph.execute_query(f"RETURN {literal} AS v")
        params[key] = rows[0]["v"]
    return params


# ---------------------------------------------------------------------- every file


@pytest.mark.parametrize("name", queries.names())
def test_query_file_documents_its_parameters_and_runs_with_them(graph: Driver, name: str) -> None:
    text = queries.load(name)
    assert text.startswith(f"// {name}:")
    assert "Parameters:" in text and "Returns" in text and "cypher-shell:" in text
    params = header_params(graph, name)
    used = set(re.findall(r"\$(\w+)", text.split("\n\n", 1)[1]))  # the Cypher after the header
    assert used <= set(params), f"{name}: parameters without a :param example: {used - set(params)}"
    rows = run(graph, name, **params)
    assert rows, f"{name} returned no row for its own example parameters"


def test_loader_rejects_unknown_and_malformed_names() -> None:
    for bad in ("nope", "../exposure", "exposure.cypher", ""):
        with pytest.raises(KeyError):
            queries.load(bad)


# ---------------------------------------------------------------------- exposure


def test_exposure_as_of_end_2019_reaches_both_companies_with_claim_allegation_and_quotes(
    graph: Driver,
) -> None:
    row = exposure(graph, fund="gpfg", region="xinjiang", as_of="2019-12-31")
    paths = row["paths"]
    assert {p["company"]["id"] for p in paths} == {"hikvision", "dahua"}
    claim = "contracts-xinjiang-hikvision-dahua-since-2016"
    for company in ("hikvision", "dahua"):
        via_claim = [
            p for p in paths if p["company"]["id"] == company and p["contract"]["id"] == claim
        ]
        assert via_claim, f"{company} lacks the open letter's contract claim"
        path = via_claim[0]
        assert (
            path["contract"]["amountMin"] == 1_000_000_000 and path["contract"]["aggregate"] is True
        )
        assert any(
            "won more than $1 billion" in (e["quote"] or "") for e in path["contract"]["evidence"]
        )
        letter = next(
            a
            for a in path["allegations"]
            if a["id"] == "allegation-open-letter-hikvision-dahua-xinjiang"
        )
        assert set(letter["touches"]) == {"company", "region"}
        assert {"mass-surveillance", "arbitrary-detention"} <= set(letter["harmCategories"])
        assert "rafto-foundation" in {c["id"] for c in letter["claimants"]}
        assert any(
            e["source"] == "src-scandasia-2020-ngos-divest" and e["quote"]
            for e in letter["evidence"]
        )
        assert path["holding"]["asOf"] == "2019-12-31" and path["holding"]["evidence"][0]["quote"]
    named = {p["contract"]["id"] for p in paths}
    assert {
        "contract-pishan-social-prevention-control-ppp",
        "contract-urumqi-hi-tech-zone-safe-city-ppp",
        "contract-shache-safe-city-ppp",
    } <= named


def test_exposure_as_of_end_2019_shows_both_holdings_in_nok(graph: Driver) -> None:
    row = exposure(graph, fund="gpfg", region="xinjiang", as_of="2019-12-31")
    holdings = {c["company"]["id"]: c["holding"] for c in row["byCompany"]}
    assert (
        holdings["hikvision"]["marketValue"] == 1_241_058_528
        and holdings["hikvision"]["currency"] == "NOK"
    )
    assert (
        holdings["dahua"]["marketValue"] == 261_114_487 and holdings["dahua"]["currency"] == "NOK"
    )
    assert row["holdingTotals"] == [{"currency": "NOK", "amount": 1_241_058_528 + 261_114_487}]
    hik = next(c for c in row["byCompany"] if c["company"]["id"] == "hikvision")
    usd = next(t for t in hik["contractTotals"] if t["currency"] == "USD")
    assert usd["amount"] == 53_000_000  # the named Pishan contract; aggregate claims apart
    claims = {c["id"]: c["amountMin"] for c in row["claims"]}
    assert claims["contracts-xinjiang-hikvision-dahua-since-2016"] == 1_000_000_000
    assert claims["contracts-xinjiang-hikvision-dahua-ipvm"] == 1_200_000_000
    assert set(claims) >= set(hik["claims"])  # listed with their own figure, never summed


def test_exposure_after_the_fund_sold_is_empty(graph: Driver) -> None:
    for as_of in ("2020-12-31", None):
        row = exposure(graph, fund="gpfg", region="xinjiang", as_of=as_of)
        assert row["fund"]["id"] == "gpfg" and row["pathCount"] == 0 and row["paths"] == []


def test_exposure_in_a_region_elsewhere_is_empty(graph: Driver) -> None:
    for region in ("tibet", "zhejiang"):
        row = exposure(graph, fund="gpfg", region=region, as_of="2019-12-31")
        assert row["region"]["id"] == region and row["pathCount"] == 0


def test_exposure_region_matches_its_sub_regions_only(graph: Driver) -> None:
    row = exposure(graph, fund="gpfg", region="xinjiang", as_of="2019-12-31")
    pishan = next(
        p
        for p in row["paths"]
        if p["contract"]["id"] == "contract-pishan-social-prevention-control-ppp"
    )
    assert [r["id"] for r in pishan["regionPath"]] == [
        "pishan-county",
        "hotan-prefecture",
        "xinjiang",
    ]
    ipvm = next(a for a in pishan["allegations"] if a["id"] == "allegation-ipvm-hikvision-xinjiang")
    assert set(ipvm["touches"]) == {"company", "region", "contract"}

    hotan = exposure(graph, fund="gpfg", region="hotan-prefecture", as_of="2019-12-31")
    contracts = {p["contract"]["id"] for p in hotan["paths"]}
    assert "contract-pishan-social-prevention-control-ppp" in contracts
    assert (
        "contracts-xinjiang-hikvision-dahua-since-2016" not in contracts
    )  # performed in Xinjiang at large
    assert {p["company"]["id"] for p in hotan["paths"]} == {"hikvision"}


def test_exposure_without_region_covers_every_region_and_pages(graph: Driver) -> None:
    everything = exposure(graph, fund="gpfg", as_of="2019-12-31")
    xinjiang = exposure(graph, fund="gpfg", region="xinjiang", as_of="2019-12-31")
    assert everything["region"] is None and everything["pathCount"] == xinjiang["pathCount"] > 2
    page = exposure(graph, fund="gpfg", as_of="2019-12-31", offset=1, limit=2)
    assert (
        page["paths"] == everything["paths"][1:3] and page["pathCount"] == everything["pathCount"]
    )


def test_exposure_follows_ownership_hops_to_subsidiaries(graph: Driver) -> None:
    assert exposure(graph, fund="example-fund", ownership_hops=0)["pathCount"] == 0
    (path,) = exposure(graph, fund="example-fund", ownership_hops=1)["paths"]
    assert (
        path["company"]["id"] == "example-parent" and path["supplier"]["id"] == "example-subsidiary"
    )
    (link,) = path["ownershipChain"]
    assert link["owner"]["id"] == "example-parent" and link["owned"]["id"] == "example-subsidiary"
    assert link["share"] == 0.75 and link["evidence"][0]["quote"]


def test_exposure_hides_facts_above_the_callers_sharing_level(graph: Driver) -> None:
    assert (
        exposure(graph, fund="example-fund", ownership_hops=1, tlp=["CLEAR", "GREEN"])["pathCount"]
        == 0
    )
    assert exposure(graph, fund="example-fund", ownership_hops=1, tlp=ALL)["pathCount"] == 1


def test_exposure_of_unknown_fund_or_region_returns_nulls(graph: Driver) -> None:
    assert exposure(graph, fund="no-such-fund")["fund"] is None
    row = exposure(graph, fund="gpfg", region="atlantis")
    assert row["fund"]["id"] == "gpfg" and row["region"] is None and row["pathCount"] == 0


# ---------------------------------------------------------------------- the others


def test_allegations_for_company_carry_claimants_categories_status_and_quotes(
    graph: Driver,
) -> None:
    (row,) = run(
        graph,
        "allegations_for_company",
        company="dahua",
        tlp=ALL,
        as_known_on=None,
        offset=0,
        limit=50,
    )
    assert row["total"] == 3
    by_id = {a["id"]: a for a in row["allegations"]}
    letter = by_id["allegation-open-letter-hikvision-dahua-xinjiang"]
    assert letter["status"] == "alleged" and "mass-surveillance" in letter["harmCategories"]
    assert len(letter["claimants"]) == 6
    assert all(e["quote"] for e in letter["evidence"])
    assert by_id["allegation-us-entity-list-xinjiang-2019"]["status"] == "responded"


def test_campaigns_aimed_at_the_fund_name_both_companies(graph: Driver) -> None:
    (row,) = run(graph, "campaigns", target="gpfg", tlp=ALL, offset=0, limit=50)
    (demand,) = row["campaigns"]
    assert demand["demandType"] == "divest"
    assert {n["id"] for n in demand["names"]} == {"hikvision", "dahua"}
    assert "rafto-foundation" in {m["id"] for m in demand["madeBy"]}
    (named,) = run(graph, "campaigns", target="dahua", tlp=ALL, offset=0, limit=50)
    assert named["total"] == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hikvision", "hikvision"),
        ("Dahua Technology", "dahua"),
        ("Rafto", "rafto-foundation"),
        ("hikvison", "hikvision"),
        ("CNE100000PM8", "hikvision"),
    ],
)
def test_search_finds_names_aliases_typos_and_identifiers(
    graph: Driver, text: str, expected: str
) -> None:
    (row,) = run(
        graph,
        "search",
        query=lucene_query(text),
        types=None,
        tlp=ALL,
        as_known_on=None,
        offset=0,
        limit=5,
    )
    assert expected in [h["id"] for h in row["hits"]]


def test_neighbourhood_leaves_out_evidence_links_except_around_a_source(graph: Driver) -> None:
    (row,) = run(graph, "neighbourhood", id="hikvision", hops=1, tlp=ALL, limit=200)
    types = {r["type"] for r in row["relationships"]}
    assert {"IN", "AGAINST", "SUPPLIER_OF"} <= types and "EVIDENCED_BY" not in types
    (src,) = run(graph, "neighbourhood", id="src-nbim-eq-2019", hops=1, tlp=ALL, limit=200)
    assert {n["id"] for n in src["nodes"]} >= {
        "holding-gpfg-hikvision-2019-12-31",
        "holding-gpfg-dahua-2019-12-31",
    }
    (two,) = run(graph, "neighbourhood", id="hikvision", hops=2, tlp=ALL, limit=3)
    assert two["truncated"] is True and len(two["relationships"]) == 3


def test_paths_link_a_claimant_to_the_fund_through_the_demand(graph: Driver) -> None:
    (row,) = run(
        graph,
        "paths",
        **{"from": "rafto-foundation", "to": "gpfg"},
        max_hops=4,
        types=None,
        tlp=ALL,
        limit=10,
    )
    assert row["paths"] and all(p["length"] == 2 for p in row["paths"])
    assert any(
        p["nodes"][1]["id"] == "demand-open-letter-gpfg-divest-hikvision-dahua"
        for p in row["paths"]
    )
    (none,) = run(
        graph,
        "paths",
        **{"from": "rafto-foundation", "to": "gpfg"},
        max_hops=4,
        types=["OWNS"],
        tlp=ALL,
        limit=10,
    )
    assert none["paths"] == []


def test_screening_ranks_companies_by_allegations_and_flagged_contracts(graph: Driver) -> None:
    (row,) = run(
        graph,
        "screening",
        companies=["cethik", "dahua", "hikvision"],
        flagged_regions=None,
        status_weights=None,
        tlp=ALL,
    )
    assert {r["id"] for r in row["flaggedRegions"]} >= {"xinjiang", "pishan-county"}
    ranked = [c["company"]["id"] for c in row["companies"]]
    assert ranked[-1] == "cethik" and set(ranked[:2]) == {"hikvision", "dahua"}
    assert [c["rank"] for c in row["companies"]] == [1, 2, 3]
    hik = next(c for c in row["companies"] if c["company"]["id"] == "hikvision")
    assert hik["allegationCount"] == 3 and hik["flaggedContractCount"] >= 5
    (tibet,) = run(
        graph,
        "screening",
        companies=["hikvision"],
        flagged_regions=["tibet"],
        status_weights=None,
        tlp=ALL,
    )
    assert tibet["companies"][0]["flaggedContractCount"] == 0
