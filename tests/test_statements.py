"""Statements: every value keeps its report, sources, standing, level and days; what a caller
sees is their projection. Real pipeline, real Neo4j, real API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from helpers import DOCUMENTED, SEED
from neo4j import Driver
from security_helpers import HIDDEN_MARKERS, RESTATEMENT, key, make_app, make_keys
from typer.testing import CliRunner

from core import names
from core.dump import canonical_dump
from core.settings import Settings
from ingest.migrate import migrate, schema_version
from ingest.pipeline import ingest_paths
from ontology import statements as st
from rightsgraph.cli import app as cli

SEED_ARTICLE = Path(__file__).resolve().parent.parent / "reports" / "sources"
SEED_ARTICLE = SEED_ARTICLE / "seed-open-letter-article.txt"
AMBER_ALIAS = "Amberwatch Dahua Cover Name"
AMBER_DESCRIPTION = "Amberwatch says Dahua runs a covert camera programme."
SINGLE = ("name", "description", "note", "status", "date", "amount", "currency", "demandType")


# ---------------------------------------------------------------------- the module, alone


def _claim(report: str, level: str = "CLEAR", standing: str = "reviewed", date=None) -> st.Claim:
    return st.Claim(report, level, standing, (f"src-{report}",), date)


def test_restating_the_same_values_keeps_every_day_and_text() -> None:
    first = st.restate([], _claim("a"), {"name": "X", "aliases": ["x"]}, {"aliases"}, "2024-01-01")
    again = st.restate(
        first, _claim("a"), {"name": "X", "aliases": ["x"]}, {"aliases"}, "2024-05-05"
    )
    assert st.encode(again) == st.encode(first)
    assert st.encode(st.decode(st.encode(first))) == st.encode(first)


def test_a_changed_value_retracts_the_old_one_and_as_known_on_finds_each() -> None:
    old = st.restate([], _claim("a"), {"description": "old"}, set(), "2024-01-01")
    new = st.restate(old, _claim("a"), {"description": "new"}, set(), "2024-06-01")
    assert st.project(new).properties == {"description": "new"}
    assert st.project(new, as_known_on="2024-03-01").properties == {"description": "old"}
    assert st.project(new, as_known_on="2024-06-01").properties == {"description": "new"}
    assert not st.project(new, as_known_on="2023-12-31").visible
    (gone,) = [s for s in new if s.value == "old"]
    assert gone.retracted == "2024-06-01" and gone.first == "2024-01-01"


def test_reviewed_outranks_unreviewed_then_the_newest_source_date() -> None:
    s = st.restate([], _claim("draft", standing="unreviewed", date="2030"), {"name": "D"}, (), "d")
    s = st.restate(s, _claim("old", date="2019"), {"name": "Old"}, (), "d")
    assert st.project(s).properties["name"] == "Old"
    s = st.restate(s, _claim("newer", date="2021-05"), {"name": "Newer"}, (), "d")
    seen = st.project(s)
    assert seen.properties["name"] == "Newer"
    assert [a.value for a in seen.others["name"]] == ["D", "Old"]
    assert {c.value for c in st.conflicts("n", s, "draft")} == {"D"}


def test_a_caller_sees_only_statements_at_their_levels() -> None:
    s = st.restate([], _claim("pub"), {"aliases": ["Public"]}, {"aliases"}, "d")
    s = st.restate(s, _claim("amber", "AMBER"), {"aliases": ["Secret"]}, {"aliases"}, "d")
    clear = st.project(s, ("CLEAR", "GREEN"))
    assert clear.properties == {"aliases": ["Public"]} and clear.report_ids == ["pub"]
    assert clear.source_ids == ["src-pub"]
    amber = st.project(s, ("CLEAR", "GREEN", "AMBER"))
    assert amber.properties == {"aliases": ["Public", "Secret"]}
    assert amber.report_ids == ["amber", "pub"]


# ---------------------------------------------------------------------- through the pipeline


def _nodes(driver: Driver, settings: Settings) -> dict[str, dict]:
    rows, _, _ = driver.execute_query(
        "MATCH (n:Node) RETURN n.id AS id, properties(n) AS p", database_=settings.neo4j_database
    )
    return {r["id"]: r["p"] for r in rows}


def _draft(path: Path) -> Path:
    """`rightsgraph extract` of the seed article (linked to the graph's ids): unreviewed."""
    done = CliRunner().invoke(cli, ["extract", str(SEED_ARTICLE), "-o", str(path)])
    assert done.exit_code == 0, done.output
    return path


def test_a_draft_after_the_reports_changes_no_reviewed_value_and_lists_its_conflicts(
    neo4j_db: Driver, settings: Settings, tmp_path: Path
) -> None:
    db = settings.neo4j_database
    assert ingest_paths([SEED, DOCUMENTED], neo4j_db, database=db).ok
    before = _nodes(neo4j_db, settings)
    draft = _draft(tmp_path / "draft.yaml")
    result = ingest_paths([draft], neo4j_db, database=db)
    assert result.ok, result.problems[:3]
    after = _nodes(neo4j_db, settings)
    for node_id, props in before.items():
        for name, value in props.items():
            if name in SINGLE:
                assert after[node_id].get(name) == value, (node_id, name)
            elif name == "aliases":  # a draft may add an alias, never take one away
                assert set(value) <= set(after[node_id][name])
    conflicts = result.as_dict()["conflicts"]
    assert conflicts and all(c["standing"] == "unreviewed" for c in conflicts)
    assert all(c["chosen"] == c["against"] for c in conflicts)  # the reviewed value is shown
    described = [c for c in conflicts if c["property"] == "description"]
    assert described and described[0]["id"].startswith("allegation-")
    dump = canonical_dump(neo4j_db, db)
    again = CliRunner().invoke(cli, ["ingest", "--json", str(SEED), str(DOCUMENTED), str(draft)])
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    assert not summary["created"] and not summary["updated"] and not summary["removed"]
    assert summary["conflicts"] == conflicts  # listed again: they are still there
    assert canonical_dump(neo4j_db, db) == dump  # not a timestamp rewritten


def _report(path: Path, rid: str, records: list[dict], tlp: str = "CLEAR") -> Path:
    doc = {"id": rid, "type": "Report", "name": rid, "reviewStatus": "reviewed", "tlp": tlp}
    doc["@graph"] = [
        {
            "id": f"src-{rid}",
            "type": "Source",
            "name": f"source of {rid}",
            "url": f"https://e.org/{rid}",
        },
        *({**r, "evidence": [{"source": f"src-{rid}", "quote": r["name"]}]} for r in records),
    ]
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@pytest.fixture()
def client(neo4j_db: Driver, settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    tokens = make_keys(settings)
    with TestClient(make_app(settings, rate_limit=0, rate_limit_anonymous=0)) as c:
        c.tokens = tokens  # type: ignore[attr-defined]
        yield c


def test_retraction_keeps_what_others_state_and_as_known_on_answers_with_the_past(
    neo4j_db: Driver, settings: Settings, tmp_path: Path, client: TestClient
) -> None:
    db = settings.neo4j_database
    company = {"id": "example-co", "type": "Company", "name": "Example Co", "country": "NO"}
    one = _report(tmp_path / "one.yaml", "report-one", [{**company, "alias": ["Shared Alias"]}])
    two = tmp_path / "two.yaml"
    _report(two, "report-two", [{**company, "alias": ["Shared Alias", "Two Alias"],
                                 "description": "old description"}])  # fmt: skip
    assert ingest_paths([one, two], neo4j_db, database=db, stated_on="2024-01-01").ok
    _report(two, "report-two", [{**company, "description": "new description"}])
    changed = ingest_paths([two], neo4j_db, database=db, stated_on="2024-06-01")
    assert changed.ok and changed.summary.updated["Company"] == 1

    now = client.get("/entities/example-co").json()
    assert now["properties"]["aliases"] == ["Shared Alias"]  # report-one still states it
    assert now["properties"]["description"] == "new description"
    past = client.get("/entities/example-co?as_known_on=2024-03-01").json()
    assert past["properties"]["description"] == "old description"
    assert past["properties"]["aliases"] == ["Shared Alias", "Two Alias"]
    assert past["asKnownOn"] == "2024-03-01"
    assert client.get("/entities/example-co?as_known_on=2023-12-31").status_code == 404

    stated = client.get("/entities/example-co/statements").json()["properties"]
    two_alias = next(v for v in stated["aliases"] if v["value"] == "Two Alias")
    assert two_alias["statements"][0]["retracted"] == "2024-06-01"
    assert two_alias["statements"][0]["firstStated"] == "2024-01-01"
    old = next(v for v in stated["description"] if v["value"] == "old description")
    assert old["statements"][0]["retracted"] == "2024-06-01"

    dump = canonical_dump(neo4j_db, db)
    again = ingest_paths([one, two], neo4j_db, database=db, stated_on="2024-09-09")
    assert again.summary.changes == 0 and canonical_dump(neo4j_db, db) == dump


def test_an_amber_restatement_of_a_public_company_stays_amber(
    neo4j_db: Driver, settings: Settings, client: TestClient
) -> None:
    db = settings.neo4j_database
    assert ingest_paths([SEED, DOCUMENTED], neo4j_db, database=db).ok
    public = client.get("/entities/dahua").json()["properties"]
    assert ingest_paths([RESTATEMENT], neo4j_db, database=db).ok
    tokens = client.tokens  # type: ignore[attr-defined]
    for headers in ({}, key(tokens["green_reader"])):
        seen = client.get("/entities/dahua", headers=headers)
        text = seen.text.lower()
        assert "amberwatch" not in text and "sec-" not in text, text
        assert "it has been reported that a group of ngos" not in text  # its AMBER quote
        assert seen.json()["properties"]["description"] == public["description"]
        assert seen.json()["properties"]["tlp"] == "CLEAR"
        stated = client.get("/entities/dahua/statements", headers=headers).text.lower()
        assert "amberwatch" not in stated and "sec-" not in stated and "amber" not in stated
        found = client.get("/search?q=Cover Name", headers=headers).text.lower()
        assert "amberwatch" not in found
        around = client.get("/entities/dahua/neighbourhood", headers=headers).json()
        assert {"start": "dahua", "type": "SUB_ORGANIZATION_OF", "end": "hikvision"} not in around[
            "relationships"
        ]  # the link only the AMBER report states
    around = client.get("/entities/dahua/neighbourhood", headers=key(tokens["amber_reader"]))
    assert {"start": "dahua", "type": "SUB_ORGANIZATION_OF", "end": "hikvision"} in around.json()[
        "relationships"
    ]
    amber = client.get("/entities/dahua", headers=key(tokens["amber_reader"])).json()
    assert AMBER_ALIAS in amber["properties"]["aliases"]
    assert "sec-src-amber-dahua" in amber["properties"]["sourceIds"]
    assert "sec-report-restatement" in amber["properties"]["reportIds"]
    descriptions = [amber["properties"]["description"]] + [
        o["value"] for o in amber["otherValues"].get("description", [])
    ]
    assert AMBER_DESCRIPTION in descriptions and public["description"] in descriptions
    stated = client.get("/entities/dahua/statements", headers=key(tokens["amber_reader"])).json()
    (alias,) = [v for v in stated["properties"]["aliases"] if v["value"] == AMBER_ALIAS]
    (statement,) = alias["statements"]
    assert statement["report"] == "sec-report-restatement" and statement["level"] == "AMBER"
    assert statement["sources"] == [  # the quotes its report gives, not the seed's
        {"source": "sec-src-amber-dahua", "quote": "Amberwatch dossier names Dahua",
         "locator": "page 9"},
        {"source": "src-scandasia-2020-ngos-divest",
         "quote": "It has been reported that a group of NGOs",
         "locator": None},
    ]  # fmt: skip
    public_aliases = [v for v in stated["properties"]["aliases"] if v["value"] != AMBER_ALIAS]
    assert public_aliases and all(v["statements"][0]["sources"] for v in public_aliases)
    dump = canonical_dump(neo4j_db, db)
    again = ingest_paths([SEED, DOCUMENTED, RESTATEMENT], neo4j_db, database=db)
    assert again.summary.changes == 0 and canonical_dump(neo4j_db, db) == dump


def test_migrate_synthesises_statements_for_a_graph_of_the_old_version(
    neo4j_db: Driver, settings: Settings
) -> None:
    db = settings.neo4j_database
    assert ingest_paths([SEED], neo4j_db, database=db).ok
    before = canonical_dump(neo4j_db, db, projected=True)
    neo4j_db.execute_query(  # what today's version left: no statements, no version node
        "MATCH (n:RgSystemSchema) DETACH DELETE n", database_=db
    )
    neo4j_db.execute_query(
        "MATCH (n:Node) REMOVE n.statements, n.statedBy, n.knownSpans", database_=db
    )
    neo4j_db.execute_query(
        "MATCH ()-[r]->() REMOVE r.statements, r.tlp, r.knownSpans", database_=db
    )
    assert schema_version(neo4j_db, db) == 1
    done = migrate(neo4j_db, db)
    assert done.nodes > 0 and done.relationships > 0
    assert schema_version(neo4j_db, db) == names.SCHEMA_VERSION
    assert canonical_dump(neo4j_db, db, projected=True) == before  # nothing visible changed
    migrated = canonical_dump(neo4j_db, db)
    assert migrate(neo4j_db, db).nodes == 0 and canonical_dump(neo4j_db, db) == migrated
    again = CliRunner().invoke(cli, ["migrate"])
    assert again.exit_code == 0 and "nothing to migrate" in again.output
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (n:Node {id: 'dahua'}) RETURN n.statements AS s", database_=db
    )
    statements = st.decode(rows[0]["s"])
    assert {s.report for s in statements} == {"report-seed-open-letter"}

    # version 2 -> 3: knownSpans from the statements, nothing else changes
    neo4j_db.execute_query("MATCH (n:Node) REMOVE n.knownSpans", database_=db)
    neo4j_db.execute_query("MATCH ()-[r]->() REMOVE r.knownSpans", database_=db)
    neo4j_db.execute_query("MATCH (s:RgSystemSchema) SET s.rgsystemVersion = 2", database_=db)
    assert migrate(neo4j_db, db).spans > 0 and canonical_dump(neo4j_db, db) == migrated
    assert json.loads(rows[0]["s"])[0]["k"] == "reviewed"


def test_conflicts_are_listed_at_the_callers_levels_and_decided_by_editors(
    neo4j_db: Driver, settings: Settings, client: TestClient
) -> None:
    """The AMBER restatement states Dahua's description against the public reviewed one."""
    db = settings.neo4j_database
    assert ingest_paths([SEED, DOCUMENTED], neo4j_db, database=db).ok
    assert ingest_paths([RESTATEMENT], neo4j_db, database=db).ok
    tokens = client.tokens  # type: ignore[attr-defined]
    green = client.get("/conflicts", headers=key(tokens["green_reader"]))
    assert green.status_code == 200 and green.json()["items"] == []
    assert not any(marker in green.text for marker in HIDDEN_MARKERS)
    assert client.get("/conflicts").json()["items"] == []  # anonymous: not a count, not an id
    amber = key(tokens["amber_reader"])
    (c,) = [
        c
        for c in client.get("/conflicts", headers=amber).json()["items"]
        if c["property"] == "description"
    ]
    assert c["node"]["id"] == "dahua" and c["new"]["value"].startswith("Amberwatch says")
    assert c["new"]["reports"] == [
        {"id": "sec-report-restatement", "name": "Amberwatch restatement of Dahua"}
    ]
    assert c["new"]["tlp"] == ["AMBER"] and c["new"]["evidence"]
    assert c["reviewed"]["value"].startswith("Chinese maker of video surveillance")
    assert c["reviewed"]["standing"] == "reviewed" and c["reviewed"]["evidence"]
    assert all(e["source"] in c["reviewed"]["sources"] for e in c["reviewed"]["evidence"])

    url = f"/conflicts/{c['id']}/decision"
    body = {"judgement": "take", "note": "the dossier is newer"}
    assert client.post(url, json=body, headers=amber).status_code == 403
    assert (
        client.post(
            "/conflicts/nope/decision", json=body, headers=key(tokens["editor"])
        ).status_code
        == 404
    )
    done = client.post(url, json=body, headers=key(tokens["amber_editor"]))
    assert done.status_code == 200 and done.json()["status"] == "decided", done.text
    assert c["id"] not in [x["id"] for x in client.get("/conflicts", headers=amber).json()["items"]]
    decided = client.get("/conflicts", params={"status": "decided"}, headers=amber).json()["items"]
    assert [(x["id"], x["decision"]["judgement"]) for x in decided] == [(c["id"], "take")]
    # the same conflict found again by a re-ingest changes nothing: the decision stays
    dump = canonical_dump(neo4j_db, db)
    again = ingest_paths([RESTATEMENT], neo4j_db, database=db)
    assert again.ok and any(x.property == "description" for x in again.summary.conflicts)
    assert canonical_dump(neo4j_db, db) == dump
    listed = client.get("/conflicts", params={"status": "all"}, headers=amber).json()["items"]
    assert [x["decision"] for x in listed if x["id"] == c["id"]][0]["judgement"] == "take"
