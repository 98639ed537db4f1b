"""SHACL validation of records against ontology/shapes.ttl, with violations a person can read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from pyshacl import validate as shacl_validate
from rdflib import RDF, BNode, Graph, Namespace, URIRef

from ontology.identifiers import register_sparql_functions
from ontology.model import ID_BASE, OntologyModel, id_to_iri, iri_to_id, load_model, shapes_graph
from ontology.records import Record, records_to_graph

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class Violation:
    """One broken rule: which record, which rule (the shape's name), on which value."""

    record: str
    rule: str
    message: str
    path: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = f".{self.path}" if self.path else ""
        value = f" (value: {self.value})" if self.value is not None else ""
        return f"record {self.record}{where}: {self.message}{value} [rule {self.rule}]"


def short_name(node) -> str:
    """A node as violations show it: a record id, or the local name of any other IRI or text."""
    text = str(node)
    if text.startswith(ID_BASE):
        return iri_to_id(text)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


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
        shacl_graph=shapes_graph(),
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


def sorted_violations(violations: Iterable[Violation]) -> list[Violation]:
    """One order for any set of violations (a missing value sorts before an empty one)."""
    return sorted(
        violations,
        key=lambda v: (v.record, v.rule, v.path or "", v.value is not None, v.value or ""),
    )


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
        from ontology.fast_validate import fast_validate  # it builds on this module

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
