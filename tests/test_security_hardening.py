"""Issue 19, items 5-7 and the shared store: existence oracles (search, screening, export),
cheap denial of service (screening budgets, proxy headers, per-key and per-address limits),
audit hygiene and security headers. Each reproduction leaves the graph as it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from graph_fixture import ADDITIONS, load_reports
from helpers import SEED
from neo4j import Driver
from security_helpers import CONFIDENTIAL, key, make_app, make_keys

from api.security import SECURITY_HEADERS
from core.dump import canonical_dump
from core.settings import Settings


@pytest.fixture(scope="module")
def graph(driver: Driver, settings: Settings) -> Driver:
    load_reports(driver, settings.neo4j_database, [SEED, ADDITIONS, CONFIDENTIAL])
    return driver


@pytest.fixture(scope="module")
def auth_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("auth") / "auth.sqlite"


@pytest.fixture(scope="module")
def tokens(settings: Settings) -> dict[str, str]:
    return make_keys(settings)


@pytest.fixture(scope="module")
def client(graph: Driver, settings: Settings, auth_db: Path) -> Iterator[TestClient]:
    with TestClient(make_app(settings, auth_db, rate_limit=0, rate_limit_anonymous=0)) as c:
        yield c


@pytest.fixture()
def unchanged(graph: Driver, settings: Settings) -> Iterator[None]:
    """The graph (canonical dump) is the same after the test as before it."""
    before = canonical_dump(graph, settings.neo4j_database)
    yield
    assert canonical_dump(graph, settings.neo4j_database) == before


# ---------------------------------------------------------------------- security headers


def test_every_response_carries_the_security_headers(
    client: TestClient, tokens: dict[str, str], settings: Settings, auth_db: Path, unchanged: None
) -> None:
    answers = {
        "/": client.get("/"),
        "/static/app.js": client.get("/static/app.js"),
        "/static/ontology.json": client.get("/static/ontology.json"),
        "/static/vendor/swagger-ui-bundle.js": client.get("/static/vendor/swagger-ui-bundle.js"),
        "/docs": client.get("/docs"),
        "/openapi.json": client.get("/openapi.json"),
        "/health": client.get("/health"),
        "/search": client.get("/search?q=hikvision"),
        "404": client.get("/entities/no-such-entity"),
        "401": client.get("/search?q=x", headers=key("rg_000000000000_nope")),
        "403": client.post(
            "/cypher", json={"query": "RETURN 1"}, headers=key(tokens["green_reader"])
        ),
        "422": client.get("/search"),
    }
    with TestClient(make_app(settings, auth_db, rate_limit_anonymous=1)) as limited:
        limited.get("/search?q=x")
        answers["429"] = limited.get("/search?q=x")
    assert answers["429"].status_code == 429
    for name, response in answers.items():
        for header, value in SECURITY_HEADERS:
            assert response.headers.get(header.decode()) == value.decode(), (name, header)
    csp = answers["/"].headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert answers["/docs"].status_code == 200 and "swagger-ui-bundle.js" in answers["/docs"].text
    assert "<script>" not in answers["/docs"].text  # no inline script: the CSP would refuse it
    assert client.get("/redoc").status_code == 404  # ReDoc would load from a CDN: not served


# ---------------------------------------------------------------------- existence oracles

LOOKALIKES = 1100


def add_lookalikes(graph: Driver, settings: Settings, level: str = "AMBER") -> None:
    """LOOKALIKES companies above GREEN, named like Hikvision (as an ingest would write them)."""
    graph.execute_query(
        "UNWIND range(1, $n) AS i "
        "CREATE (:Node:Actor:Organization:Company {id: 'lookalike-' + i, tlp: $level, "
        "name: 'Hikvision Lookalike ' + i, searchText: 'Hikvision Lookalike ' + i, "
        "resolveKeys: ['name:hikvision lookalike ' + i]})",
        n=LOOKALIKES,
        level=level,
        database_=settings.neo4j_database,
    )


def drop_lookalikes(graph: Driver, settings: Settings) -> None:
    graph.execute_query(
        "MATCH (n:Company) WHERE n.id STARTS WITH 'lookalike-' DETACH DELETE n",
        database_=settings.neo4j_database,
    )


@pytest.fixture()
def lookalikes(graph: Driver, settings: Settings) -> Iterator[None]:
    before = canonical_dump(graph, settings.neo4j_database)
    add_lookalikes(graph, settings)
    try:
        yield
    finally:
        drop_lookalikes(graph, settings)
        assert canonical_dump(graph, settings.neo4j_database) == before


HIKVISION = {"holdings": [{"name": "Hikvision"}, {"name": "Hangzhou Hikvision Digital Technology"}]}


def search_and_screen(client: TestClient, token: str | None) -> tuple[dict, dict]:
    headers = key(token) if token else {}
    found = client.get("/search?q=hikvision&limit=200", headers=headers)
    screened = client.post("/screening", json=HIKVISION, headers=headers)
    assert found.status_code == 200 and screened.status_code == 200, (found.text, screened.text)
    return found.json(), screened.json()


def matched_ids(screening: dict) -> set[str]:
    return {m["company"]["id"] for m in screening["matched"]}


def test_hidden_lookalikes_change_no_total_score_or_match(
    client: TestClient, tokens: dict[str, str], graph: Driver, settings: Settings
) -> None:
    """Issue 19 item 5: 1,100 AMBER look-alikes made a GREEN `q=hikvision` total fall from 17 to
    2 and screening of "Hikvision" unmatched even for RED. Now a GREEN caller's answers are the
    same with or without them, scores included, and RED still matches Hikvision."""
    green_before = search_and_screen(client, tokens["green_reader"])
    anonymous_before = search_and_screen(client, None)
    assert green_before[0]["total"] >= 2 and "hikvision" in matched_ids(green_before[1])
    before = canonical_dump(graph, settings.neo4j_database)
    add_lookalikes(graph, settings)
    try:
        assert search_and_screen(client, tokens["green_reader"]) == green_before
        assert search_and_screen(client, None) == anonymous_before
        red_search, red_screen = search_and_screen(client, tokens["red_reader"])
        assert red_search["total"] == 1000  # the look-alikes are visible to RED: capped
        assert "hikvision" in [r["id"] for r in red_search["results"][:3]]
        assert "hikvision" in matched_ids(red_screen)
    finally:
        drop_lookalikes(graph, settings)
    assert canonical_dump(graph, settings.neo4j_database) == before


def test_each_search_lock_alone_keeps_hidden_nodes_out_of_the_limit(
    graph: Driver, settings: Settings, lookalikes: None
) -> None:
    """Lock 1 alone, the sharing filter inside the Lucene query (a limited index call, no
    Cypher filter), and lock 2 alone, the named query filtering before its limit (a Lucene query
    without the filter), each find every visible hit."""
    from api.fulltext import lucene_query

    green = ["CLEAR", "GREEN"]
    db = settings.neo4j_database
    visible, _, _ = graph.execute_query(
        "MATCH (n:Node) WHERE n.tlp IN $tlp AND toLower(n.searchText) CONTAINS 'hikvision' "
        "RETURN count(n) AS n",
        tlp=green,
        database_=db,
    )
    lock1, _, _ = graph.execute_query(
        "CALL db.index.fulltext.queryNodes('rg_search', $q, {limit: 1000}) YIELD node "
        "RETURN collect(node.tlp) AS levels",
        q=lucene_query("hikvision", tlp=green),
        database_=db,
    )
    assert set(lock1[0]["levels"]) <= set(green)
    assert len(lock1[0]["levels"]) >= visible[0]["n"] >= 2
    from queries import load

    lock2, _, _ = graph.execute_query(
        load("search"),
        query=lucene_query("hikvision"),  # no sharing filter in Lucene
        types=None,
        tlp=green,
        offset=0,
        limit=1000,
        database_=db,
    )
    assert lock2[0]["total"] == len(lock1[0]["levels"])


@pytest.mark.parametrize(
    ("levels", "hidden"),
    [
        (["CLEAR"], "GREEN"),
        (["CLEAR", "GREEN", "AMBER"], "AMBER+STRICT"),
        (["CLEAR", "GREEN", "AMBER", "AMBER+STRICT"], "RED"),
    ],
)
def test_the_lucene_sharing_filter_tells_every_level_apart(
    graph: Driver, settings: Settings, levels: list[str], hidden: str
) -> None:
    from api.fulltext import lucene_query

    before = canonical_dump(graph, settings.neo4j_database)
    add_lookalikes(graph, settings, level=hidden)
    try:
        rows, _, _ = graph.execute_query(
            "CALL db.index.fulltext.queryNodes('rg_search', $q) YIELD node "
            "RETURN count(CASE WHEN node.tlp IN $levels THEN 1 END) AS shown, "
            "count(CASE WHEN NOT node.tlp IN $levels THEN 1 END) AS leaked",
            q=lucene_query("lookalike", tlp=levels),
            levels=levels,
            database_=settings.neo4j_database,
        )
        assert rows[0]["leaked"] == 0
        everyone, _, _ = graph.execute_query(
            "CALL db.index.fulltext.queryNodes('rg_search', $q) YIELD node RETURN count(*) AS n",
            q=lucene_query("lookalike", tlp=[*levels, hidden]),
            database_=settings.neo4j_database,
        )
        assert everyone[0]["n"] == LOOKALIKES
    finally:
        drop_lookalikes(graph, settings)
    assert canonical_dump(graph, settings.neo4j_database) == before


def test_a_hidden_report_scope_answers_as_a_missing_one(
    client: TestClient, tokens: dict[str, str], graph: Driver, settings: Settings, unchanged: None
) -> None:
    """Issue 19 item 5: anonymous `/export?scope=report:<hidden id>` was 200 with an empty body
    and `report:<no such id>` 404. Both locks alone: the exporter's lookup at the export's level
    and the router's lookup at the caller's."""
    from rightsgraph.export import ExportOptions, GraphExport, ScopeNotFound

    hidden, missing = "sec-report-confidential", "no-such-report"
    for who in (None, "green_reader"):
        headers = key(tokens[who]) if who else {}
        a = client.get(f"/export?scope=report:{hidden}", headers=headers)
        b = client.get(f"/export?scope=report:{missing}", headers=headers)
        assert a.status_code == b.status_code == 404, (who, a.text)
        assert a.text.replace(hidden, "ID") == b.text.replace(missing, "ID")
        assert {k: v for k, v in a.headers.items() if k != "content-length"} == {
            k: v for k, v in b.headers.items() if k != "content-length"
        }
    red = client.get(f"/export?scope=report:{hidden}", headers=key(tokens["red_reader"]))
    assert red.status_code == 200 and hidden in red.text
    with pytest.raises(ScopeNotFound):  # the exporter alone
        GraphExport(graph, ExportOptions(tlp="GREEN", scope=f"report:{hidden}"))
    from queries import load

    alone, _, _ = graph.execute_query(  # the router's lookup alone
        load("entity"), id=hidden, tlp=["CLEAR", "GREEN"], database_=settings.neo4j_database
    )
    assert alone == []
