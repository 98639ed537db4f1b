"""As known on a day: exposure, allegations, search and export answer with what the graph held
then (statements first stated on or before it and not retracted by then). Real pipeline, real
Neo4j, real API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from neo4j import Driver
from security_helpers import make_app
from typer.testing import CliRunner

import queries
from core.settings import Settings
from ingest.known import known_predicate
from ingest.pipeline import ingest_paths
from rightsgraph.cli import app as cli

BEFORE, FIRST, MIDDLE, SECOND = "2023-12-31", "2024-01-01", "2024-03-01", "2024-06-01"


def test_every_query_spells_the_one_predicate() -> None:
    """Each knownSpans test in queries/*.cypher is `known_predicate` of its variable."""
    for name in queries.names():
        text = queries.load(name)
        found = re.findall(
            r"\((\w+)\.tlp IN \$tlp AND \$as_known_on IS NULL OR [^\n]*?\$tlp\)\)", text
        )
        assert text.count("knownSpans WHERE") == len(found), name
        for var in found:
            assert known_predicate(var) in text, (name, var)


def _records(value: int, allegation: str, aliases: list[str], extra: bool) -> list[dict]:
    src = "src-known"
    ev = [{"source": src, "quote": "as stated"}]
    out = [
        {"id": src, "type": "Source", "name": "Known source", "url": "https://e.org/known"},
        {"id": "known-fund", "type": "Fund", "name": "Known Fund", "evidence": ev},
        {
            "id": "known-co",
            "type": "Company",
            "name": "Knownco Surveillance Ltd",
            "alias": aliases,
            "country": "CN",
            "evidence": ev,
        },
        {"id": "known-region", "type": "Region", "name": "Knownland", "evidence": ev},
        {
            "id": "known-holding",
            "type": "Holding",
            "fund": "known-fund",
            "company": "known-co",
            "asOf": "2019-12-31",
            "held": True,
            "marketValue": value,
            "currency": "NOK",
            "evidence": ev,
        },
        {
            "id": "known-contract",
            "type": "Contract",
            "name": "Knownland cameras",
            "supplier": ["known-co"],
            "performedIn": ["known-region"],
            "amount": 1000,
            "currency": "USD",
            "evidence": ev,
        },
        {
            "id": "known-allegation",
            "type": "Allegation",
            "name": allegation,
            "description": f"{allegation}, described.",
            "harmCategory": ["mass-surveillance"],
            "against": ["known-co"],
            "status": "alleged",
            "evidence": ev,
        },
    ]
    if extra:
        out += [
            {
                "id": "known-later",
                "type": "Allegation",
                "name": "A later allegation",
                "description": "Stated later.",
                "harmCategory": ["mass-surveillance"],
                "against": ["known-co"],
                "status": "alleged",
                "evidence": ev,
            },
            {"id": "latecomer-co", "type": "Company", "name": "Latecomer Optics", "evidence": ev},
        ]
    return out


def _write(path: Path, records: list[dict]) -> Path:
    doc = {"id": "report-known", "type": "Report", "name": "known", "reviewStatus": "reviewed"}
    doc.update(tlp="CLEAR", **{"@graph": records})
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture()
def known_graph(neo4j_db: Driver, settings: Settings, tmp_path: Path) -> Path:
    """One report ingested on FIRST, then changed on SECOND: the holding's value and the
    allegation's name change, an alias is retracted and another stated, an allegation and a
    company are added."""
    db = settings.neo4j_database
    report = _write(tmp_path / "known.yaml", _records(100, "Old wording", ["Gammascope"], False))
    assert ingest_paths([report], neo4j_db, database=db, stated_on=FIRST).ok
    _write(report, _records(250, "New wording", ["Deltaprism"], True))
    assert ingest_paths([report], neo4j_db, database=db, stated_on=SECOND).ok
    return report


@pytest.fixture()
def client(known_graph: Path, settings: Settings) -> Iterator[TestClient]:
    app = make_app(settings, rate_limit=0, rate_limit_anonymous=0, query_timeout=60.0)
    with TestClient(app) as c:  # (the exposure query's first plan of a day takes seconds)
        yield c


def test_exposure_as_known_on(client: TestClient) -> None:
    now = client.get("/funds/known-fund/exposure").json()
    assert "paths" in now, now
    assert now.get("asKnownOn") is None
    assert [p["holding"]["marketValue"] for p in now["paths"]] == [250]
    assert now["byCompany"][0]["holding"]["marketValue"] == 250
    assert len(now["paths"][0]["allegations"]) == 2

    past = client.get(f"/funds/known-fund/exposure?as_known_on={MIDDLE}").json()
    assert past["asKnownOn"] == MIDDLE
    assert [p["holding"]["marketValue"] for p in past["paths"]] == [100]
    assert past["byCompany"][0]["holding"]["marketValue"] == 100
    assert [a["name"] for a in past["paths"][0]["allegations"]] == ["Old wording"]
    assert past["byCompany"][0]["allegations"] == 1

    on_second = client.get(f"/funds/known-fund/exposure?as_known_on={SECOND}").json()
    assert on_second["paths"][0]["holding"]["marketValue"] == 250
    assert client.get(f"/funds/known-fund/exposure?as_known_on={BEFORE}").status_code == 404


def test_allegations_as_known_on(client: TestClient) -> None:
    now = client.get("/companies/known-co/allegations").json()
    assert sorted(a["name"] for a in now["allegations"]) == ["A later allegation", "New wording"]
    past = client.get(f"/companies/known-co/allegations?as_known_on={MIDDLE}").json()
    assert past["total"] == 1 and past["asKnownOn"] == MIDDLE
    assert [a["name"] for a in past["allegations"]] == ["Old wording"]
    assert client.get(f"/companies/known-co/allegations?as_known_on={BEFORE}").status_code == 404


def test_search_as_known_on(client: TestClient) -> None:
    def ids(query: str, day: str | None = None) -> list[str]:
        params = {"q": query, **({"as_known_on": day} if day else {})}
        return [h["id"] for h in client.get("/search", params=params).json()["results"]]

    assert ids("Latecomer") == ["latecomer-co"]
    assert ids("Latecomer", MIDDLE) == []  # stated only later
    assert "known-co" in ids("Deltaprism")
    assert "known-co" not in ids("Deltaprism", MIDDLE)  # the alias was stated later
    assert "known-co" in ids("Knownco", MIDDLE)
    hit = next(h for h in client.get("/search", params={"q": "Knownco", "as_known_on": MIDDLE})
               .json()["results"] if h["id"] == "known-co")  # fmt: skip
    assert hit["aliases"] == ["Gammascope"]  # the retracted alias, as it was then
    assert ids("Knownco", BEFORE) == []


def test_export_as_known_on(client: TestClient, known_graph: Path) -> None:
    past = client.get("/export", params={"format": "ntriples", "as_known_on": MIDDLE}).text
    now = client.get("/export", params={"format": "ntriples"}).text
    assert "Gammascope" in past and "Gammascope" not in now
    assert "Deltaprism" in now and "Deltaprism" not in past
    assert "Latecomer Optics" in now and "Latecomer Optics" not in past
    assert "Old wording" in past and "New wording" not in past
    before = client.get("/export", params={"format": "ntriples", "as_known_on": BEFORE}).text
    assert "Knownco" not in before

    cli_past = CliRunner().invoke(cli, ["export", "--format", "ntriples", "--as-known-on", MIDDLE])
    assert cli_past.exit_code == 0, cli_past.output
    assert "Gammascope" in cli_past.stdout and "Latecomer Optics" not in cli_past.stdout
    bad = CliRunner().invoke(cli, ["export", "--as-known-on", "yesterday"])
    assert bad.exit_code != 0
