"""The web page end to end in headless Chromium (Debian's `chromium`, driven by Playwright with the
system browser; never a downloaded browser) against the API serving the seed and documented
cases ingested through the real pipeline: search → company → allegations → the fund's exposure
in Xinjiang drawn with Cytoscape → the contract claim's quote in the side panel, and the exports.
Screenshots go to `test-artifacts/` (gitignored)."""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from graph_fixture import load_reports
from helpers import DOCUMENTED, SEED
from neo4j import Driver
from web_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SLOW_MACHINE_MS,
    click_node,
    csp_violations,
    csv_caption_and_rows,
    ensure_chromium,
    ensure_graph_library,
    screenshot,
    skip,
    watch_errors,
)

from api.app import create_app
from api.routers import web
from api.settings import ApiSettings
from core.settings import Settings
from rightsgraph.served import free_port

CONTRACT = "contracts-xinjiang-hikvision-dahua-since-2016"
CONTRACT_QUOTE = "The letter stresses"
HOLDINGS = ("holding-gpfg-hikvision-2019-12-31", "holding-gpfg-dahua-2019-12-31")
EXPOSURE = "/funds/gpfg/exposure?region=xinjiang&as_of=2019-12-31&limit=200"


@pytest.fixture(scope="module")
def base_url(driver: Driver, settings: Settings) -> Iterator[str]:
    """The API (and so the page) on a free loopback port, over the seed and documented cases."""
    ensure_chromium()
    ensure_graph_library()
    load_reports(driver, settings.neo4j_database, [SEED, DOCUMENTED])
    port = free_port()
    config = uvicorn.Config(
        create_app(ApiSettings(neo4j=settings, query_timeout=60.0)),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the API did not start")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    httpx.get(url + EXPOSURE, timeout=120)  # warm Neo4j's query plans before the browser asks
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(base_url: str) -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def page(browser, base_url: str):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(SLOW_MACHINE_MS)
    errors = watch_errors(page)
    page.goto(base_url + "/")
    yield page
    errors += csp_violations(page)
    context.close()
    assert errors == [], errors


def wait_for_graph(page) -> None:
    """Until the graph is drawn or the page shows a problem (then fail with its text)."""
    page.wait_for_function(  # a function, not an expression: Playwright evals expressions, which
        # the page's Content-Security-Policy (no 'unsafe-eval') refuses
        "() => (window.cy && window.cy.nodes().length > 0 && location.hash.includes('xinjiang'))"
        " || document.querySelector('main .problem')",
        timeout=SLOW_MACHINE_MS,
    )
    problem = page.locator("main .problem")
    assert problem.count() == 0, problem.first.inner_text()


def open_exposure(page) -> None:
    page.fill("#f-region", "xinjiang")
    page.fill("#f-asof", "2019-12-31")
    page.click(".filters button[type=submit]")
    wait_for_graph(page)


def test_search_company_allegations_then_exposure_graph_with_the_contract_quote(
    page, base_url: str
) -> None:
    page.fill("#search-input", "hikvision")
    page.wait_for_selector("#results a[href='#/entity/hikvision']")
    assert "result" in page.inner_text("#search-status")
    page.click("#results a[href='#/entity/hikvision']")

    page.wait_for_selector(".allegation")
    assert page.inner_text("#entity-title") == "Hangzhou Hikvision Digital Technology Co., Ltd."
    allegations = page.locator(".allegation")
    expected = httpx.get(base_url + "/companies/hikvision/allegations", timeout=120).json()
    assert allegations.count() == expected["total"] >= 3
    text = page.inner_text(".allegations")
    assert "Alleged" in text and "Mass surveillance" in text
    assert "TLP:CLEAR" in page.inner_text(".entity-head")
    assert "SZSE:002415" in page.inner_text("main")  # identifiers
    screenshot(page, "web-entity-hikvision.png")

    page.click("a.button:has-text('Exposure of Government Pension Fund Global')")
    page.wait_for_selector("#f-region")
    open_exposure(page)

    exposure = httpx.get(base_url + EXPOSURE, timeout=120).json()
    nodes = set(page.evaluate("window.cy.nodes().map(n => n.id())"))
    edges = set(page.evaluate("window.cy.edges().map(e => e.id())"))
    drawn = {"gpfg", *HOLDINGS, "hikvision", "dahua", CONTRACT, "xinjiang"}
    assert drawn <= nodes
    for path in exposure["paths"]:
        assert {path["holding"]["id"], path["company"]["id"], path["contract"]["id"]} <= nodes
        assert {r["id"] for r in path["regionPath"]} <= nodes
        assert {a["id"] for a in path["allegations"]} <= nodes
        assert f"{path['supplier']['id']}|SUPPLIER_OF|{path['contract']['id']}" in edges
        assert f"{path['contract']['id']}|PERFORMED_IN|{path['region']['id']}" in edges
    assert {f"gpfg|HOLDS|{h}" for h in HOLDINGS} <= edges
    assert "pishan-county|PART_OF|hotan-prefecture" in edges
    assert f"allegation-ipvm-hikvision-xinjiang|CONCERNS_CONTRACT|{contract_of(exposure)}" in edges
    figures = page.inner_text(".figures")
    assert "1,502,173,015 NOK" in figures and str(exposure["total"]) in figures

    # a real click on the contract node in the canvas shows its evidence in the side panel
    click_node(page, CONTRACT)
    page.wait_for_selector(f".panel :text('{CONTRACT_QUOTE}')")
    assert page.evaluate("window.cy.$(':selected').map(e => e.id())") == [CONTRACT]
    panel = page.inner_text(".panel")
    assert "Government-backed contracts in the Uyghur region" in panel
    assert "ScandAsia" in panel and "Evidence (2)" in panel
    shot = screenshot(page, "web-exposure-xinjiang.png")
    assert shot.stat().st_size > 20_000


def contract_of(exposure: dict) -> str:
    """The contract the IPVM Hikvision allegation concerns directly (its `contract` touch)."""
    for path in exposure["paths"]:
        for a in path["allegations"]:
            if a["id"] == "allegation-ipvm-hikvision-xinjiang" and "contract" in a["touches"]:
                return path["contract"]["id"]
    raise AssertionError("no contract touched by the IPVM allegation")


def test_keyboard_list_selects_a_link_and_exports_png_svg_csv(page, base_url: str) -> None:
    page.goto(base_url + "/#/exposure/gpfg?region=xinjiang&as_of=2019-12-31")
    wait_for_graph(page)

    # keyboard alternative to the canvas: the list of nodes and links, operated with Enter
    page.focus(".element-list summary")
    page.keyboard.press("Enter")
    link = f"hikvision|SUPPLIER_OF|{CONTRACT}"
    page.focus(f".element-list button[data-id='{link}']")
    page.keyboard.press("Enter")
    page.wait_for_selector(f".panel :text('{CONTRACT_QUOTE}')")
    assert "Link SUPPLIER_OF" in page.inner_text(".panel")
    assert page.evaluate("window.cy.$(':selected').map(e => e.id())") == [link]

    with page.expect_download() as png:
        page.click("#export-png")
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    with page.expect_download() as svg:
        page.click("#export-svg")
    root = ET.parse(svg.value.path()).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    assert len(root.findall(f"{ns}g")) == page.evaluate("window.cy.nodes().length")
    assert len(root.findall(f"{ns}polyline")) == page.evaluate("window.cy.edges().length")

    with page.expect_download() as download:
        page.click("#export-csv")
    assert download.value.suggested_filename == "exposure-gpfg-xinjiang-2019-12-31.csv"
    caption, rows = csv_caption_and_rows(Path(download.value.path()).read_text("utf-8"))
    assert caption[0] == "Exposure of Government Pension Fund Global"
    exposure = httpx.get(base_url + EXPOSURE, timeout=120).json()
    assert {r["contract_id"] for r in rows} == {p["contract"]["id"] for p in exposure["paths"]}
    quotes = [r for r in rows if r["contract_id"] == CONTRACT and r["evidence_of"] == "contract"]
    assert any(r["quote"].startswith(CONTRACT_QUOTE) for r in quotes)
    assert all(r["source_id"] and r["quote"] for r in rows)


def test_csv_cells_that_a_spreadsheet_would_run_are_defused(page) -> None:
    cells = page.evaluate(
        """async () => { const m = await import('/static/export.js');
             return ['=1+1', '+SUM(A1)', '-2', '@cmd', '\\tx', '\\rx', 'a"b', 'plain', null]
               .map(m.csvCell); }"""
    )
    assert cells == [
        '"\'=1+1"',
        '"\'+SUM(A1)"',
        '"\'-2"',
        '"\'@cmd"',
        '"\'\tx"',
        '"\'\rx"',
        '"a""b"',
        '"plain"',
        '""',
    ]


def test_api_key_stays_in_session_storage_and_goes_out_as_a_header(page, base_url: str) -> None:
    sent: list[str | None] = []
    page.on(
        "request",
        lambda r: sent.append(r.headers.get("x-api-key")) if "/search" in r.url else None,
    )
    page.fill("#key-input", "rg-test-key")
    page.click("#key-form button[type=submit]")
    assert page.input_value("#key-input") == ""  # not left on screen
    stored = page.evaluate("[sessionStorage.getItem('rightsgraph.apiKey'), localStorage.length]")
    assert stored == ["rg-test-key", 0]
    with page.expect_response(lambda r: "/search" in r.url):
        page.fill("#search-input", "dahua")
    assert sent and sent[-1] == "rg-test-key"
    page.click("#key-forget")
    assert page.evaluate("sessionStorage.getItem('rightsgraph.apiKey')") is None


def test_rdf_button_downloads_the_drawn_graph_through_the_export_endpoint(
    page, base_url: str
) -> None:
    if httpx.get(base_url + "/openapi.json", timeout=60).json()["paths"].get("/export") is None:
        skip("GET /export is not mounted in api/app.py yet")
    page.goto(base_url + "/#/exposure/gpfg?region=xinjiang&as_of=2019-12-31")
    wait_for_graph(page)
    with page.expect_download() as download:
        page.click("#export-rdf")
    text = Path(download.value.path()).read_text("utf-8")
    assert download.value.suggested_filename.endswith(".ttl")
    assert text.startswith("# Exposure of Government Pension Fund Global\n")
    assert "gpfg" in text and CONTRACT in text


def test_region_first_lists_the_funds_then_drills_into_one_and_explains_an_exit(
    page, base_url: str
) -> None:
    errors = watch_errors(page)
    page.fill("#r-region", "Xinjiang")  # suggestions by name, the value sent is the id
    page.wait_for_selector("#r-region-options option[value='xinjiang']", state="attached")
    page.fill("#r-region", "xinjiang")
    page.fill("#r-asof", "2019-12-31")
    page.click(".region-start button[type=submit]")
    page.wait_for_selector("table.funds")
    expected = httpx.get(base_url + "/exposure?region=xinjiang&as_of=2019-12-31&paths_limit=0", timeout=120).json()  # fmt: skip
    rows = page.locator("table.funds tbody tr")
    assert rows.count() == expected["total"] == 1
    text = rows.first.inner_text()
    assert "Government Pension Fund Global" in text and "1,502,173,015" in text
    screenshot(page, "web-region-xinjiang.png")
    page.click("table.funds a:has-text('Government Pension Fund Global')")
    wait_for_graph(page)
    assert "Exposure of" in page.inner_text("#exposure-title")
    assert "Aggregate claims" in page.inner_text(".totals")
    # the latest holdings: no graph, the API's explanation, and the dated history
    page.goto(base_url + "/#/exposure/gpfg?region=xinjiang")
    page.wait_for_selector(".explanation")
    assert "2020-09-11" in page.inner_text(".explanation")
    page.click(".explanation a.button")
    page.wait_for_selector(".timeline-list li")
    assert "2019-12-31" in page.inner_text(".timeline")
    screenshot(page, "web-exposure-history.png")
    assert errors == [], errors


def test_docs_run_under_the_content_security_policy(browser, base_url: str) -> None:
    """/docs is Swagger UI from web/node_modules: it lists the operations with no CSP refusal,
    with the network blocked (every request not to our own server is aborted and recorded)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    outside: list[str] = []

    def block(route) -> None:  # noqa: ANN001 - Playwright's Route
        outside.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith(base_url), block)
    page = context.new_page()
    page.set_default_timeout(SLOW_MACHINE_MS)
    errors = watch_errors(page)
    response = page.goto(base_url + "/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/search" in " ".join(paths) and "/cypher" in " ".join(paths)
    page.click(".opblock-summary-path:has-text('/search')")
    page.wait_for_selector(".opblock-body")
    screenshot(page, "web-docs.png")
    errors += csp_violations(page)
    context.close()
    assert errors == [], errors
    assert outside == [], outside


def test_page_routes_stay_out_of_openapi_and_answer_problems(settings: Settings) -> None:
    with TestClient(create_app(ApiSettings(neo4j=settings))) as client:
        paths = client.get("/openapi.json").json()["paths"]
        assert "/" not in paths and not any(p.startswith("/static") for p in paths)
        for url in ("/static/../pyproject.toml", "/static/vendor/other.js", "/static/nope.js"):
            response = client.get(url)
            assert response.status_code == 404, url
            assert response.headers["content-type"].startswith("application/problem+json")
        labels = client.get("/static/ontology.json").json()
        assert "lei" in labels["identifiers"] and labels["classes"]["Company"]["label"]


def test_page_without_the_graph_library_says_run_make_setup(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web, "WEB_ROOT", tmp_path)  # an installation where npm ci never ran
    with TestClient(create_app(ApiSettings(neo4j=settings))) as client:
        response = client.get("/static/vendor/cytoscape.min.js")
        assert response.status_code == 503
        assert "make setup" in response.json()["detail"]
        assert client.get("/").status_code == 503


def test_watches_view_shows_the_new_alert_with_its_path_and_quote_behind_a_badge(
    page, base_url: str, driver: Driver, settings: Settings, tmp_path: Path
) -> None:
    from helpers import report_document, write_report
    from security_helpers import key, make_keys

    from ingest.pipeline import ingest_paths

    report = Path(__file__).resolve().parent / "data" / "watches" / "new-allegation.yaml"
    token = make_keys(settings)["green_reader"]
    body = {"name": "GPFG end of 2019", "fund": "gpfg", "asOf": "2019-12-31"}
    made = httpx.post(base_url + "/watches", json=body, headers=key(token), timeout=60)
    assert made.status_code == 201, made.text
    watch = made.json()["watch"]["id"]
    try:
        assert ingest_paths([report], driver, database=settings.neo4j_database).ok
        page.fill("#key-input", token)
        page.click("#key-form button[type=submit]")
        page.wait_for_function("() => document.getElementById('alerts-badge').textContent === '1'")
        page.click("#alerts-link")
        page.wait_for_selector(".watch .alert-new")
        assert "null" not in page.inner_text("main")
        text = page.inner_text(".watch")
        assert "Watchtest cameras tracked detainees" in text and " -HOLDS-> " in text
        page.wait_for_function("() => document.getElementById('alerts-badge').textContent === ''")
        screenshot(page, "watches.png")
    finally:
        httpx.delete(f"{base_url}/watches/{watch}", headers=key(token), timeout=60)
        gone = report_document(report)
        gone["@graph"] = gone["@graph"][:1]  # the allegation leaves the shared graph again
        ingest_paths([write_report(tmp_path / report.name, gone)], driver)
