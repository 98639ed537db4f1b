"""RDF that partners read without our ontology: one graph in every format, absolute ids,
standard terms, PROV, check digits any SHACL engine runs, the ontology bundled, per-value
provenance that round-trips (issues #23 and #16)."""

from __future__ import annotations

import json
import random
import shutil
import string
from pathlib import Path

import pyoxigraph
import pytest
from helpers import DOCUMENTED, SEED, ingest, report_document, wipe, write_report
from neo4j import Driver
from pyshacl import validate as stock_validate
from rdf_helpers import HIKVISION_QUERY, export
from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from core.settings import Settings
from export.rdf import EVIDENCE_BASE, PROV
from ingest.errors import IngestError
from ingest.pipeline import ingest_paths
from ingest.reports import foreign_subjects, read_report
from ontology.context import CONTEXT_FILE
from ontology.model import RG, SHAPES_FILE, id_to_iri, load_model, shapes_graph
from ontology.types.identifiers import (
    isin_check_digit,
    isin_check_sparql,
    lei_check_digits,
    lei_check_sparql,
    valid_isin,
    valid_lei,
)
from ontology.types.sharing import levels as sharing_levels
from rightsgraph.synth import generate_report

FORMATS = {
    "ntriples": ("nt", ".nt"),
    "turtle": ("turtle", ".ttl"),
    "jsonld": ("json-ld", ".jsonld"),
}
OXIGRAPH = {
    "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
    "turtle": pyoxigraph.RdfFormat.TURTLE,
    "jsonld": pyoxigraph.RdfFormat.JSON_LD,
}
SCHEMA = Namespace("https://schema.org/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
SH = Namespace("http://www.w3.org/ns/shacl#")
COLON_CONTRACT = "contract-ocds-synth7-00000226:1"


def parse(text: str, fmt: str) -> Graph:
    return Graph().parse(data=text, format=FORMATS[fmt][0])


def oxigraph(text: str, fmt: str) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    store.load(text.encode("utf-8"), format=OXIGRAPH[fmt])
    return store


@pytest.fixture()
def bundled(neo4j_db: Driver, settings: Settings) -> Driver:
    ingest(neo4j_db, settings, SEED, DOCUMENTED)
    return neo4j_db


def colon_report(tmp_path: Path) -> Path:
    """A generated report, plus contracts whose ids hold a colon (as OCDS award ids give)."""
    doc = generate_report(units=6, seed=5, prefix="c", levels=sharing_levels())
    source = next(r["id"] for r in doc["@graph"] if r["type"] == "Source")
    company = next(r["id"] for r in doc["@graph"] if r["type"] == "Company")
    for n in range(3):
        doc["@graph"].append(
            {
                "id": f"{COLON_CONTRACT[:-2]}{n}:1",
                "type": "Contract",
                "name": f"Cameras, lot {n}",
                "supplier": [company],
                "date": ["2019", "2019-06", "2019-06-30"][n],
                "evidence": [{"source": source, "quote": f"lot {n} awarded"}],
            }
        )
    path = tmp_path / "colon.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# ---------------------------------------------------------------------- one graph, every format


def test_the_three_formats_are_one_graph_on_reports_and_on_colon_ids(
    neo4j_db, settings, tmp_path
) -> None:
    ingest(neo4j_db, settings, SEED, DOCUMENTED, colon_report(tmp_path))
    for level in ("CLEAR", "RED"):
        texts = {f: export(neo4j_db, settings, format=f, tlp=level) for f in FORMATS}
        graphs = {f: parse(t, f) for f, t in texts.items()}
        assert isomorphic(graphs["ntriples"], graphs["turtle"])
        assert isomorphic(graphs["ntriples"], graphs["jsonld"])
        sizes = {f: len(oxigraph(t, f)) for f, t in texts.items()}
        assert len(set(sizes.values())) == 1 and sizes["jsonld"] == len(graphs["jsonld"])
        for graph in graphs.values():  # every subject is one of our ids or a concept we use
            assert foreign_subjects(graph) == []
        contract = id_to_iri(f"{COLON_CONTRACT[:-2]}0:1")
        if level == "RED":
            assert (contract, RDF.type, RG.Contract) in graphs["jsonld"]
    for fmt, (_, suffix) in FORMATS.items():  # and each reads back whole, nothing refused
        path = tmp_path / f"export{suffix}"
        path.write_text(texts[fmt], encoding="utf-8")
        batch = next(read_report(path))
        assert COLON_CONTRACT[:-2] + "2:1" in {r["id"] for r in batch.records}


def test_ingest_refuses_subjects_outside_our_ids(tmp_path) -> None:
    """What the JSON-LD export used to write: a relative id with a colon, read as an IRI of
    scheme `contract-…`; now an error that names it, not "triples outside the ontology"."""
    context = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
    doc = {
        "@context": context["@context"],
        "@graph": [{"id": COLON_CONTRACT, "type": "Contract", "name": "Cameras"}],
    }
    path = tmp_path / "old.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        next(read_report(path))
    problems = caught.value.problems
    assert [p.rule for p in problems] == ["foreign-subject"]
    assert problems[0].record == COLON_CONTRACT


# ---------------------------------------------------------------------- standard terms


def test_standard_terms_come_from_the_ontology_in_the_form_their_vocabulary_expects(
    bundled, settings
) -> None:
    text = export(bundled, settings, format="turtle", tlp="RED")
    graph = parse(text, "turtle")
    model = load_model()
    named = list(graph.subject_objects(RG.name))
    assert named
    for node, name in named:
        assert (node, RDFS.label, name) in graph and (node, SCHEMA.name, name) in graph
    for node, alias in graph.subject_objects(RG.alias):
        assert (node, SKOS.altLabel, alias) in graph
    for node, text_ in graph.subject_objects(RG.description):
        assert (node, DCTERMS.description, text_) in graph
    urls = list(graph.subject_objects(RG.url))
    assert urls and all((s, SCHEMA.url, URIRef(str(u))) in graph for s, u in urls)
    by_length = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}
    for ours, theirs in (
        (RG.date, DCTERMS.date),
        (RG.startDate, SCHEMA.startDate),
        (RG.published, DCTERMS.issued),
    ):
        pairs = list(graph.subject_objects(ours))
        for s, value in pairs:
            expected = Literal(str(value), datatype=by_length[len(str(value))])
            assert (s, theirs, expected) in graph
    assert {len(str(v)) for v in graph.objects(None, RG.published)} >= {10}
    # the types the shapes target, stated
    assert (id_to_iri("hikvision"), RDF.type, RG.Organization) in graph
    assert (id_to_iri("hikvision"), RDF.type, RG.Actor) in graph
    assert (id_to_iri("hikvision"), RDF.type, RG.Node) in graph
    facts = set(graph.subjects(RDF.type, RG.Allegation))
    assert facts and all((f, RDF.type, RG.Fact) in graph for f in facts)
    # PROV qualified derivation, complete, with stable evidence IRIs
    for node, evidence in graph.subject_objects(RG.evidence):
        assert str(evidence).startswith(EVIDENCE_BASE)
        assert (node, PROV.qualifiedDerivation, evidence) in graph
        source = graph.value(evidence, RG.source)
        assert (evidence, PROV.entity, source) in graph
        assert (evidence, RDF.type, PROV.Derivation) in graph
        assert (node, PROV.wasDerivedFrom, source) in graph
    again = parse(export(bundled, settings, format="ntriples", tlp="RED"), "ntriples")
    assert set(again.objects(None, RG.evidence)) == set(graph.objects(None, RG.evidence))
    # the SKOS concepts used, with their labels
    used = set(graph.objects(None, RG.harmCategory))
    assert used and all(graph.value(c, SKOS.prefLabel) is not None for c in used)
    assert all((c, RDF.type, SKOS.Concept) in graph for c in used)
    assert len(model.vocabularies) > 0


def test_the_export_alone_answers_a_partners_question_in_pyoxigraph(bundled, settings) -> None:
    """The documented query (docs/export.md): names and publication dates of every source of
    every allegation against Hikvision, in rdfs/schema/dcterms/prov terms only."""
    text = export(bundled, settings, format="turtle", tlp="CLEAR")
    store = oxigraph(text, "turtle")
    rows = {
        (
            r["allegation"].value,
            r["source"].value,
            r["name"].value,
            r["published"].value if r["published"] else None,
        )
        for r in store.query(HIKVISION_QUERY)
    }
    # what the graph holds, read through our own terms
    graph = parse(text, "turtle")
    expected = set()
    for allegation in graph.subjects(RG.against, id_to_iri("hikvision")):
        for evidence in graph.objects(allegation, RG.evidence):
            source = graph.value(evidence, RG.source)
            published = graph.value(source, RG.published)
            expected.add(
                (
                    str(allegation),
                    str(source),
                    str(graph.value(source, RG.name)),
                    str(published) if published else None,
                )
            )
    assert rows == expected and len(rows) >= 3
    assert any(p is not None for *_, p in rows)


# ---------------------------------------------------------------------- SHACL anywhere


def test_check_digit_constraints_are_plain_sparql_that_stock_pyshacl_runs() -> None:
    shapes = Graph().parse(SHAPES_FILE, format="turtle")
    queries = {str(s).rsplit("#", 1)[-1]: str(o) for s, o in shapes.subject_objects(SH.select)}
    assert queries["Company-isinCheckDigit"] == isin_check_sparql()
    assert queries["Organization-leiCheckDigits"] == lei_check_sparql()
    assert "rgfn" not in SHAPES_FILE.read_text(encoding="utf-8")
    rng = random.Random(7)
    alphabet = string.ascii_uppercase + string.digits
    data = Graph()
    truth: dict[URIRef, tuple[bool, bool]] = {}
    for i in range(8):
        node = id_to_iri(f"co-{i}")
        for cls in (RG.Company, RG.Organization, RG.Actor, RG.Node):
            data.add((node, RDF.type, cls))
        data.add((node, RG.name, Literal(f"Company {i}")))
        prefix = rng.choice(["US", "CN", "XS"]) + "".join(rng.choice(alphabet) for _ in range(9))
        right = isin_check_digit(prefix)
        isin = prefix + (right if i % 2 else str((int(right) + 1 + rng.randrange(9)) % 10))
        stem = "".join(rng.choice(alphabet) for _ in range(18))
        digits = lei_check_digits(stem)
        lei = stem + (digits if i % 3 else f"{(int(digits) + 1) % 100:02d}")
        data.add((node, RG.isin, Literal(isin)))
        data.add((node, RG.lei, Literal(lei)))
        truth[node] = (valid_isin(isin), valid_lei(lei))
    _, report, _ = stock_validate(data, shacl_graph=shapes, inference="none")
    flagged: dict[str, set] = {"isin": set(), "lei": set()}
    for result in report.subjects(RDF.type, SH.ValidationResult):
        constraint = str(report.value(result, SH.sourceConstraint))
        focus = report.value(result, SH.focusNode)
        flagged["isin" if constraint.endswith("isinCheckDigit") else "lei"].add(focus)
    assert flagged["isin"] == {n for n, (ok, _) in truth.items() if not ok}
    assert flagged["lei"] == {n for n, (_, ok) in truth.items() if not ok}
    assert flagged["isin"] and flagged["lei"]


def test_an_export_with_its_ontology_conforms_under_stock_pyshacl(
    bundled, settings, tmp_path
) -> None:
    text = export(bundled, settings, format="turtle", tlp="CLEAR", with_ontology=True)
    graph = parse(text, "turtle")
    assert (
        URIRef("https://w3id.org/rightsgraph/ontology"),
        RDF.type,
        URIRef("http://www.w3.org/2002/07/owl#Ontology"),
    ) in graph
    assert len(set(graph.subjects(RDF.type, SH.NodeShape))) == len(
        set(shapes_graph().subjects(RDF.type, SH.NodeShape))
    )
    conforms, _, report = stock_validate(graph, shacl_graph=graph, inference="none")
    assert conforms, report
    path = tmp_path / "with-ontology.ttl"
    path.write_text(text, encoding="utf-8")
    assert next(read_report(path)).records  # the ontology's own subjects are not refused


# ---------------------------------------------------------------------- per-value provenance


def stored_statements(driver: Driver, settings: Settings) -> list[tuple]:
    rows, _, _ = driver.execute_query(
        "MATCH (n:Node) RETURN n.id AS id, n.statements AS s ORDER BY id",
        database_=settings.neo4j_database,
    )
    links, _, _ = driver.execute_query(
        "MATCH (a:Node)-[r]->(b:Node) RETURN a.id, type(r), b.id, r.key, r.statements "
        "ORDER BY a.id, type(r), b.id, r.key",
        database_=settings.neo4j_database,
    )
    return [tuple(r) for r in rows] + [tuple(r) for r in links]


@pytest.fixture()
def with_history(neo4j_db: Driver, settings: Settings, tmp_path: Path) -> Driver:
    """The bundled reports first stated on 2021-03-04, then the seed letter restated on
    2022-05-06 without one description (retracted that day): days no re-import could
    recompute, so a round trip that kept them has read them from the export."""
    db = settings.neo4j_database
    assert ingest_paths([SEED, DOCUMENTED], neo4j_db, database=db, stated_on="2021-03-04").ok
    doc = report_document(SEED)
    shutil.copytree(SEED.parent / "sources", tmp_path / "sources")  # its evidentiary copy
    record = next(r for r in doc["@graph"] if r.get("description"))
    del record["description"]
    changed = write_report(tmp_path / SEED.name, doc)
    result = ingest_paths([changed], neo4j_db, database=db, stated_on="2022-05-06")
    assert result.ok, result.problems[:5]
    return neo4j_db


@pytest.mark.parametrize("fmt", FORMATS)
def test_per_value_provenance_round_trips_in_every_format(
    with_history, settings, tmp_path, fmt
) -> None:
    before = stored_statements(with_history, settings)
    assert any("2022-05-06" in str(row[-1]) for row in before)  # a retraction is there
    text = export(with_history, settings, format=fmt, tlp="RED", statements=True)
    graph = parse(text, fmt)
    assert len(oxigraph(text, fmt)) == len(graph)
    reified = set(graph.subjects(RG.standing, None))
    assert reified and all((s, RDF.type, RDF.Statement) in graph for s in reified)
    names = [s for s in reified if graph.value(s, RDF.predicate) == RG.name]
    assert names and all(graph.value(s, RG.inReport) is not None for s in names)
    assert any(graph.value(s, PROV.wasDerivedFrom) is not None for s in names)
    assert any(graph.value(s, RG.retractedOn) == Literal("2022-05-06") for s in reified)
    path = tmp_path / f"export{FORMATS[fmt][1]}"
    path.write_text(text, encoding="utf-8")
    wipe(with_history, settings)
    ingest(with_history, settings, path)
    assert stored_statements(with_history, settings) == before


def test_provenance_at_a_level_shows_only_that_levels_statements(
    neo4j_db, settings, tmp_path
) -> None:
    doc = generate_report(units=6, seed=9, prefix="p", levels=sharing_levels())
    path = tmp_path / "p.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    ingest(neo4j_db, settings, path)
    graph = parse(
        export(neo4j_db, settings, format="ntriples", tlp="GREEN", statements=True), "ntriples"
    )
    levels = {str(o) for o in graph.objects(None, RG.statedLevel)}
    assert levels and levels <= {"CLEAR", "GREEN"}


# ---------------------------------------------------------------------- licences

BY = "https://creativecommons.org/licenses/by/4.0/"
BY_NC = "https://creativecommons.org/licenses/by-nc/4.0/"


def test_exports_state_licences_and_keep_only_the_licences_asked_for(
    neo4j_db, settings, tmp_path
) -> None:
    report = tmp_path / "licensed.yaml"
    report.write_text(
        "id: report-licensed\ntype: Report\nname: Licensed\nreviewStatus: reviewed\n"
        "'@graph':\n"
        f"  - {{id: src-open, type: Source, name: Open register, license: '{BY}'}}\n"
        f"  - {{id: src-nc, type: Source, name: Sanctions data, license: '{BY_NC}'}}\n"
        "  - {id: lic-co, type: Company, name: Licensed Co,"
        " evidence: [{source: src-open, quote: listed}]}\n"
        "  - {id: lic-measure, type: Measure, name: Listed, appliesTo: [lic-co], measureType: sanction,"
        " evidence: [{source: src-nc, quote: sanctioned}]}\n",
        encoding="utf-8",
    )
    ingest(neo4j_db, settings, report)
    whole = parse(export(neo4j_db, settings, format="ntriples", tlp="GREEN"), "ntriples")
    assert (id_to_iri("src-nc"), DCTERMS.license, URIRef(BY_NC)) in whole
    assert (id_to_iri("lic-measure"), RDF.type, RG.Measure) in whole
    kept = parse(
        export(neo4j_db, settings, format="ntriples", tlp="GREEN", licences=(BY,)), "ntriples"
    )
    assert (id_to_iri("src-open"), DCTERMS.license, URIRef(BY)) in kept
    assert not set(kept.triples((id_to_iri("src-nc"), None, None)))
    assert not set(kept.triples((id_to_iri("lic-measure"), None, None)))  # rests on src-nc only
    assert (id_to_iri("lic-co"), RDF.type, RG.Company) in kept
