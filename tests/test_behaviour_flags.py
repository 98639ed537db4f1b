"""Behaviour comes from the ontology: a class or property flagged in Turtle resolves, searches,
unites and is indexed with no Python table to extend, and a flag that cannot hold is refused."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from rdflib import Graph

from ingest.resolve import resolution_keys, search_text
from ingest.writer import node_row, schema_statements
from ontology.model import (
    ONTOLOGY_DIR,
    ONTOLOGY_FILES,
    RG,
    OntologyError,
    OntologyModel,
    load_model,
)

PREFIXES = """
@prefix rg: <https://w3id.org/rightsgraph/ontology#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""

# A property and a class the shipped ontology does not have, flagged as a newcomer would.
EXTENDED = """
rg:duns a owl:DatatypeProperty ; rdfs:domain rg:Company ; rdfs:range xsd:string ;
    rdfs:label "DUNS number"@en ; rg:neo4jProperty "dunsNumbers" ; rg:multiple true ;
    rg:identityKey true ; rg:searchable true ; rg:union true ; rg:indexed true ; rg:rank 11 ;
    skos:definition "A D-U-N-S number."@en .
rg:Vessel a owl:Class ; rdfs:subClassOf rg:Node ; rdfs:label "Vessel"@en ; rg:neo4jLabel "Vessel" ;
    rg:resolved true ; skos:definition "A ship."@en .
rg:Trust a owl:Class ; rdfs:subClassOf rg:Organization ; rdfs:label "Trust"@en ;
    rg:neo4jLabel "Trust" ; skos:definition "A trust."@en .
"""


def model_with(turtle: str) -> OntologyModel:
    graph = Graph()
    for name in ONTOLOGY_FILES:
        graph.parse(ONTOLOGY_DIR / name, format="turtle")
    graph.parse(data=PREFIXES + turtle, format="turtle")
    return OntologyModel(graph)


@pytest.fixture(scope="module")
def extended() -> OntologyModel:
    return model_with(EXTENDED)


def test_lookups_agree_with_the_flags_in_the_turtle() -> None:
    model = load_model()
    g = model.graph
    for lookup, flag in (
        (model.identifier_properties, RG.identityKey),
        (model.searchable_properties, RG.searchable),
        (model.union_properties, RG.union),
    ):
        flagged = {str(s).rsplit("#", 1)[1] for s in g.subjects(flag, None)}
        assert {p.name for p in lookup()} == flagged and flagged
    ranks = [p.rank for p in model.identifier_properties()]
    assert ranks == sorted(ranks), "identity keys are tried in rank order"
    assert all(p.multiple for p in model.union_properties())
    assert all(p.searchable for p in model.identifier_properties()), "keys are searched too"
    for label, prop in model.indexed_properties():
        assert f"rg_{label.lower()}_{prop.lower()} IF NOT EXISTS" in " ".join(
            schema_statements(model)
        )


def test_a_class_inherits_resolution_from_its_ancestors(extended: OntologyModel) -> None:
    trust, vessel = extended.cls("Trust"), extended.cls("Vessel")
    assert trust.resolved and trust.resolved_by_name  # from rg:Actor
    assert vessel.resolved and not vessel.resolved_by_name
    assert not extended.cls("Holding").resolved
    fulltext = next(s for s in schema_statements(extended) if "FULLTEXT" in s)
    assert "`Vessel`" in fulltext and "`Trust`" in fulltext and "`Holding`" not in fulltext


def test_a_new_identity_key_resolves_and_is_searched(extended: OntologyModel) -> None:
    record = {"id": "c", "type": "Company", "name": "Acme", "lei": "5493x", "duns": [" ab12 "]}
    ids, names = resolution_keys(record, extended)
    assert ids == ["lei:5493X", "duns:AB12"], "tried in rank order, compared upper-cased"
    assert names == ["name:acme"]
    assert search_text(record, extended) == "Acme | 5493X | AB12"
    assert resolution_keys(record, load_model())[0] == ["lei:5493X"]


def test_a_new_union_property_is_united_and_indexed(extended: OntologyModel) -> None:
    row = node_row({"id": "c", "type": "Company", "duns": ["1"], "alias": ["A"]}, extended, "GREEN")
    assert row.union == {"dunsNumbers", "aliases"}
    assert ("Company", "dunsNumbers") in extended.indexed_properties()
    assert any("rg_company_dunsnumbers" in s for s in schema_statements(extended))


@pytest.mark.parametrize(
    "turtle, message",
    [
        ("rg:lei rg:union true .", "rg:union needs rg:multiple"),
        (
            "rg:Report rg:resolvedByName true .",
            "rg:resolvedByName without rg:resolved",
        ),
        ("rg:fund rg:identityKey true .", "rg:identityKey on a non-literal"),
        ("rg:source rg:searchable true .", "needs rg:neo4jProperty"),
    ],
)
def test_a_flag_that_cannot_hold_is_refused_at_load(turtle: str, message: str) -> None:
    with pytest.raises(OntologyError, match=message):
        model_with(turtle)


def _imports(path: Path, package: str) -> set[str]:
    """Modules of `package` that a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n for n in names if n.startswith(package + ".")}
    return found


def test_the_ontology_modules_import_no_cycle() -> None:
    """validate and fast_validate once imported each other; no module may import itself back."""
    root = ONTOLOGY_DIR
    modules = {
        "ontology." + ".".join(p.relative_to(root).with_suffix("").parts): p
        for p in root.rglob("*.py")
    }
    graph = {m: _imports(p, "ontology") & set(modules) for m, p in modules.items()}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph[start]:
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cyclic = sorted(m for m in graph if reaches(m, m, {m}))
    assert not cyclic, f"import cycle through {cyclic}"
