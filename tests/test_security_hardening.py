"""Issue 19, items 5-7 and the shared store: existence oracles (search, screening, export),
cheap denial of service (screening budgets, proxy headers, per-key and per-address limits),
audit hygiene and security headers. Each reproduction leaves the graph as it was."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from graph_fixture import ADDITIONS, load_reports
from helpers import SEED
from neo4j import Driver
from security_helpers import (
    CONFIDENTIAL,
    audit_entries,
    key,
    make_app,
    make_keys,
    system_store,
)

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
        as_known_on=None,
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
    from export.options import ExportOptions, ScopeNotFound
    from export.reader import GraphReader

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
        GraphReader(graph, ExportOptions(tlp="GREEN", scope=f"report:{hidden}"))
    from queries import load

    alone, _, _ = graph.execute_query(  # the router's lookup alone
        load("entity"), id=hidden, tlp=["CLEAR", "GREEN"], database_=settings.neo4j_database
    )
    assert alone == []


# ---------------------------------------------------------------------- cheap denial of service


def test_screening_is_bounded_per_request_and_per_caller(
    graph: Driver, settings: Settings, unchanged: None
) -> None:
    """Issue 19 item 6: one anonymous 3,000-row screening cost ~11 s of Neo4j CPU, 120 a minute
    per address. Now: a row cap per request (500 without a key), rows a minute per caller, and a
    time budget per request, each refusing on its own."""
    rows = [{"name": f"Company {i} Holdings"} for i in range(3000)]
    app = make_app(settings, rate_limit=0, rate_limit_anonymous=0, screening_rows_anonymous=600)
    with TestClient(app) as c:
        began = time.monotonic()
        big = c.post("/screening", json={"holdings": rows})
        assert big.status_code == 422 and "at most 500" in big.json()["detail"], big.text
        assert time.monotonic() - began < 2  # refused before any query
        assert c.post("/screening", json={"holdings": rows[:400]}).status_code == 200
        again = c.post("/screening", json={"holdings": rows[:400]})  # 800 > 600 rows a minute
        assert again.status_code == 429 and int(again.headers["retry-after"]) >= 1, again.text
        assert "screening rows" in again.json()["detail"]
    with TestClient(make_app(settings, screening_budget=0.0)) as c:
        slow = c.post("/screening", json={"holdings": rows[:300]})  # two chunks of 250
        assert slow.status_code == 422 and "longer than 0 s" in slow.json()["detail"], slow.text


def test_serve_trusts_proxy_headers_only_from_named_proxies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Lock 1 on forged X-Forwarded-For: `rightsgraph serve` turns uvicorn's proxy headers off
    (uvicorn's own default trusts them from 127.0.0.1) unless --forwarded-allow-ips names one."""
    import uvicorn
    from typer.testing import CliRunner

    from rightsgraph.cli import app as cli

    seen: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.append(kw))
    monkeypatch.setenv("RIGHTSGRAPH_FORWARDED_ALLOW_IPS", "")  # restored after the test
    assert CliRunner().invoke(cli, ["serve"]).exit_code == 0
    assert seen[-1]["proxy_headers"] is False
    done = CliRunner().invoke(cli, ["serve", "--forwarded-allow-ips", "10.0.0.5, 10.0.0.6"])
    assert done.exit_code == 0
    assert seen[-1]["proxy_headers"] is True
    assert seen[-1]["forwarded_allow_ips"] == "10.0.0.5,10.0.0.6"


def test_keyed_callers_are_limited_per_address_too(graph: Driver, settings: Settings) -> None:
    tokens = make_keys(settings)
    app = make_app(settings, rate_limit=100, rate_limit_address=4)
    with TestClient(app) as c:
        keys = ["green_reader", "amber_reader", "red_reader", "editor", "admin"]
        statuses = [c.get("/health/x", headers=key(tokens[k])).status_code for k in keys]
        assert statuses[:4] == [404] * 4 and statuses[4] == 429  # five keys, one address


# ---------------------------------------------------------------------- two API processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_apis(graph: Driver, settings: Settings, tmp_path_factory) -> Iterator[list[str]]:
    """Two uvicorn processes on two loopback ports, one Neo4j (uvicorn run directly, with its
    own default of trusting X-Forwarded-For from 127.0.0.1: the app's lock alone)."""
    home = tmp_path_factory.mktemp("apis")
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        "RIGHTSGRAPH_HOME": str(home),
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_PASSWORD": settings.bolt_password or "",
        "RIGHTSGRAPH_RATE_LIMIT_ANONYMOUS": "5",
    }
    env.pop("RIGHTSGRAPH_FORWARDED_ALLOW_IPS", None)
    ports = [free_port(), free_port()]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]  # fmt: skip
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 60
        for url, proc in zip(urls, procs, strict=True):
            while True:
                try:
                    if httpx.get(url + "/health", timeout=5).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"API at {url} did not start: {proc.stderr.read()[-2000:]!r}")
                time.sleep(0.2)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


def test_two_api_processes_share_keys_revocations_and_one_audit_log(
    two_apis: list[str], settings: Settings, unchanged: None
) -> None:
    """One API, many instances: a key created (here through the store the CLI uses) works on
    both; revoked, both refuse it at once; one audit log holds both processes' entries."""
    from api.auth import KeyStore

    a, b = two_apis
    store = system_store(settings)
    info, token = KeyStore(store).create("two instances", "investigator", "RED")
    marker = f"probe_{info.id}"
    for url in (a, b):
        answer = httpx.post(
            url + "/cypher", json={"query": f"RETURN 1 AS {marker}"}, headers=key(token), timeout=30
        )
        assert answer.status_code == 200, answer.text
    KeyStore(store).revoke(info.id)
    for url in (a, b):
        refused = httpx.get(url + "/search?q=hikvision", headers=key(token), timeout=30)
        assert refused.status_code == 401, refused.text
    entries = [e for e in audit_entries(settings, 200) if e.key_id == info.id]
    assert [e.outcome for e in entries] == ["ok", "ok"]
    assert all(marker in e.what for e in entries)
    assert len({e.instance for e in entries}) == 2  # two processes, one log
    seqs = [e.seq for e in entries]
    assert seqs == sorted(seqs) and len(set(seqs)) == 2


def test_forged_forwarded_for_does_not_reset_the_limit(two_apis: list[str]) -> None:
    """Issue 19 item 6: X-Forwarded-For from loopback reset the per-address limit (30 bad keys
    after a 429 all got 401). Here uvicorn trusts the header (its default for 127.0.0.1), so
    the app's own lock stands alone: requests with a proxy header no trusted proxy set share
    one bucket."""
    url = two_apis[1]
    bad = key("rg_000000000000_" + "x" * 43)
    first = [httpx.get(url + "/search?q=x", headers=bad, timeout=30).status_code for _ in range(6)]
    assert first[-1] == 429, first
    forged = [
        httpx.get(
            url + "/search?q=x", headers={**bad, "X-Forwarded-For": f"203.0.113.{i}"}, timeout=30
        ).status_code
        for i in range(30)
    ]
    assert forged.count(401) <= 5 and forged[-1] == 429, forged


# ---------------------------------------------------------------------- audit


def test_audit_display_escapes_control_characters(
    client: TestClient, tokens: dict[str, str], unchanged: None
) -> None:
    """Issue 19 item 7: query texts with `\\r\\x1b[2K\\x1b[1A…` were printed raw by
    `rightsgraph keys audit` and rewrote its lines. Stored as sent, shown escaped."""
    from typer.testing import CliRunner

    from rightsgraph.cli import app as cli

    hostile = "RETURN 1 AS x // \r\x1b[2K\x1b[1A2026-01-01 admin POST /ingest ok\u202e\u2028"
    response = client.post("/cypher", json={"query": hostile}, headers=key(tokens["investigator"]))
    assert response.status_code == 422
    shown = CliRunner().invoke(cli, ["keys", "audit", "--limit", "3"])
    assert shown.exit_code == 0, shown.output
    assert not any(c in shown.stdout for c in "\r\x1b\u202e\u2028")
    assert "\\x0d\\x1b[2K\\x1b[1A2026-01-01" in shown.stdout and "\\u202e" in shown.stdout
    for line in shown.stdout.splitlines():  # every entry's text is indented under its head
        assert line.startswith(("#", "    ")), line


def test_anonymous_refusals_are_aggregated_and_texts_capped(
    client: TestClient, tokens: dict[str, str], settings: Settings, unchanged: None
) -> None:
    """Each anonymous refusal stored ~8.7 KB (the query and its parameters). Now a flood of
    them is one entry per endpoint, refusal and minute, holding none of their text."""
    before = audit_entries(settings, 50)
    big = {"query": "RETURN 1 // " + "x" * 4000, "parameters": {"p": "y" * 4000}}
    for _ in range(40):
        assert client.post("/cypher", json=big).status_code == 401
    after = audit_entries(settings, 50)
    seen = {e.seq: e for e in before}
    new = [e for e in after if e.seq not in seen or e.count != seen[e.seq].count]
    assert 1 <= len(new) <= 2  # 2 when a minute turned
    counted = sum(e.count - (seen[e.seq].count if e.seq in seen else 0) for e in new)
    assert counted == 40
    for e in new:
        assert e.caller == "anonymous" and e.what == "POST /cypher" and e.parameters is None
        assert len(e.what) + len(e.reason or "") < 300
    long_query = "RETURN 1 AS x " + "/* " + "z" * 99_000 + " */"
    client.post("/cypher", json={"query": long_query}, headers=key(tokens["investigator"]))
    stored = audit_entries(settings, 1)[-1]
    assert len(stored.what) < 4100 and "characters in all" in stored.what


# ---------------------------------------------------------------------- no URL fetched


@pytest.fixture()
def listener() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request it gets (it should get none)."""
    import http.server
    import threading

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            hits.append(self.path)
            body = b'{"@context": {"name": "http://schema.org/name"}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/ld+json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()


def jsonld_uploads(url: str) -> dict[str, bytes]:
    import json

    node = {"@id": "https://w3id.org/rightsgraph/id/x", "@type": "rg:Source", "rg:name": "x"}
    prefix = {"rg": "https://w3id.org/rightsgraph/ontology#"}
    docs = {
        "import.jsonld": {"@context": {**prefix, "@import": f"{url}/import"}, "@graph": [node]},
        "nested.jsonld": {"@context": prefix, "@graph": [{**node, "@context": f"{url}/nested"}]},
        "listed.jsonld": {"@context": prefix, "@graph": [{**node, "@context": [f"{url}/l"]}]},
        "scoped.jsonld": {
            "@context": {**prefix, "rg:about": {"@id": "rg:about", "@context": f"{url}/scoped"}},
            "@graph": [node],
        },
    }
    out = {name: json.dumps(doc).encode() for name, doc in docs.items()}
    out["report.yaml"] = (
        f"'@context': {url}/yaml\nid: r-url\ntype: Report\nname: r\n"
        f"'@graph':\n  - {{id: s-url, type: Source, name: s, url: '{url}/source'}}\n"
    ).encode()
    out["prefix.ttl"] = f"@prefix x: <{url}/ttl#> .\nx:a x:b x:c .\n".encode()
    return out


def test_no_url_named_in_an_upload_is_fetched(
    client: TestClient, tokens: dict[str, str], listener: tuple[str, list[str]], unchanged: None
) -> None:
    """The server fetches no URL named in uploaded data: JSON-LD contexts (@import, nested,
    listed, scoped), a report's @context and a Source url, a Turtle prefix; through
    POST /ingest (dry run and real) and through the parser with the first lock out of the way."""
    from core.offline import NetworkRefused, offline
    from ingest.reports import _read_rdf

    url, hits = listener
    for name, content in jsonld_uploads(url).items():
        for dry in ("true", "false"):
            response = client.post(
                f"/ingest?dry_run={dry}",
                files=[("files", (name, content, "application/octet-stream"))],
                headers=key(tokens["editor"]),
            )
            assert response.status_code in (200, 422), (name, response.text)
            if name.endswith(".jsonld"):
                rules = [p["rule"] for p in response.json()["problems"]]
                assert rules == ["remote-context"], (name, response.text)
    assert hits == []
    # the second lock alone: rdflib asked to parse a document with a remote context
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"rg-offline-{os.getpid()}.jsonld"
    path.write_bytes(jsonld_uploads(url)["nested.jsonld"])
    try:
        from ingest.errors import IngestError

        with pytest.raises(IngestError) as refused:
            _read_rdf(path, "json-ld")
        assert refused.value.problems[0].rule == "remote-context"
    finally:
        path.unlink()
    import urllib.request

    with pytest.raises(NetworkRefused), offline("a test"):
        urllib.request.urlopen(url + "/direct", timeout=5)  # what rdflib uses
    assert hits == []
    assert httpx.get(url + "/after").status_code == 200 and hits == ["/after"]  # online again


def test_cypher_never_returns_the_apis_own_data(
    client: TestClient, tokens: dict[str, str], unchanged: None
) -> None:
    """Keys and the audit log share the database with the graph: the guard refuses their names
    (lock 1) and the runner withholds every row carrying them (lock 2, shown alone with the
    label spelled so the guard cannot see it)."""

    def run(query: str, **parameters: object):
        return client.post(
            "/cypher",
            json={"query": query, "parameters": parameters},
            headers=key(tokens["investigator"]),
        )

    for query, params in (
        ("MATCH (n:RgSystemApiKey) RETURN n", {}),
        ("MATCH (n:`RgSystemAudit`) RETURN n.rgsystemWhat AS what", {}),
        ("MATCH (n) RETURN n.rgsystemHash AS h", {}),
        ("MATCH (n) WHERE $l IN labels(n) RETURN n", {"l": "RgSystemApiKey"}),
        ("MATCH (n) RETURN n['rgsys' + 'temHash'], 'RGSYSTEM' AS x", {}),
    ):
        refused = run(query, **params)
        assert refused.status_code == 422 and "rgsystem" in refused.json()["detail"], query
    exists = run("MATCH (n) WHERE NOT n:Node RETURN count(n) AS n")
    assert exists.status_code == 200 and exists.json()["rows"][0]["n"] > 0  # they are there
    hidden = "any(l IN labels(n) WHERE l STARTS WITH 'Rg' + 'System')"
    for query in (
        f"MATCH (n) WHERE {hidden} RETURN n",
        f"MATCH (n) WHERE {hidden} RETURN properties(n) AS p",
        f"MATCH (n) WHERE {hidden} RETURN [n] AS ns, {{x: n}} AS m",
        # not entities and not review data (proposals, decisions, redirects: a RED caller's)
        "MATCH (n) WHERE NOT n:Node AND NOT n:Proposal AND NOT n:Decision AND NOT n:Redirect "
        "RETURN n",
    ):
        answer = run(query)
        assert answer.status_code == 200, (query, answer.text)
        assert answer.json()["rows"] == [] and "rgsystem" not in answer.text.lower(), query


def test_a_sqlite_key_database_is_migrated_once(
    graph: Driver, settings: Settings, tmp_path: Path, unchanged: None
) -> None:
    """Keys (with their revocations) and audit rows of the SQLite days move into the shared
    store on first use; the file is renamed `.migrated` (0600) and never read again."""
    import hashlib
    import secrets
    import sqlite3

    legacy = tmp_path / "auth.sqlite"
    live_id, gone_id = secrets.token_hex(6), secrets.token_hex(6)
    live = f"rg_{live_id}_{secrets.token_urlsafe(32)}"
    gone = f"rg_{gone_id}_{secrets.token_urlsafe(32)}"
    with sqlite3.connect(legacy) as conn:  # the schema of the SQLite key store
        conn.executescript(
            "CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,"
            " tlp TEXT NOT NULL, hash TEXT NOT NULL, created TEXT NOT NULL, revoked TEXT);"
            "CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,"
            " key_id TEXT, caller TEXT NOT NULL, endpoint TEXT NOT NULL, what TEXT NOT NULL,"
            " parameters TEXT, outcome TEXT NOT NULL, reason TEXT);"
        )
        for key_id, token, revoked in ((live_id, live, None), (gone_id, gone, "2026-01-01")):
            conn.execute(
                "INSERT INTO api_keys VALUES (?,?,?,?,?,?,?)",
                (key_id, "old desk", "investigator", "RED",
                 hashlib.sha256(token.encode()).hexdigest(), "2025-01-01T00:00:00+00:00", revoked),
            )  # fmt: skip
        conn.execute(
            "INSERT INTO audit (at, key_id, caller, endpoint, what, outcome) VALUES (?,?,?,?,?,?)",
            ("2025-01-02T00:00:00+00:00", live_id, "old desk", "POST /cypher", "RETURN 1", "ok"),
        )
    with TestClient(make_app(settings, legacy, rate_limit=0)) as c:
        assert c.get("/search?q=x", headers=key(live)).status_code == 200
        assert c.get("/search?q=x", headers=key(gone)).status_code == 401
    assert not legacy.exists()
    done = legacy.with_name("auth.sqlite.migrated")
    assert done.exists() and done.stat().st_mode & 0o777 == 0o600
    entries = audit_entries(settings, 50)
    assert any(e.key_id == live_id and e.what == "RETURN 1" for e in entries)
    assert any(e.endpoint == "migrate" and str(legacy) in e.what for e in entries)
    with TestClient(make_app(settings, legacy, rate_limit=0)) as c:  # once: nothing to read
        assert c.get("/search?q=x", headers=key(live)).status_code == 200
    assert sum(e.endpoint == "migrate" for e in audit_entries(settings, 50)) == sum(
        e.endpoint == "migrate" for e in entries
    )


def test_forgetting_full_buckets_never_refills_a_drained_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pruning (past MAX_BUCKETS) judges each bucket by its own rate: flooding the limiter with
    addresses cannot reset the shared anonymous or proxy-header bucket."""
    from api import security

    monkeypatch.setattr(security, "MAX_BUCKETS", 100)
    limiter = security.RateLimiter()
    for _ in range(5):
        limiter.take("forwarded", 5, now=0.0)
    assert limiter.take("forwarded", 5, now=0.0) > 0
    for i in range(200):  # many addresses at a high rate each, a prune on the way
        limiter.take(f"ip:{i}", 1200, now=1.0)
    assert limiter.take("forwarded", 5, now=1.0) > 0  # still drained
