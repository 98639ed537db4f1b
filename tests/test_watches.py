"""Watches and alerts against the real Neo4j and API: an ingest that adds an allegation against a
held company raises one alert with its path and quote, delivered by the alert list, the Atom feed
and a signed webhook (at least once, also to a receiver that was down); re-ingesting raises
none, a failed ingest none, and an AMBER fact never reaches a GREEN watch."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient
from helpers import DOCUMENTED, dump, free_port, report_document, write_report
from neo4j import Driver
from security_helpers import CONFIDENTIAL, key, make_app
from typer.testing import CliRunner

from core.names import ALERT_LABEL, DELIVERY_LABEL, WATCH_LABEL
from core.settings import Settings
from ingest import watches
from ingest.merge import decide
from ingest.pipeline import ingest_paths
from rightsgraph.cli import app as cli

NEW_ALLEGATION = Path(__file__).resolve().parent / "data" / "watches" / "new-allegation.yaml"
FACT = "allegation-watch-test-hikvision"
QUOTE = "Watchtest cameras tracked detainees"
HOLDING = "holding-gpfg-hikvision-2019-12-31"
WATCH_2019 = {"name": "GPFG end of 2019", "fund": "gpfg", "asOf": "2019-12-31"}
FAST_WEBHOOKS = {
    "webhook_hosts": ("127.0.0.1",),
    "webhook_poll": 0.1,
    "webhook_backoff": 0.2,
    "webhook_backoff_max": 0.5,
}


def ingest(driver: Driver, settings: Settings, *paths: Path) -> None:
    result = ingest_paths(list(paths), driver, database=settings.neo4j_database)
    assert result.ok, result.problems


def forget_watches(driver: Driver, settings: Settings) -> None:
    driver.execute_query(
        f"MATCH (n) WHERE n:`{WATCH_LABEL}` OR n:`{ALERT_LABEL}` OR n:`{DELIVERY_LABEL}` "
        "DETACH DELETE n",
        database_=settings.neo4j_database,
    )


@pytest.fixture()
def graph(neo4j_db: Driver, settings: Settings) -> Iterator[Driver]:
    """The documented case (GPFG's holdings of Hikvision and Dahua), and no watch (none left
    behind either: later tests' ingests would alert them)."""
    forget_watches(neo4j_db, settings)
    ingest(neo4j_db, settings, DOCUMENTED)
    yield neo4j_db
    forget_watches(neo4j_db, settings)


@pytest.fixture()
def client(graph: Driver, settings: Settings) -> Iterator[TestClient]:
    """The API with its delivery worker running (lifespan), webhooks allowed to loopback."""
    with TestClient(make_app(settings, **FAST_WEBHOOKS)) as c:
        yield c


def make_watch(client: TestClient, token: str, **body) -> dict:
    response = client.post("/watches", json=body, headers=key(token))
    assert response.status_code == 201, response.text
    return response.json()


def alerts(client: TestClient, token: str, watch_id: str, **params) -> dict:
    response = client.get(f"/watches/{watch_id}/alerts", params=params, headers=key(token))
    assert response.status_code == 200, response.text
    return response.json()


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@dataclass
class Receiver:
    """A loopback webhook receiver: every POST it got (headers, body)."""

    port: int
    got: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        got = self.got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                got.append((dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


def valid_signature(headers: dict[str, str], body: bytes, secret: str) -> bool:
    stamp = headers["X-RightsGraph-Timestamp"]
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-RightsGraph-Signature"], "sha256=" + mac)


def test_new_allegation_against_a_held_company_is_one_alert_with_path_and_quote(
    client: TestClient, graph: Driver, settings: Settings, tokens: dict[str, str], tmp_path: Path
) -> None:
    made = make_watch(client, tokens["green_reader"], **WATCH_2019)
    watch = made["watch"]["id"]
    assert alerts(client, tokens["green_reader"], watch)["total"] == 0

    # an ingest that fails (an allegation without its status) writes nothing and raises nothing
    broken = report_document(NEW_ALLEGATION)
    broken["@graph"][1].pop("status")
    result = ingest_paths([write_report(tmp_path / "broken.yaml", broken)], graph)
    assert not result.ok
    assert alerts(client, tokens["green_reader"], watch)["total"] == 0

    ingest(graph, settings, NEW_ALLEGATION)
    page = alerts(client, tokens["green_reader"], watch)
    assert page["total"] == 1
    (alert,) = page["alerts"]
    assert alert["kind"] == "allegation" and alert["fact"]["id"] == FACT
    assert alert["fact"]["properties"]["status"] == "alleged"
    assert [n["id"] for n in alert["path"]["nodes"]] == ["gpfg", HOLDING, "hikvision", FACT]
    assert [(x["from"], x["type"], x["to"]) for x in alert["path"]["links"]] == [
        ("gpfg", "HOLDS", HOLDING),
        (HOLDING, "IN", "hikvision"),
        (FACT, "AGAINST", "hikvision"),
    ]
    assert [(e["source"], e["quote"]) for e in alert["evidence"]] == [
        ("src-watch-test-article", QUOTE)
    ]

    # the Atom feed, opened by the feed token alone, carries it
    feed = client.get(f"/watches/{watch}/feed", params={"token": made["feedToken"]})
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(feed.content)
    assert not parsed.bozo, parsed.bozo_exception
    (entry,) = parsed.entries
    assert entry.id == f"urn:rightsgraph:alert:{alert['id']}"
    assert "Watchtest: Hikvision cameras used to track detainees" in entry.title
    assert QUOTE in entry.content[0].value and "-HOLDS->" in entry.summary
    assert client.get(f"/watches/{watch}/feed", params={"token": "rgf_x"}).status_code == 401

    # re-ingesting the same report raises nothing
    ingest(graph, settings, NEW_ALLEGATION)
    assert alerts(client, tokens["green_reader"], watch)["total"] == 1
    # since: nothing after now
    assert alerts(client, tokens["green_reader"], watch, since="2999-01-01")["total"] == 0
    # the watch data is no part of the graph's dump (nor of any export)
    assert not [line for line in dump(graph, settings) if watch in line or "rgsystem" in line]


def test_a_write_that_fails_after_raising_its_alerts_leaves_neither(
    client: TestClient,
    graph: Driver,
    settings: Settings,
    tokens: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    watch = make_watch(client, tokens["green_reader"], **WATCH_2019)["watch"]["id"]
    real = watches.raise_alerts

    def raise_then_fail(tx, changes, run, **options):
        assert real(tx, changes, run, **options)  # the alert is made, in the write's transaction
        raise RuntimeError("the write fails after its alerts")

    monkeypatch.setattr(watches, "raise_alerts", raise_then_fail)
    with pytest.raises(RuntimeError):
        ingest_paths([NEW_ALLEGATION], graph, database=settings.neo4j_database)
    monkeypatch.undo()
    assert alerts(client, tokens["green_reader"], watch)["total"] == 0
    rows, _, _ = graph.execute_query("MATCH (n:Node {id: $id}) RETURN n", id=FACT)
    assert rows == []


def test_a_watch_before_the_holding_or_after_the_sale_gets_no_alert(
    client: TestClient, graph: Driver, settings: Settings, tokens: dict[str, str]
) -> None:
    before = make_watch(client, tokens["red_reader"], name="2017", fund="gpfg", asOf="2017-12-31")
    after = make_watch(client, tokens["red_reader"], name="2021", fund="gpfg", asOf="2021-12-31")
    current = make_watch(client, tokens["red_reader"], name="now", fund="gpfg")
    company = make_watch(client, tokens["red_reader"], name="hik", company="hikvision")
    region = make_watch(client, tokens["red_reader"], name="xj", region="china")
    exposure = {"fund": "gpfg", "region": "xinjiang", "as_of": "2019-12-31", "limit": 100}
    query = make_watch(client, tokens["red_reader"], name="q", query="exposure", params=exposure)
    ingest(graph, settings, NEW_ALLEGATION)
    totals = {
        w["watch"]["name"]: alerts(client, tokens["red_reader"], w["watch"]["id"])["total"]
        for w in (before, after, current, company, region, query)
    }
    # sold in 2020: neither the current holdings nor those of 2021 hold Hikvision
    assert totals == {"2017": 0, "2021": 0, "now": 0, "hik": 1, "xj": 1, "q": 1}
    (by_query,) = alerts(client, tokens["red_reader"], query["watch"]["id"])["alerts"]
    assert by_query["fact"]["id"] == FACT and by_query["path"]["via"]["query"] == "exposure"
    (alert,) = alerts(client, tokens["red_reader"], region["watch"]["id"])["alerts"]
    assert [n["id"] for n in alert["path"]["nodes"]] == ["china", "xinjiang", FACT]


def test_webhook_receiver_gets_the_alert_with_a_valid_signature(
    client: TestClient, graph: Driver, settings: Settings, tokens: dict[str, str]
) -> None:
    receiver = Receiver(free_port())
    receiver.start()
    try:
        made = make_watch(client, tokens["green_reader"], **WATCH_2019, webhook=receiver.url)
        ingest(graph, settings, NEW_ALLEGATION)
        wait_for(lambda: len(receiver.got) == 1)
    finally:
        receiver.stop()
    headers, body = receiver.got[0]
    assert valid_signature(headers, body, made["webhookSecret"])
    assert not valid_signature(headers, body + b" ", made["webhookSecret"])
    sent = json.loads(body)
    assert sent["fact"]["id"] == FACT and sent["evidence"][0]["quote"] == QUOTE
    assert headers["X-RightsGraph-Delivery"] == sent["id"]
    log = client.get(
        f"/watches/{made['watch']['id']}/deliveries", headers=key(tokens["green_reader"])
    ).json()
    (delivery,) = log["deliveries"]
    assert delivery["status"] == "delivered" and delivery["log"][-1]["status"] == 204


def test_a_receiver_that_was_down_gets_the_alert_once_it_is_back(
    client: TestClient, graph: Driver, settings: Settings, tokens: dict[str, str]
) -> None:
    receiver = Receiver(free_port())  # not listening yet
    made = make_watch(client, tokens["green_reader"], **WATCH_2019, webhook=receiver.url)
    watch = made["watch"]["id"]

    def deliveries() -> list[dict]:
        return client.get(
            f"/watches/{watch}/deliveries", headers=key(tokens["green_reader"])
        ).json()["deliveries"]

    ingest(graph, settings, NEW_ALLEGATION)
    wait_for(lambda: bool(deliveries()) and deliveries()[0]["attempts"] >= 2)
    (failing,) = deliveries()
    assert failing["status"] == "pending" and "error" in failing["log"][0]
    receiver.start()
    try:
        wait_for(lambda: deliveries()[0]["status"] == "delivered")
        time.sleep(1.0)  # several more rounds of the worker: nothing is sent again
    finally:
        receiver.stop()
    assert len(receiver.got) == 1
    assert valid_signature(*receiver.got[0], made["webhookSecret"])
    (done,) = deliveries()
    assert done["attempts"] == len(done["log"]) >= 3
    # re-ingesting queues nothing new
    ingest(graph, settings, NEW_ALLEGATION)
    assert len(deliveries()) == 1


def test_an_amber_fact_never_reaches_a_green_watch(
    client: TestClient, graph: Driver, settings: Settings, tokens: dict[str, str], tmp_path: Path
) -> None:
    green = make_watch(client, tokens["green_reader"], **WATCH_2019)
    amber = make_watch(client, tokens["amber_reader"], **WATCH_2019)
    ingest(graph, settings, CONFIDENTIAL)
    assert alerts(client, tokens["green_reader"], green["watch"]["id"])["total"] == 0
    feed = client.get(f"/watches/{green['watch']['id']}/feed", params={"token": green["feedToken"]})
    assert "amberwatch" not in feed.text.lower()
    page = alerts(client, tokens["amber_reader"], amber["watch"]["id"])
    facts = {a["fact"]["id"]: a for a in page["alerts"]}
    assert "sec-allegation-amber" in facts and "sec-allegation-red" not in facts
    assert facts["sec-allegation-amber"]["tlp"] == "AMBER"
    assert facts["sec-allegation-amber"]["evidence"][0]["quote"] == "Amberwatch forced labour claim"

    # an AMBER report restates a CLEAR allegation's status from a newer source: the AMBER watch
    # hears of the change (an AMBER alert), the GREEN one of nothing
    ingest(graph, settings, NEW_ALLEGATION)
    green_before = alerts(client, tokens["green_reader"], green["watch"]["id"])["total"]
    assert green_before == 1
    restated = report_document(NEW_ALLEGATION)
    restated.update(id="report-watch-amber-restatement", tlp="AMBER")
    source, allegation = restated["@graph"]
    source.update(id="src-watch-amber-note", tlp="AMBER", published="2025-06-01")
    allegation.update(status="substantiated")
    allegation["evidence"] = [{"source": "src-watch-amber-note", "quote": "Amber note"}]
    ingest(graph, settings, write_report(tmp_path / "amber.yaml", restated))
    assert alerts(client, tokens["green_reader"], green["watch"]["id"])["total"] == green_before
    latest = alerts(client, tokens["amber_reader"], amber["watch"]["id"])["alerts"][0]
    assert latest["kind"] == "allegation-status" and latest["tlp"] == "AMBER"
    assert latest["change"]["after"] == "substantiated"

    # an AMBER key reads its AMBER watch; a GREEN key may not make one
    refused = client.post(
        "/watches", json={**WATCH_2019, "tlp": "AMBER"}, headers=key(tokens["green_reader"])
    )
    assert refused.status_code == 403


def test_status_change_and_retraction_are_alerts(
    client: TestClient, graph: Driver, settings: Settings, tokens: dict[str, str], tmp_path: Path
) -> None:
    watch = make_watch(client, tokens["green_reader"], **WATCH_2019)["watch"]["id"]
    ingest(graph, settings, NEW_ALLEGATION)
    changed = report_document(NEW_ALLEGATION)
    changed["@graph"][1]["status"] = "responded"
    ingest(graph, settings, write_report(tmp_path / "new-allegation.yaml", changed))
    page = alerts(client, tokens["green_reader"], watch)
    assert [a["kind"] for a in page["alerts"]] == ["allegation-status", "allegation"]
    assert page["alerts"][0]["change"] == {
        "property": "status",
        "before": "alleged",
        "after": "responded",
    }
    changed["@graph"] = changed["@graph"][:1]  # the report no longer states the allegation
    ingest(graph, settings, write_report(tmp_path / "new-allegation.yaml", changed))
    page = alerts(client, tokens["green_reader"], watch)
    assert page["alerts"][0]["kind"] == "retracted" and page["alerts"][0]["fact"]["id"] == FACT
    assert [n["id"] for n in page["alerts"][0]["path"]["nodes"]][-1] == FACT
    assert page["total"] == 3


def test_a_merge_that_brings_an_allegation_onto_a_held_company_is_an_alert(
    client: TestClient, graph: Driver, settings: Settings, tokens: dict[str, str], tmp_path: Path
) -> None:
    watch = make_watch(client, tokens["green_reader"], **WATCH_2019)["watch"]["id"]
    other = report_document(NEW_ALLEGATION)
    other["@graph"].append(
        {"id": "watchtest-camera-maker", "type": "Company", "name": "Watchtest Camera Maker"}
    )
    other["@graph"][1]["against"] = ["watchtest-camera-maker"]
    ingest(graph, settings, write_report(tmp_path / "other.yaml", other))
    assert alerts(client, tokens["green_reader"], watch)["total"] == 0
    decision = decide(graph, "hikvision", "watchtest-camera-maker", "same", "tester")
    assert decision["merged"]
    (alert,) = alerts(client, tokens["green_reader"], watch)["alerts"]
    assert alert["fact"]["id"] == FACT and alert["path"]["nodes"][2]["id"] == "hikvision"


def test_watches_belong_to_their_key(
    client: TestClient, tokens: dict[str, str], settings: Settings
) -> None:
    assert client.post("/watches", json=WATCH_2019).status_code == 401
    made = make_watch(client, tokens["green_reader"], **WATCH_2019)
    watch = made["watch"]["id"]
    assert client.get(f"/watches/{watch}", headers=key(tokens["amber_reader"])).status_code == 404
    assert client.get(f"/watches/{watch}", headers=key(tokens["admin"])).status_code == 200
    listed = client.get("/watches", headers=key(tokens["green_reader"])).json()["watches"]
    assert [w["id"] for w in listed] == [watch]
    bad = {
        "unknown fund": {**WATCH_2019, "fund": "no-such-fund"},
        "two targets": {**WATCH_2019, "company": "hikvision"},
        "host not allowed": {**WATCH_2019, "webhook": "http://example.org/hook"},
        "unknown query": {"name": "q", "query": "no_such_query"},
        "query param": {"name": "q", "query": "campaigns", "params": {"nope": 1}},
    }
    for why, body in bad.items():
        response = client.post("/watches", json=body, headers=key(tokens["green_reader"]))
        assert response.status_code == 422, why
    # a query watch runs its query with the watch's levels
    make_watch(
        client, tokens["green_reader"], name="q", query="campaigns", params={"target": "gpfg"}
    )
    removed = client.delete(f"/watches/{watch}", headers=key(tokens["green_reader"]))
    assert removed.status_code == 200 and removed.json()["watches"] == 1
    assert client.get(f"/watches/{watch}", headers=key(tokens["green_reader"])).status_code == 404
    # the watch's nodes are refused to /cypher (the system prefix)
    refused = client.post(
        "/cypher",
        json={"query": f"MATCH (w:{WATCH_LABEL}) RETURN w"},
        headers=key(tokens["investigator"]),
    )
    assert refused.status_code in (400, 403, 422)


def test_cli_watch_add_list_alerts_remove(
    graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    runner = CliRunner()
    added = runner.invoke(
        cli, ["watch", "add", "--fund", "gpfg", "--as-of", "2019-12-31", "--name", "cli 2019"]
    )
    assert added.exit_code == 0, added.output
    watch = added.stdout.strip().splitlines()[-1]
    assert watch.startswith("w-")
    portfolio = tmp_path / "portfolio.csv"
    portfolio.write_text("name,isin\nHikvision,\nSomething Unknown Ltd,\n", encoding="utf-8")
    by_file = runner.invoke(cli, ["watch", "add", "--portfolio", str(portfolio), "--name", "pf"])
    assert by_file.exit_code == 0, by_file.output
    listed = runner.invoke(cli, ["watch", "list"])
    assert watch in listed.stdout and "cli 2019" in listed.stdout
    ingest(graph, settings, NEW_ALLEGATION)
    shown = runner.invoke(cli, ["watch", "alerts", watch, "--json"])
    assert shown.exit_code == 0, shown.output
    (alert,) = json.loads(shown.stdout)["alerts"]
    assert alert["fact"]["id"] == FACT and alert["evidence"][0]["quote"] == QUOTE
    pf = by_file.stdout.strip().splitlines()[-1]
    assert json.loads(runner.invoke(cli, ["watch", "alerts", pf, "--json"]).stdout)["total"] == 1
    text = runner.invoke(cli, ["watch", "alerts", watch])
    assert QUOTE in text.stdout
    removed = runner.invoke(cli, ["watch", "remove", watch])
    assert removed.exit_code == 0 and "1 alerts" in removed.stdout
    assert runner.invoke(cli, ["watch", "alerts", watch]).exit_code == 2
