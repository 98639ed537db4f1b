"""The ontology is complete as data: every term is labelled, defined and mapped to Neo4j, and the
JSON-LD context generated from it turns a case report into the very triples the records give.

(That the committed context equals the generated one is checked in tests/test_generated.py.)
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from helpers import DOCUMENTED, SEED, report_document, report_records
from rdflib import RDF, XSD, Dataset, Graph, Literal
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import SH, SKOS

from ontology.context import CONTEXT_FILE
from ontology.model import RG, load_model, shapes_graph
from ontology.records import check_record, records_to_graph

CORE_CLASSES = set(
    [
        "Fund",
        "Company",
        "GovernmentBody",
        "CivilSocietyOrganization",
        "Person",
        "Region",
        "Holding",
        "Ownership",
        "Contract",
        "Allegation",
        "Demand",
        "Measure",
        "Source",
    ]
)
model = load_model()


def test_ontology_and_shapes_parse_with_the_core_classes() -> None:
    assert {c.name for c in model.node_classes} >= CORE_CLASSES
    assert len(model.properties) > 50
    shapes = shapes_graph()
    assert len(set(shapes.subjects(RDF.type, SH.NodeShape))) >= 15


@pytest.mark.parametrize("name", sorted(model.classes))
def test_every_class_has_label_definition_and_neo4j_mapping(name: str) -> None:
    cls = model.classes[name]
    assert cls.label and cls.definition, f"{name} needs rdfs:label and skos:definition"
    if cls.is_edge:  # stored as relationships: a type and the property naming the end node
        assert cls.neo4j_type and cls.edge_target in model.properties
    else:
        assert cls.neo4j_label, f"{name} needs rg:neo4jLabel"


@pytest.mark.parametrize("name", sorted(model.properties))
def test_every_property_has_label_definition_and_neo4j_mapping(name: str) -> None:
    prop = model.properties[name]
    assert prop.label and prop.definition, f"{name} needs rdfs:label and skos:definition"
    edge = model.edge_class
    if prop.kind in ("literal", "idlist", "vocab"):
        assert prop.neo4j_property, f"{name} needs rg:neo4jProperty"
    if prop.kind == "vocab":
        assert prop.vocabulary in model.vocabularies
    if prop.kind == "edge":
        assert prop.range == edge.name
    if prop.kind == "link":
        if prop.domain == edge.name:  # the end node of the edge class's relationship
            assert name == edge.edge_target
        else:
            assert prop.neo4j_type and prop.direction in ("out", "in"), f"{name}: type, direction"
    assert prop.domain in model.classes, f"{name}: domain {prop.domain} is not one of our classes"


def test_neo4j_names_are_unique_per_kind() -> None:
    labels = [c.neo4j_label for c in model.classes.values() if c.neo4j_label]
    types = [p.neo4j_type for p in model.relationship_properties()]
    assert len(labels) == len(set(labels))
    assert len(types) == len(set(types))


@pytest.mark.parametrize("scheme", sorted(model.vocabularies))
def test_every_concept_has_notation_label_and_definition(scheme: str) -> None:
    vocab = model.vocabularies[scheme]
    assert vocab.concepts
    for iri in vocab.concepts.values():
        assert model.graph.value(iri, SKOS.notation) is not None, f"{iri} needs skos:notation"
        assert model.graph.value(iri, SKOS.prefLabel) is not None, f"{iri} needs skos:prefLabel"
        assert model.graph.value(iri, SKOS.definition) is not None, f"{iri} needs skos:definition"


def test_vocabularies_hold_the_required_concepts() -> None:
    harm = set(model.vocabulary("HarmCategories").concepts)
    assert {
        "mass-surveillance",
        "arbitrary-detention",
        "forced-labour",
        "discrimination",
        "freedom-of-expression",
        "freedom-of-religion",
        "privacy",
    } <= harm
    statuses = set(model.vocabulary("AllegationStatuses").concepts)
    assert statuses == {"alleged", "responded", "substantiated", "disputed", "withdrawn"}


def test_every_concrete_class_is_targeted_by_a_shape() -> None:
    targeted = {str(t) for t in shapes_graph().objects(None, SH.targetClass)}
    for cls in model.node_classes:
        assert any(str(model.classes[a].iri) in targeted for a in cls.ancestors), cls.name


def test_every_property_shape_names_an_ontology_property_and_has_a_message() -> None:
    shapes = shapes_graph()
    ours = {str(p.iri) for p in model.properties.values()}
    for shape, path in shapes.subject_objects(SH.path):
        assert str(path) in ours, f"{shape} constrains {path}, which the ontology does not define"
        assert shapes.value(shape, SH.message) is not None, f"{shape} has no sh:message"


# ---------------------------------------------------------------------- JSON-LD round trip


def _jsonld_triples(document: dict) -> Graph:
    """The report parsed as JSON-LD under the local context, every graph's triples together.

    The report's top-level node object has "@graph", so JSON-LD puts its records in a named
    graph named by the report (a prov:Bundle, as the ontology says); the triples are the union.
    """
    document = json.loads(json.dumps(document, default=lambda v: v.isoformat()))
    document["@context"] = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    dataset = Dataset()
    dataset.parse(data=json.dumps(document), format="json-ld")
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def _decimals_by_value(graph: Graph) -> Graph:
    """xsd:decimal literals in one notation ("1e-07" and "0.0000001" are one value)."""
    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype == XSD.decimal:
            o = Literal(format(Decimal(str(o)).normalize(), "f"), datatype=XSD.decimal)
        out.add((s, p, o))
    return out


def _assert_same_triples(a: Graph, b: Graph) -> None:
    if not isomorphic(a, b):
        _, only_a, only_b = graph_diff(to_isomorphic(a), to_isomorphic(b))
        pytest.fail(f"JSON-LD only: {sorted(only_a)[:5]}\nrecords only: {sorted(only_b)[:5]}")


@pytest.mark.parametrize("path", [SEED, DOCUMENTED], ids=lambda p: p.stem)
def test_jsonld_context_round_trips_a_report_to_the_records_triples(path) -> None:
    from_jsonld = _jsonld_triples(report_document(path))
    from_records = records_to_graph(report_records(path)).graph
    assert len(from_records) > 200
    _assert_same_triples(from_jsonld, from_records)


def test_jsonld_numbers_differ_from_records_only_in_notation() -> None:
    """YAML floats reach JSON-LD as 1e-07; the records write plain decimals. Same values."""
    record = {
        "id": "holding-x",
        "type": "Holding",
        "fund": "f",
        "company": "c",
        "asOf": "2019-12-31",
        "ownershipShare": 1.0e-7,
        "votingShare": 0.0032,
        "marketValue": 2.50,
        "shares": 120,
        "currency": "NOK",
        "held": True,
        "evidence": [{"source": "s", "quote": "a row", "locator": "row 3"}],
    }
    from_jsonld = _jsonld_triples({"@graph": [dict(record)]})
    from_records = records_to_graph([check_record(record)]).graph
    _assert_same_triples(_decimals_by_value(from_jsonld), _decimals_by_value(from_records))
    values = {o for o in from_records.objects(None, RG.ownershipShare)}
    assert values == {Literal("0.0000001", datatype=XSD.decimal)}  # the records' plain form
