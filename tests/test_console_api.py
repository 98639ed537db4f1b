"""The console's endpoints (named queries, saved queries) and the timeline, through the API on
the seed and documented cases (and the confidential fixture, for sharing levels)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from graph_fixture import load_reports
from helpers import DOCUMENTED, SEED
from neo4j import Driver
from security_helpers import CONFIDENTIAL, key, make_app, make_keys

import queries
from core.settings import Settings


@pytest.fixture(scope="module")
def tokens(driver: Driver, settings: Settings) -> dict[str, str]:
    load_reports(driver, settings.neo4j_database, [SEED, DOCUMENTED, CONFIDENTIAL])
    return make_keys(settings)


@pytest.fixture(scope="module")
def client(tokens: dict[str, str], settings: Settings) -> Iterator[TestClient]:
    with TestClient(make_app(settings, rate_limit=0, cypher_timeout=120.0)) as c:
        yield c


def test_named_queries_for_investigators_with_their_header_params(client, tokens) -> None:
    assert client.get("/queries").status_code == 401
    assert client.get("/queries", headers=key(tokens["red_reader"])).status_code == 403
    assert client.get("/queries", headers=key(tokens["amber_investigator"])).status_code == 403
    body = client.get("/queries", headers=key(tokens["investigator"])).json()
    assert [q["name"] for q in body["items"]] == queries.names()
    exposure = next(q for q in body["items"] if q["name"] == "exposure")
    params = {p["name"]: p["value"] for p in exposure["params"]}
    assert params["fund"] == "gpfg" and params["ownership_hops"] == 0
    one = client.get("/queries/exposure", headers=key(tokens["investigator"])).json()
    assert one["text"] == queries.load("exposure") and one["text"].endswith(one["body"])
    # the named query runs with the header's values, or others
    for name in ("exposure", "timeline", "entity", "search"):
        info = next(q for q in body["items"] if q["name"] == name)
        ran = client.post(
            f"/queries/{name}/run",
            json={"parameters": {p["name"]: p["value"] for p in info["params"]}},
            headers=key(tokens["investigator"]),
        )
        assert ran.status_code == 200, (name, ran.text)
    ran = client.post(
        "/queries/exposure/run",
        json={"parameters": {**params, "as_of": "2020-12-31"}},
        headers=key(tokens["investigator"]),
    )
    assert ran.json()["rows"][0]["pathCount"] == 0
    refused = client.post(
        "/queries/exposure/run", json={"parameters": params}, headers=key(tokens["red_reader"])
    )
    assert refused.status_code == 403
    assert client.get("/queries/nope", headers=key(tokens["investigator"])).status_code == 404


def test_saved_queries_per_key_and_shared_by_id(client, tokens) -> None:
    mine, other = key(tokens["investigator"]), key(tokens["admin"])
    body = {"name": "funds", "query": "MATCH (f:Fund) RETURN f.id AS id", "parameters": {"x": 1}}
    assert client.post("/saved-queries", json=body).status_code == 401
    assert (
        client.post("/saved-queries", json=body, headers=key(tokens["red_reader"])).status_code
        == 403
    )
    saved = client.post("/saved-queries", json=body, headers=mine)
    assert saved.status_code == 201, saved.text
    sid = saved.json()["id"]
    assert saved.json()["parameters"] == {"x": 1} and saved.json()["mine"] is True
    assert sid in [s["id"] for s in client.get("/saved-queries", headers=mine).json()["items"]]
    assert sid not in [s["id"] for s in client.get("/saved-queries", headers=other).json()["items"]]
    shared = client.get(f"/saved-queries/{sid}", headers=other).json()
    assert shared["query"] == body["query"] and shared["mine"] is False
    assert client.delete(f"/saved-queries/{sid}", headers=other).status_code == 404
    assert client.delete(f"/saved-queries/{sid}", headers=mine).status_code == 204
    assert client.get(f"/saved-queries/{sid}", headers=mine).status_code == 404
    # the saved query is the API's own data: /cypher never shows it
    found = client.post(
        "/cypher",
        json={"query": "MATCH (n) WHERE n.name = 'funds' RETURN count(n) AS n"},
        headers=mine,
    )
    assert found.json()["rows"] == [{"n": 0}]


def test_timeline_of_the_fund_and_company_shows_the_2020_exit(client, tokens) -> None:
    body = client.get("/entities/gpfg/timeline", params={"with": "hikvision"}).json()
    assert body["entity"]["type"] == "Fund" and body["other"]["id"] == "hikvision"
    events = body["events"]
    dated = [e["date"] for e in events if e["date"]]
    assert dated == sorted(dated)
    holdings = [e for e in events if e["kind"] == "Holding"]
    assert holdings and all("hikvision" in e["id"] for e in holdings)  # the pair's only
    exits = [e for e in holdings if e["held"] is False]
    assert exits and exits[0]["date"].startswith("2020")
    kinds = {e["kind"] for e in events}
    assert {"Holding", "Contract", "Allegation", "Demand", "Measure"} <= kinds
    cited = {s for e in events for s in e["sources"]}
    assert cited == {s["id"] for s in body["sources"]}
    assert client.get("/entities/nope/timeline").status_code == 404
    assert client.get("/entities/gpfg/timeline", params={"with": "nope"}).status_code == 404


def test_timeline_keeps_to_the_callers_sharing_levels(client, tokens) -> None:
    def ids(token: str | None) -> set[str]:
        headers = key(token) if token else {}
        body = client.get("/entities/hikvision/timeline", headers=headers).json()
        return {e["id"] for e in body["events"]} | {s["id"] for s in body["sources"]}

    open_ids, red_ids = ids(None), ids(tokens["red_reader"])
    assert open_ids < red_ids
    assert not any(i.startswith("sec-") for i in open_ids)
