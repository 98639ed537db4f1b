"""`GET/POST /sparql`: the SPARQL 1.1 protocol over exactly what the caller's key may see."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyoxigraph
import pytest
from fastapi.testclient import TestClient
from helpers import DOCUMENTED, SEED, ingest
from neo4j import Driver
from rdf_helpers import HIKVISION_QUERY, export
from security_helpers import CONFIDENTIAL, key, leaked, make_app

from core.settings import Settings

EVERYTHING = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"


@pytest.fixture()
def client(neo4j_db: Driver, settings: Settings, auth_db: Path):
    ingest(neo4j_db, settings, SEED, DOCUMENTED, CONFIDENTIAL)
    with TestClient(make_app(settings, auth_db, rate_limit=0, rate_limit_anonymous=0)) as c:
        yield c


def rows(response) -> set[tuple]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    body = response.json()
    names = body["head"]["vars"]
    return {tuple(b.get(n, {}).get("value") for n in names) for b in body["results"]["bindings"]}


def expected(neo4j_db: Driver, settings: Settings, level: str) -> set[tuple]:
    """The documented query's answer on the Turtle export at `level`, in pyoxigraph alone."""
    store = pyoxigraph.Store()
    text = export(neo4j_db, settings, format="turtle", tlp=level)
    store.load(text.encode("utf-8"), format=pyoxigraph.RdfFormat.TURTLE)
    return {
        tuple(
            r[v].value if r[v] is not None else None
            for v in ("allegation", "source", "name", "published")
        )
        for r in store.query(HIKVISION_QUERY)
    }


def test_a_green_key_gets_the_answer_and_no_amber_fact(
    client: TestClient, neo4j_db, settings, tokens
) -> None:
    green = key(tokens["green_reader"])
    got = rows(client.get("/sparql", params={"query": HIKVISION_QUERY}, headers=green))
    assert got == expected(neo4j_db, settings, "GREEN") and len(got) >= 3
    assert not any("sec-" in value for row in got for value in row if value)
    everything = client.post(
        "/sparql",
        content=EVERYTHING,
        headers={**green, "Content-Type": "application/sparql-query"},
    )
    assert everything.status_code == 200 and leaked(everything.text) == []
    # an AMBER key sees the AMBER allegation against Hikvision and its source
    amber = key(tokens["amber_reader"])
    seen = rows(client.get("/sparql", params={"query": HIKVISION_QUERY}, headers=amber))
    assert seen == expected(neo4j_db, settings, "AMBER")
    assert any(row[0].endswith("/sec-allegation-amber") for row in seen)
    assert seen > got


def test_formats_forms_and_refusals(client: TestClient, tokens) -> None:
    green = key(tokens["green_reader"])
    answer = client.post(
        "/sparql",
        data={"query": HIKVISION_QUERY},
        headers={**green, "Accept": "text/csv"},
    )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(answer.text)))
    assert table[0] == ["allegation", "source", "name", "published"] and len(table) > 3
    construct = client.get(
        "/sparql",
        params={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 20", "format": "turtle"},
        headers=green,
    )
    assert construct.status_code == 200 and construct.headers["content-type"].startswith(
        "text/turtle"
    )
    graph = pyoxigraph.Store()
    graph.load(construct.content, format=pyoxigraph.RdfFormat.TURTLE)
    assert len(graph) == 20
    ask = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers=green)
    assert ask.json() == {"head": {}, "boolean": True}
    capped = client.get("/sparql", params={"query": EVERYTHING}, headers=green)
    assert capped.headers.get("RightsGraph-Truncated") == "rows"
    assert len(capped.json()["results"]["bindings"]) == 1000
    for refused in (
        {"params": {"query": "INSERT DATA { <a:b> <a:c> <a:d> }"}},
        {
            "params": {
                "query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
            }
        },
        {"params": {"query": "SELECT WHERE"}},
    ):
        response = client.get("/sparql", headers=green, **refused)
        assert response.status_code == 422, response.text
    update = client.post(
        "/sparql",
        content="DELETE WHERE { ?s ?p ?o }",
        headers={**green, "Content-Type": "application/sparql-update"},
    )
    assert update.status_code == 422
    form_update = client.post("/sparql", data={"update": "CLEAR ALL"}, headers=green)
    assert form_update.status_code == 422
    assert (
        client.get(
            "/sparql", params={"query": EVERYTHING}, headers={**green, "Accept": "image/png"}
        ).status_code
        == 406
    )


def test_the_store_follows_the_graph(
    client: TestClient, neo4j_db, settings, tokens, tmp_path
) -> None:
    """A derived index: an ingest after the first query shows in the next one."""
    green = key(tokens["green_reader"])
    query = 'SELECT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> "Sparql Probe Co" }'
    assert rows(client.get("/sparql", params={"query": query}, headers=green)) == set()
    report = tmp_path / "probe.yaml"
    report.write_text(
        "id: report-probe\ntype: Report\nname: Probe\nreviewStatus: reviewed\ntlp: CLEAR\n"
        "'@graph':\n"
        "  - {id: src-probe, type: Source, name: Probe source, url: 'https://example.org/probe'}\n"
        "  - {id: probe-co, type: Company, name: Sparql Probe Co, country: 'NO',"
        " evidence: [{source: src-probe, quote: probe}]}\n",
        encoding="utf-8",
    )
    ingest(neo4j_db, settings, report)
    found = rows(client.get("/sparql", params={"query": query}, headers=green))
    assert found == {("https://w3id.org/rightsgraph/id/probe-co",)}
