"""Per-value provenance as RDF: each statement (`ontology.statements`) as an RDF reification.

One `rdf:Statement` per statement: `rdf:subject` the node (or the evidence entry, for a property
of an evidence link), `rdf:predicate` the property, `rdf:object` the value as the export writes
it (a node's or link's existence: `rdf:type` and the node's class, or the link's property and its
target); beside it `rg:inReport` (the report), `prov:wasDerivedFrom` (each source it cites),
`rg:standing`, `rg:statedLevel`, `rg:firstStated`, `rg:retractedOn` and `rg:sourceDate`.
Reification, not RDF-star or named graphs: it is the same graph in Turtle, N-Triples and JSON-LD.
The IRI of each is hashed from what it states, so an export is stable from one run to the next.

`statement_triples` writes them (the exporter), `read_statements` reads them back (the importer)
into the statements' stored text, so an export and an import keep every value's provenance.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from ontology import statements as st
from ontology.model import ID_BASE, RG, OntologyModel, PropertySpec, id_to_iri, iri_to_id
from ontology.records import from_literal, value_term
from ontology.types import dates, money

PROV = Namespace("http://www.w3.org/ns/prov#")
STATEMENT_BASE = ID_BASE + "statement/"
META = (RG.standing, RG.statedLevel, RG.firstStated, RG.retractedOn, RG.sourceDate)
Triple = tuple[Node, Node, Node]


def statement_iri(subject: Node, predicate: Node, value: Node, s: st.Statement) -> URIRef:
    text = json.dumps(
        [
            str(subject),
            str(predicate),
            value.n3(),
            s.report,
            s.level,
            s.standing,
            s.first,
            s.retracted,
            list(s.sources),
            s.date,
        ],
        ensure_ascii=False,
    )
    return URIRef(STATEMENT_BASE + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32])


def statement_triples(
    subject: Node, predicate: Node, value: Node, s: st.Statement
) -> Iterator[Triple]:
    """The reification of one statement of (subject, predicate, value)."""
    node = statement_iri(subject, predicate, value, s)
    yield node, RDF.type, RDF.Statement
    yield node, RDF.subject, subject
    yield node, RDF.predicate, predicate
    yield node, RDF.object, value
    if s.report:
        yield node, RG.inReport, id_to_iri(s.report)
    for source in s.sources:
        yield node, PROV.wasDerivedFrom, id_to_iri(source)
    yield node, RG.standing, Literal(s.standing)
    yield node, RG.statedLevel, Literal(s.level)
    yield node, RG.firstStated, Literal(s.first)
    if s.retracted:
        yield node, RG.retractedOn, Literal(s.retracted)
    if s.date:
        yield node, RG.sourceDate, Literal(s.date)


def stored_spec(model: OntologyModel, class_name: str) -> dict[str, PropertySpec]:
    """The properties of a class by the name its statements use (the Neo4j property)."""
    return {
        p.neo4j_property: p
        for p in model.properties_of(class_name).values()
        if p.neo4j_property and p.kind in ("literal", "vocab")
    }


def node_statement_triples(
    model: OntologyModel, node_id: str, class_name: str, statements: Iterable[st.Statement]
) -> Iterator[Triple]:
    """The reifications of a node's statements (of its existence and of each value)."""
    subject = id_to_iri(node_id)
    specs = stored_spec(model, class_name)
    for s in statements:
        if s.prop == st.EXISTS:
            yield from statement_triples(subject, RDF.type, model.cls(class_name).iri, s)
            continue
        spec = specs.get(s.prop)
        if spec is None:
            continue
        yield from statement_triples(subject, spec.iri, value_term(spec, s.value, model), s)


@dataclass
class ReadStatements:
    """Statements read from reifications: node id -> statements; link (subject id, property
    name, target id or evidence node) -> statements; triples read."""

    nodes: dict[str, list[st.Statement]] = field(default_factory=dict)
    links: dict[tuple[str, str, Node], list[st.Statement]] = field(default_factory=dict)
    used: int = 0


def read_statements(
    graph: Graph, model: OntologyModel, class_of: Callable[[str], str | None]
) -> ReadStatements:
    """Every reification with an `rg:standing` in the graph, as statements; `class_of` gives
    the class of a node id read from the same graph (None: not a record of it)."""
    out = ReadStatements()
    by_iri = {p.iri: p for p in model.properties.values()}
    for node in set(graph.subjects(RG.standing, None)):
        subject = graph.value(node, RDF.subject)
        predicate = graph.value(node, RDF.predicate)
        value = graph.value(node, RDF.object)
        if subject is None or predicate is None or value is None:
            continue
        meta = _meta(graph, node)
        if meta is None:
            continue
        out.used += sum(1 for _ in graph.predicate_objects(node))
        sid = iri_to_id(str(subject)) if str(subject).startswith(ID_BASE) else None
        cls = class_of(sid) if sid else None
        if predicate == RDF.type and cls:
            out.nodes.setdefault(sid, []).append(st.Statement(st.EXISTS, True, **meta))  # type: ignore[arg-type]
            continue
        spec = by_iri.get(predicate)  # type: ignore[arg-type]
        if spec is None:
            continue
        if spec.kind in ("link", "edge") and cls:
            out.links.setdefault((sid, spec.name, value), []).append(  # type: ignore[arg-type]
                st.Statement(st.EXISTS, True, **meta)  # type: ignore[arg-type]
            )
        elif cls and spec.neo4j_property and spec.kind in ("literal", "vocab"):
            stored = _stored_value(model, spec, value)
            out.nodes.setdefault(sid, []).append(  # type: ignore[arg-type]
                st.Statement(spec.neo4j_property, stored, multi=spec.multiple, **meta)  # type: ignore[arg-type]
            )
    return out


def _meta(graph: Graph, node: Node) -> dict[str, Any] | None:
    standing = graph.value(node, RG.standing)
    level = graph.value(node, RG.statedLevel)
    first = graph.value(node, RG.firstStated)
    if standing is None or level is None or first is None:
        return None
    report = graph.value(node, RG.inReport)
    retracted = graph.value(node, RG.retractedOn)
    date = graph.value(node, RG.sourceDate)
    return {
        "report": iri_to_id(str(report)) if report is not None else None,
        "level": str(level),
        "standing": str(standing),
        "first": str(first),
        "retracted": str(retracted) if retracted is not None else None,
        "sources": tuple(
            sorted(
                iri_to_id(str(o))
                for o in graph.objects(node, PROV.wasDerivedFrom)
                if str(o).startswith(ID_BASE)
            )
        ),
        "date": str(date) if date is not None else None,
    }


def _stored_value(model: OntologyModel, spec: PropertySpec, value: Node) -> Any:
    """The value as the writer stores it in a statement (as Neo4j holds the property)."""
    if spec.kind == "vocab":
        return model.vocabulary(spec.vocabulary or "").notation_of(value) or str(value)
    record_value = from_literal(spec, value) if isinstance(value, Literal) else str(value)
    if isinstance(record_value, Decimal):
        return money.to_neo4j(record_value)
    return dates.to_neo4j(record_value)
