"""Entity resolution at scale: blocking, explained scores, decisions that outlive re-ingests,
merge and split, redirects, and the real NBIM holdings years (real Neo4j, real pipeline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from adapter_helpers import DATA, ingest
from fastapi.testclient import TestClient
from security_helpers import key, make_app, make_keys

from core.dump import canonical_dump
from ingest.blocking import analyse, block_keys
from ingest.decisions import list_proposals, pair_id
from ingest.merge import decide, split
from ingest.resolve import MAX_FANOUT, Resolver
from ingest.scoring import Profile, compare
from ontology.model import load_model

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "holdings"
for candidate in (Path("/work/shared/data/holdings"), SHARED):
    if candidate.is_dir():
        SHARED = candidate
        break
MODEL = load_model()
MULTIPLE = {p.name for p in MODEL.identifier_properties() if p.multiple}


def holdings(path: Path, *rows: tuple[str, str]) -> Path:
    """A generic holdings CSV: (company, country) rows of one fund at one date."""
    lines = ["fund,company,country,as_of,value,currency"]
    lines += [f"Example Fund,{name},{country},2019-12-31,1,NOK" for name, country in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def profile(name: str, country: str | None = None, **extra) -> Profile:
    record = {"id": name, "type": "Company", "name": name, "country": country, **extra}
    return Profile.of_record({k: v for k, v in record.items() if v is not None}, MODEL)


# ---------------------------------------------------------------------- names and scores


def test_legal_forms_are_removed_by_rigour_and_generic_words_tagged() -> None:
    assert (
        analyse("HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.").tokens
        == analyse("Hangzhou Hikvision Digital Technology Co Ltd").tokens
        == ("hangzhou", "hikvision", "digital", "technology")
    )
    assert analyse("杭州海康威视数字技术股份有限公司").tokens == ("杭州海康威视数字技术",)
    assert analyse("Equinor ASA").tokens == ("equinor",)
    assert "energy" in analyse("Vistra Energy Corp").generic


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (("Unipro PJSC", None), ("Nipro Corp", None)),
        (("Unipro PJSC", "RU"), ("Nipro Corp", "JP")),
        (("Vistra Energy Corp", None), ("NuVista Energy Ltd", None)),
        (("Vistra Energy Corp", "US"), ("NuVista Energy Ltd", "CA")),
        (("Choice Properties REIT", "CA"), ("Allied Properties REIT", "CA")),
    ],
)
def test_look_alikes_that_share_only_generic_words_or_a_short_stem_are_not_proposed(
    left, right
) -> None:
    result = compare(profile(*left), profile(*right), MULTIPLE)
    assert result.verdict == "none", (result.score, result.explanation())


def test_identifier_conflict_vetoes_and_a_shared_identifier_merges() -> None:
    a = profile("Example Holdings AS", lei="5299000J2N45DDNE4Y28")
    b = profile("Example Holdings AS", lei="549300MLUDYVRQOOXS22")
    assert compare(a, b, MULTIPLE).verdict == "veto"
    c = profile("Something Else Entirely", lei="5299000J2N45DDNE4Y28")
    merged = compare(a, c, MULTIPLE)
    assert merged.verdict == "merge" and merged.features["identifier"] == [
        "lei=5299000J2N45DDNE4Y28"
    ]


def test_a_typo_is_proposed_with_its_features() -> None:
    result = compare(
        profile("Hangzhou Hikvison Digitel Technology", "CN"),
        profile("Hangzhou Hikvision Digital Technology Co., Ltd.", "CN"),
        MULTIPLE,
    )
    assert result.verdict == "propose" and result.features["country"] == "same"
    assert any("name similarity" in line for line in result.explanation())


# ---------------------------------------------------------------------- real pipeline


def test_ocds_supplier_holdings_row_and_ftm_entity_sharing_an_isin_are_one_node(
    neo4j_db, settings, tmp_path
) -> None:
    db = settings.neo4j_database
    ocds = tmp_path / "ocds.json"
    ocds.write_text(
        (DATA / "ocds_hikvision.json")
        .read_text()
        .replace('"name": "Hikvision"', '"name": "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD."')
    )
    rows = tmp_path / "holdings.csv"
    rows.write_text(
        "fund,company,isin,as_of,value,currency\n"
        "Example Fund,Hangzhou Hikvision Digital Technology Co Ltd,CNE100000PM8,2019-12-31,1,NOK\n"
    )
    ftm = tmp_path / "entities.ftm.json"
    ftm.write_text(
        json.dumps(
            {
                "id": "hik-ftm",
                "schema": "Company",
                "properties": {"name": ["HIKVISION"], "isinCode": ["CNE100000PM8"]},
            }
        )
        + "\n"
    )
    for path in (ocds, rows, ftm):
        result = ingest(neo4j_db, db, [path])
        assert result.ok, result.problems
        assert not result.proposals
    found, _, _ = neo4j_db.execute_query(
        "MATCH (c:Company) RETURN c.id AS id, c.name AS name, c.aliases AS aliases, "
        "c.isins AS isins, c.reportIds AS reports",
        database_=db,
    )
    assert len(found) == 1, found
    (company,) = found
    assert "CNE100000PM8" in company["isins"] and "HIKVISION" in company["aliases"]
    assert len(company["reports"]) == 3


def test_negative_pairs_across_two_files_are_not_proposed_and_renames_resolve(
    neo4j_db, settings, tmp_path
) -> None:
    db = settings.neo4j_database
    first = holdings(
        tmp_path / "2018.csv",
        ("Nipro Corp", "JP"),
        ("Vistra Energy Corp", "US"),
        ("Allied Properties REIT", "CA"),
        ("JVC Kenwood Corp", "JP"),
    )
    second = holdings(
        tmp_path / "2019.csv",
        ("Unipro PJSC", "RU"),
        ("NuVista Energy Ltd", "CA"),
        ("Choice Properties REIT", "CA"),
        ("JVCKenwood Corp", "JP"),
    )
    assert ingest(neo4j_db, db, [first]).ok
    result = ingest(neo4j_db, db, [second])
    assert result.ok and result.proposals == [], [p.as_dict() for p in result.proposals]
    found, _, _ = neo4j_db.execute_query(
        "MATCH (c:Company) WHERE c.name STARTS WITH 'JVC' RETURN c.aliases AS aliases",
        database_=db,
    )
    assert [r["aliases"] for r in found] == [["JVCKenwood Corp"]]  # one node: a renaming


def _typo_pair(neo4j_db, db, tmp_path):
    good = holdings(tmp_path / "a.csv", ("Hangzhou Hikvision Digital Technology Co Ltd", "CN"))
    typo = holdings(tmp_path / "b.csv", ("Hangzhou Hikvison Digitel Technology Co Ltd", "CN"))
    assert ingest(neo4j_db, db, [good]).ok
    result = ingest(neo4j_db, db, [typo])
    (proposal,) = result.proposals
    assert result.new_proposals == 1
    return typo, proposal


def test_a_different_decision_survives_a_reingest(neo4j_db, settings, tmp_path) -> None:
    db = settings.neo4j_database
    typo, proposal = _typo_pair(neo4j_db, db, tmp_path)
    tokens = make_keys(settings)
    with TestClient(make_app(settings)) as client:
        listed = client.get("/proposals", headers=key(tokens["green_reader"])).json()["items"]
        assert [p["id"] for p in listed] == [proposal.id] and listed[0]["explanation"]
        assert client.get("/proposals").json()["items"] == []  # GREEN pairs: not for anonymous
        url = f"/proposals/{proposal.id}/decision"
        body = {"judgement": "different", "note": "two firms"}
        refused = client.post(url, json=body, headers=key(tokens["green_reader"]))
        assert refused.status_code == 403
        done = client.post(url, json=body, headers=key(tokens["editor"]))
        assert done.status_code == 200, done.text
    assert list_proposals(neo4j_db, database=db) == []
    typo.write_text(typo.read_text().replace(",1,NOK", ",2,NOK"))  # a changed file, re-ingested
    again = ingest(neo4j_db, db, [typo])
    assert again.ok and again.proposals == [] and again.new_proposals == 0
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (d:Decision {id: $id}) RETURN d.judgement AS j, d.user AS u",
        id=pair_id(proposal.record, proposal.candidate),
        database_=db,
    )
    assert [r["j"] for r in rows] == ["different"] and rows[0]["u"].startswith("key ")


def test_merge_then_split_restores_both_nodes_and_an_old_id_redirects(
    neo4j_db, settings, tmp_path
) -> None:
    db = settings.neo4j_database
    typo, proposal = _typo_pair(neo4j_db, db, tmp_path)

    def entities() -> list[str]:  # the entity graph: decisions are the log beside it
        return canonical_dump(neo4j_db, db, entities_only=True)

    before = entities()
    merged = decide(neo4j_db, proposal.candidate, proposal.record, "same", "tester", None, db)
    assert merged["merged"] and merged["canonical"] == proposal.candidate
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (c:Company {id: $id}) RETURN c.aliases AS aliases, "
        "[(h:Holding)-[:IN]->(c) | h.id] AS holdings",
        id=proposal.candidate,
        database_=db,
    )
    assert "Hangzhou Hikvison Digitel Technology Co Ltd" in rows[0]["aliases"]
    assert len(rows[0]["holdings"]) == 2  # the merged record's holding moved to the canonical
    tokens = make_keys(settings)
    with TestClient(make_app(settings)) as client:
        green = key(tokens["green_reader"])
        moved = client.get(f"/entities/{proposal.record}", headers=green, follow_redirects=False)
        assert moved.status_code == 308
        assert moved.headers["location"] == f"/entities/{proposal.candidate}"
        assert client.get(moved.headers["location"], headers=green).status_code == 200
        # the canonical entity is GREEN: a caller who may not see it gets the 404 of any hidden id
        assert client.get(f"/entities/{proposal.record}").status_code == 404
    split(neo4j_db, proposal.record, "tester", db)
    assert entities() == before
    left, _, _ = neo4j_db.execute_query("MATCH (r:Redirect) RETURN r.id AS id", database_=db)
    assert left == []
    (open_again,) = list_proposals(neo4j_db, database=db)
    assert open_again["id"] == proposal.id
    decide(neo4j_db, proposal.candidate, proposal.record, "same", "tester", None, db)
    again = ingest(neo4j_db, db, [typo])  # the old id's source again: it follows the redirect
    assert again.ok and again.proposals == []
    assert again.summary.created.get("Company", 0) == 0


def test_a_look_alike_above_the_records_level_is_a_proposal_not_a_merge(
    neo4j_db, settings, tmp_path
) -> None:
    db = settings.neo4j_database
    amber = tmp_path / "amber.yaml"
    amber.write_text(
        "id: report-amber-test\ntype: Report\nname: AMBER test\nreviewStatus: reviewed\n"
        "tlp: AMBER\n'@graph':\n"
        "  - {id: amber-co, type: Company, name: Zorblatt Vexicon Industries Ltd, country: DK}\n"
    )
    clear = tmp_path / "clear.yaml"
    clear.write_text(
        "id: report-clear-test\ntype: Report\nname: CLEAR test\nreviewStatus: reviewed\n"
        "tlp: CLEAR\n'@graph':\n"
        "  - {id: clear-co, type: Company, name: Zorblatt Vexicon Industries AS, country: DK}\n"
    )
    assert ingest(neo4j_db, db, [amber]).ok
    result = ingest(neo4j_db, db, [clear])
    (proposal,) = result.proposals
    assert (proposal.record, proposal.candidate, proposal.tlp) == ("clear-co", "amber-co", "AMBER")
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (c:Company) RETURN c.id AS id, c.tlp AS tlp ORDER BY id", database_=db
    )
    assert [tuple(r.values()) for r in rows] == [("amber-co", "AMBER"), ("clear-co", "CLEAR")]
    assert list_proposals(neo4j_db, levels=["CLEAR", "GREEN"], database=db) == []
    assert len(list_proposals(neo4j_db, levels=["CLEAR", "GREEN", "AMBER"], database=db)) == 1


def test_match_endpoint_ranks_candidates_with_explanations(neo4j_db, settings, tmp_path) -> None:
    db = settings.neo4j_database
    assert ingest(neo4j_db, db, [DATA / "holdings_generic.csv"]).ok
    tokens = make_keys(settings)
    with TestClient(make_app(settings)) as client:
        body = {"entities": [{"type": "Company", "name": "Hangzhou Hikvision Digital Technology"}]}
        hidden = client.post("/match", json=body)  # anonymous: CLEAR only, the holdings are GREEN
        assert hidden.json()["results"][0]["candidates"] == []
        answer = client.post(
            "/match",
            headers=key(tokens["green_reader"]),
            json={
                "entities": [
                    {
                        "id": "q1",
                        "schema": "Company",
                        "properties": {"name": ["Hikvision"], "isinCode": ["CNE100000PM8"]},
                    },
                    {"type": "Company", "name": "Hangzhou Hikvison Digitel Technology"},
                    {"id": "q3", "schema": "Company", "properties": {"name": ["Gasgrid Finland"]}},
                ]
            },
        )
        assert answer.status_code == 200, answer.text
        first, second, third = answer.json()["results"]
        assert third["candidates"][0]["id"] == "lei-3003008GT5N5ZQ1L7K68"
        assert first["candidates"][0]["verdict"] == "merge"
        assert first["candidates"][0]["features"]["identifier"] == ["isin=CNE100000PM8"]
        assert second["candidates"][0]["verdict"] == "propose"
        assert second["candidates"][0]["explanation"]


def test_block_keys_are_in_the_graph_and_found_by_the_index(neo4j_db, settings) -> None:
    db = settings.neo4j_database
    assert ingest(neo4j_db, db, [DATA / "holdings_generic.csv"]).ok
    record = {"id": "x", "type": "Company", "name": "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO LTD"}
    rows, _, _ = neo4j_db.execute_query(
        "CALL db.index.fulltext.queryNodes('rg_block', $q) YIELD node RETURN node.id AS id",
        q='"' + next(k for k in block_keys(record, MODEL) if k.startswith("fp:")) + '"',
        database_=db,
    )
    assert [r["id"] for r in rows] == ["isin-CNE100000PM8"]


def test_a_word_more_companies_share_than_max_fanout_is_not_a_block(
    neo4j_db, settings, tmp_path
) -> None:
    """Up to MAX_FANOUT companies holding a word are candidates of a record with that word;
    one more and the word is too common to block on (the other keys still count)."""
    db = settings.neo4j_database
    words = ["Brindle", "Castor", "Dunwich", "Ethelred", "Gimbal", "Harrow", "Inkwell"]
    words += ["Jasper", "Kestrel", "Lumen", "Marlow", "Nimbus", "Orrery", "Pennant"]
    names = [f"Quorvex {w}" for w in words[:MAX_FANOUT]]
    assert ingest(neo4j_db, db, [holdings(tmp_path / "a.csv", *((n, "NO") for n in names))]).ok
    record = {"id": "query", "type": "Company", "name": "Quorvex Ultimo"}
    found = {c.display for c, _ in Resolver(neo4j_db, db).candidates(record)}
    assert found == set(names)
    one_more = holdings(tmp_path / "b.csv", (f"Quorvex {words[MAX_FANOUT]}", "NO"))
    assert ingest(neo4j_db, db, [one_more]).ok
    assert Resolver(neo4j_db, db).candidates(record) == []
    typo = {"id": "typo", "type": "Company", "name": "Quorvex Kestral"}  # its sound still blocks
    assert [c.display for c, _ in Resolver(neo4j_db, db).candidates(typo)] == ["Quorvex Kestrel"]


# ---------------------------------------------------------------------- NBIM, real data


@pytest.mark.slow
def test_nbim_years_propose_few_pairs(neo4j_db, settings) -> None:
    if not (SHARED / "EQ_2018_Industry.xlsx").is_file():
        pytest.skip(f"no NBIM files in {SHARED} (the shared data folder is absent)")
    db = settings.neo4j_database
    fund = {"fund": "Government Pension Fund Global"}
    first = ingest(neo4j_db, db, [SHARED / "EQ_2018_Industry.xlsx"], **fund)
    assert first.ok, first.problems[:3]
    print(f"2018 into an empty graph: {len(first.proposals)} proposals")
    assert len(first.proposals) <= 25
    second = ingest(neo4j_db, db, [SHARED / "EQ_2019_Industry.xlsx"], **fund)
    assert second.ok, second.problems[:3]
    print(f"2019 on top: {len(second.proposals)} proposals")
    assert len(second.proposals) <= 25
    pairs = {frozenset((p.name, p.candidate_name)) for p in second.proposals}
    assert frozenset(("Unipro PJSC", "Nipro Corp")) not in pairs


def test_reports_and_the_shared_holdings_extract_give_one_holding_per_fund_company_date(
    neo4j_db, settings
) -> None:
    """`rightsgraph ingest reports/ ../shared/data/holdings/*.csv --fund "Government Pension
    Fund Global"`: one Holding per (fund, company, as-of), two evidence links on GPFG →
    Hikvision 2019-12-31, one Source per document."""
    csv = SHARED / "nbim_gpfg_selected_holdings_2018_2025.csv"
    if not csv.is_file():
        pytest.skip(f"no {csv.name} in {SHARED} (the shared data folder is absent)")
    db = settings.neo4j_database
    reports = Path(__file__).resolve().parents[1] / "reports"
    result = ingest(neo4j_db, db, [reports, csv], fund="Government Pension Fund Global")
    assert result.ok, result.problems[:3]
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (f:Fund)-[:HOLDS]->(h:Holding)-[:IN]->(c:Company) "
        "WITH f.id AS fund, c.id AS company, h.asOf AS asOf, collect(h.id) AS ids "
        "RETURN fund, company, asOf, ids ORDER BY fund, company, asOf",
        database_=db,
    )
    assert rows and all(len(r["ids"]) == 1 for r in rows), [r for r in rows if len(r["ids"]) > 1]
    evidence, _, _ = neo4j_db.execute_query(
        "MATCH (h:Holding {id: 'holding-gpfg-hikvision-2019-12-31'})-[:EVIDENCED_BY]->(s:Source) "
        "RETURN DISTINCT s.id AS id ORDER BY id",
        database_=db,
    )
    sources = [r["id"] for r in evidence]
    assert len(sources) == 2 and "src-nbim-eq-2019" in sources, sources
    assert any(s.startswith("src-sha256-") for s in sources)
    dupes, _, _ = neo4j_db.execute_query(
        "MATCH (s:Source) UNWIND [k IN s.blockKeys WHERE k STARTS WITH 'id:' "
        "OR k STARTS WITH 'doc:'] AS k WITH k, collect(s.id) AS ids WHERE size(ids) > 1 "
        "RETURN k, ids",
        database_=db,
    )
    assert [dict(r) for r in dupes] == []  # no document is two Source nodes


def test_review_walks_the_open_proposals_in_the_terminal(neo4j_db, settings, tmp_path) -> None:
    from typer.testing import CliRunner

    from rightsgraph.cli import app

    db = settings.neo4j_database
    _, proposal = _typo_pair(neo4j_db, db, tmp_path)
    run = CliRunner().invoke(app, ["review", "--user", "reviewer"], input="d\nnot the same\n")
    assert run.exit_code == 0, run.output
    assert "1/1" in run.output and "recorded: different" in run.output
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (d:Decision) RETURN d.judgement AS j, d.user AS u, d.note AS note", database_=db
    )
    assert [tuple(r.values()) for r in rows] == [("different", "reviewer", "not the same")]
    again = CliRunner().invoke(app, ["review"])
    assert "no open proposals" in again.output
