"""The HTTP API end to end: FastAPI's TestClient against the real Neo4j holding the seed case and
the API test fixture (tests/data/api/portfolio-additions.yaml: Hikvision's ISIN, the fund's
holdings at the end of 2019, a region without contracts)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from graph_fixture import ADDITIONS, load_reports
from helpers import SEED
from neo4j import Driver

from api.app import create_app
from api.settings import ApiSettings
from core.settings import Settings

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client(driver: Driver, settings: Settings) -> Iterator[TestClient]:
    load_reports(driver, settings.neo4j_database, [SEED, ADDITIONS])
    with TestClient(create_app(ApiSettings(neo4j=settings))) as c:
        yield c


def ok(client: TestClient, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def test_health_reports_neo4j_up(client: TestClient) -> None:
    assert ok(client, "/health") == {"status": "ok", "neo4j": "up"}


def test_exposure_of_the_fund_in_xinjiang_reaches_both_companies_with_evidence(
    client: TestClient,
) -> None:
    body = ok(client, "/funds/gpfg/exposure?region=xinjiang")
    assert body["fund"] == {"id": "gpfg", "type": "Fund", "name": "Government Pension Fund Global"}
    assert {p["company"]["id"] for p in body["paths"]} == {"hikvision", "dahua"}
    for path in body["paths"]:
        assert path["contract"]["id"] == "contracts-xinjiang-hikvision-dahua-since-2016"
        assert path["contract"]["evidence"][0]["quote"].startswith("The letter stresses")
        (allegation,) = path["allegations"]
        assert allegation["status"] == "alleged" and allegation["claimants"]
        assert all(e["quote"] and e["source"] for e in allegation["evidence"])
        assert path["holding"]["currency"] == "NOK" and path["holding"]["evidence"]
    totals = {c["company"]["id"]: c["holding"]["marketValue"] for c in body["byCompany"]}
    assert totals == {"hikvision": 1_241_058_528, "dahua": 261_114_487}
    assert body["byRegion"][0]["region"]["id"] == "xinjiang" and body["total"] == 2


def test_exposure_in_a_region_elsewhere_is_empty(client: TestClient) -> None:
    body = ok(client, "/funds/gpfg/exposure?region=tibet")
    assert body["total"] == 0 and body["paths"] == [] and body["byCompany"] == []


@pytest.mark.parametrize(
    ("q", "expected"),
    [("hikvision", "hikvision"), ("Dahua Technology", "dahua"), ("Rafto", "rafto-foundation")],
)
def test_search_finds_names_and_aliases(client: TestClient, q: str, expected: str) -> None:
    body = ok(client, f"/search?q={q}")
    assert expected in [r["id"] for r in body["results"][:3]]
    assert body["total"] >= 1 and body["lucene"]


def test_search_filters_by_type_and_pages(client: TestClient) -> None:
    body = ok(client, "/search?q=hikvision&type=Company")
    assert [r["id"] for r in body["results"]] == ["hikvision"]
    everything = ok(client, "/search?q=hikvision")
    page = ok(client, "/search?q=hikvision&limit=1&offset=1")
    assert page["results"] == everything["results"][1:2] and page["total"] == everything["total"]


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "a AND",
        "*:*",
        "hik~~",
        "(((",
        "\\",
        "OR NOT",
        "name:x",
        "x^99",
        "'; MATCH (n) DETACH DELETE n //",
        "杭州",
    ],
)
def test_search_treats_lucene_and_cypher_syntax_as_words(client: TestClient, q: str) -> None:
    response = client.get("/search", params={"q": q})
    assert response.status_code == 200, response.text
    assert ok(client, "/entities/hikvision")["id"] == "hikvision"


def test_screening_matches_typos_and_isin_and_lists_the_rest(client: TestClient) -> None:
    portfolio = {
        "holdings": [
            {"name": "Hikvison Digital Technology", "value": 100, "currency": "NOK"},
            {"isin": "CNE100000PM8", "value": 50, "currency": "NOK"},
            {"name": "Zhejiang Dahua Technolgy Co Ltd", "value": 10, "currency": "USD"},
            {"name": "Dahua Technology"},
            {"name": "Norsk Hydro ASA", "value": 7, "currency": "NOK"},
            {"isin": "US0378331005"},
            {},
        ]
    }
    response = client.post("/screening", json=portfolio)
    assert response.status_code == 200, response.text
    body = response.json()
    matched = {m["company"]["id"]: m for m in body["matched"]}
    assert set(matched) == {"hikvision", "dahua"}
    methods = {r["row"]: (r["method"], r["score"]) for m in body["matched"] for r in m["rows"]}
    assert methods[0][0] == "fuzzy" and 88 <= methods[0][1] < 100
    assert methods[1] == ("identifier", 100.0)
    assert methods[2][0] == "fuzzy"
    assert methods[3] == ("alias", 100.0)
    assert matched["hikvision"]["portfolioValue"] == [{"currency": "NOK", "amount": 150}]
    assert (
        matched["hikvision"]["allegationCount"] == 1
        and matched["hikvision"]["flaggedContractCount"] == 1
    )
    assert [m["rank"] for m in body["matched"]] == [1, 2]
    assert [u["row"] for u in body["unmatched"]] == [4, 5, 6]
    assert "xinjiang" in {r["id"] for r in body["flaggedRegions"]}


def test_screening_with_flagged_regions_elsewhere_finds_no_flagged_contracts(
    client: TestClient,
) -> None:
    body = client.post(
        "/screening", json={"holdings": [{"name": "Hikvision"}], "flagged_regions": ["tibet"]}
    ).json()
    assert body["matched"][0]["flaggedContractCount"] == 0
    assert_problem(
        client.post("/screening", json={"holdings": [], "flagged_regions": ["atlantis"]}), 404
    )


def test_entity_neighbourhood_allegations_campaigns_and_paths(client: TestClient) -> None:
    entity = ok(client, "/entities/hikvision")
    assert entity["type"] == "Company" and "CNE100000PM8" in entity["properties"]["isins"]
    assert "resolveKeys" not in entity["properties"] and entity["evidence"][0]["quote"]
    assert {"type": "AGAINST", "direction": "in", "count": 1} in entity["links"]
    hood = ok(client, "/entities/hikvision/neighbourhood?hops=2")
    assert {"gpfg", "xinjiang", "rafto-foundation"} <= {n["id"] for n in hood["nodes"]}
    allegations = ok(client, "/companies/hikvision/allegations")
    assert allegations["total"] == 1 and len(allegations["allegations"][0]["claimants"]) == 6
    campaigns = ok(client, "/campaigns?target=gpfg")
    assert campaigns["campaigns"][0]["demandType"] == "divest"
    assert ok(client, "/campaigns")["total"] == 1
    paths = ok(client, "/paths?from=rafto-foundation&to=gpfg&max_hops=3")
    assert paths["paths"][0]["length"] == 2 and paths["from"]["id"] == "rafto-foundation"


@pytest.mark.parametrize(
    "url",
    [
        "/entities/no-such-node",
        "/entities/no-such-node/neighbourhood",
        "/funds/no-such-fund/exposure",
        "/funds/hikvision/exposure",
        "/funds/gpfg/exposure?region=atlantis",
        "/companies/gpfg/allegations",
        "/campaigns?target=nobody",
        "/paths?from=gpfg&to=nobody",
        "/no/such/route",
    ],
)
def test_unknown_ids_are_404_problems(client: TestClient, url: str) -> None:
    assert_problem(client.get(url), 404)


@pytest.mark.parametrize(
    "url",
    [
        "/search",
        "/search?q=",
        "/search?q=x&limit=0",
        "/search?q=x&limit=100000",
        "/search?q=x&offset=-1",
        "/search?q=x&type=Nonsense",
        "/entities/hikvision/neighbourhood?hops=3",
        "/entities/hikvision/neighbourhood?hops=two",
        "/funds/gpfg/exposure?as_of=2019-13-45",
        "/funds/gpfg/exposure?as_of=yesterday",
        "/funds/gpfg/exposure?ownership_hops=9",
        "/paths?from=gpfg",
        "/paths?from=gpfg&to=gpfg",
        "/paths?from=gpfg&to=hikvision&max_hops=0",
        "/paths?from=gpfg&to=hikvision&types=DROP",
    ],
)
def test_bad_parameters_are_422_problems(client: TestClient, url: str) -> None:
    assert_problem(client.get(url), 422)


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"holdings": "x"},
        {"holdings": [{"value": "lots"}]},
        {"holdings": [{"name": "x" * 600}]},
    ],
)
def test_bad_screening_bodies_are_422_problems(client: TestClient, body) -> None:
    body = assert_problem(client.post("/screening", json=body), 422)
    assert body["errors"]


def test_every_endpoint_is_in_openapi_with_its_response_model(client: TestClient) -> None:
    spec = ok(client, "/openapi.json")
    expected = {
        ("get", "/health"): "Health",
        ("get", "/search"): "SearchResults",
        ("get", "/entities/{id}"): "Entity",
        ("get", "/entities/{id}/neighbourhood"): "Neighbourhood",
        ("get", "/funds/{id}/exposure"): "Exposure",
        ("get", "/companies/{id}/allegations"): "CompanyAllegations",
        ("get", "/campaigns"): "Campaigns",
        ("get", "/paths"): "Paths",
        ("post", "/screening"): "Screening",
    }
    for (method, path), model in expected.items():
        operation = spec["paths"][path][method]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema["$ref"].endswith("/" + model), (path, schema)
        assert model in spec["components"]["schemas"]
        problem = operation["responses"]["503"]["content"][PROBLEM]["schema"]
        assert problem["$ref"].endswith("/Problem")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_every_endpoint_answers_503_problem_when_neo4j_is_down() -> None:
    down = ApiSettings(neo4j=Settings(neo4j_port=_closed_port(), neo4j_uri_env=None))
    with TestClient(create_app(down)) as c:
        body = assert_problem(c.get("/health"), 503)
        assert body["neo4j"] == "down"
        for url in (
            "/search?q=hikvision",
            "/entities/hikvision",
            "/entities/hikvision/neighbourhood",
            "/funds/gpfg/exposure?region=xinjiang",
            "/companies/hikvision/allegations",
            "/campaigns",
            "/paths?from=gpfg&to=hikvision",
        ):
            assert_problem(c.get(url), 503)
        assert_problem(c.post("/screening", json={"holdings": [{"name": "Hikvision"}]}), 503)
