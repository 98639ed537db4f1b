"""Neo4j killed (SIGKILL) under the ingest and under the API, on a server of these tests' own.

- A 50,000-row holdings ingest (`rightsgraph ingest` in a subprocess) loses its database after
  the first batches commit: it says so in one line, without a traceback, and exits 2. Once the
  server is back, the same command finishes, and the graph's canonical dump equals that of one
  clean run: nothing lost, nothing twice.
- The API (a real uvicorn process) with Neo4j down answers every documented endpoint with 503
  problem+json within 2 seconds, `/health` says `neo4j: down`, and once Neo4j is back the same
  process serves again.

The server runs on FAULT_PORT with its data in a temporary folder, so killing it never disturbs
the shared test server.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers import SEED, empty, report_document
from neo4j import Driver
from reliability_helpers import (
    api_server,
    count,
    dedicated_neo4j,
    env_for,
    ingest_cli,
)

from api.auth import KeyStore
from api.system_store import SystemStore
from core import neo4j_local
from core.dump import canonical_dump
from core.settings import Settings
from ingest.adapter_kit import DEFAULT_BATCH_SIZE
from ingest.pipeline import ingest_paths
from rightsgraph.synth import write_fund_holdings

SHORT = (600, 10)  # 6,000 rows: three batches
LONG = (5_000, 10)  # 50,000 rows: 25 batches (--run-slow)
PROBLEM = "application/problem+json"
# an example value for every path and query parameter the OpenAPI document names (seed case ids)
EXAMPLES = {
    "q": "hikvision",
    "from": "rafto-foundation",
    "to": "gpfg",
    "target": "gpfg",
    "region": "xinjiang",
    "token": "rgf_w-000000000000_" + "A" * 43,  # a well-formed feed token no watch has
    "query": "ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D",  # SPARQL: ASK { ?s ?p ?o }
}
RAW_BODIES = {"/sparql": ("application/sparql-query", "ASK { ?s ?p ?o }")}  # not JSON
PATH_EXAMPLES = {"funds": "gpfg", "companies": "hikvision", "entities": "hikvision"}
BODIES = {  # POST /ingest gets the seed report as JSON, with ?dry_run=true: nothing written
    "/screening": {"holdings": [{"name": "Hikvision"}]},
    "/cypher": {"query": "MATCH (c:Company) RETURN c.id AS id LIMIT 3"},
    # an upload may not name a file on the server: the report without its `sourceText`
    "/ingest": {k: v for k, v in report_document(SEED).items() if k != "sourceText"},
    "/match": {
        "entities": [{"id": "q1", "schema": "Company", "properties": {"name": ["Hikvision"]}}]
    },
    "/proposals/{id}/decision": {"judgement": "unsure"},
    "/conflicts/{id}/decision": {"judgement": "unsure"},
    "/export": {"ids": ["gpfg", "hikvision"]},  # POST: exactly these nodes (GET takes no body)
    "/watches": {"name": "fault test", "fund": "gpfg"},
    "/queries/{name}/run": {"parameters": {"id": "gpfg", "tlp": ["CLEAR"]}},
    "/saved-queries": {"name": "fault test", "query": "RETURN 1 AS one"},
}
NAME_EXAMPLES = {"queries": "entity"}  # {name} path parameters
NO_SUCH_ID = "no-such-id"  # for ids no bundled report gives (a proposal): 404 while Neo4j is up
QUERY_EXAMPLES = {"/ingest": {"dry_run": "true"}}
# The target is an answer within 2 s (the driver's connection timeout and the API's 2 s retry
# budget make it so; the test prints each time and docs/reliability.md records the figures).
# The assertion only guards against hanging workers: on a shared, loaded 2-core machine a
# timed bound as tight as the target would fail for reasons that have nothing to do with us.
DOWN_LIMIT_S = 10.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Driver]]:
    with dedicated_neo4j(tmp_path_factory.mktemp("fault-neo4j")) as pair:
        yield pair


def run_to_end(path: Path, settings: Settings) -> dict:
    process = ingest_cli(path, settings)
    out, err = process.communicate(timeout=900)
    assert process.returncode == 0, err
    return json.loads(out)


@pytest.mark.timeout(2400)
@pytest.mark.parametrize(
    "size", [SHORT, pytest.param(LONG, marks=pytest.mark.slow)], ids=["6k-rows", "50k-rows"]
)
def test_neo4j_killed_mid_ingest_fails_clearly_and_a_rerun_equals_a_clean_run(
    server: tuple[Settings, Driver], tmp_path: Path, size: tuple[int, int]
) -> None:
    settings, driver = server
    database = settings.neo4j_database
    empty(driver, database)
    companies, dates = size
    table = write_fund_holdings(tmp_path / "test-fund-holdings.csv", companies, dates)
    rows = companies * dates

    process = ingest_cli(table, settings)
    deadline = time.monotonic() + 600
    while count(driver, database, "Holding") < DEFAULT_BATCH_SIZE:  # a batch has committed
        if process.poll() is not None:
            pytest.fail(f"the ingest ended before a batch was seen: {process.communicate()}")
        assert time.monotonic() < deadline, "no batch committed in time"
        time.sleep(0.05)
    neo4j_local.kill(settings)
    killed_at = time.monotonic()
    out, err = process.communicate(timeout=120)
    reported_after = time.monotonic() - killed_at

    assert process.returncode == 2, (out, err)
    assert "Traceback" not in err and "Traceback" not in out
    assert re.search(r"Neo4j became unavailable at bolt://127\.0\.0\.1:\d+", err), err
    assert "run the same command again" in err
    assert reported_after < 60, f"the failure took {reported_after:.0f} s to be reported"

    neo4j_local.start(settings)
    driver.verify_connectivity()
    partial = count(driver, database, "Holding")
    assert 0 < partial < rows and partial % DEFAULT_BATCH_SIZE == 0, partial
    began = time.monotonic()
    resumed = run_to_end(table, settings)
    print(
        f"{rows} rows: killed after {partial} holdings committed; failure reported "
        f"{reported_after:.1f} s after the kill; re-run took {time.monotonic() - began:.0f} s"
    )
    assert resumed["problems"] == []
    assert count(driver, database, "Holding") == rows
    after_resume = canonical_dump(driver, database)

    empty(driver, database)
    clean = run_to_end(table, settings)
    assert clean["created"]["Holding"] == rows
    assert canonical_dump(driver, database) == after_resume


# ---------------------------------------------------------------------- the API with Neo4j down


def documented_requests(openapi: dict) -> list[tuple[str, str, dict | tuple[str, str] | None]]:
    """(method, url, json body) for every operation, with example values for its parameters."""
    out = []
    for template, operations in openapi["paths"].items():
        for method, operation in operations.items():
            segment = template.split("/")[1]
            url = re.sub(r"\{id\}", PATH_EXAMPLES.get(segment, NO_SUCH_ID), template)
            url = re.sub(r"\{name\}", NAME_EXAMPLES.get(segment, NO_SUCH_ID), url)
            query = {
                p["name"]: EXAMPLES[p["name"]]
                for p in operation.get("parameters", [])
                if p["in"] == "query" and p.get("required")
            } | QUERY_EXAMPLES.get(template, {})
            if query:
                url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
            body = BODIES.get(template) if "requestBody" in operation else None
            if method == "post" and template in RAW_BODIES:
                body = RAW_BODIES[template]
            out.append((method.upper(), url, body))
    return out


def expected_status(method: str, url: str) -> int:
    """The answer while Neo4j is up: 201 for a new watch, 401 for a feed token no watch has,
    404 for ids no bundled report gives, else 200."""
    if method == "POST" and url in ("/watches", "/saved-queries"):
        return 201
    if "/feed?" in url:
        return 401
    return 404 if NO_SUCH_ID in url else 200


def call(
    base: str, method: str, url: str, body: dict | tuple[str, str] | None, key: str
) -> tuple[httpx.Response, float]:
    began = time.monotonic()
    headers = {"X-API-Key": key}
    if isinstance(body, tuple):  # (media type, text): a body that is not JSON
        headers["Content-Type"] = body[0]
        response = httpx.request(
            method, base + url, content=body[1].encode(), headers=headers, timeout=30
        )
    else:
        response = httpx.request(method, base + url, json=body, headers=headers, timeout=30)
    return response, time.monotonic() - began


@pytest.mark.timeout(600)
def test_api_answers_503_within_two_seconds_while_neo4j_is_down_and_recovers_without_restart(
    server: tuple[Settings, Driver],
) -> None:
    settings, driver = server
    empty(driver, settings.neo4j_database)
    assert ingest_paths([SEED], driver, database=settings.neo4j_database).ok
    _, key = KeyStore(SystemStore(driver, settings.neo4j_database)).create(
        "fault test", "admin", "RED"
    )
    with api_server(env_for(settings)) as (base, pid):  # default limits: few requests here
        requests = documented_requests(httpx.get(base + "/openapi.json").json())
        assert len(requests) >= 8 and ("GET", "/health", None) in requests
        for method, url, body in requests:  # all good while Neo4j is up
            response, _ = call(base, method, url, body, key)
            assert response.status_code == expected_status(method, url), (url, response.text)

        neo4j_local.kill(settings)
        slowest = 0.0
        for _ in range(2):  # the first pass meets pooled connections, the second none
            for method, url, body in requests:
                response, took = call(base, method, url, body, key)
                slowest = max(slowest, took)
                assert response.status_code == 503, (url, response.text)
                assert response.headers["content-type"].startswith(PROBLEM), url
                problem = response.json()
                assert problem["status"] == 503 and problem["title"] and problem["detail"]
                assert response.headers.get("retry-after"), url
                assert took < DOWN_LIMIT_S, f"{url} took {took:.2f} s with Neo4j down"
        health = httpx.get(base + "/health", timeout=5)
        assert health.status_code == 503 and health.json()["neo4j"] == "down"

        neo4j_local.start(settings)
        deadline = time.monotonic() + 60
        while httpx.get(base + "/health", timeout=5).status_code != 200:
            assert time.monotonic() < deadline, "the API did not see Neo4j come back"
            time.sleep(0.5)
        assert httpx.get(base + "/health").json() == {"status": "ok", "neo4j": "up"}
        for method, url, body in requests:
            response, _ = call(base, method, url, body, key)
            assert response.status_code == expected_status(method, url), (url, response.text)
        assert Path(f"/proc/{pid}").exists(), "the API process was restarted"
    print(f"{len(requests)} operations; slowest answer with Neo4j down: {slowest * 1000:.0f} ms")
