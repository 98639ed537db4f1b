"""The headline question across funds (GET /exposure) and exposure answers that explain
themselves, through the real API and Neo4j: the seed and documented cases, the API fixture,
the confidential fixture (AMBER and RED facts) and an AMBER fund (tests/data/api/amber-fund.yaml).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from graph_fixture import ADDITIONS, API_DATA, load_reports
from helpers import DOCUMENTED, SEED
from neo4j import Driver
from security_helpers import CONFIDENTIAL, key, leaked

from api.app import create_app
from api.settings import ApiSettings
from core.settings import Settings

AMBER_FUND = API_DATA / "amber-fund.yaml"
XINJIANG_2019 = "/exposure?region=xinjiang&as_of=2019-12-31"
# the named contracts Hikvision supplies in Xinjiang, and the aggregate claims that overlap them
HIKVISION_NAMED = [{"currency": "CNY", "amount": 500_000_000}, {"currency": "USD", "amount": 53_000_000}]  # fmt: skip
JOINT_CLAIMS = {
    "contracts-xinjiang-hikvision-dahua-ipvm": 1_200_000_000,
    "contracts-xinjiang-hikvision-dahua-since-2016": 1_000_000_000,
}


@pytest.fixture(scope="module")
def client(driver: Driver, settings: Settings, tokens: dict[str, str]) -> Iterator[TestClient]:
    load_reports(
        driver, settings.neo4j_database, [SEED, DOCUMENTED, ADDITIONS, CONFIDENTIAL, AMBER_FUND]
    )
    with TestClient(create_app(ApiSettings(neo4j=settings))) as c:
        yield c


def get(client: TestClient, url: str, token: str | None = None) -> dict:
    response = client.get(url, headers=key(token) if token else {})
    assert response.status_code == 200, response.text
    return response.json()


def test_xinjiang_lists_gpfg_at_end_2019_with_both_companies_and_every_links_evidence(
    client: TestClient,
) -> None:
    body = get(client, XINJIANG_2019 + "&paths_limit=100")
    assert body["total"] == 1 and body["region"]["id"] == "xinjiang"
    (gpfg,) = body["funds"]
    assert gpfg["fund"]["id"] == "gpfg" and gpfg["rank"] == 1 and gpfg["companies"] == 2
    assert {c["company"]["id"] for c in gpfg["byCompany"]} == {"hikvision", "dahua"}
    assert gpfg["holdingTotals"] == [{"currency": "NOK", "amount": 1_241_058_528 + 261_114_487}]
    assert gpfg["holdingValueUsd"] == 141_233_203 + 29_714_985
    # every link of every path carries its evidence, as the per-fund endpoint gives it
    assert gpfg["pathsTotal"] == len(gpfg["paths"]) > 2
    for path in gpfg["paths"]:
        assert path["holding"]["evidence"] and path["contract"]["evidence"]
        assert all(e["source"] for e in path["holding"]["evidence"] + path["contract"]["evidence"])
        assert path["allegations"] and all(a["evidence"] for a in path["allegations"])
    one = get(client, "/funds/gpfg/exposure?region=xinjiang&as_of=2019-12-31")
    assert gpfg["paths"] == one["paths"] and gpfg["byCompany"] == one["byCompany"]
    # a page of paths per fund, the rest through /funds/{id}/exposure
    assert len(get(client, XINJIANG_2019 + "&paths_limit=3")["funds"][0]["paths"]) == 3


def test_the_default_call_explains_gpfgs_exit_and_offers_its_history(client: TestClient) -> None:
    body = get(client, "/funds/gpfg/exposure?region=xinjiang")
    assert body["total"] == 0 and body["paths"] == []
    why = body["explanation"]
    assert why["reason"] == "exited"
    states = {c["company"]["id"]: c for c in why["companies"]}
    assert states["hikvision"]["exitedOn"] == "2020-09-11"
    assert [s["id"] for s in states["hikvision"]["exitSources"]] == ["src-etikkradet-hikvision"]
    assert states["dahua"]["exitedOn"] == "2020-12-31"
    assert states["hikvision"]["lastHeld"]["id"] == "holding-gpfg-hikvision-2019-12-31"
    last = why["lastExposed"]
    assert last["asOf"] == "2019-12-31"
    assert last["holdingTotals"] == [{"currency": "NOK", "amount": 1_502_173_015}]
    for words in ("exited", "2020-09-11", "Last exposed on 2019-12-31", "NOK 1,502,173,015"):
        assert words in why["detail"]
    # the region-first answer says the same about GPFG
    region = get(client, "/exposure?region=xinjiang")
    assert region["total"] == 0 and region["funds"] == []
    assert [n["fund"]["id"] for n in region["notExposed"]] == ["gpfg"]
    assert region["notExposed"][0]["explanation"] == why
    # history=true: every dated holding against allegations, demands, measures and contracts
    history = get(client, "/funds/gpfg/exposure?region=xinjiang&history=true")["history"]
    events = history["events"]
    assert [e["date"] for e in events] == sorted(e["date"] for e in events)
    kinds = {e["kind"] for e in events}
    assert kinds == {"holding", "allegation", "demand", "measure", "contract"}
    held = [(e["date"], e["held"]) for e in events if e["kind"] == "holding" and "hikvision" in e["companies"]]  # fmt: skip
    assert held == [("2018-12-31", True), ("2019-12-31", True), ("2020-09-11", False), ("2020-12-31", False)]  # fmt: skip
    assert any(e["id"] == "demand-open-letter-gpfg-divest-hikvision-dahua" for e in events)
    # a fund that holds none of the companies
    none = get(client, "/funds/example-fund/exposure?region=tibet")["explanation"]
    assert none["reason"] == "no-holdings" and none["companies"] == []


@pytest.mark.parametrize("who", [None, "red_reader"])
def test_allegation_counts_equal_the_company_endpoints(
    client: TestClient, tokens: dict[str, str], who: str | None
) -> None:
    token = tokens[who] if who else None
    body = get(client, XINJIANG_2019, token)
    companies = [c for f in body["funds"] for c in f["byCompany"]]
    assert {c["company"]["id"] for c in companies} >= {"hikvision", "dahua"}
    for c in companies:
        own = get(client, f"/companies/{c['company']['id']}/allegations?limit=200", token)
        assert c["allegations"] == own["total"], c["company"]["id"]
        assert sorted(c["allegationIds"]) == sorted(a["id"] for a in own["allegations"])
    # a Dahua-only allegation that concerns the region is not Hikvision's
    (gpfg,) = [f for f in body["funds"] if f["fund"]["id"] == "gpfg"]
    hik = next(c for c in gpfg["byCompany"] if c["company"]["id"] == "hikvision")
    assert "allegation-ipvm-dahua-xinjiang" not in hik["allegationIds"]
    assert gpfg["allegations"] == len({a for c in gpfg["byCompany"] for a in c["allegationIds"]})


def test_region_only_allegations_are_listed_apart(
    client: TestClient, tokens: dict[str, str]
) -> None:
    # the fictional subsidiary's Xinjiang contract rests on an AMBER source: a RED reader sees
    # it; allegations about Xinjiang against other companies count for no company of this fund
    url = "/funds/example-fund/exposure?region=xinjiang&ownership_hops=1"
    body = get(client, url, tokens["red_reader"])
    assert body["total"] == 1 and body["allegations"] == 0
    (company,) = body["byCompany"]
    assert company["allegations"] == 0 and company["allegationIds"] == []
    apart = {a["id"]: a["touches"] for a in body["regionAllegations"]}
    assert apart["allegation-open-letter-hikvision-dahua-xinjiang"] == ["region"]
    assert {a["id"] for a in body["paths"][0]["allegations"]} == set(apart)
    assert get(client, url)["total"] == 0  # anonymous: the contract is hidden


def test_overlapping_aggregate_claims_are_never_summed(client: TestClient) -> None:
    body = get(client, "/funds/gpfg/exposure?region=xinjiang&as_of=2019-12-31")
    hik = next(c for c in body["byCompany"] if c["company"]["id"] == "hikvision")
    assert hik["contractTotals"] == HIKVISION_NAMED and hik["contracts"] == 2
    assert set(JOINT_CLAIMS) <= set(hik["claims"])
    claims = {c["id"]: c for c in body["claims"]}
    for claim_id, figure in JOINT_CLAIMS.items():
        claim = claims[claim_id]
        assert claim["amountMin"] == figure and claim["currency"] == "USD"
        assert {x["id"] for x in claim["covers"]} == {"hikvision", "dahua"}
    # no total anywhere holds a claim's figure, nor the two joint claims added together
    totals = [t for t in body["contractTotals"]] + [
        t for part in body["byCompany"] + body["byRegion"] for t in part["contractTotals"]
    ]
    sums = {t["amount"] for t in totals}
    assert not sums & {*JOINT_CLAIMS.values(), sum(JOINT_CLAIMS.values()), 1_900_000_000}
    # the fund's named contracts, each counted once though both companies reach some regions
    assert body["contractTotals"] == HIKVISION_NAMED
    xinjiang = next(r for r in body["byRegion"] if r["region"]["id"] == "xinjiang")
    assert xinjiang["contractTotals"] == [] and set(JOINT_CLAIMS) <= set(xinjiang["claims"])


def test_a_green_caller_sees_no_amber_fund_holding_or_count(
    client: TestClient, tokens: dict[str, str]
) -> None:
    urls = [
        XINJIANG_2019 + "&history=true",
        "/exposure?region=xinjiang&history=true",
        "/funds/gpfg/exposure?region=xinjiang&history=true",
        "/exposure?region=xinjiang&as_of=2024-01-01&ownership_hops=2",
    ]
    for who in (None, "green_reader"):
        token = tokens[who] if who else None
        for url in urls:
            response = client.get(url, headers=key(token) if token else {})
            assert response.status_code == 200, response.text
            assert not leaked(response.text) and "777000777" not in response.text, (who, url)
        body = get(client, XINJIANG_2019, token)
        assert body["total"] == 1 and [f["fund"]["id"] for f in body["funds"]] == ["gpfg"]
        # asking for the hidden fund by id is the same as asking for an unknown one
        hidden = client.get(
            XINJIANG_2019 + "&funds=sec-fund-amber", headers=key(token) if token else {}
        )
        unknown = client.get(
            XINJIANG_2019 + "&funds=sec-fund-nothing", headers=key(token) if token else {}
        )
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.json()["detail"].replace("amber", "nothing") == unknown.json()["detail"]
    amber = get(client, XINJIANG_2019, tokens["amber_reader"])
    assert [f["fund"]["id"] for f in amber["funds"]] == ["sec-fund-amber", "gpfg"]
    assert amber["funds"][0]["holdingValueUsd"] == 777_000_777
    # GPFG's AMBER holding of 2023: exposed today for an AMBER reader, exited for the others
    red = get(client, "/funds/gpfg/exposure?region=xinjiang", tokens["red_reader"])
    assert red["total"] > 0 and red["explanation"] is None
    listed = get(client, "/exposure?region=xinjiang&funds=gpfg,example-fund")
    assert listed["total"] == 0
    assert {n["fund"]["id"] for n in listed["notExposed"]} == {"gpfg", "example-fund"}


@pytest.mark.parametrize(
    "url",
    [
        "/exposure?region=xinjiang&as_of=2019",
        "/exposure?region=xinjiang&as_of=2019-12",
        "/funds/gpfg/exposure?as_of=2019",
        "/funds/gpfg/exposure?as_of=2019-13-45",
        "/funds/gpfg/exposure?as_of=31.12.2019",
    ],
)
def test_a_bad_date_says_which_forms_are_accepted(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("as_of: ") and "YYYY-MM-DD" in detail and "datetime" not in detail


def test_unknown_region_and_fund_are_404(client: TestClient) -> None:
    assert client.get("/exposure?region=atlantis").status_code == 404
    assert client.get("/exposure").status_code == 422


def test_openapi_examples_work(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/funds/{id}/exposure"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["id"]["schema"]["examples"] == ["gpfg"]
    example = {name: p["schema"].get("examples", [None])[0] for name, p in params.items()}
    url = f"/funds/{example['id']}/exposure"
    query = {k: v for k, v in example.items() if k in ("region", "as_of") and v}
    body = client.get(url, params=query).json()
    assert body["total"] > 0, body
    region_params = {p["name"]: p for p in spec["paths"]["/exposure"]["get"]["parameters"]}
    assert "xinjiang" in str(region_params["region"])


def test_the_first_call_after_a_start_is_warm(settings: Settings, driver: Driver) -> None:
    """Plans are warmed at start (api/warmup.py): with Neo4j's plan cache emptied, the first
    region call after a start takes at most 1 s."""
    url = "/exposure?region=xinjiang&as_of=2019-12-31&ownership_hops=1&paths_limit=5"
    timings = {}
    for wait in (0.0, 60.0):
        driver.execute_query("CALL db.clearQueryCaches()", database_=settings.neo4j_database)
        app = create_app(replace(ApiSettings(neo4j=settings), warm_up_wait=wait))
        with TestClient(app) as c:
            start = time.monotonic()
            assert c.get(url).status_code == 200
            timings[wait] = time.monotonic() - start
    cold, warm = timings[0.0], timings[60.0]
    assert warm <= 1.0 and warm < cold, timings
