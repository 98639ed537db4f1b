"""RDF export: lossless round trips, independent parsing, SHACL conformance, sharing levels."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pyoxigraph
import pytest
from fastapi.testclient import TestClient
from helpers import DOCUMENTED, PROJECT_ROOT, SEED, ingest, wipe
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from neo4j import Driver
from rdflib import RDF, RDFS, Graph, Literal, URIRef

from core.dump import canonical_dump
from core.settings import Settings
from export.mapping import ExportMapping
from export.options import ExportOptions, ScopeNotFound
from export.rdf import PROV
from export.reader import required_links
from export.stream import write_export
from ingest.fact_keys import fact_id
from ontology.model import ID_BASE, RG, id_to_iri, iri_to_id, load_model
from ontology.types import sharing
from ontology.validate import validate_graph
from rightsgraph.synth import generate_report

FORMATS = {"ntriples": ".nt", "turtle": ".ttl", "jsonld": ".jsonld"}
OXIGRAPH = {
    "ntriples": pyoxigraph.RdfFormat.N_TRIPLES,
    "turtle": pyoxigraph.RdfFormat.TURTLE,
    "jsonld": pyoxigraph.RdfFormat.JSON_LD,
}
RDFLIB = {"ntriples": "nt", "turtle": "turtle", "jsonld": "json-ld"}
LEVELS = sharing.levels()
TLP_ORDER = {lvl: sharing.rank(lvl) for lvl in LEVELS}


# ---------------------------------------------------------------------- helpers


def export(driver: Driver, settings: Settings, **options) -> tuple[str, int]:
    """The document, and its triple count (0 for FtM)."""
    out = io.StringIO()
    writer = write_export(driver, ExportOptions(**options), out, settings.neo4j_database)
    return out.getvalue(), getattr(writer, "triples", 0)


def shown(driver: Driver, settings: Settings) -> list[str]:
    """What the graph shows (an export carries that, not the statements behind it)."""
    return canonical_dump(driver, settings.neo4j_database, projected=True, entities_only=True)


def write_generated(tmp_path: Path, name: str, **kwargs) -> Path:
    path = tmp_path / f"{name}.jsonld"
    path.write_text(json.dumps(generate_report(prefix=name, **kwargs)), encoding="utf-8")
    return path


def parse(text: str, fmt: str) -> Graph:
    return Graph().parse(data=text, format=RDFLIB[fmt])


def oxigraph_count(text: str, fmt: str) -> int:
    return sum(1 for _ in pyoxigraph.parse(text.encode("utf-8"), format=OXIGRAPH[fmt]))


@pytest.fixture()
def bundled(neo4j_db: Driver, settings: Settings) -> Driver:
    ingest(neo4j_db, settings, SEED, DOCUMENTED)
    return neo4j_db


# ---------------------------------------------------------------------- round trips


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_then_import_into_an_empty_database_gives_the_same_graph(
    bundled, settings, tmp_path, fmt
) -> None:
    before = shown(bundled, settings)
    text, _ = export(bundled, settings, format=fmt, tlp="RED")
    path = tmp_path / f"export{FORMATS[fmt]}"
    path.write_text(text, encoding="utf-8")
    wipe(bundled, settings)
    ingest(bundled, settings, path)
    assert shown(bundled, settings) == before


def test_generated_graph_and_overlapping_reports_round_trip_exactly(
    neo4j_db, settings, tmp_path
) -> None:
    """Two generated reports share nodes, one restating two linked nodes without their link: that
    link's report list differs from what both ends share and must survive."""
    first = write_generated(tmp_path, "g", units=40, seed=1, levels=LEVELS)
    second = tmp_path / "second.jsonld"
    doc = generate_report(units=10, seed=2, prefix="h")
    doc["@graph"] += [  # both ends of g-0-co's HEADQUARTERED_IN, without the link
        {"id": "g-0-co", "type": "Company", "name": "Surveillance Company g-0"},
        {"id": "g-0-region", "type": "Region", "name": "Province g-0"},
    ]
    second.write_text(json.dumps(doc), encoding="utf-8")
    ingest(neo4j_db, settings, first, second, SEED)
    before = shown(neo4j_db, settings)
    text, triples = export(neo4j_db, settings, format="ntriples", tlp="RED")
    assert "rdf-syntax-ns#Statement" in text  # that link is only in report-g
    path = tmp_path / "export.nt"
    path.write_text(text, encoding="utf-8")
    wipe(neo4j_db, settings)
    ingest(neo4j_db, settings, path)
    assert shown(neo4j_db, settings) == before
    assert triples > 4000


# ---------------------------------------------------------------------- standards


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_parses_in_oxigraph_and_conforms_to_the_shapes(bundled, settings, fmt) -> None:
    for options in ({"tlp": "RED"}, {"tlp": "CLEAR", "as_of": "2020-01-01"}):
        text, triples = export(bundled, settings, format=fmt, **options)
        assert oxigraph_count(text, fmt) == triples
        graph = parse(text, fmt)
        assert len(graph) == triples
        assert validate_graph(graph) == []


def test_the_three_formats_hold_the_same_triples(bundled, settings) -> None:
    graphs = [parse(export(bundled, settings, format=f, tlp="GREEN")[0], f) for f in FORMATS]
    from rdflib.compare import isomorphic

    assert isomorphic(graphs[0], graphs[1]) and isomorphic(graphs[0], graphs[2])


def test_generated_graph_export_conforms_to_the_shapes_at_every_level(
    neo4j_db, settings, tmp_path
) -> None:
    ingest(neo4j_db, settings, write_generated(tmp_path, "g", units=8, seed=3, levels=LEVELS))
    for level in ("CLEAR", "AMBER", "RED"):
        text, triples = export(neo4j_db, settings, format="turtle", tlp=level)
        assert oxigraph_count(text, "turtle") == triples
        graph = parse(text, "turtle")
        assert validate_graph(graph) == []
    same_as = URIRef("http://www.w3.org/2002/07/owl#sameAs")
    lei = str(graph.value(id_to_iri("g-0-co"), RG.lei))
    assert (id_to_iri("g-0-co"), same_as, URIRef("https://rdf.gleif.org/L1/L-" + lei)) in graph


def test_alignments_come_from_the_ontology_and_the_importer_counts_them_ignored(
    bundled, settings, tmp_path
) -> None:
    text, _ = export(bundled, settings, format="ntriples", tlp="RED")
    graph = parse(text, "ntriples")
    hikvision = id_to_iri("hikvision")
    types = set(graph.objects(hikvision, RDF.type))
    assert {RG.Company, URIRef("https://schema.org/Corporation")} <= types
    assert URIRef("http://www.w3.org/ns/org#Organization") in types  # via rg:Organization
    assert URIRef("http://www.w3.org/ns/prov#Agent") in types  # via rg:Actor
    sources = [s for s in graph.subjects(RDF.type, RG.Source)]
    assert sources and all((s, RDF.type, PROV.Entity) in graph for s in sources)
    same_as = URIRef("http://www.w3.org/2002/07/owl#sameAs")
    assert (id_to_iri("china"), same_as, URIRef("http://www.wikidata.org/entity/Q148")) in graph
    allegation = next(graph.subjects(RDF.type, RG.Allegation))
    assert set(graph.objects(allegation, PROV.wasDerivedFrom)) == {
        graph.value(e, RG.source) for e in graph.objects(allegation, RG.evidence)
    }
    assert str(next(graph.objects(allegation, RG.harmCategory))).startswith(
        "https://w3id.org/rightsgraph/vocab/harm/"
    )
    model = load_model()
    ours = {p.iri for p in model.properties.values()}
    alignment = [  # what the importer does not read: every triple but our properties and types
        t
        for t in graph
        if not (t[1] in ours or (t[1] == RDF.type and str(t[2]).startswith(str(RG))))
        or (t[1] == RDF.type and t[2] == RG.Evidence)
        or not str(t[0]).startswith("https://w3id.org/rightsgraph/id/")  # the concepts used
    ]
    assert {URIRef("https://schema.org/name"), RDFS.label, PROV.qualifiedDerivation} <= {
        t[1] for t in alignment
    }
    path = tmp_path / "export.nt"
    path.write_text(text, encoding="utf-8")
    wipe(bundled, settings)
    result = ingest(bundled, settings, path)
    assert result.unsupported == {"triples outside the ontology": len(alignment)}


def test_superclass_types_are_the_ontologys_external_superclasses() -> None:
    model = load_model()
    mapping = ExportMapping(model)
    for cls in model.node_classes:
        declared = {
            o
            for a in cls.ancestors
            for o in model.graph.objects(model.classes[a].iri, RDFS.subClassOf)
            if not str(o).startswith(str(RG))
        }
        assert set(mapping.external_types(cls.name)) == declared
    assert URIRef("https://schema.org/CreativeWork") in mapping.external_types("Source")


# ---------------------------------------------------------------------- sharing levels, scopes


def test_a_fact_resting_only_on_a_red_source_is_left_out_with_its_quotes(
    neo4j_db, settings, tmp_path
) -> None:
    doc = generate_report(units=2, seed=0, prefix="t")
    for record in doc["@graph"]:
        if record["id"] == "t-1-src":
            record["tlp"] = "RED"
        if "evidence" in record:
            record["evidence"] = [
                e for e in record["evidence"] if e["source"] == record["id"][:3] + "-src"
            ]
    path = tmp_path / "t.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    ingest(neo4j_db, settings, path)
    text, _ = export(neo4j_db, settings, format="ntriples", tlp="AMBER")
    holding = next(fact_id(r) for r in doc["@graph"] if r["id"] == "t-1-holding")
    assert "t-1-src" not in text and "t-1-allegation" not in text and holding not in text
    assert "t-0-allegation" in text and "t-1-co" in text  # the company itself is CLEAR
    full, _ = export(neo4j_db, settings, format="ntriples", tlp="RED")
    assert "t-1-allegation" in full and holding in full


def test_as_of_leaves_out_later_holdings_and_facts(bundled, settings) -> None:
    text, _ = export(bundled, settings, format="ntriples", tlp="RED", as_of="2019-06-30")
    graph = parse(text, "ntriples")
    for holding in graph.subjects(RDF.type, RG.Holding):
        assert str(graph.value(holding, RG.asOf)) <= "2019-06-30"
    for fact in set(graph.subjects(RG.date, None)) | set(graph.subjects(RG.startDate, None)):
        for prop in (RG.date, RG.startDate):
            value = graph.value(fact, prop)
            assert value is None or str(value) <= "2019-06-30"
    everything = parse(export(bundled, settings, format="ntriples", tlp="RED")[0], "ntriples")
    assert len(set(everything.subjects(RDF.type, RG.Holding))) > len(
        set(graph.subjects(RDF.type, RG.Holding))
    )


def test_entity_and_report_scopes_are_self_contained_and_valid(bundled, settings) -> None:
    text, triples = export(bundled, settings, format="turtle", tlp="RED", scope="entity:hikvision")
    graph = parse(text, "turtle")
    assert (id_to_iri("hikvision"), RDF.type, RG.Company) in graph
    assert validate_graph(graph) == []
    everything = parse(export(bundled, settings, format="turtle", tlp="RED")[0], "turtle")
    assert 0 < len(graph) < len(everything)
    one_hop = len(graph)
    two = parse(
        export(bundled, settings, format="turtle", tlp="RED", scope="entity:hikvision", hops=2)[0],
        "turtle",
    )
    assert len(two) >= one_hop
    seed_only = parse(
        export(
            bundled, settings, format="turtle", tlp="RED", scope="report:report-seed-open-letter"
        )[0],
        "turtle",
    )
    assert validate_graph(seed_only) == []
    with pytest.raises(ScopeNotFound):
        export(bundled, settings, scope="entity:no-such-thing")


# ---------------------------------------------------------------------- property


@hsettings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    units=st.integers(min_value=1, max_value=4),
    seed=st.integers(min_value=0, max_value=10_000),
    report_tlp=st.sampled_from(("CLEAR", "GREEN")),
)
def test_an_export_at_level_l_holds_exactly_what_level_l_may_see(
    neo4j_db, settings, tmp_path_factory, units, seed, report_tlp
) -> None:
    wipe(neo4j_db, settings)
    path = tmp_path_factory.mktemp("prop") / "r.jsonld"
    doc = generate_report(units=units, seed=seed, prefix="p", levels=LEVELS, tlp=report_tlp)
    path.write_text(json.dumps(doc), encoding="utf-8")
    ingest(neo4j_db, settings, path)
    records = {r["id"]: r for r in doc["@graph"]}
    own = {i: r.get("tlp", report_tlp) for i, r in records.items()}

    required = required_links(load_model())

    def level(rid: str) -> int:
        """The most restricted of the node, its sources and the participants it needs."""
        record = records[rid]
        sources = [e["source"] for e in record.get("evidence", [])]
        needed = [n for c in (record["type"], "Fact") for n in required.get(c, []) if n in record]
        participants = [t for n in needed if n != "evidence" for t in _values(record[n])]
        return max(TLP_ORDER[own[x]] for x in [rid, *sources, *participants])

    for name, rank in TLP_ORDER.items():
        text, _ = export(neo4j_db, settings, format="ntriples", tlp=name)
        graph = parse(text, "ntriples")
        assert all(TLP_ORDER[str(t)] <= rank for t in graph.objects(None, RG.tlp))
        for rid, record in records.items():
            iri = f"<{id_to_iri(fact_id(record) or rid)}>"  # holdings: ids from their key
            if record["type"] not in ("Source", "Holding", "Contract", "Allegation"):
                continue
            if level(rid) > rank:
                assert iri not in text, (name, rid)
                for literal in _own_literals(record):
                    assert literal not in text, (name, rid, literal)
                if record["type"] == "Source":
                    assert f"from {rid}:" not in text  # no quote taken from it
            else:
                assert (URIRef(iri[1:-1]), RDF.type, RG[record["type"]]) in graph, (name, rid)


def _values(value) -> list:
    return value if isinstance(value, list) else [value]


def _own_literals(record: dict) -> list[str]:
    keys = ("name", "description", "url")
    return [str(record[k]) for k in keys if k in record]


# ---------------------------------------------------------------------- API


def test_get_export_negotiates_the_format_and_streams_it(bundled, settings) -> None:
    from api.app import create_app
    from api.routers import export as export_router
    from api.settings import get_api_settings

    app = create_app()
    if not any(getattr(r, "path", "") == "/export" for r in app.routes):
        app.include_router(export_router.router)
    api_settings = get_api_settings()
    top = max(api_settings.default_tlp, key=TLP_ORDER.__getitem__)
    with TestClient(app) as client:
        turtle = client.get("/export", headers={"Accept": "text/turtle"})
        assert turtle.status_code == 200 and turtle.headers["content-type"].startswith(
            "text/turtle"
        )
        assert len(parse(turtle.text, "turtle")) > 100
        nt = client.get("/export", headers={"Accept": "application/n-triples;q=0.9, text/html"})
        assert nt.headers["content-type"].startswith("application/n-triples")
        jsonld = client.get(
            "/export", params={"format": "jsonld"}, headers={"Accept": "text/turtle"}
        )
        assert jsonld.headers["content-type"].startswith("application/ld+json")
        assert "@graph" in jsonld.json()
        scoped = client.get("/export", params={"scope": "entity:hikvision", "hops": 1})
        assert scoped.status_code == 200
        assert client.get("/export", params={"scope": "entity:nope"}).status_code == 404
        assert client.get("/export", params={"scope": "bogus"}).status_code == 422
        if top != "RED":
            assert client.get("/export", params={"tlp": "RED"}).status_code == 422


def test_post_export_holds_exactly_the_listed_nodes_their_sources_and_reports(
    bundled, settings
) -> None:
    from api.app import create_app

    drawn = {"gpfg", "holding-gpfg-hikvision-2019-12-31", "hikvision", "no-such-node"}
    with TestClient(create_app()) as client:
        answer = client.post("/export", json={"ids": sorted(drawn), "format": "turtle"})
        assert answer.status_code == 200, answer.text
        graph = parse(answer.text, "turtle")
        nodes = {iri_to_id(str(s)) for s in graph.subjects(RDF.type) if str(s).startswith(ID_BASE)}
        of = {
            cls: {iri_to_id(str(s)) for s in graph.subjects(RDF.type, cls)}
            for cls in (RG.Source, RG.Report, RG.Evidence)  # evidence: qualified derivations
        }
        assert nodes - of[RG.Source] - of[RG.Report] - of[RG.Evidence] == drawn - {"no-such-node"}
        assert validate_graph(graph) == []
        sources = of[RG.Source]
        cited = {
            iri_to_id(str(o))
            for o in graph.objects(
                id_to_iri("holding-gpfg-hikvision-2019-12-31"), PROV.wasDerivedFrom
            )
        }
        assert cited and cited <= sources
        # the link between two listed nodes is kept; nothing points outside the list
        assert (
            id_to_iri("holding-gpfg-hikvision-2019-12-31"),
            RG.company,
            id_to_iri("hikvision"),
        ) in graph
        assert client.post("/export", json={"ids": ["no-such-node"]}).status_code == 404
        assert client.post("/export", json={"ids": ["gpfg"], "format": "ftm"}).status_code == 422
        assert client.post("/export", json={"ids": []}).status_code == 422


# ---------------------------------------------------------------------- one command, one reader


def _format_option_help() -> str:
    import typer

    from rightsgraph.cli import app

    command = typer.main.get_command(app).commands["export"]  # type: ignore[attr-defined]
    return next(p for p in command.params if p.name == "fmt").help


def test_export_accepts_every_format_its_help_lists_and_names_them_for_an_unknown_one(
    bundled, tmp_path
) -> None:
    from typer.testing import CliRunner

    from export.formats import FORMATS
    from rightsgraph.cli import app

    listed = re.findall(r"(\w+) \(", _format_option_help())
    assert tuple(listed) == FORMATS
    runner = CliRunner()
    help_text = runner.invoke(app, ["export", "--help"]).output
    shown = " ".join(re.sub("[\u2500-\u257f]", " ", help_text).split())  # no box drawing
    for fmt in listed:
        assert f"{fmt} (" in shown
        path = tmp_path / f"out.{fmt}"
        result = runner.invoke(app, ["export", "--format", fmt, "--tlp", "GREEN", "-o", str(path)])
        assert result.exit_code == 0, result.output
        assert path.stat().st_size > 1000
    refused = runner.invoke(app, ["export", "--format", "rdfxml"])
    assert refused.exit_code == 2
    assert f"unknown format 'rdfxml' (known: {', '.join(listed)})" in " ".join(
        refused.output.split()
    )


def test_export_ftm_is_a_deprecated_alias_with_its_own_default_level(bundled, tmp_path) -> None:
    from typer.testing import CliRunner

    from rightsgraph.cli import app

    runner = CliRunner()
    alias, command = tmp_path / "alias.ijson", tmp_path / "command.ijson"
    old = runner.invoke(app, ["export-ftm", str(alias)])
    assert old.exit_code == 0 and "deprecated" in old.output
    new = runner.invoke(app, ["export", "--format", "ftm", "--tlp", "GREEN", "-o", str(command)])
    assert new.exit_code == 0
    assert alias.read_bytes() == command.read_bytes() and alias.stat().st_size > 1000


FTM_NODE_CLASSES = {"Company", "GovernmentBody", "CivilSocietyOrganization", "Fund", "Person"}
FTM_NODE_CLASSES |= {"Ownership", "Holding", "Contract"}


def test_ftm_and_rdf_exports_hold_the_same_nodes_at_every_level(neo4j_db, settings, tmp_path):
    """One reader for every format: a fact whose company is above the level (here: a RED company
    with holdings and contracts at lower levels) is left out of the FtM export as it is of the
    RDF one, never written without its company."""
    doc = generate_report(units=30, seed=4, prefix="f", levels=LEVELS)
    held = {r["company"] for r in doc["@graph"] if r["type"] == "Holding"}
    next(r for r in doc["@graph"] if r["type"] == "Company" and r["id"] in held)["tlp"] = "RED"
    path = tmp_path / "f.jsonld"
    path.write_text(json.dumps(doc), encoding="utf-8")
    ingest(neo4j_db, settings, SEED, path)
    for level in LEVELS:
        graph = parse(export(neo4j_db, settings, format="jsonld", tlp=level)[0], "jsonld")
        expected = {
            iri_to_id(str(s))
            for name in FTM_NODE_CLASSES
            for s in graph.subjects(RDF.type, RG[name])
            if graph.value(s, RG.held) != Literal(False)
        }
        lines, _ = export(neo4j_db, settings, format="ftm", tlp=level)
        entities = [json.loads(line) for line in lines.splitlines()]
        found = {e["id"] for e in entities if e["schema"] not in ("ContractAward", "Sanction")}
        assert found == expected, level
        assert all(e["properties"].get("asset") for e in entities if e["schema"] == "Ownership")


def test_ftm_export_takes_the_scope_and_date_of_every_format(bundled, settings) -> None:
    scoped, _ = export(
        bundled, settings, format="ftm", tlp="GREEN", scope="entity:hikvision", hops=0
    )
    whole, _ = export(bundled, settings, format="ftm", tlp="GREEN")
    ids = {json.loads(line)["id"] for line in scoped.splitlines()}
    assert "hikvision" in ids and ids < {json.loads(line)["id"] for line in whole.splitlines()}
    day = "2016-12-31"
    dated = [
        json.loads(line)
        for line in export(bundled, settings, format="ftm", tlp="GREEN", as_of=day)[0].splitlines()
    ]
    assert 0 < len(dated) < len(whole.splitlines())
    for entity in dated:
        for name in ("date", "startDate", "contractDate"):
            assert all(v <= day for v in entity["properties"].get(name, [])), entity


def test_the_export_package_imports_nothing_above_it() -> None:
    """export/ sits above core, ontology and ingest and below api and the CLI."""
    import ast

    above = {"api", "rightsgraph"}
    for path in sorted((PROJECT_ROOT / "export").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = {node.module.split(".")[0]}
            else:
                continue
            assert not tops & above, (path.name, tops)
