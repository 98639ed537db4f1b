"""`rightsgraph extract`: article text → draft report with quotes; evidence checks; `verify`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from neo4j import Driver
from typer.testing import CliRunner

from ingest.evidence import normalise_quote, verify_graph
from ingest.extract.dates import find_dates
from ingest.extract.draft import Draft, build_draft
from ingest.extract.money import find_amounts
from ingest.extract.rules import RulesError, load_rules
from ingest.extract.text import load_document
from ingest.pipeline import ingest_paths
from rightsgraph.cli import app

ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLE = ROOT / "reports" / "sources" / "seed-open-letter-article.txt"
SEED_REPORT = ROOT / "reports" / "seed-open-letter.yaml"
DATA = Path(__file__).resolve().parent / "data" / "extract"
SIX = {
    "norwegian-uyghur-committee": "Norwegian Uyghur Committee",
    "norwegian-helsinki-committee": "Norwegian Helsinki Committee",
    "norwegian-pen": "Norwegian PEN",
    "rafto-foundation": "Rafto Foundation for Human Rights",
    "uyghur-human-rights-project": "Uyghur Human Rights Project",
    "world-uyghur-congress": "World Uyghur Congress",
}


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh RIGHTSGRAPH_HOME, so evidentiary copies land in the test's own store."""
    monkeypatch.setenv("RIGHTSGRAPH_HOME", str(tmp_path))
    return tmp_path


def draft_of(path: Path, home: Path, **options) -> Draft:
    return build_draft(load_document(path), store=home / "evidence", **options)


def one(draft: Draft, type_name: str) -> dict:
    found = draft.by_type(type_name)
    assert len(found) == 1, found
    return found[0]


@pytest.fixture()
def seed(home: Path) -> Draft:
    return draft_of(SEED_ARTICLE, home, publisher="ScandAsia")


# ---------------------------------------------------------------------- the seed article


def test_seed_finds_the_six_organisations_by_their_correct_names(seed: Draft) -> None:
    orgs = {r["id"]: r["name"] for r in seed.by_type("CivilSocietyOrganization")}
    assert orgs == SIX
    names = [n for r in seed.records for n in [r.get("name", ""), *r.get("alias", [])]]
    assert not any("Eotld" in n for n in names)
    wuc = next(r for r in seed.records if r["id"] == "world-uyghur-congress")
    assert wuc["evidence"][0]["quote"] == "Eotld Uyghur Congress"  # the quote keeps the text's typo


def test_seed_links_companies_fund_and_region_to_the_seed_ids(seed: Draft) -> None:
    assert {r["id"] for r in seed.by_type("Company")} == {"hikvision", "dahua"}
    assert one(seed, "Fund")["id"] == "gpfg"
    region_ids = {r["id"] for r in seed.by_type("Region")}
    assert "xinjiang" in region_ids
    xinjiang = next(r for r in seed.by_type("Region") if r["id"] == "xinjiang")
    assert xinjiang["iso3166"] == "CN-XJ" and xinjiang["partOf"] == "china"
    dahua_quotes = {e["quote"] for r in seed.records if r["id"] == "dahua" for e in r["evidence"]}
    assert {"Zhejian Dahua Technology", "Zhejiang Dahua Technology"} <= dahua_quotes


def test_seed_amount_is_more_than_one_billion_dollars_since_2016(seed: Draft) -> None:
    contract = one(seed, "Contract")
    assert contract["amountMin"] == 1_000_000_000 and "amount" not in contract
    assert contract["currency"] == "USD" and contract["startDate"] == "2016"
    assert contract["aggregate"] is True
    assert set(contract["supplier"]) == {"hikvision", "dahua"}
    assert contract["performedIn"] == ["xinjiang"]
    assert "more than $1 billion" in contract["evidence"][0]["quote"]


def test_seed_demand_and_allegation_carry_quotes_at_their_offsets(seed: Draft) -> None:
    demand = one(seed, "Demand")
    assert demand["demandType"] == "divest" and demand["target"] == ["gpfg"]
    assert set(demand["names"]) == {"hikvision", "dahua"} and set(demand["madeBy"]) == set(SIX)
    allegation = one(seed, "Allegation")
    assert allegation["status"] == "alleged"
    assert "mass-surveillance" in allegation["harmCategory"]
    assert set(allegation["against"]) == {"hikvision", "dahua"}
    assert allegation["concerns"] == ["xinjiang"]
    assert set(allegation["affectedGroup"]) == {"Uyghurs", "Kazakhs"}
    text = seed.document.text
    for record in [demand, allegation, *seed.records]:
        for ev in record.get("evidence", []):
            start, end = map(int, re.search(r"chars (\d+)-(\d+)", ev["locator"]).groups())
            assert text[start:end] == ev["quote"], ev
    assert any("monitor and surpress Uyghurs" in e["quote"] for e in allegation["evidence"])


def test_seed_draft_is_unreviewed_conforms_and_keeps_its_evidentiary_copy(
    seed: Draft, home: Path
) -> None:
    assert seed.ok, seed.violations
    assert seed.report["reviewStatus"] == "unreviewed"
    article = seed.records[0]
    assert article["sha256"] == "5f4bed40ff92b9ac8a5520c643b75b6d9abe28693bc30e36ae574b62d8d3f1f4"
    assert article["author"] == ["Sofia Flittner"] and article["retrieved"]
    copy = home / seed.report["sourceText"]
    assert copy.read_bytes() == SEED_ARTICLE.read_bytes()
    assert (home / "evidence" / f"{article['sha256']}.json").is_file()
    publishers = {r.get("publisher") for r in seed.by_type("Source")}
    assert {"Big News Network", "Norway News"} <= publishers


# ---------------------------------------------------------------------- other phrasings


def test_other_fund_company_and_region_with_a_signed_by_list(home: Path) -> None:
    draft = draft_of(DATA / "klp-sensetime-tibet.txt", home)
    assert draft.ok, draft.violations
    demand = one(draft, "Demand")
    assert demand["target"] == ["klp"] and demand["names"] == ["sensetime"]
    assert demand["demandType"] == "exclude"
    assert set(demand["madeBy"]) == {
        "tibet-action-institute",
        "students-for-a-free-tibet-norway",
        "international-campaign-for-tibet",
        "norwegian-tibet-committee",
    }
    allegation = one(draft, "Allegation")
    assert allegation["concerns"] == ["tibet"] and allegation["affectedGroup"] == ["Tibetans"]
    contract = one(draft, "Contract")
    assert (contract["amount"], contract["currency"]) == (1_900_000_000, "CNY")
    assert (contract["startDate"], contract["endDate"]) == ("2018", "2020")
    new = next(r for r in draft.records if r["id"] == "students-for-a-free-tibet-norway")
    assert "proposed id" in new["note"]


def test_a_company_denial_is_its_response_and_the_allegation_stays_alleged(home: Path) -> None:
    draft = draft_of(DATA / "abp-huawei-denial.txt", home)
    assert draft.ok, draft.violations
    allegation = one(draft, "Allegation")
    assert allegation["status"] == "alleged"
    assert allegation["response"].startswith("Huawei denied the allegations")
    assert allegation["concerns"] == ["xinjiang"]  # "East Turkestan"
    assert one(draft, "Demand")["target"] == ["abp"]
    contract = one(draft, "Contract")
    assert (contract["amountMax"], contract["currency"], contract["date"]) == (
        20_000_000,
        "EUR",
        "2017-04",
    )


def test_html_is_read_without_scripts_navigation_author_box_or_comments(home: Path) -> None:
    draft = draft_of(DATA / "html-dahua-megvii.html", home)
    assert draft.ok, draft.violations
    text = draft.document.text
    for furniture in (
        "Hikvision should not",
        "Leave a Reply",
        "Huawei news",
        "Jane covers",
        "SenseTime",
    ):
        assert furniture not in text
    assert {r["id"] for r in draft.by_type("Company")} == {"dahua", "megvii"}
    article = draft.records[0]
    assert article["url"] == "https://example.org/news/fund-told-to-divest"
    assert article["published"] == "2021-06-02"
    assert one(draft, "Contract")["amountMin"] == 1_200_000_000


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("more than $1 billion", {"amountMin": 1_000_000_000}),
        ("nearly NOK 1.2bn", {"amountMax": 1_200_000_000}),
        ("about 1.9 billion yuan", {"amount": 1_900_000_000}),
        ("a $53m deal", {"amount": 53_000_000}),
        ("up to €20 million", {"amountMax": 20_000_000}),
        ("between $1m and $2m", {"amountMin": 1_000_000, "amountMax": 2_000_000}),
    ],
)
def test_money_bounds(phrase: str, expected: dict) -> None:
    assert find_amounts(phrase)[0].properties() == expected


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("since 2016", {"startDate": "2016"}),
        ("in April 2017", {"date": "2017-04"}),
        ("on March 11, 2020", {"date": "2020-03-11"}),
        ("from 2016 to 2019", {"startDate": "2016", "endDate": "2019"}),
    ],
)
def test_dates_and_periods(phrase: str, expected: dict) -> None:
    assert find_dates(phrase)[0].properties() == expected


def test_user_rules_extend_the_bundled_ones_and_unknown_categories_are_refused(
    tmp_path: Path,
) -> None:
    extra = tmp_path / "rules.yaml"
    extra.write_text("harm:\n  forced-labour: [picking cotton]\n", encoding="utf-8")
    rules = load_rules([extra])
    assert rules.harm.keys_in("forced to go picking cotton") == ["forced-labour"]
    assert rules.harm.keys_in("internment camps") == ["arbitrary-detention"]  # bundled still there
    extra.write_text("harm:\n  unhappiness: [sad]\n", encoding="utf-8")
    with pytest.raises(RulesError, match="unhappiness"):
        load_rules([extra])


# ---------------------------------------------------------------------- awkward input, via the CLI


def run_cli(*args: str):
    return CliRunner().invoke(app, ["extract", *args, "--offline"])


def test_empty_binary_and_enormous_files_are_refused_with_a_clear_message(home: Path) -> None:
    empty = home / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    binary = home / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    huge = home / "huge.txt"
    with huge.open("w", encoding="utf-8") as fh:
        fh.write("Hikvision won contracts in Xinjiang. " * 560_000)  # ~20 MB
    for path, words in ((empty, "empty"), (binary, "binary"), (huge, "MB")):
        result = run_cli(str(path))
        assert result.exit_code == 1, result.output
        assert words in result.output and "Traceback" not in result.output


def test_norwegian_is_read_and_an_unsupported_language_warns(home: Path) -> None:
    out = home / "draft.yaml"
    result = run_cli(str(DATA / "norwegian-oljefondet.txt"), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "does not look like" not in result.output
    graph = yaml.safe_load(out.read_text(encoding="utf-8"))["@graph"]
    assert {"gpfg", "hikvision", "xinjiang"} <= {r["id"] for r in graph}
    assert graph[0]["language"] == "nb"
    contract = next(r for r in graph if r["type"] == "Contract")
    assert (contract["amountMin"], contract["currency"], contract["startDate"]) == (
        1_000_000_000,
        "USD",
        "2016",
    )
    french = home / "article-fr.txt"
    french.write_text(
        "Le fonds de pension a vendu ses actions de Hikvision\n\nLe fonds a annoncé "
        "qu'il ne détenait plus aucune action de la société depuis le mois dernier, et que "
        "la décision était prise après un long examen des activités du groupe au Xinjiang.\n",
        encoding="utf-8",
    )
    result = run_cli(str(french), "-o", str(out))
    assert result.exit_code == 0 and "does not look like any language" in result.output
    assert "hikvision" in out.read_text(encoding="utf-8")


def test_explain_marks_the_quotes_in_the_text(home: Path) -> None:
    result = run_cli(str(SEED_ARTICLE), "--explain")
    assert result.exit_code == 0, result.output
    assert "[Eotld Uyghur Congress]" in result.output
    assert "world-uyghur-congress" in result.output


# ---------------------------------------------------------------------- evidence: ingest, verify


def test_a_report_whose_quote_is_not_in_its_source_is_refused_naming_the_quote(
    tmp_path: Path,
) -> None:
    ok = ingest_paths([SEED_REPORT], None)
    assert ok.ok, ok.problems
    shutil.copytree(SEED_ARTICLE.parent, tmp_path / "sources")  # sourceText is beside it
    tampered = tmp_path / "seed-open-letter.yaml"
    text = SEED_REPORT.read_text(encoding="utf-8").replace(
        "monitor and surpress", "monitor and protect"
    )
    tampered.write_text(text, encoding="utf-8")
    result = ingest_paths([tampered], None)
    problems = [p for p in result.problems if p.rule == "quote-not-in-source"]
    assert problems and "monitor and protect" in problems[0].message
    assert problems[0].record == "allegation-open-letter-hikvision-dahua-xinjiang"


def test_quotes_tolerate_curly_quotes_dashes_and_spacing_but_not_words() -> None:
    copy = normalise_quote("the world’s largest  sovereign\nwealth fund — “Oil Fund”")
    assert normalise_quote('the world\'s largest sovereign wealth fund - "Oil Fund"') in copy
    assert normalise_quote("the world's smallest sovereign wealth fund") not in copy


def test_extracted_draft_ingests_as_alleged_and_unreviewed(neo4j_db: Driver, home: Path) -> None:
    out = home / "draft.yaml"
    result = run_cli(str(SEED_ARTICLE), "-o", str(out))
    assert result.exit_code == 0, result.output
    ingested = ingest_paths([out], neo4j_db)
    assert ingested.ok, ingested.problems
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (a:Allegation)-[:AGAINST]->(c:Company) MATCH (r:Report) "
        "RETURN a.status AS status, collect(DISTINCT c.id) AS companies, r.reviewStatus AS review"
    )
    assert rows[0]["status"] == "alleged" and rows[0]["review"] == "unreviewed"
    assert sorted(rows[0]["companies"]) == ["dahua", "hikvision"]
    assert verify_graph(neo4j_db).findings == []


def test_verify_detects_a_tampered_copy_and_a_changed_stored_quote(
    neo4j_db: Driver, home: Path
) -> None:
    result = ingest_paths([SEED_REPORT], neo4j_db)
    assert result.ok, result.problems
    clean = verify_graph(neo4j_db)
    assert clean.findings == [] and clean.quotes_checked > 20 and clean.copies_checked == 1
    neo4j_db.execute_query(
        "MATCH ()-[e:EVIDENCED_BY]->() WHERE e.quote = 'Norwegian PEN' "
        "SET e.quote = 'Norwegian PAN'"
    )
    assert any("Norwegian PAN" in f for f in verify_graph(neo4j_db).findings)
    copy = next((home / "evidence").glob("*.txt"))
    copy.write_text(
        copy.read_text(encoding="utf-8").replace("1 million", "1 thousand"), encoding="utf-8"
    )
    findings = verify_graph(neo4j_db).findings
    assert any(copy.name in f and "changed since it was kept" in f for f in findings)
    cli = CliRunner().invoke(app, ["verify"])
    assert cli.exit_code == 1 and "mismatch" in cli.output


def test_verify_lists_every_quote_it_could_not_check(neo4j_db: Driver, home: Path) -> None:
    result = ingest_paths([SEED_REPORT, ROOT / "reports" / "documented-case.yaml"], neo4j_db)
    assert result.ok, result.problems
    report = verify_graph(neo4j_db)
    rows, _, _ = neo4j_db.execute_query(
        "MATCH (:Node)-[e:EVIDENCED_BY]->(:Source) WHERE e.quote IS NOT NULL RETURN count(e) AS n"
    )
    assert report.quotes_checked + len(report.unchecked) == rows[0]["n"]  # every quote, once
    reasons = {u["reason"] for u in report.unchecked}
    assert reasons == {"its source has no sha256", "no evidentiary copy of its source here"}
    assert report.quotes_checked > 20 and report.findings == []  # the seed's, against its copy
    cli = CliRunner().invoke(app, ["verify"])
    assert cli.exit_code == 0 and f"{len(report.unchecked)} quotes could not be checked" in (
        cli.output
    )
    assert "unchecked" in cli.output


def _citing(path: Path, rid: str, source: dict, quote: str, tlp: str = "CLEAR") -> Path:
    """A report of one company citing `source` (a Source record, or only its id: one in the
    graph) with `quote`."""
    records = [source] if len(source) > 1 else []
    records.append(
        {
            "id": f"{rid}-co",
            "type": "Company",
            "name": f"Quotecheck {rid} Ltd",
            "evidence": [{"source": source["id"], "quote": quote}],
        }
    )
    doc = {"id": rid, "type": "Report", "name": rid, "reviewStatus": "reviewed", "tlp": tlp}
    doc["@graph"] = records
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_a_made_up_quote_of_a_graph_source_with_a_copy_is_refused_without_echoing_the_copy(
    neo4j_db: Driver, home: Path, tmp_path: Path
) -> None:
    assert ingest_paths([SEED_REPORT], neo4j_db).ok  # keeps the article's copy in the store
    cited = {"id": "src-scandasia-2020-ngos-divest"}  # in the graph, with the copy's sha256
    made_up = _citing(tmp_path / "made-up.yaml", "report-made-up", cited, "Dahua sells apples")
    refused = ingest_paths([made_up], neo4j_db)
    problems = [p for p in refused.problems if p.rule == "quote-not-in-source"]
    assert problems and "Dahua sells apples" in problems[0].message
    words = re.findall(r"\w+", SEED_ARTICLE.read_text(encoding="utf-8"))
    runs = {" ".join(words[i : i + 4]) for i in range(len(words) - 3)}
    assert not [r for r in runs if r in problems[0].message]  # no four words of the copy
    real = _citing(tmp_path / "real.yaml", "report-real", cited, "urged Norway to divest")
    assert ingest_paths([real], neo4j_db).ok


def test_quotes_are_checked_only_against_copies_visible_at_the_reports_level(
    neo4j_db: Driver, home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "amber"
    folder.mkdir()
    (folder / "tip.txt").write_text("The amber tip names Quotecheck.", encoding="utf-8")
    import hashlib

    digest = hashlib.sha256((folder / "tip.txt").read_bytes()).hexdigest()
    tip = {"id": "src-amber-tip", "type": "Source", "name": "A tip", "sha256": digest}
    amber = _citing(folder / "amber.yaml", "report-amber-tip", tip, "names Quotecheck", "AMBER")
    doc = yaml.safe_load(amber.read_text(encoding="utf-8"))
    amber.write_text(yaml.safe_dump({**doc, "sourceText": "tip.txt"}), encoding="utf-8")
    assert ingest_paths([amber], neo4j_db).ok  # its copy is now in the store
    # a CLEAR report naming that document: the AMBER copy is not checked against (no oracle)
    same_doc = {"id": "src-clear-tip", "type": "Source", "name": "A tip", "sha256": digest}
    clear = _citing(tmp_path / "clear.yaml", "report-clear-tip", same_doc, "made up words")
    assert not [p for p in ingest_paths([clear], neo4j_db).problems if "quote" in p.rule]
    # an AMBER report citing the AMBER source: checked, and a made-up quote refused
    again = _citing(tmp_path / "again.yaml", "report-amber-2", {"id": "src-amber-tip"},
                    "made up words", "AMBER")  # fmt: skip
    assert [p.rule for p in ingest_paths([again], neo4j_db).problems] == ["quote-not-in-source"]
