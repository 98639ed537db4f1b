"""Golden outputs: what the product answers for a known graph, saved so a refactor proves itself
by unchanged outputs (tests/test_golden.py compares, tests/golden/README.md says how to re-record).

The graph: every bundled report under reports/ plus tests/data/security/confidential.yaml (the
only AMBER and RED facts, so the sharing levels differ), ingested through the real pipeline.
The outputs, one file each under tests/golden/:

- `dump.json`: the canonical dump (rightsgraph/dump.py), one line per node or relationship;
- `export/LEVEL.FORMAT`: `rightsgraph export --format F --tlp LEVEL` for every RDF format and
  ftm, `rightsgraph export-ftm --max-tlp LEVEL`, and a few `--scope`/`--as-of` exports at RED; all
  through the CLI itself (typer's runner, in process), byte for byte. To stay small, CLEAR is
  stored whole and the other levels as `.diff` files (size, sha256 and the unified diff from the
  CLEAR file; `export-ftm` from `export --format ftm` at the same level): equal diffs, given an
  equal CLEAR file, mean equal bytes;
- `api/CALLER/…`: status, content type and body of every GET endpoint (API_URLS, a few errors
  among them), of POST /screening and POST /cypher, anonymously and with a RED investigator's
  key; `api/public/…`: what is the same for everyone (the page `/`, `/health`, `/openapi.json`,
  `/docs`, `/static/ontology.json`, the size and sha256 of every static asset).
  JSON bodies are stored with sorted keys (key order within objects is not compared; list order
  is), other bodies as text.

Normalisations (only values that differ from run to run or from checkout to checkout):
- ingest run ids (`20250101T120000Z-1a2b3c4d`, new for every ingest) → `<run>`: only POST
  /cypher shows them today (raw node properties); the dump leaves `ingestRun` out and the other
  endpoints hide it;
- the checkout's absolute path → `<root>`, and API key ids (random for every key made) →
  `<key-CALLER>`: no output carries either today; the rewrites are there so an output that starts
  carrying one shows as that one change, not as a test that fails on every run.
Nothing else is rewritten (no timestamps reach these outputs: key creation times stay in the
shared store, evidence sidecars in the evidence folder), nothing the product returns is re-sorted.
The API runs with long query timeouts (SLOW), so a loaded machine gives answers, not 503s.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from httpx import Response
from neo4j import Driver
from typer.testing import CliRunner

from api.app import create_app
from api.auth import KeyStore
from api.settings import ApiSettings
from api.system_store import SystemStore
from core.db import make_driver
from core.dump import canonical_dump
from core.settings import Settings
from ingest.pipeline import ingest_paths
from rightsgraph.cli import app as cli

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
CONFIDENTIAL = ROOT / "tests" / "data" / "security" / "confidential.yaml"
INPUTS = [*sorted((ROOT / "reports").glob("*.yaml")), CONFIDENTIAL]
LEVELS = ("CLEAR", "GREEN", "AMBER", "RED")
EXTENSIONS = {"turtle": "ttl", "ntriples": "nt", "jsonld": "jsonld", "ftm": "ftm.jsonl"}
# (file name, CLI arguments): exports of part of the graph, at RED
SCOPED_EXPORTS = [
    ("RED.entity-dahua-hops-1.ttl", ["--format", "turtle", "--scope", "entity:dahua"]),
    ("RED.report-confidential.ttl", ["--format", "turtle", "--scope", "report:sec-report-confidential"]),
    ("RED.entity-hikvision-as-of-2019-12-31.jsonld", ["--format", "jsonld", "--scope", "entity:hikvision", "--as-of", "2019-12-31"]),
]  # fmt: skip
CALLERS = {"anonymous": None, "red": ("investigator", "RED")}
# asked by each caller
API_URLS = [
    "/search?q=hikvision",
    "/search?q=dahua&limit=5&offset=1",
    "/search?q=witness statement tip shell",
    "/search?q=xinjang",
    "/search?q=holdings&type=Company",
    "/search?q=norway&type=Fund&type=Organization",
    "/entities/hikvision",
    "/entities/dahua",
    "/entities/gpfg",
    "/entities/xinjiang",
    "/entities/rafto-foundation",
    "/entities/src-open-letter-hikvision-dahua",
    "/entities/allegation-open-letter-hikvision-dahua-xinjiang",
    "/entities/sec-allegation-red",
    "/entities/dahua/statements",
    "/entities/sec-allegation-red/statements",
    "/entities/hikvision?as_known_on=2025-06-30",
    "/entities/hikvision?as_known_on=2024-12-31",
    "/entities/hikvision/neighbourhood",
    "/entities/dahua/neighbourhood?hops=2&limit=50",
    "/entities/xinjiang/neighbourhood?hops=1",
    "/entities/src-open-letter-hikvision-dahua/neighbourhood",
    "/funds/gpfg/exposure?region=xinjiang&as_of=2019-12-31&ownership_hops=4",
    "/funds/gpfg/exposure?region=xinjiang&ownership_hops=4&limit=3",
    "/funds/gpfg/exposure?limit=2",
    "/funds/gpfg/exposure?as_of=2019-12-31&ownership_hops=2&limit=2&offset=2",
    "/funds/gpfg/exposure?as_of=2024-01-01&ownership_hops=4&limit=2",
    "/funds/gpfg/exposure?region=tibet",
    "/funds/gpfg/exposure?region=xinjiang&history=true",
    "/exposure?region=xinjiang&as_of=2019-12-31&paths_limit=3",
    "/exposure?region=xinjiang&history=true&paths_limit=2",
    "/exposure?region=xinjiang&funds=gpfg&as_of=2024-01-01&ownership_hops=4",
    "/companies/hikvision/allegations",
    "/companies/dahua/allegations",
    "/campaigns",
    "/campaigns?target=gpfg",
    "/proposals",
    "/proposals?status=all&min_score=50",
    "/conflicts",
    "/conflicts?status=all&limit=5",
    "/campaigns?target=dahua&limit=1",
    "/paths?from=gpfg&to=xinjiang&max_hops=6",
    "/paths?from=rafto-foundation&to=dahua&max_hops=6",
    "/paths?from=dahua&to=hikvision&max_hops=6&types=AGAINST&types=CONCERNS&types=OWNS",
    "/export?format=turtle&scope=entity:gpfg&hops=0",
    "/export?format=jsonld&scope=entity:sec-company-amber-shell",
    "/export?format=ntriples&scope=entity:cethik",
    "/export?format=turtle&scope=report:sec-report-confidential",
    "/export?scope=entity:gpfg&hops=0&tlp=CLEAR&as_of=2019-12-31",
    "/entities/gpfg/timeline?with=hikvision",
    "/entities/sec-allegation-red/timeline",
    "/queries",
    "/queries/timeline",
    "/saved-queries",
    "/sparql?query="
    + quote(
        "SELECT ?source ?name WHERE { ?source a <https://w3id.org/rightsgraph/ontology#Source> ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?name } ORDER BY ?source"
    ),
    "/sparql?query=" + quote("SELECT (COUNT(*) AS ?triples) WHERE { ?s ?p ?o }"),
    # errors: problem+json
    "/saved-queries/no-such-id",
    "/entities/gpfg/timeline?with=no-such-id",
    "/entities/no-such-id",
    "/search",
    "/search?q=x&type=Nothing",
    "/funds/no-such-fund/exposure",
    "/funds/gpfg/exposure?as_of=2019",
    "/exposure?region=atlantis",
    "/paths?from=gpfg&to=gpfg",
    "/paths?from=gpfg&to=dahua&types=NOPE",
    "/export?format=rdfxml",
    "/export?tlp=RED&scope=entity:gpfg&hops=0",
    "/export?scope=entity:no-such-id",
    # watches (docs/watches.md): the golden graph has none; anonymous callers are refused
    "/watches",
    "/watches/w-000000000000",
    "/watches/w-000000000000/alerts?since=2020-01-01",
    "/watches/w-000000000000/deliveries",
    "/watches/w-000000000000/feed?token=rgf_not-a-token",
    "/sparql?query=" + quote("INSERT DATA { <a:b> <a:c> <a:d> }"),
]
ACCEPTS = ["text/turtle", "application/n-triples", "application/ld+json;q=0.5, text/turtle;q=0.4"]
ACCEPT_URL = "/export?scope=entity:gpfg&hops=0"
# the same for every caller: asked once, anonymously
PUBLIC_URLS = [
    "/",
    "/health",
    "/openapi.json",
    "/docs",
    "/static/ontology.json",
    "/static/nothing.js",
]
ASSETS = ["/static/app.js", "/static/api.js", "/static/graph.js", "/static/export.js",
          "/static/style.css", "/static/docs.js", "/static/vendor/cytoscape.min.js",
          "/static/vendor/swagger-ui-bundle.js", "/static/vendor/swagger-ui.css",
          "/static/vendor/swagger-favicon.png"]  # fmt: skip
CYPHER = [
    {"query": "MATCH (c:Company)-[r]->(n) RETURN c, r, n.id AS to ORDER BY c.id, type(r), to LIMIT 5"},
    {"query": "MATCH p = (:Fund {id: $id})-[*1..2]->() RETURN p ORDER BY length(p), [n IN nodes(p) | n.id] LIMIT 2", "parameters": {"id": "gpfg"}},
    {"query": "MATCH (n) DETACH DELETE n"},
]  # fmt: skip
SCREENING = [
    {"holdings": [{"name": "Hikvision"}, {"name": "Dahua Technology"}, {"name": "Shell Holdings"}]},
    {"holdings": [{"name": "Hikvision"}, {"name": "Dahua"}], "flagged_regions": ["xinjiang"]},
    {"holdings": [{"isin": "CNE100000PM8"}, {"name": "Nobody At All"}]},
]
# query timeouts (seconds): limits are not under test, and a loaded machine must not turn an
# answer into a 503
SLOW = 300.0
STATED_ON = "2025-01-01"
RUN_ID = re.compile(r"\b\d{8}T\d{6}Z-[0-9a-f]{8}\b")


def load(driver: Driver, database: str) -> None:
    """Ingest INPUTS through the real pipeline into the (emptied) database, its statements
    first stated on STATED_ON (not today: the outputs hold the day)."""
    result = ingest_paths(INPUTS, driver, database=database, stated_on=STATED_ON)
    assert result.ok, [str(p) for p in result.problems]


def generate(driver: Driver, settings: Settings, work: Path) -> dict[str, str]:
    """Every golden output, by file name under GOLDEN_DIR, normalised. `work` is a scratch
    folder (export files, the API's key store)."""
    load(driver, settings.neo4j_database)
    outputs = {"dump.json": _json(canonical_dump(driver, settings.neo4j_database))}
    outputs.update(_exports(work))
    key_ids: dict[str, str] = {}
    outputs.update(_api(settings, work / "auth.sqlite", key_ids))
    outputs = {name: normalise(text, key_ids) for name, text in outputs.items()}
    for name, base in _bases().items():
        outputs[f"{name}.diff"] = against(base, outputs[base], name, outputs.pop(name))
    return outputs


def normalise(text: str, key_ids: dict[str, str]) -> str:
    """The module docstring's normalisations, nothing more."""
    text = RUN_ID.sub("<run>", text).replace(str(ROOT), "<root>")
    for caller, key_id in key_ids.items():
        text = text.replace(key_id, f"<key-{caller}>")
    return text


def _bases() -> dict[str, str]:
    """Exports stored as a diff: each name with the output it is compared with."""
    bases = {f"export/{level}.export-ftm.jsonl": f"export/{level}.ftm.jsonl" for level in LEVELS}
    for level in LEVELS[1:]:  # after the line above: it needs every level's ftm whole
        bases.update({f"export/{level}.{ext}": f"export/CLEAR.{ext}" for ext in EXTENSIONS.values()})  # fmt: skip
    return bases


def against(base_name: str, base: str, name: str, text: str) -> str:
    """`text` as its size, its sha256 and its unified diff (no context) from `base`: readable,
    small, and equal for equal texts only (given an equal `base`)."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    lines = "".join(
        difflib.unified_diff(
            base.splitlines(keepends=True), text.splitlines(keepends=True), base_name, name, n=0
        )
    )
    size = len(text.encode("utf-8"))
    how = f"differs from {base_name}:" if lines else f"is the same as {base_name}"
    return f"# {name} ({size} bytes, sha256 {digest}) {how}\n{lines}"


def _json(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _cli(args: list[str], out: Path) -> str:
    """Run the CLI in process, `out` appended to the arguments; what it wrote there."""
    result = CliRunner().invoke(cli, [*args, str(out)])
    assert result.exit_code == 0, (args, result.output, result.exception)
    return out.read_text(encoding="utf-8")


def _exports(work: Path) -> dict[str, str]:
    outputs = {}
    for level in LEVELS:
        for fmt, ext in EXTENSIONS.items():
            args = ["export", "--format", fmt, "--tlp", level, "-o"]
            outputs[f"export/{level}.{ext}"] = _cli(args, work / f"{level}.{ext}")
        name = f"{level}.export-ftm.jsonl"
        outputs[f"export/{name}"] = _cli(["export-ftm", "--max-tlp", level], work / name)
    for name, args in SCOPED_EXPORTS:
        outputs[f"export/{name}"] = _cli(["export", *args, "--tlp", "RED", "-o"], work / name)
    return outputs


def _slug(request: str) -> str:
    """A file name for a request: `GET /a/b?c=d` → `a_b_c=d`, `POST /x 0` → `POST_x_0`."""
    return re.sub(r"[^A-Za-z0-9=.,-]+", "_", request.removeprefix("GET ")).strip("_") or "index"


def _answer(request: str, response: Response) -> tuple[str, str]:
    """(file name suffix, text) of one answer: JSON bodies parsed, RDF and HTML as text."""
    head = {"request": request, "status": response.status_code}
    head["content-type"] = response.headers.get("content-type")
    media = (head["content-type"] or "").split(";")[0]
    if media in ("application/json", "application/problem+json"):
        return ".json", _json({**head, "body": response.json()})
    return ".txt", _json(head) + "\n" + response.text


def _api(settings: Settings, auth_db: Path, key_ids: dict[str, str]) -> dict[str, str]:
    store = KeyStore(SystemStore(make_driver(settings), settings.neo4j_database))
    headers: dict[str, dict[str, str]] = {}
    for caller, grant in CALLERS.items():
        headers[caller] = {}
        if grant:
            info, token = store.create(f"golden-{caller}", *grant)
            key_ids[caller], headers[caller] = info.id, {"X-API-Key": token}
    api_settings = ApiSettings(
        neo4j=settings,
        anonymous="clear",
        auth_db=auth_db,
        rate_limit=0,
        rate_limit_anonymous=0,
        query_timeout=SLOW,
        cypher_timeout=SLOW,
    )
    app = create_app(api_settings)
    outputs = {}
    with TestClient(app) as client:

        def put(caller: str, request: str, response: Response) -> None:
            suffix, text = _answer(request, response)
            name = f"api/{caller}/{_slug(request)}{suffix}"
            assert name not in outputs, f"two requests stored as {name}"
            outputs[name] = text

        for caller, sent in headers.items():
            for url in API_URLS:
                put(caller, f"GET {url}", client.get(url, headers=sent))
            for accept in ACCEPTS:
                response = client.get(ACCEPT_URL, headers={**sent, "Accept": accept})
                put(caller, f"GET {ACCEPT_URL} Accept: {accept}", response)
            for i, portfolio in enumerate(SCREENING):
                response = client.post("/screening", json=portfolio, headers=sent)
                put(caller, f"POST /screening {i}", response)
            for i, query in enumerate(CYPHER):
                put(caller, f"POST /cypher {i}", client.post("/cypher", json=query, headers=sent))
        for url in PUBLIC_URLS:
            put("public", f"GET {url}", client.get(url))
        outputs["api/public/static-assets.json"] = _json(
            {url: _fingerprint(client.get(url)) for url in ASSETS}
        )
    return outputs


def _fingerprint(response: Response) -> dict[str, Any]:
    return {
        "status": response.status_code,
        "content-type": response.headers.get("content-type"),
        "bytes": len(response.content),
        "sha256": hashlib.sha256(response.content).hexdigest(),
    }


def differences(actual: dict[str, str], golden_dir: Path = GOLDEN_DIR) -> list[str]:
    """The names of outputs that differ from, are missing from or are extra to `golden_dir`."""
    stored = {p.relative_to(golden_dir).as_posix() for p in _stored(golden_dir)}
    return sorted(
        name
        for name in stored | set(actual)
        if name not in actual
        or name not in stored
        or (golden_dir / name).read_text(encoding="utf-8") != actual[name]
    )


def _stored(golden_dir: Path) -> list[Path]:
    return [p for p in golden_dir.rglob("*") if p.is_file() and p.name != "README.md"]


def record(actual: dict[str, str], golden_dir: Path = GOLDEN_DIR) -> list[str]:
    """Write every output (and remove stale files); the names that changed."""
    changed = differences(actual, golden_dir)
    for path in _stored(golden_dir):
        if path.relative_to(golden_dir).as_posix() not in actual:
            path.unlink()
    for name, text in actual.items():
        path = golden_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return changed
