"""SHACL validation of records against ontology/shapes.ttl, with violations a person can read."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Literal

from pyshacl import validate as shacl_validate
from rdflib import RDF, BNode, Graph, Namespace, URIRef
from rdflib import Literal as RdfLiteral

from ontology.fast_validate import fast_validate
from ontology.model import OntologyModel, id_to_iri, load_model, shapes_graph
from ontology.records import Record, records_to_graph
from ontology.types.identifiers import ISIN_PATTERN, LEI_PATTERN, RGFN, register_sparql_functions
from ontology.violations import SH, Violation, short_name, sorted_violations

RGSH = Namespace("https://w3id.org/rightsgraph/shapes#")
PATTERNS = {"rg:lei": LEI_PATTERN, "rg:isin": ISIN_PATTERN}

__all__ = [
    "SH",
    "Violation",
    "short_name",
    "sorted_violations",
    "validate_graph",
    "validate_records",
]


def validate_graph(
    data: Graph,
    owner: Mapping[BNode, str] | None = None,
    skip: set[URIRef] | None = None,
    model: OntologyModel | None = None,
) -> list[Violation]:
    """Validate a data graph; violations whose focus is in `skip` (context stubs) are dropped."""
    model = model or load_model()
    register_sparql_functions()
    conforms, report, _ = shacl_validate(
        data,
        shacl_graph=_shapes_with_functions(),
        ont_graph=model.graph,
        inference="none",
        advanced=True,
        allow_warnings=False,
    )
    if conforms:
        return []
    owner = owner or {}
    skip = skip or set()
    out: set[Violation] = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        if focus in skip:
            continue
        shape = report.value(result, SH.sourceShape)
        path = report.value(result, SH.resultPath)
        value = report.value(result, SH.value)
        message = report.value(result, SH.resultMessage)
        record = owner.get(focus, "?") if isinstance(focus, BNode) else short_name(focus)
        constraint = report.value(result, SH.sourceConstraint)
        named = constraint if isinstance(constraint, URIRef) else shape
        if not isinstance(named, URIRef):
            named = report.value(result, SH.sourceConstraintComponent)
        rule = short_name(named)
        if value == focus:
            value = None
        out.add(
            Violation(
                record=record,
                rule=rule,
                message=str(message) if message is not None else rule,
                path=short_name(path) if path is not None else None,
                value=None if value is None or isinstance(value, BNode) else short_name(value),
            )
        )
    return sorted_violations(out)


FUNCTION_QUERIES = {
    "Organization-leiCheckDigits": "rg:lei",
    "Company-isinCheckDigit": "rg:isin",
}
"""The check-digit constraints our validator runs with the rgfn: functions it registers."""


@functools.cache
def _shapes_with_functions() -> Graph:
    """The shapes, with the check-digit constraints' pure-SPARQL queries (which any engine runs,
    but rdflib parses slowly: once per focus node) replaced by the same check as a call of an
    rgfn: function (`rgfn:validISIN`, `rgfn:validLEI`), which give the same verdicts."""
    shapes = Graph()
    for triple in shapes_graph():
        shapes.add(triple)
    functions = {"rg:lei": "validLEI", "rg:isin": "validISIN"}
    for name, path in FUNCTION_QUERIES.items():
        constraint = URIRef(str(RGSH) + name)
        query = (
            f"PREFIX rgfn: <{RGFN}>\nSELECT $this ?value WHERE {{ $this {path} ?value . "
            f'FILTER (REGEX(STR(?value), "{PATTERNS[path]}") && !rgfn:{functions[path]}(?value)) }}'
        )
        shapes.set((constraint, SH.select, RdfLiteral(query)))
    return shapes


def validate_records(
    records: Iterable[Record],
    known: Mapping[str, str] | None = None,
    model: OntologyModel | None = None,
    engine: Literal["fast", "pyshacl"] = "fast",
) -> list[Violation]:
    """Validate checked records; `known` maps ids already in the graph to their class names.

    The fast engine (ontology.fast_validate) gives the same verdicts as pyshacl on a graph of
    the records, many times faster; "pyshacl" builds that graph and runs pyshacl.
    """
    model = model or load_model()
    if engine == "fast":
        return fast_validate(records, known, model)
    if engine != "pyshacl":
        raise ValueError(f"unknown validation engine {engine!r}: fast or pyshacl")
    rg = records_to_graph(records, model)
    stubs: set[URIRef] = set()
    local = {s for s in rg.graph.subjects(RDF.type, None) if isinstance(s, URIRef)}
    for node_id, class_name in (known or {}).items():
        iri = id_to_iri(node_id)
        if iri in local:
            continue
        rg.graph.add((iri, RDF.type, model.cls(class_name).iri))
        stubs.add(iri)
    return validate_graph(rg.graph, rg.owner, stubs, model)
