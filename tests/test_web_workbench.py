"""The investigator's workbench in headless Chromium (as tests/test_web_e2e.py: Debian's
chromium driven by Playwright): the Cypher console (a query drawn as a graph and a table, a named
query run from its form, a saved query reopened by URL, an error at the user's line and column),
the timeline of GPFG and Hikvision with the 2020 exit, the layered exposure graph (no link
through a node it does not join, every click on its node), the exports of what is drawn (SVG
caption, CSV caption, RDF of the drawn nodes only), the review queue's proposals and ingest
conflicts decided on the page, and the page at 900 px. Screenshots go to test-artifacts/."""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
import yaml
from adapter_helpers import ingest
from graph_fixture import load_reports
from helpers import DOCUMENTED, SEED
from neo4j import Driver
from rdflib import RDF, Graph
from security_helpers import make_keys
from web_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NODE_ON_SCREEN_JS,
    SLOW_MACHINE_MS,
    click_node,
    csp_violations,
    csv_caption_and_rows,
    edge_crossings,
    ensure_chromium,
    ensure_graph_library,
    screenshot,
    skip,
    watch_errors,
)

from api.app import create_app
from api.settings import ApiSettings
from core.settings import Settings
from ingest.conflicts import list_conflicts
from ingest.decisions import list_proposals
from ontology.model import ID_BASE, RG, iri_to_id
from rightsgraph.served import free_port

EXPOSURE_PAGE = "/#/exposure/gpfg?region=xinjiang&as_of=2019-12-31"
DRAFT_DESCRIPTION = "A draft says Dahua makes thermal cameras only."


def holdings_csv(path: Path, name: str) -> Path:
    path.write_text(
        f"fund,company,country,as_of,value,currency\nExample Fund,{name},CN,2019-12-31,1,NOK\n",
        encoding="utf-8",
    )
    return path


def draft_report(path: Path) -> Path:
    """An unreviewed report stating Dahua's description against the reviewed one: a conflict."""
    doc = {
        "id": "report-draft-dahua",
        "type": "Report",
        "name": "Draft note on Dahua",
        "reviewStatus": "unreviewed",
        "tlp": "CLEAR",
        "@graph": [
            {
                "id": "src-draft-dahua",
                "type": "Source",
                "name": "Draft source on Dahua",
                "url": "https://example.org/draft/dahua",
                "publisher": "Draft Desk",
            },
            {
                "id": "dahua",
                "type": "Company",
                "name": "Zhejiang Dahua Technology Co., Ltd.",
                "description": DRAFT_DESCRIPTION,
                "evidence": [{"source": "src-draft-dahua", "quote": "thermal cameras only"}],
            },
        ],
    }
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def served(
    driver: Driver, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    """The API over the seed and documented cases plus one look-alike pair and one conflicting
    draft to review; keys."""
    ensure_chromium()
    ensure_graph_library()
    db = settings.neo4j_database
    load_reports(driver, db, [SEED, DOCUMENTED])
    folder = tmp_path_factory.mktemp("review")
    good = holdings_csv(folder / "a.csv", "Hangzhou Hikvision Digital Technology Co Ltd")
    typo = holdings_csv(folder / "b.csv", "Hangzhou Hikvison Digitel Technology Co Ltd")
    assert ingest(driver, db, [good]).ok and ingest(driver, db, [typo]).ok
    assert list_proposals(driver, database=db), "the typo should have made a proposal"
    assert ingest(driver, db, [draft_report(folder / "draft.yaml")]).ok
    tokens = make_keys(settings)
    app = create_app(ApiSettings(neo4j=settings, query_timeout=60.0, cypher_timeout=120.0))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + SLOW_MACHINE_MS / 1000  # a loaded machine starts slowly
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the API did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", tokens
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(served) -> Iterator[object]:
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


def open_page(browser, served, token: str | None, width: int = 1366):
    base, _ = served
    context = browser.new_context(viewport={"width": width, "height": 800}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(SLOW_MACHINE_MS)
    errors = watch_errors(page)
    page.goto(base + "/")
    if token:
        page.fill("#key-input", token)
        page.click("#key-form button[type=submit]")
    return context, page, errors


@pytest.fixture()
def investigator(browser, served):
    context, page, errors = open_page(browser, served, served[1]["investigator"])
    yield page
    errors += csp_violations(page)
    context.close()
    assert errors == [], errors


def wait_for_results(page) -> None:
    page.wait_for_function(
        "() => document.querySelector('#console-status')?.textContent.includes('row')"
        " || document.querySelector('#console-error')"
    )
    error = page.locator("#console-error")
    assert error.count() == 0, error.inner_text()


def set_query(page, text: str) -> None:
    page.evaluate("text => window.consoleEditor.setValue(text)", text)


def test_console_query_drawn_as_a_graph_and_a_table(investigator) -> None:
    page = investigator
    page.click("nav.views a[href='#/console']")
    page.wait_for_selector(".console[data-schema='ready'] .CodeMirror")
    # completion from the live schema: after "(f:Fu" the editor offers the label Fund
    page.click(".CodeMirror")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type("MATCH (f:Fu")
    page.wait_for_selector(".CodeMirror-hint:has-text('Fund')")
    page.keyboard.press("Escape")
    set_query(
        page,
        "MATCH (f:Fund {id: $fund})-[r:HOLDS]->(h:Holding)-[i:IN]->(c:Company)\n"
        "WHERE h.asOf = '2019-12-31'\nRETURN f, r, h, i, c, c.name AS company;",
    )
    page.fill("#cypher-params", '{"fund": "gpfg"}')
    page.click("#cypher-run")
    wait_for_results(page)
    page.wait_for_function("() => window.consoleCy && window.consoleCy.nodes().length > 0")
    nodes = set(page.evaluate("window.consoleCy.nodes().map(n => n.id())"))
    assert {"gpfg", "holding-gpfg-hikvision-2019-12-31", "hikvision", "dahua"} <= nodes
    edges = set(page.evaluate("window.consoleCy.edges().map(e => e.id())"))
    assert "gpfg|HOLDS|holding-gpfg-hikvision-2019-12-31" in edges
    screenshot(page, "web-console-graph.png")

    # a click on a node draws its neighbours
    before = len(nodes)
    x, y = page.evaluate(
        """() => { const n = window.consoleCy.getElementById('hikvision');
                   const p = n.renderedPosition(); const b = window.consoleCy.container().getBoundingClientRect();
                   return [b.left + p.x, b.top + p.y]; }"""
    )
    page.mouse.click(x, y)
    page.wait_for_selector("#console-panel :text('neighbours drawn')")
    assert page.evaluate("window.consoleCy.nodes().length") > before

    page.click("#tab-table")
    table = page.inner_text("#console-table")
    assert "company" in table and "Hangzhou Hikvision Digital Technology Co., Ltd." in table
    assert page.locator("#console-table tbody tr").count() == 2
    page.click("#tab-json")
    assert '"holding-gpfg-dahua-2019-12-31"' in page.inner_text("#console-json")
    screenshot(page, "web-console-table.png")

    # an error points at the user's own line and column (not the injected EXPLAIN)
    set_query(page, "MATCH (n)\nRETURN n LIMT 1")
    page.click("#cypher-run")
    page.wait_for_selector("#console-error")
    assert page.inner_text("#console-error").startswith("Line 2, column 10")
    assert page.locator(".cm-error-mark").count() == 1
    # history keeps the queries of this tab
    options = page.eval_on_selector_all(
        "#cypher-history option", "os => os.map(o => o.textContent)"
    )
    assert any("LIMT" in o for o in options) and any("HOLDS" in o for o in options)


def test_named_query_from_its_form_and_a_saved_query_by_url(investigator, served) -> None:
    page = investigator
    page.goto(served[0] + "/#/console")
    page.wait_for_selector("#named-query")
    page.select_option("#named-query", "exposure")
    page.wait_for_selector("#np-as_of")
    assert page.input_value("#np-fund") == "gpfg"  # from the header's :param lines
    page.fill("#np-as_of", "2019-12-31")
    page.click("#named-run")
    wait_for_results(page)
    page.click("#tab-json")
    assert '"pathCount"' in page.inner_text("#console-json")
    page.wait_for_function("() => window.consoleCy && window.consoleCy.nodes().length > 0")
    assert "xinjiang" in page.evaluate("window.consoleCy.nodes().map(n => n.id())")
    screenshot(page, "web-console-named-query.png")

    query = "MATCH (c:Company {id: $id}) RETURN c.name AS name"
    set_query(page, query)
    page.fill("#cypher-params", '{"id": "dahua"}')
    page.fill("#save-name", "dahua by id")
    page.click("#cypher-save")
    page.wait_for_selector("#saved-link")
    link = page.get_attribute("#saved-link", "href")
    assert link.startswith("#/console?saved=") and page.url.endswith(link)
    page.wait_for_selector("#saved-list a:has-text('dahua by id')")

    # another page (the same key) opens the link: the query, its parameters, its result
    page.goto(served[0] + "/#/")
    page.goto(served[0] + "/" + link)
    wait_for_results(page)
    assert page.evaluate("window.consoleEditor.getValue()") == query
    assert "Zhejiang Dahua" in page.inner_text("#console-table")
    screenshot(page, "web-console-saved.png")


def test_console_refused_without_an_investigator_key(browser, served) -> None:
    context, page, errors = open_page(browser, served, None)
    page.goto(served[0] + "/#/console")
    page.wait_for_selector("main .problem")
    assert "investigator" in page.inner_text("main .problem")
    context.close()
    assert errors == []


def test_timeline_of_gpfg_and_hikvision_shows_the_2020_exit(investigator, served) -> None:
    page = investigator
    page.goto(served[0] + "/#/entity/hikvision")
    page.click("a.button:has-text('Timeline with Government Pension Fund Global')")
    page.wait_for_selector("#timeline-list")
    assert "Timeline of Government Pension Fund Global and" in page.inner_text("#timeline-title")
    exits = page.locator(".tl-event.tl-exit")
    assert exits.count() >= 1
    assert exits.first.inner_text().startswith("2020")
    assert page.locator("svg.timeline-axis .tl-exit").count() == exits.count()
    text = page.inner_text("#timeline-list")
    for kind in ("Holding", "Contract", "Allegation", "Demand", "Measure"):
        assert kind in text
    dates = [d for d in page.locator(".tl-event .tl-date").all_inner_texts() if d != "undated"]
    assert dates == sorted(dates)
    screenshot(page, "web-timeline-gpfg-hikvision.png")


def test_review_decision_taken_on_the_page(browser, served, driver, settings) -> None:
    context, page, errors = open_page(browser, served, served[1]["editor"])
    page.click("nav.views a[href='#/review']")
    page.wait_for_selector(".review-card")
    card = page.locator(".review-card").first
    pid = card.get_attribute("data-id")
    card.locator(".review-sources").first.wait_for()
    assert card.locator(".review-side").count() == 2
    card.locator(".review-note").fill("typo of the same firm? no: checked")
    screenshot(page, "web-review-queue.png")
    card.locator("button[data-judgement='different']").click()
    page.wait_for_selector(f".review-card[data-id='{pid}'] :text('Recorded: different')")
    open_ids = [p["id"] for p in list_proposals(driver, database=settings.neo4j_database)]
    assert pid not in open_ids
    rows, _, _ = driver.execute_query(
        "MATCH (d:Decision {id: $id}) RETURN d.judgement AS j, d.note AS note", id=pid
    )
    assert [tuple(r.values()) for r in rows] == [
        ("different", "typo of the same firm? no: checked")
    ]
    errors += csp_violations(page)
    context.close()
    assert errors == [], errors


def test_page_at_900_px(browser, served) -> None:
    context, page, errors = open_page(browser, served, served[1]["investigator"], width=900)
    page.goto(served[0] + "/#/console")
    page.wait_for_selector(".CodeMirror")
    set_query(page, "MATCH (f:Fund)-[r:HOLDS]->(h:Holding) RETURN f, r, h LIMIT 3")
    page.click("#cypher-run")
    wait_for_results(page)
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths  # nothing wider than the window
    graph = page.evaluate("document.querySelector('#console-graph').getBoundingClientRect().width")
    assert graph > 500
    screenshot(page, "web-console-900px.png")
    page.goto(served[0] + EXPOSURE_PAGE)
    page.wait_for_function("() => window.cy && window.cy.nodes().length > 0")
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    # the same layered drawing, fitted to the width and no smaller than 0.55: the graph's box
    # grows taller instead, so the 12 px names stay readable
    assert edge_crossings(page) == []
    assert page.evaluate("window.cy.zoom()") >= 0.55
    box = page.evaluate("window.cy.elements().renderedBoundingBox()")
    assert box["w"] <= page.evaluate("window.cy.width()") + 1
    click_node(page, "dahua")
    assert page.evaluate("window.cy.$(':selected').map(e => e.id())") == ["dahua"]
    screenshot(page, "web-exposure-900px.png")
    errors += csp_violations(page)
    context.close()
    assert errors == [], errors


def test_a_filter_removes_a_node_and_the_svg_caption_names_the_drawn_sources(
    investigator, served
) -> None:
    page = investigator
    page.goto(served[0] + "/#/exposure/gpfg?region=xinjiang&as_of=2019-12-31")
    page.wait_for_function("() => window.cy && window.cy.nodes().length > 0")
    statuses = page.evaluate(
        """() => window.cy.nodes('[kind = "Allegation"]').map(n => [n.id(), n.data('fact').status])"""
    )
    status = sorted({s for _, s in statuses})[0]
    gone = {i for i, s in statuses if s == status}
    assert gone and len(gone) < len(statuses)
    page.click("#graph-filters summary")
    page.uncheck(f"fieldset[data-facet='status'] input[value='{status}']")
    page.wait_for_function("n => window.cy.nodes('.filtered').length >= n", arg=len(gone))
    visible = set(page.evaluate("window.cy.nodes(':visible').map(n => n.id())"))
    assert not (gone & visible) and "gpfg" in visible and "hikvision" in visible
    screenshot(page, "web-exposure-filtered.png")

    with page.expect_download() as svg:
        page.click("#export-svg")
    root = ET.parse(svg.value.path()).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}g")) == len(visible)
    caption = [t.text for t in root.findall(f"{ns}text[@class='caption']")]
    assert caption[0].startswith("Exposure of Government Pension Fund Global")
    assert any(line.startswith("Filters: allegation status: ") for line in caption)
    assert any("Legend:" in line for line in caption)
    drawn_sources = page.evaluate(
        """() => [...new Set(window.cy.elements(':visible').flatMap(
             el => (el.data('evidence') || []).map(e => e.title || e.source)))]"""
    )
    assert drawn_sources and f"Sources ({len(drawn_sources)}):" in caption
    listed = "\n".join(caption)
    assert all(title in listed for title in drawn_sources)
    hidden_only = page.evaluate(
        """() => { const shown = new Set(window.cy.elements(':visible').flatMap(
                     el => (el.data('evidence') || []).map(e => e.source)));
                   return [...new Set(window.cy.elements(':hidden').flatMap(
                     el => (el.data('evidence') || []).map(e => e.title || e.source)
                       .filter((_, i) => !shown.has((el.data('evidence'))[i].source))))]; }"""
    )
    assert not any(f"• {title}" in listed for title in hidden_only)

    with page.expect_download() as png:
        page.click("#export-png")
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as download:
        page.click("#export-csv")
    text = Path(download.value.path()).read_text("utf-8")
    assert not any(i in text for i in gone)
    csv_caption, rows = csv_caption_and_rows(text)
    assert csv_caption == caption  # the SVG's caption, line for line
    assert rows and {r["fund_id"] for r in rows} == {"gpfg"}

    # RDF of exactly the drawn nodes (POST /export with their ids), with the caption on top
    page.select_option("#rdf-format", "turtle")
    with page.expect_download() as rdf:
        page.click("#export-rdf")
    turtle = Path(rdf.value.path()).read_text("utf-8")
    assert turtle.splitlines()[: len(caption)] == [f"# {line}" for line in caption]
    graph = Graph().parse(data=turtle, format="turtle")
    typed = {iri_to_id(str(s)) for s in graph.subjects(RDF.type) if str(s).startswith(ID_BASE)}
    beside = {
        iri_to_id(str(s))
        for cls in (RG.Source, RG.Report, RG.Evidence)
        for s in graph.subjects(RDF.type, cls)
    }
    assert typed - beside == visible  # every drawn node, nothing else
    assert {iri_to_id(str(s)) for s in graph.subjects(RDF.type, RG.Source)} >= {
        e
        for e in page.evaluate(
            "[...new Set(window.cy.elements(':visible').flatMap(el => (el.data('evidence') || []).map(e => e.source)))]"
        )
    }


def test_the_exposure_graph_is_layered_and_every_click_lands_on_its_node(investigator, served):
    page = investigator
    page.goto(served[0] + EXPOSURE_PAGE)
    page.wait_for_function("() => window.cy && window.cy.nodes().length > 0")
    # no link passes through a node it does not join (shapes and labels, from the positions
    # Cytoscape drew); straight lines between the same nodes would
    assert edge_crossings(page) == []
    straight = edge_crossings(page, straight=True)
    print(f"straight lines would pass through {len(straight)} nodes: {straight[:3]}")
    assert straight, "the check must be able to fail on this graph"
    # layered: fund → holding → company → contract → region, each link to a later rank
    backwards = page.evaluate(
        """() => window.cy.edges().filter(e => !['AGAINST', 'CONCERNS', 'CONCERNS_CONTRACT']
             .includes(e.data('type')) && e.source().position().x >= e.target().position().x)
             .map(e => e.id())"""
    )
    assert backwards == []
    ranks = page.evaluate(
        "() => ['gpfg', 'holding-gpfg-hikvision-2019-12-31', 'hikvision', 'xinjiang']"
        ".map(id => window.cy.getElementById(id).position().x)"
    )
    assert ranks == sorted(ranks) and len(set(ranks)) == 4
    # full names, wrapped, never cut; on hover too
    labels = page.evaluate(
        "window.cy.nodes().map(n => [n.data('label'), n.data('name'), n.style('text-wrap')])"
    )
    assert all(label == name and wrap == "wrap" for label, name, wrap in labels)
    contract = "contracts-xinjiang-hikvision-dahua-since-2016"
    full = page.evaluate(f"window.cy.getElementById('{contract}').data('name')")
    x, y = page.evaluate(NODE_ON_SCREEN_JS, [contract, "node"])
    page.mouse.move(x, y)
    page.wait_for_function(
        "t => document.getElementById('graph').title === t", arg=f"Contract: {full}"
    )
    # a click on any node's shape selects that node, and a click on its name too
    for node in page.evaluate("window.cy.nodes().map(n => n.id())"):
        click_node(page, node)
        assert page.evaluate("window.cy.$(':selected').map(e => e.id())") == [node]
    click_node(page, contract, "label")
    assert page.evaluate("window.cy.$(':selected').map(e => e.id())") == [contract]
    page.wait_for_selector(f".panel :text('{full}')")
    screenshot(page, "web-exposure-layered.png")


def test_an_ingest_conflict_is_shown_and_decided_in_the_review_queue(
    browser, served, driver, settings
) -> None:
    context, page, errors = open_page(browser, served, served[1]["editor"])
    page.click("nav.views a[href='#/review']")
    card = page.locator(".conflict-card").first
    card.wait_for()
    cid = card.get_attribute("data-id")
    assert "Zhejiang Dahua Technology Co., Ltd." in card.locator("h3").inner_text()
    new, reviewed = card.locator(".review-side").all()
    assert DRAFT_DESCRIPTION in new.inner_text() and "unreviewed" in new.inner_text()
    assert "Draft note on Dahua" in new.inner_text() and "Draft source on Dahua" in new.inner_text()
    assert "Chinese maker of video surveillance" in reviewed.inner_text()
    assert "reviewed" in reviewed.inner_text() and "Documented case" in reviewed.inner_text()
    assert "2019 Interim Report of Zhejiang Dahua" in reviewed.inner_text()  # its source
    screenshot(page, "web-review-conflict.png")
    card.locator(".review-note").fill("the annual reports say otherwise")
    card.locator("button[data-judgement='keep']").click()
    page.wait_for_selector(f".conflict-card[data-id='{cid}'] :text('Recorded: keep')")
    db = settings.neo4j_database
    assert cid not in [c["id"] for c in list_conflicts(driver, levels=["CLEAR"], database=db)]
    (decided,) = list_conflicts(driver, levels=["CLEAR"], status="decided", database=db)
    assert decided["decision"]["judgement"] == "keep"
    assert decided["decision"]["note"] == "the annual reports say otherwise"
    errors += csp_violations(page)
    context.close()
    assert errors == [], errors
