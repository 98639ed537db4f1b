"""Extraction beyond the gazetteer: names by their form, six languages, measures, contracts with
buyers and status, ownership, article metadata — on texts written for these tests, with gold
annotations in tests/data/extract/corpus/ (scored by ingest/extract/scoring.py, printed by bench/extract_quality.py)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from neo4j import Driver

from ingest.extract.dates import find_dates
from ingest.extract.draft import Draft, build_draft
from ingest.extract.linking import link_to_graph
from ingest.extract.money import find_amounts
from ingest.extract.orgs import classify
from ingest.extract.scoring import run_corpus
from ingest.extract.text import html_document, load_document
from ingest.pipeline import ingest_paths

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "extract" / "corpus"
HELDOUT = ROOT / "tests" / "data" / "extract" / "heldout"
HELDOUT2 = ROOT / "tests" / "data" / "extract" / "heldout2"
HELDOUT3 = ROOT / "tests" / "data" / "extract" / "heldout3"


def draft_of(path: Path, tmp_path: Path, **options) -> Draft:
    return build_draft(load_document(path), store=tmp_path / "evidence", **options)


def by_type(draft: Draft, type_name: str) -> list[dict]:
    return [r for r in draft.records if r["type"] == type_name]


def test_corpus_meets_the_goals_per_kind_and_language_with_quotes_at_their_offsets(
    tmp_path: Path,
) -> None:
    per_kind, per_language, at_offsets, items = run_corpus(tmp_path)
    hits, found, expected = (sum(t[i] for t in per_kind.values()) for i in range(3))
    assert hits / found >= 0.9 and hits / expected >= 0.85, per_kind
    assert set(per_language) == {"en", "nb", "nn", "da", "sv", "de"}
    for lang, (h, f, e) in per_language.items():
        assert h / e >= 0.75 and h / f >= 0.75, (lang, h, f, e)
    assert items > 100 and at_offsets == items


# The held-out texts (tests/data/extract/heldout/, never tuned on) hold no goal, only a floor:
# the figures reported after the fixes of issue 24 (first measured: precision 0.72, recall 0.57
# overall; 0.81/0.65 before issue 24), so that a regression shows. Raise them when the
# extractor improves; never tune the rule files on these texts. heldout2/ (six texts written
# before the changes of issue 24, measured before them: 0.79/0.54, but read while fixing) and
# heldout3/ (three texts written after them, measured once: 0.90/0.56) have their own floors.
HELDOUT_FLOOR = {  # precision, recall
    "overall": (0.92, 0.92),
    "da": (0.99, 0.99),
    "de": (0.92, 0.99),
    "en": (0.92, 0.90),
    "nb": (0.94, 0.94),
    "nn": (0.94, 0.94),
    "sv": (0.87, 0.87),
}
HELDOUT2_FLOOR = {
    "overall": (0.93, 0.93),
    "da": (0.84, 0.68),
    "de": (0.86, 0.92),
    "en": (0.95, 0.97),
    "nb": (0.95, 0.99),
    "sv": (0.99, 0.99),
}
HELDOUT3_FLOOR = {
    "overall": (0.89, 0.55),
    "da": (0.99, 0.85),
    "de": (0.61, 0.27),
    "en": (0.99, 0.6),
}


@pytest.mark.parametrize(
    "corpus, floor",
    [(HELDOUT, HELDOUT_FLOOR), (HELDOUT2, HELDOUT2_FLOOR), (HELDOUT3, HELDOUT3_FLOOR)],
)
def test_held_out_texts_stay_at_or_above_their_reported_floor(
    corpus: Path, floor: dict[str, tuple[float, float]], tmp_path: Path
) -> None:
    per_kind, per_language, at_offsets, items = run_corpus(tmp_path, corpus=corpus)
    total = [sum(t[i] for t in per_kind.values()) for i in range(3)]
    assert set(per_language) == set(floor) - {"overall"}
    for name, (hits, found, expected) in [("overall", total), *per_language.items()]:
        precision, recall = floor[name]
        assert hits / found >= precision and hits / expected >= recall, (
            name,
            hits,
            found,
            expected,
        )
    assert at_offsets == items


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for d in (CORPUS, HELDOUT, HELDOUT2, HELDOUT3)
        for p in d.iterdir()
        if p.suffix in (".txt", ".html")
    ),
)
def test_every_corpus_draft_conforms_and_quotes_stand_at_their_offsets(
    path: Path, tmp_path: Path
) -> None:
    draft = draft_of(path, tmp_path)
    assert draft.ok, draft.violations
    for record in draft.records:
        for ev in record.get("evidence", []):
            start, end = map(int, re.search(r"chars (\d+)-(\d+)", ev["locator"]).groups())
            assert draft.document.text[start:end] == ev["quote"]


def test_filing_yields_five_subsidiaries_ownership_and_terminated_contracts(tmp_path: Path) -> None:
    draft = draft_of(CORPUS / "en-filing-subsidiaries.txt", tmp_path)
    subsidiaries = {
        r["id"]
        for r in by_type(draft, "Company")
        if r["id"] not in ("hikvision", "shenzhen-stock-exchange")
    }
    assert len(subsidiaries) == 5
    assert all(
        "proposed id" in r["note"] for r in by_type(draft, "Company") if r["id"] in subsidiaries
    )
    owned = {(o["owner"], o["owned"]) for o in by_type(draft, "Ownership")}
    assert owned == {("hikvision", s) for s in subsidiaries}
    contracts = {c["buyer"]: c for c in by_type(draft, "Contract")}
    moyu = contracts["moyu-county-government"]
    assert moyu["supplier"] == ["moyu-hikvision-intelligent-technology-co-ltd"]
    assert (moyu["startDate"], moyu["endDate"], moyu["contractStatus"]) == (
        "2017",
        "2032",
        "terminated",
    )
    assert contracts["pishan-county-government"]["endDate"] == "2033"
    luopu = contracts["luopu-county-government"]
    assert (luopu["startDate"], luopu["contractStatus"]) == ("2018-06", "terminated")
    assert (
        next(r for r in draft.records if r["id"] == "moyu-county-government")["type"]
        == "GovernmentBody"
    )
    (measure,) = by_type(draft, "Measure")
    assert (measure["measureType"], measure["imposedBy"], measure["appliesTo"]) == (
        "entity-list",
        "us-department-of-commerce",
        ["hikvision"],
    )
    assert measure["startDate"] == "2019-10"
    article = draft.records[0]
    assert (article["name"], article["publisher"], article["published"]) == (
        "Hikvision units end Xinjiang contracts, filing shows",
        "Harbour Wire",
        "2022-03-14",
    )


def test_html_with_open_graph_and_json_ld_gives_the_source_its_metadata(tmp_path: Path) -> None:
    draft = draft_of(CORPUS / "en-html-metadata.html", tmp_path)
    article = draft.records[0]
    assert article["name"] == "Pension fund blacklists drone maker over Tibet surveillance"
    assert article["publisher"] == "Baltic Ledger" and article["published"] == "2023-05-09"
    assert article["author"] == ["Ingrid Solheim"]
    assert (
        article["url"] == "https://ledger.example.com/2023/05/pension-fund-blacklists-drone-maker"
    )
    assert "Hikvision should not appear" not in draft.document.text
    sale = next(m for m in by_type(draft, "Measure") if m["measureType"] == "other")
    assert sale["date"] == "2023-04"  # "in April", dated by the article


def test_json_ld_alone_gives_title_publisher_author_and_date() -> None:
    doc = html_document(
        '<html><head><script type="application/ld+json">{"@context": "https://schema.org", '
        '"@graph": [{"@type": "WebSite", "name": "x"}, {"@type": "NewsArticle", '
        '"headline": "Fund sells stake", "datePublished": "2024-02-01", '
        '"author": {"@type": "Person", "name": "Kari Nordmann"}, '
        '"publisher": {"@type": "Organization", "name": "Fjord Post"}, '
        '"url": "https://post.example/fund"}]}</script></head>'
        "<body><p>The fund sold its stake in the company last week.</p></body></html>"
    )
    assert (doc.title, doc.publisher, doc.published, doc.authors, doc.url) == (
        "Fund sells stake",
        "Fjord Post",
        "2024-02-01",
        ["Kari Nordmann"],
        "https://post.example/fund",
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Zhejiang Dahua Electronic Technology Co", "Company"),
        ("Tianjin Ocean Shipping Co., Ltd", "Company"),
        ("Equinor ASA", "Company"),
        ("Volvo Cars AB", "Company"),
        ("Novo Nordisk A/S", "Company"),
        ("Siemens Energy GmbH", "Company"),
        ("Pensionskasse Basel", "Fund"),
        ("Tredje AP-fonden", "Fund"),
        ("Nordea Asset Management", "Fund"),
        ("Hotan County government", "GovernmentBody"),
        ("Ministry of Public Security", "GovernmentBody"),
        ("Bergen kommune", "GovernmentBody"),
        ("Raoul Wallenberg Institute", "CivilSocietyOrganization"),
        ("Stiftelsen Fritt Ord", "CivilSocietyOrganization"),
    ],
)
def test_names_are_organisations_by_their_form(name: str, kind: str) -> None:
    got = classify(name)
    assert got is not None and got[0] == kind, got


@pytest.mark.parametrize("name", ["Xinjiang Uyghur Autonomous Region", "Entity List", "Oslo"])
def test_places_and_lists_are_not_organisations(name: str) -> None:
    assert classify(name) is None


@pytest.mark.parametrize(
    ("phrase", "base", "expected"),
    [
        ("opplyste banken 18. sep. 2020", None, {"date": "2020-09-18"}),
        ("skriv selskapet 11. september", dt.date(2021, 10, 2), {"date": "2021-09-11"}),
        ("solgte aksjene i januar", dt.date(2021, 3, 5), {"date": "2021-01"}),
        ("oplyser selskabet den 4. maj 2022", None, {"date": "2022-05-04"}),
        ("meddelade fonden den 3 mars 2021", None, {"date": "2021-03-03"}),
        ("wie die Kasse am 18. September 2020 mitteilte", None, {"date": "2020-09-18"}),
        ("kontrakter siden 2016", None, {"startDate": "2016"}),
        ("mellom 2018 og 2020", None, {"startDate": "2018", "endDate": "2020"}),
        ("seit März 2019", None, {"startDate": "2019-03"}),
        ("which had started in June 2018", None, {"startDate": "2018-06"}),
    ],
)
def test_dates_in_six_languages(phrase: str, base: dt.date | None, expected: dict) -> None:
    assert find_dates(phrase, base=base)[0].properties() == expected


def test_a_date_without_a_year_and_without_context_is_left_out() -> None:
    assert find_dates("skriv selskapet 11. september") == []


@pytest.mark.parametrize(
    ("phrase", "language", "expected", "currency"),
    [
        ("1,2 milliarder kroner", "nb", {"amount": 1_200_000_000}, "NOK"),
        ("om lag 200 millionar kroner", "nn", {"amount": 200_000_000}, "NOK"),
        ("aktier for DKK17m", "da", {"amount": 17_000_000}, "DKK"),
        ("omkring 90 millioner kroner", "da", {"amount": 90_000_000}, "DKK"),
        ("150 miljoner kronor", "sv", {"amount": 150_000_000}, "SEK"),
        ("mehr als 300 Millionen Euro", "de", {"amountMin": 300_000_000}, "EUR"),
        ("shares worth NOK1.48bn", "en", {"amount": 1_480_000_000}, "NOK"),
        ("worth $1bn", "en", {"amount": 1_000_000_000}, "USD"),
        ("mer enn en milliard dollar", "nb", {"amountMin": 1_000_000_000}, "USD"),
    ],
)
def test_amounts_in_six_languages(
    phrase: str, language: str, expected: dict, currency: str
) -> None:
    (amount,) = find_amounts(phrase, language=language)
    assert amount.properties() == expected and amount.currency == currency


def test_measures_need_an_imposer_and_a_demand_is_not_a_measure(tmp_path: Path) -> None:
    text = tmp_path / "t.txt"
    text.write_text(
        "Fund told to drop camera maker\n\nHuman Rights Watch urged Norrvik Pension to exclude "
        "Xiamen Gullwing Optics Co Ltd and to sell its shares.\n\nIn 2022 Norrvik Pension "
        "excluded Xiamen Gullwing Optics Co Ltd, the fund said.\n",
        encoding="utf-8",
    )
    draft = draft_of(text, tmp_path)
    (measure,) = by_type(draft, "Measure")
    assert (measure["measureType"], measure["imposedBy"], measure["date"]) == (
        "exclusion",
        "norrvik-pension",
        "2022",
    )
    (demand,) = by_type(draft, "Demand")
    assert demand["target"] == ["norrvik-pension"] and demand["names"] == [
        "xiamen-gullwing-optics-co-ltd"
    ]


def test_a_new_organisation_takes_the_id_the_graph_already_gives_it(
    neo4j_db: Driver, tmp_path: Path
) -> None:
    report = tmp_path / "known.yaml"
    report.write_text(
        """"@context": https://w3id.org/rightsgraph/context.jsonld
id: report-known-brightview
type: Report
name: A company the graph knows
reviewStatus: reviewed
"@graph":
  - id: src-registry
    type: Source
    name: Company registry extract
    sourceType: register
  - id: brightview-xiamen
    type: Company
    name: Xiamen Brightview Electronic Technology Co., Ltd.
    country: CN
    evidence: [{source: src-registry}]
""",
        encoding="utf-8",
    )
    assert ingest_paths([report], neo4j_db).ok
    draft = draft_of(
        CORPUS / "en-fund-exclusion.txt",
        tmp_path,
        link=lambda entities: link_to_graph(entities, neo4j_db),
    )
    assert draft.ok, draft.violations
    company = next(r for r in draft.records if r["id"] == "brightview-xiamen")
    assert "graph" in company["note"]
    assert all(m["appliesTo"] == ["brightview-xiamen"] for m in by_type(draft, "Measure"))
    fjordline = next(r for r in draft.records if r["id"] == "fjordline-asset-management-as")
    assert "proposed id" in fjordline["note"]


def draft_of_text(text: str, tmp_path: Path) -> Draft:
    path = tmp_path / "article.txt"
    path.write_text(text, encoding="utf-8")
    return draft_of(path, tmp_path)


def names_of(draft: Draft, type_name: str) -> set[str]:
    return {r["name"] for r in by_type(draft, type_name)}


def test_names_split_at_og_lead_words_dropped_and_national_sections_kept(tmp_path: Path) -> None:
    draft = draft_of_text(
        "Fondet selger seg ut\n\nNordfjord Kapital ASA har utelukket Lianhe Optics Co Ltd. "
        "Amnesty International Norge ber nå PBU og Vestland Pensjon om å selge sine aksjer i "
        "Lianhe Optics Co Ltd.\n\nDie Aktien von Lianhe Optics Co Ltd wurden verkauft.\n",
        tmp_path,
    )
    funds = names_of(draft, "Fund")
    assert {"PBU", "Vestland Pensjon"} <= funds and not any(" og " in n for n in funds)
    assert "Lianhe Optics Co Ltd" in names_of(draft, "Company")
    assert not any(n.startswith("Aktien") for n in names_of(draft, "Company"))
    assert "Amnesty International Norge" in names_of(draft, "CivilSocietyOrganization")


def test_a_sale_after_the_holding_sentence_takes_its_seller_company_and_amount(
    tmp_path: Path,
) -> None:
    draft = draft_of_text(
        "Pensjonskasse selger\n\nFjellheim Pensjon har utelukket Lianhe Optics Co Ltd.\n\n"
        "Pensjonskassen eide aksjer for 30 millioner kroner i selskapet. Alle aksjene er nå "
        "solgt.\n",
        tmp_path,
    )
    (sale,) = [m for m in by_type(draft, "Measure") if m["measureType"] == "other"]
    assert sale["imposedBy"] == "fjellheim-pensjon"
    assert sale["appliesTo"] == ["lianhe-optics-co-ltd"]
    assert (sale["amount"], sale["currency"]) == (30_000_000, "NOK")


def test_an_investor_is_known_by_what_it_did_and_silence_is_no_response(tmp_path: Path) -> None:
    draft = draft_of_text(
        "Försäkringsbolag säljer\n\nSkogsmark har uteslutit Lianhe Optics Co Ltd ur sina fonder "
        "efter rapporter om tvångsarbete i Xinjiang, och enligt Skogsmark används bolagets "
        "kameror för massövervakning av uigurer.\n\nLianhe Optics Co Ltd vill inte kommentera.\n",
        tmp_path,
    )
    (exclusion,) = [m for m in by_type(draft, "Measure") if m["measureType"] == "exclusion"]
    assert exclusion["imposedBy"] == "skogsmark" and "Skogsmark" in names_of(draft, "Fund")
    (allegation,) = by_type(draft, "Allegation")
    assert "response" not in allegation


def test_a_contract_with_a_named_buyer_needs_no_verb_and_its_expiry_ends_it(
    tmp_path: Path,
) -> None:
    draft = draft_of_text(
        "Filing\n\nLianhe Optics Co Ltd's contract with the Turpan City government, worth 80 "
        "million yuan, started in May 2018 and was due to expire in May 2028.\n",
        tmp_path,
    )
    (contract,) = by_type(draft, "Contract")
    assert contract["buyer"] == "turpan-city-government"
    assert (contract["startDate"], contract["endDate"]) == ("2018-05", "2028-05")
    assert (contract["amount"], contract["currency"]) == (80_000_000, "CNY")
