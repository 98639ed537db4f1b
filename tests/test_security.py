"""API security end to end: sharing levels on every read path, injection through every string
parameter, keys and roles, POST /ingest, the audit log, rate and size limits, closed mode, CORS.

The graph holds the seed case, the API fixture and tests/data/security/confidential.yaml: AMBER
and RED sources, facts and entities attached to the (CLEAR) seed entities; and
tests/data/security/restatement.yaml: an AMBER report restating the public `dahua` with an AMBER
alias and description."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from graph_fixture import ADDITIONS, load_reports
from helpers import SEED, TEST_REPORTS
from neo4j import Driver
from security_helpers import (
    CONFIDENTIAL,
    RESTATEMENT,
    audit_entries,
    key,
    leaked,
    make_app,
    make_keys,
)
from typer.testing import CliRunner

from core.dump import canonical_dump
from core.settings import Settings
from rightsgraph.cli import app as cli

PROBLEM = "application/problem+json"
# facts whose ids are derived from their key (ingest.fact_keys); the report's ids redirect
RENAMED = {
    "sec-holding-amber": "holding-gpfg-hikvision-2023-06-30",
    "sec-ownership-amber-shell-dahua": "ownership-sec-company-amber-shell-dahua",
}
SEC_IDS = [
    "sec-src-amber-tip",
    "sec-src-red-witness",
    "sec-person-red-witness",
    "sec-company-amber-shell",
    "sec-ownership-amber-shell-dahua",
    "sec-allegation-amber",
    "sec-allegation-red",
    "sec-contract-red",
    "sec-holding-amber",
    "sec-demand-red",
    "sec-report-confidential",
    "sec-src-amber-dahua",  # of the AMBER restatement of the public `dahua`
]
# every read endpoint, around the entities the confidential facts touch
READ_URLS = [
    "/search?q=hikvision",
    "/search?q=dahua",
    "/search?q=witness statement tip shell",
    "/search?q=holdings&type=Company",
    "/entities/hikvision",
    "/entities/dahua",
    "/entities/gpfg",
    "/entities/xinjiang",
    "/entities/rafto-foundation",
    "/entities/dahua/statements",
    "/entities/hikvision/statements",
    "/entities/dahua?as_known_on=2100-01-01",
    "/search?q=Cover Name",
    "/entities/hikvision/neighbourhood?hops=2",
    "/entities/dahua/neighbourhood?hops=2",
    "/entities/xinjiang/neighbourhood?hops=1",
    "/entities/gpfg/neighbourhood?hops=2",
    "/entities/rafto-foundation/neighbourhood?hops=2",
    "/funds/gpfg/exposure",
    "/funds/gpfg/exposure?region=xinjiang&ownership_hops=4",
    "/funds/gpfg/exposure?region=xinjiang&history=true",
    "/exposure?region=xinjiang&history=true",
    "/exposure?region=xinjiang&as_of=2019-12-31&ownership_hops=4&history=true",
    "/funds/gpfg/exposure?as_of=2024-01-01&ownership_hops=4",
    "/companies/hikvision/allegations",
    "/companies/dahua/allegations",
    "/campaigns",
    "/campaigns?target=gpfg",
    "/campaigns?target=dahua",
    "/paths?from=gpfg&to=xinjiang&max_hops=6",
    "/paths?from=rafto-foundation&to=dahua&max_hops=6",
    "/paths?from=dahua&to=hikvision&max_hops=6&types=AGAINST&types=CONCERNS&types=OWNS",
    "/export?format=ntriples",
    "/export?format=jsonld&scope=entity:hikvision&hops=2",
    "/export?format=turtle&scope=entity:dahua&hops=2",
]
SCREENING = [
    {"holdings": [{"name": "Hikvision"}, {"name": "Dahua Technology"}, {"name": "Shell Holdings"}]},
    {"holdings": [{"name": "Hikvision"}, {"name": "Dahua"}], "flagged_regions": ["xinjiang"]},
]


@pytest.fixture(scope="module")
def graph(driver: Driver, settings: Settings) -> Driver:
    load_reports(driver, settings.neo4j_database, [SEED, ADDITIONS, CONFIDENTIAL, RESTATEMENT])
    return driver


@pytest.fixture(scope="module")
def client(graph: Driver, settings: Settings, auth_db: Path) -> Iterator[TestClient]:
    with TestClient(make_app(settings, auth_db, rate_limit=0, rate_limit_anonymous=0)) as c:
        yield c


def walk(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    """Every read endpoint's answer (status and body) for one caller."""
    out = {}
    for url in READ_URLS:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.text)
        body = response.json() if "json" in response.headers["content-type"] else response.text
        if isinstance(body, dict) and url.startswith("/search"):
            body = {k: v for k, v in body.items() if k not in ("query", "lucene")}  # echoes
        out[url] = json.dumps(body, ensure_ascii=False) if isinstance(body, dict) else body
    for i, portfolio in enumerate(SCREENING):
        response = client.post("/screening", json=portfolio, headers=headers)
        assert response.status_code == 200, response.text
        out[f"screening {i}"] = response.text
    return out


@pytest.mark.parametrize("who", [None, "green_reader"])
def test_a_reader_below_amber_sees_nothing_confidential_through_any_endpoint(
    client: TestClient, tokens: dict[str, str], who: str | None
) -> None:
    answers = walk(client, key(tokens[who]) if who else {})
    for url, text in answers.items():
        assert not leaked(text), (url, leaked(text))
    for node_id in SEC_IDS:  # hidden is unknown: the same 404 as an id that never existed
        for suffix in ("", "/neighbourhood"):
            hidden = client.get(f"/entities/{node_id}{suffix}", headers=key(tokens["green_reader"]))
            absent = client.get(
                f"/entities/sec-nothing{suffix}", headers=key(tokens["green_reader"])
            )
            assert hidden.status_code == absent.status_code == 404
            assert hidden.json()["detail"].replace(node_id, "X") == absent.json()["detail"].replace(
                "sec-nothing", "X"
            )


def test_the_walk_reaches_every_confidential_node_for_a_red_reader(
    client: TestClient, tokens: dict[str, str]
) -> None:
    everything = "\n".join(walk(client, key(tokens["red_reader"])).values())
    missing = [
        i for i in SEC_IDS if RENAMED.get(i, i) not in everything and i != "sec-report-confidential"
    ]
    assert not missing  # so the GREEN walk above proves something
    for node_id in SEC_IDS:
        assert (
            client.get(f"/entities/{node_id}", headers=key(tokens["red_reader"])).status_code == 200
        )


def test_an_amber_reader_sees_amber_but_not_red(client: TestClient, tokens: dict[str, str]) -> None:
    text = "\n".join(walk(client, key(tokens["amber_reader"])).values()).lower()
    assert "amberwatch" in text and "sec-allegation-amber" in text
    assert "redline" not in text and "sec-src-red-witness" not in text and "31337000" not in text


def test_export_refuses_a_level_above_the_callers(
    client: TestClient, tokens: dict[str, str]
) -> None:
    for level in ("AMBER", "RED"):
        response = client.get(f"/export?tlp={level}", headers=key(tokens["green_reader"]))
        assert response.status_code == 422 and "above" in response.json()["detail"]
    assert client.get("/export?tlp=RED&format=ntriples").status_code == 422


HOSTILE_STRINGS = [
    "' OR 1=1 //",
    '") DETACH DELETE n //',
    "x'}) MATCH (n) DETACH DELETE n //",
    "$tlp",
    "*:*",
    "RED",
    "../../../etc/passwd",
    "%00",
    "\u202eRED",
    "sec-allegation-red",
    "a" * 300,
    "{tlp: ['RED']}",
]


def _injection_requests(s: str) -> list[tuple[str, str, dict]]:
    """(method, url, options) putting `s` into every string parameter of the API."""
    return [
        ("GET", "/search", {"params": {"q": s}}),
        ("GET", "/search", {"params": {"q": "hikvision", "type": s}}),
        ("GET", f"/entities/{s}", {}),
        ("GET", f"/entities/{s}/neighbourhood", {}),
        ("GET", f"/funds/{s}/exposure", {}),
        ("GET", "/funds/gpfg/exposure", {"params": {"region": s}}),
        ("GET", "/funds/gpfg/exposure", {"params": {"as_of": s}}),
        ("GET", f"/companies/{s}/allegations", {}),
        ("GET", "/campaigns", {"params": {"target": s}}),
        ("GET", "/paths", {"params": {"from": s, "to": "gpfg"}}),
        ("GET", "/paths", {"params": {"from": "gpfg", "to": s}}),
        ("GET", "/paths", {"params": {"from": "gpfg", "to": "hikvision", "types": s}}),
        ("GET", "/export", {"params": {"scope": f"entity:{s}"}}),
        ("GET", "/export", {"params": {"scope": s}}),
        ("GET", "/export", {"params": {"tlp": s}}),
        ("GET", "/export", {"params": {"format": s}}),
        ("GET", "/export", {"params": {"as_of": s}}),
        ("POST", "/screening", {"json": {"holdings": [{"name": s, "isin": s, "lei": s}]}}),
        ("POST", "/screening", {"json": {"holdings": [{"name": "x"}], "flagged_regions": [s]}}),
    ]


def test_injection_through_every_string_parameter_changes_nothing_and_never_500s(
    client: TestClient, tokens: dict[str, str], graph: Driver, settings: Settings
) -> None:
    before = canonical_dump(graph, settings.neo4j_database)
    for s in HOSTILE_STRINGS:
        for method, url, options in _injection_requests(s):
            response = client.request(method, url, headers=key(tokens["green_reader"]), **options)
            assert response.status_code < 500, (method, url, s, response.text)
            if response.status_code == 200:
                text = response.text
                if url == "/search":
                    text = json.dumps(response.json()["results"])
                assert not leaked(text.replace(s, "")), (url, s)
    assert canonical_dump(graph, settings.neo4j_database) == before


@pytest.mark.parametrize("header", ["X-API-Key", "Authorization"])
def test_a_revoked_unknown_or_malformed_key_is_401_everywhere(
    client: TestClient, tokens: dict[str, str], header: str
) -> None:
    for token in (tokens["revoked"], "rg_000000000000_" + "A" * 43, "not-a-key", "rg_x_y"):
        value = f"Bearer {token}" if header == "Authorization" else token
        for url in ("/search?q=hikvision", "/entities/hikvision", "/health"):
            response = client.get(url, headers={header: value})
            assert response.status_code == 401, (url, response.text)
            assert response.headers["content-type"].startswith(PROBLEM)
            assert response.headers["www-authenticate"].startswith("Bearer")


# ---------------------------------------------------------------------------- ingest


def test_an_editor_cleared_for_red_can_ingest_files_and_a_json_report(
    client: TestClient, tokens: dict[str, str], graph: Driver, settings: Settings, auth_db: Path
) -> None:
    report = TEST_REPORTS / "hikvision-typo.yaml"
    files = [("files", ("my case.yaml", report.read_bytes(), "application/yaml"))]
    dry = client.post("/ingest?dry_run=true", files=files, headers=key(tokens["editor"]))
    assert dry.status_code == 200, dry.text
    assert dry.json()["dry_run"] and dry.json()["files"] == ["my case.yaml"]
    done = client.post("/ingest", files=files, headers=key(tokens["editor"]))
    assert done.status_code == 200 and done.json()["created"], done.text
    again = client.post("/ingest", files=files, headers=key(tokens["admin"]))
    assert again.status_code == 200 and not again.json()["created"] and not again.json()["updated"]
    as_json = client.post(
        "/ingest",
        content=json.dumps(
            {
                "@context": "https://w3id.org/rightsgraph/context.jsonld",
                "id": "report-json-upload",
                "type": "Report",
                "name": "A report sent as JSON",
                "reviewStatus": "reviewed",
                "tlp": "CLEAR",
                "@graph": [{"id": "src-json-upload", "type": "Source", "name": "JSON upload"}],
            }
        ),
        headers={**key(tokens["editor"]), "Content-Type": "application/json"},
    )
    assert as_json.status_code == 200, as_json.text
    assert as_json.json()["files"] == ["report-json-upload.json"]
    entries = [e for e in audit_entries(settings) if e.endpoint == "POST /ingest"]
    assert [e.outcome for e in entries[-4:]] == ["ok"] * 4
    assert entries[-4].what == "files: my case.yaml"


def test_a_rejected_upload_is_a_422_report_naming_the_uploaded_file(
    client: TestClient, tokens: dict[str, str], graph: Driver, settings: Settings, auth_db: Path
) -> None:
    before = canonical_dump(graph, settings.neo4j_database)
    bad = b"id: r\ntype: Report\n'@graph':\n  - {id: y, type: Nonsense}\n"
    response = client.post(
        "/ingest",
        files=[("files", ("../../evil name.yaml", bad, "application/yaml"))],
        headers=key(tokens["editor"]),
    )
    assert response.status_code == 422 and response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["problems"][0]["file"] == "evil name.yaml" and body["problems"][0]["rule"]
    assert "rightsgraph-ingest-" not in response.text  # no temporary path
    assert canonical_dump(graph, settings.neo4j_database) == before
    entry = audit_entries(settings)[-1]
    assert entry.outcome == "refused" and entry.what == "files: evil name.yaml"
    for content, media in (
        (b"x", "text/plain"),
        (b"[1, 2]", "application/json"),
        (b"{", "application/json"),
    ):
        refused = client.post(
            "/ingest", content=content, headers={**key(tokens["editor"]), "Content-Type": media}
        )
        assert refused.status_code in (415, 422), refused.text


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("green_reader", 403),
        ("red_reader", 403),
        ("investigator", 403),
        ("amber_editor", 403),
        ("revoked", 401),
    ],
)
def test_only_editors_cleared_for_red_may_ingest(
    client: TestClient, tokens: dict[str, str], settings: Settings, who: str | None, status: int
) -> None:
    files = [("files", ("r.yaml", (TEST_REPORTS / "hikvision-typo.yaml").read_bytes()))]
    response = client.post("/ingest", files=files, headers=key(tokens[who]) if who else {})
    assert response.status_code == status, response.text
    entry = audit_entries(settings)[-1]
    assert entry.endpoint == "POST /ingest" and entry.outcome == "refused"


def test_an_upload_over_the_size_limit_is_413_and_audited(
    graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    auth_db = tmp_path / "auth.sqlite"
    tokens = make_keys(settings)
    with TestClient(make_app(settings, auth_db, max_upload_bytes=2000, max_body_bytes=500)) as c:
        big = [("files", ("big.yaml", b"#" * 5000, "application/yaml"))]
        response = c.post("/ingest", files=big, headers=key(tokens["editor"]))
        assert response.status_code == 413 and response.headers["content-type"].startswith(PROBLEM)
        assert audit_entries(settings)[-1].reason.startswith("413")

        def chunks():  # no Content-Length: stopped while streaming
            for _ in range(10):
                yield b"x" * 100

        streamed = c.post(
            "/screening", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert streamed.status_code == 413, streamed.text
        portfolio = {"holdings": [{"name": "Hikvision " + str(i)} for i in range(100)]}
        assert c.post("/screening", json=portfolio).status_code == 413


# ------------------------------------------------------------------- limits, modes


def test_rate_limits_answer_429_with_retry_after(
    graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    tokens = make_keys(settings)
    app = make_app(settings, tmp_path / "auth.sqlite", rate_limit=3, rate_limit_anonymous=2)
    with TestClient(app) as c:
        statuses = [
            c.get("/search?q=x", headers=key(tokens["green_reader"])).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        limited = c.get("/search?q=x", headers=key(tokens["green_reader"]))
        assert limited.headers["content-type"].startswith(PROBLEM)
        assert int(limited.headers["retry-after"]) >= 1
        assert c.get("/search?q=x", headers=key(tokens["red_reader"])).status_code == 200  # per key
        assert [c.get("/search?q=x").status_code for _ in range(3)] == [200, 200, 429]
        assert c.get("/health").status_code == 200  # never limited


def test_closed_mode_needs_a_key_except_for_health_and_the_page(
    graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    tokens = make_keys(settings)
    with TestClient(make_app(settings, tmp_path / "auth.sqlite", anonymous="closed")) as c:
        for url in ("/search?q=hikvision", "/entities/hikvision", "/campaigns", "/export", "/docs"):
            response = c.get(url)
            assert response.status_code == 401 and response.headers["www-authenticate"], url
        assert c.post("/screening", json={"holdings": []}).status_code == 401
        assert c.get("/health").status_code == 200
        assert c.get("/").status_code != 401 and c.get("/static/ontology.json").status_code == 200
        assert c.get("/entities/hikvision", headers=key(tokens["green_reader"])).status_code == 200


def test_cors_is_closed_unless_origins_are_configured(
    graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    with TestClient(make_app(settings, tmp_path / "a.sqlite")) as c:
        assert "access-control-allow-origin" not in c.get("/health", headers=origin).headers
    allowed = ("https://elsewhere.example",)
    with TestClient(make_app(settings, tmp_path / "a.sqlite", cors_origins=allowed)) as c:
        response = c.get("/health", headers=origin)
        assert response.headers["access-control-allow-origin"] == "https://elsewhere.example"
        preflight = c.options(
            "/cypher",
            headers={
                **origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-api-key",
            },
        )
        assert preflight.status_code == 200


# ------------------------------------------------------------------------- CLI


def test_keys_cli_creates_lists_revokes_and_prints_the_audit(
    graph: Driver, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth_db = tmp_path / "cli.sqlite"
    monkeypatch.setenv("RIGHTSGRAPH_AUTH_DB", str(auth_db))
    runner = CliRunner()
    created = runner.invoke(
        cli, ["keys", "create", "--name", "Desk", "--role", "Investigator", "--tlp", "red"]
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("cli.sqlite*"))
    assert token.startswith("rg_") and token.encode() not in stored
    key_id = token.split("_")[1]
    listed = runner.invoke(cli, ["keys", "list"])
    assert key_id in listed.stdout and "investigator" in listed.stdout
    assert (
        runner.invoke(
            cli, ["keys", "create", "--name", "x", "--role", "boss", "--tlp", "RED"]
        ).exit_code
        == 2
    )
    with TestClient(make_app(settings, auth_db)) as c:
        ok = c.post("/cypher", json={"query": "RETURN 1 AS one"}, headers=key(token))
        assert ok.status_code == 200
        assert (
            c.post("/cypher", json={"query": "CREATE (n)"}, headers=key(token)).status_code == 422
        )
        assert runner.invoke(cli, ["keys", "revoke", key_id]).exit_code == 0
        assert c.get("/entities/hikvision", headers=key(token)).status_code == 401
    audit = runner.invoke(cli, ["keys", "audit", "--limit", "2"])
    assert audit.exit_code == 0
    assert "RETURN 1 AS one" in audit.stdout and "CREATE (n)" in audit.stdout
    assert "refused" in audit.stdout and key_id in audit.stdout
    assert runner.invoke(cli, ["keys", "revoke", "nope"]).exit_code == 2


def test_ingest_errors_name_the_api_parameters_and_quarantine_returns_the_rejects(
    client: TestClient, tokens: dict[str, str], graph: Driver, settings: Settings
) -> None:
    def post(name: str, data: bytes, query: str = "") -> httpx.Response:
        files = [("files", (name, data, "text/csv"))]
        return client.post(
            f"/ingest?dry_run=true{query}", files=files, headers=key(tokens["editor"])
        )

    unknown = post("t.csv", b"city,population\nOslo,700000\n")
    assert unknown.status_code == 422
    message = unknown.json()["problems"][0]["message"]
    assert "the `format` query parameter" in message and "--format" not in message
    no_fund = post("h.csv", b"Name,Market Value(NOK),As Of\nAcme,100,2020-06-30\n")
    assert "the `fund` query parameter" in no_fund.json()["problems"][0]["message"]
    assert (
        post("h.csv", b"Name,Market Value(NOK),As Of\nAcme,100,2020-06-30\n", "&fund=F").status_code
        == 200
    )
    bulk = b"Fund,Name,Market Value(NOK),As Of\nF,Acme,100,2020-06-30\nF,Bad,1 apple,2020-06-30\n"
    assert post("bulk.csv", bulk).status_code == 422
    kept = post("bulk.csv", bulk, "&on_invalid=quarantine")
    assert kept.status_code == 200, kept.text
    body = kept.json()
    assert body["quarantined"] == {"bulk.csv": 1} and body["created"]["Holding"] == 1
    assert [(r["file"], r["line"], r["rule"]) for r in body["rejects"]] == [
        ("bulk.csv", 3, "holdings-number")
    ]
    assert "rightsgraph-ingest-" not in kept.text
