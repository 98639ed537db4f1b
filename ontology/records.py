"""Records: compact JSON-LD node objects (`{"type": "Holding", "id": …, "fund": …}`) and triples.

A record is the lingua franca of RightsGraph: case reports hold them, adapters emit them, the
writer stores them and the exporter turns them back into triples. This module checks a record's
shape against the ontology (known type, known properties) and converts between records and RDF;
the rules about values (counts, ranges, vocabularies, evidence) are the SHACL shapes' job.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from core.suggest import did_you_mean
from ontology.model import ID_BASE, OntologyModel, PropertySpec, id_to_iri, iri_to_id, load_model
from ontology.types import dates, money, url

Record = dict[str, Any]
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:~@-]{0,254}$")
RESERVED_KEYS = {"id", "type", "@id", "@type"}


@dataclass
class RecordError(Exception):
    """A record that does not fit the ontology: unknown type or property, bad id or value form."""

    record: str
    message: str
    rule: str = "record-shape"

    def __str__(self) -> str:
        return f"record {self.record}: {self.message} [{self.rule}]"


def record_id(record: Record) -> str:
    return str(record.get("id") or record.get("@id") or "?")


def record_type(record: Record) -> str:
    return str(record.get("type") or record.get("@type") or "")


def check_record(record: Any, model: OntologyModel | None = None, where: str = "") -> Record:
    """Return the record in canonical form (lists for multiple properties) or raise RecordError."""
    model = model or load_model()
    label = where or "?"
    if not isinstance(record, dict):
        raise RecordError(label, f"expected a mapping, got {type(record).__name__}", "record-form")
    rid = record.get("id", record.get("@id"))
    rtype = record.get("type", record.get("@type"))
    label = str(rid) if rid is not None else label
    if not isinstance(rid, str) or not ID_PATTERN.match(rid):
        raise RecordError(
            label, f"id {rid!r} must be a string of letters, digits and . _ : ~ @ -", "record-id"
        )
    if rtype not in model.classes or model.classes[rtype] not in model.node_classes:
        names = sorted(c.neo4j_label for c in model.node_classes)  # type: ignore[misc]
        hint = did_you_mean(str(rtype), names) if isinstance(rtype, str) else ""
        raise RecordError(
            label, f"unknown type {rtype!r}{hint} (known: {', '.join(names)})", "unknown-type"
        )
    allowed = model.properties_of(rtype)
    out: Record = {"id": rid, "type": rtype}
    for key, value in record.items():
        if key in RESERVED_KEYS or key == "@context":
            continue
        spec = allowed.get(key)
        if spec is None:
            hint = did_you_mean(str(key), allowed)
            raise RecordError(
                label, f"unknown property {key!r} for {rtype}{hint}", "unknown-property"
            )
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        if spec.kind == "edge":
            values = [_check_edge(label, spec, v, model) for v in values]
        elif spec.kind in ("link", "idlist"):
            for v in values:
                if not isinstance(v, str) or not ID_PATTERN.match(v):
                    raise RecordError(label, f"{key} must name a record id, got {v!r}", "reference")
        else:
            for v in values:
                if isinstance(v, dict | list):
                    raise RecordError(
                        label, f"{key} must be a plain value, got {v!r}", "value-form"
                    )
        out[key] = values if (spec.multiple or len(values) != 1) else values[0]
    return out


def _check_edge(label: str, spec: PropertySpec, value: Any, model: OntologyModel) -> Record:
    edge_props = model.properties_of(model.cls(spec.range).name)
    if not isinstance(value, dict):
        raise RecordError(label, f"{spec.name} entries must be mappings", "value-form")
    for key in value:
        if key not in edge_props:
            hint = did_you_mean(str(key), edge_props)
            raise RecordError(
                label, f"unknown property {key!r} in {spec.name}{hint}", "unknown-property"
            )
    return dict(value)


# ---------------------------------------------------------------------- values


canonical_decimal = money.canonical


_STRING, _DECIMAL, _BOOLEAN, _DATE, _ANY_URI = (
    XSD.string,
    XSD.decimal,
    XSD.boolean,
    XSD.date,
    XSD.anyURI,
)  # looked up once: an attribute of an rdflib namespace is a slow call
_LITERAL_CACHE_SIZE = 20_000
_TYPE = RDF.type


def to_literal(spec: PropertySpec, value: Any) -> Literal:
    """A typed literal; a value that does not fit gives an ill-typed literal SHACL reports."""
    datatype = spec.datatype or _STRING
    if datatype == _STRING:
        return Literal(value.isoformat() if isinstance(value, dt.date) else str(value))
    key = (datatype, type(value), value)  # the type too: True == 1, but not as a literal
    try:
        cached = _typed_literals.get(key)
    except TypeError:  # an unhashable value: no cache
        return _typed_literal(datatype, value)
    if cached is None:
        cached = _typed_literal(datatype, value)
        if len(_typed_literals) >= _LITERAL_CACHE_SIZE:
            _typed_literals.clear()
        _typed_literals[key] = cached
    return cached


_typed_literals: dict[tuple[URIRef, type, Any], Literal] = {}
"""Literals of the non-string datatypes (dates, amounts, flags repeat), bounded."""


def _typed_literal(datatype: URIRef, value: Any) -> Literal:
    if datatype == _DECIMAL:
        return money.to_rdf(value)
    if datatype == _BOOLEAN:
        if isinstance(value, bool):
            return Literal("true" if value else "false", datatype=_BOOLEAN)
        return Literal(
            str(value).lower() if str(value).lower() in ("true", "false") else str(value),
            datatype=_BOOLEAN,
        )
    if datatype == _DATE:
        return dates.to_rdf(value)
    if datatype == _ANY_URI:
        return url.to_rdf(value)
    if isinstance(value, dt.date):
        value = value.isoformat()
    return Literal(str(value))


def from_literal(spec: PropertySpec, literal: Literal) -> Any:
    """The record value of a literal: decimals as Decimal, booleans as bool, the rest as str."""
    datatype = spec.datatype or XSD.string
    text = str(literal)
    if datatype == XSD.decimal:
        try:
            return Decimal(text)
        except InvalidOperation:
            return text
    if datatype == XSD.boolean:
        return text == "true" if text in ("true", "false") else text
    return text


def vocab_iri(model: OntologyModel, spec: PropertySpec, notation: str) -> URIRef:
    vocab = model.vocabulary(spec.vocabulary or "")
    if notation in vocab.concepts:
        return vocab.concepts[notation]
    any_concept = str(next(iter(vocab.concepts.values())))
    return URIRef(
        any_concept.rsplit("/", 1)[0] + "/" + re.sub(r"[^A-Za-z0-9-]", "_", str(notation))
    )


# ---------------------------------------------------------------------- records -> triples


@dataclass
class RecordGraph:
    """Triples of some records, with the record each blank node belongs to."""

    graph: Graph
    owner: dict[BNode, str]


def records_to_graph(records: Iterable[Record], model: OntologyModel | None = None) -> RecordGraph:
    model = model or load_model()
    graph = Graph()
    owner: dict[BNode, str] = {}
    for record in records:
        add_record(graph, record, model, owner)
    return RecordGraph(graph, owner)


def add_record(graph: Graph, record: Record, model: OntologyModel, owner: dict[BNode, str]) -> None:
    for triple in record_triples(record, model, owner):
        graph.add(triple)


EvidenceNode = Callable[[str, Record], Node]
"""The RDF node of an evidence entry, from the record's id and the entry (default: a blank node)."""


def record_triples(
    record: Record,
    model: OntologyModel,
    owner: dict[BNode, str] | None = None,
    evidence_node: EvidenceNode | None = None,
) -> Iterator[tuple]:
    """The triples of one record, one by one (the exporter streams them without a Graph)."""
    rid, rtype = record["id"], record["type"]
    subject = id_to_iri(rid)
    owner = owner if owner is not None else {}
    make = evidence_node or (lambda _rid, _item: BNode())
    yield subject, _TYPE, model.cls(rtype).iri
    allowed = model.properties_of(rtype)
    for key, value in record.items():
        if key in RESERVED_KEYS:
            continue
        spec = allowed[key]
        for v in value if isinstance(value, list) else [value]:
            if spec.kind == "edge":
                yield from _value_triples(subject, spec, v, model, owner, rid, make)
            else:  # the common case, without a generator per value
                yield subject, spec.iri, value_term(spec, v, model)


def value_term(spec: PropertySpec, value: Any, model: OntologyModel) -> Node:
    """The RDF term of one literal, vocabulary or link value of a property."""
    if spec.kind == "literal":
        return to_literal(spec, value)
    if spec.kind == "vocab":
        return vocab_iri(model, spec, str(value))
    if spec.kind in ("link", "idlist"):
        return id_to_iri(str(value))
    raise ValueError(f"{spec.name} values are not single terms")


def _value_triples(subject, spec, value, model, owner, rid, make) -> Iterator[tuple]:
    if spec.kind == "edge":
        node = make(rid, value)
        if isinstance(node, BNode):
            owner[node] = rid
        edge_cls = model.cls(spec.range)
        yield subject, spec.iri, node
        edge_props = model.properties_of(edge_cls.name)
        for key, v in value.items():
            yield from _value_triples(node, edge_props[key], v, model, owner, rid, make)
    else:
        yield subject, spec.iri, value_term(spec, value, model)


# ---------------------------------------------------------------------- triples -> records


def graph_to_records(graph: Graph, model: OntologyModel | None = None) -> tuple[list[Record], int]:
    """Records of every typed RightsGraph node in the graph, and the count of ignored triples."""
    model = model or load_model()
    by_class_iri = {str(c.iri): c for c in model.classes.values()}
    by_prop_iri = {str(p.iri): p for p in model.properties.values()}
    records: list[Record] = []
    used = 0
    for subject in sorted(set(graph.subjects(RDF.type, None))):
        if not isinstance(subject, URIRef) or not str(subject).startswith(ID_BASE):
            continue
        classes = [
            by_class_iri[str(t)] for t in graph.objects(subject, RDF.type) if str(t) in by_class_iri
        ]
        node_classes = [c for c in classes if c.neo4j_label]
        if not node_classes:
            continue
        cls = max(node_classes, key=lambda c: len(c.ancestors))
        record, n = _node_record(graph, subject, cls.name, model, by_prop_iri)
        used += n + len(classes)
        records.append(record)
    return records, len(graph) - used


def _node_record(graph, subject, class_name, model, by_prop_iri) -> tuple[Record, int]:
    allowed = model.properties_of(class_name)
    record: Record = {"id": iri_to_id(str(subject)), "type": class_name}
    used = 0
    for predicate, obj in sorted(graph.predicate_objects(subject)):
        spec = by_prop_iri.get(str(predicate))
        if spec is None or spec.name not in allowed:
            continue
        value: Any
        if spec.kind == "literal" and isinstance(obj, Literal):
            value = from_literal(spec, obj)
        elif spec.kind == "vocab":
            value = model.vocabulary(spec.vocabulary or "").notation_of(obj) or str(obj)
        elif spec.kind in ("link", "idlist") and str(obj).startswith(ID_BASE):
            value = iri_to_id(str(obj))
        elif spec.kind == "edge":
            edge_cls = model.cls(spec.range)
            value, n = _edge_record(graph, obj, edge_cls.name, model, by_prop_iri)
            used += n
        else:
            continue
        used += 1
        if spec.multiple:
            record.setdefault(spec.name, []).append(value)
        elif spec.name in record:
            existing = record[spec.name]
            record[spec.name] = (existing if isinstance(existing, list) else [existing]) + [value]
        else:
            record[spec.name] = value
    return record, used


def _edge_record(graph, node, class_name, model, by_prop_iri) -> tuple[Record, int]:
    allowed = model.properties_of(class_name)
    out: Record = {}
    used = 0
    for predicate, obj in graph.predicate_objects(node):
        spec = by_prop_iri.get(str(predicate))
        if spec is None or spec.name not in allowed:
            continue
        used += 1
        out[spec.name] = iri_to_id(str(obj)) if spec.kind == "link" else from_literal(spec, obj)
    return out, used


def edge_record(graph: Graph, node: BNode, model: OntologyModel | None = None) -> Record:
    """The evidence entry a blank node of the graph stands for (its source, quote, locator)."""
    model = model or load_model()
    by_prop_iri = {str(p.iri): p for p in model.properties.values()}
    return _edge_record(graph, node, model.edge_class.name, model, by_prop_iri)[0]
