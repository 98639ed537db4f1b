"""SHACL validation of records without RDF graphs: shapes.ttl compiled once into Python checks.

pyshacl validates a graph with a generic engine: building the graph and running it costs far
more than the rules themselves. The shapes we write use a small part of SHACL, so this module
compiles exactly that part into plain checks over the records (the compact dicts of
ontology.records) and refuses, at compile time, anything it does not understand: a new kind of
shape makes the compiler raise rather than be silently ignored. Values are turned into the same
rdflib literals the graph would hold (`to_literal`, `vocab_iri`), so lexical checks are rdflib's
own. The verdicts are the same set of Violations pyshacl gives (tests/test_fast_validate.py);
`validate_records(engine="pyshacl")` keeps the reference path.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.collection import Collection

from ontology.model import SHAPES_FILE, OntologyModel, PropertySpec, id_to_iri, load_model
from ontology.records import RESERVED_KEYS, Record, to_literal, vocab_iri
from ontology.types.identifiers import ISIN_PATTERN, LEI_PATTERN, valid_isin, valid_lei
from ontology.violations import SH, Violation, short_name, sorted_violations


class ShapeCompileError(ValueError):
    """shapes.ttl uses something the fast validator does not implement."""


class NodeRef(str):
    """A reference to a record by id: an IRI in the graph, kept as its id here."""


Value = Literal | URIRef | NodeRef | dict
ValuesOf = Callable[[PropertySpec], list[Value]]

# Python value types rdflib gives well-typed literals, as pyshacl's sh:datatype checks them.
_DATATYPE_VALUES: dict[URIRef, type | tuple[type, ...]] = {
    XSD.string: (str, bytes),
    XSD.decimal: Decimal,
    XSD.boolean: bool,
    XSD.date: dt.date,
    XSD.anyURI: object,  # pyshacl only rejects an ill-typed anyURI
}
_XSD_STRING = XSD.string
_PLAIN_TEXT = (None, _XSD_STRING, RDF.langString)


# ---------------------------------------------------------------------- SPARQL constraints
# The shapes' SPARQL constraints, recognised by their IRI and implemented here. `tokens` must
# all appear in the constraint's query, so a changed query cannot keep a stale implementation.


@dataclass(frozen=True)
class SparqlRule:
    tokens: tuple[str, ...]
    check: Callable[[ValuesOf, OntologyModel], list[Value | None]]  # bound ?value of each row


def _failing(
    prop: str, valid: Callable[[str], bool], pattern: str
) -> Callable[[ValuesOf, OntologyModel], list[Value | None]]:
    """Well-formed values (the query's REGEX) whose check digits fail; the form itself is the
    property shape's sh:pattern."""
    form = re.compile(pattern)

    def check(values: ValuesOf, model: OntologyModel) -> list[Value | None]:
        return [
            v for v in values(model.properties[prop]) if form.search(str(v)) and not valid(str(v))
        ]

    return check


def _amount_without_currency(values: ValuesOf, model: OntologyModel) -> list[Value | None]:
    if values(model.properties["currency"]):
        return []
    amounts = ("amount", "amountMin", "amountMax", "marketValue")
    return [None] if any(values(model.properties[p]) for p in amounts) else []


SPARQL_RULES: dict[str, SparqlRule] = {
    "Organization-leiCheckDigits": SparqlRule(
        ("rg:lei", "?r20 != 1"), _failing("lei", valid_lei, LEI_PATTERN)
    ),
    "Company-isinCheckDigit": SparqlRule(
        ("rg:isin", 'STRENDS(STR(?sum), "0")'), _failing("isin", valid_isin, ISIN_PATTERN)
    ),
    "Fact-amountHasCurrency": SparqlRule(
        (
            "rg:amount",
            "rg:amountMin",
            "rg:amountMax",
            "rg:marketValue",
            "NOT EXISTS",
            "rg:currency",
        ),
        _amount_without_currency,
    ),
}


# ---------------------------------------------------------------------- compiled shapes


@dataclass
class PropertyCheck:
    """One property shape: every constraint of it on the values of one property."""

    rule: str
    message: str
    prop: PropertySpec
    min_count: int = 0
    max_count: int | None = None
    datatype: URIRef | None = None
    cls: str | None = None
    allowed: frozenset | None = None
    patterns: tuple[re.Pattern, ...] = ()
    min_inclusive: tuple[Decimal, ...] = ()
    max_inclusive: tuple[Decimal, ...] = ()
    min_length: int | None = None
    node: NodeShape | None = None


@dataclass
class SparqlCheck:
    rule: str
    message: str
    impl: SparqlRule


@dataclass
class NodeShape:
    name: str
    targets: tuple[str, ...]
    properties: list[PropertyCheck]
    sparql: list[SparqlCheck]


@dataclass
class CompiledShapes:
    model: OntologyModel
    shapes: list[NodeShape]
    by_class: dict[str, list[NodeShape]]  # concrete class -> shapes that target it


_NODE_KEYS = {RDF.type, SH.targetClass, SH.property, SH.sparql}
_PROPERTY_KEYS = {
    SH.path,
    SH.message,
    SH.minCount,
    SH.maxCount,
    SH.datatype,
    SH["class"],
    SH["in"],
    SH.pattern,
    SH.minInclusive,
    SH.maxInclusive,
    SH.minLength,
    SH.node,
}
_SPARQL_KEYS = {RDF.type, SH.message, SH.prefixes, SH.select}


class _Compiler:
    def __init__(self, shapes: Graph, model: OntologyModel):
        self.g = shapes
        self.model = model
        self.by_iri = {p.iri: p for p in model.properties.values()}
        self.class_by_iri = {c.iri: c.name for c in model.classes.values()}
        self.node_shapes: dict[URIRef, NodeShape] = {}
        self.understood: set = set()

    def fail(self, node: Any, why: str) -> ShapeCompileError:
        return ShapeCompileError(
            f"shapes.ttl: {short_name(node) if node is not None else '?'}: {why}"
        )

    def one(self, node: Any, predicate: URIRef) -> Any:
        values = list(self.g.objects(node, predicate))
        if len(values) > 1:
            raise self.fail(node, f"more than one {short_name(predicate)}")
        return values[0] if values else None

    def keys(self, node: Any, allowed: set[URIRef]) -> None:
        for predicate in set(self.g.predicates(node, None)):
            if predicate not in allowed:
                raise self.fail(node, f"{predicate} is not understood by the fast validator")
        self.understood.add(node)

    def class_name(self, node: Any, iri: Any) -> str:
        if iri not in self.class_by_iri:
            raise self.fail(node, f"class {iri} is not in the ontology")
        return self.class_by_iri[iri]

    def compile(self) -> CompiledShapes:
        for subject in sorted(set(self.g.subjects(RDF.type, SH.NodeShape))):
            self.node_shape(subject)
        self.declarations()
        for subject in set(self.g.subjects()):
            if subject not in self.understood:
                raise self.fail(
                    subject,
                    "neither a node shape, nor a property shape, nor a SPARQL constraint one uses",
                )
        shapes = list(self.node_shapes.values())
        by_class = {
            c.name: [s for s in shapes if any(c.is_a(t) for t in s.targets)]
            for c in self.model.classes.values()
        }
        return CompiledShapes(self.model, shapes, by_class)

    def declarations(self) -> None:
        """The sh:declare prefixes the SPARQL queries use (pyshacl needs them; we do not)."""
        for owner, declaration in self.g.subject_objects(SH.declare):
            self.keys(owner, {SH.declare})
            self.keys(declaration, {SH.prefix, SH.namespace})

    def node_shape(self, iri: Any) -> NodeShape:
        if iri in self.node_shapes:
            return self.node_shapes[iri]
        if (iri, RDF.type, SH.NodeShape) not in self.g:
            raise self.fail(iri, "sh:node must name a sh:NodeShape")
        self.keys(iri, _NODE_KEYS)
        if set(self.g.objects(iri, RDF.type)) != {SH.NodeShape}:
            raise self.fail(iri, "a node shape has exactly the type sh:NodeShape")
        shape = NodeShape(
            name=short_name(iri),
            targets=tuple(
                sorted(self.class_name(iri, c) for c in self.g.objects(iri, SH.targetClass))
            ),
            properties=[],
            sparql=[],
        )
        self.node_shapes[iri] = shape  # before its parts, so sh:node cycles terminate
        shape.properties = [
            self.property_shape(p) for p in sorted(self.g.objects(iri, SH.property))
        ]
        shape.sparql = [self.sparql(s) for s in sorted(self.g.objects(iri, SH.sparql))]
        return shape

    def property_shape(self, node: Any) -> PropertyCheck:
        self.keys(node, _PROPERTY_KEYS)
        if not isinstance(node, URIRef):
            raise self.fail(
                node, "property shapes need an IRI: it names the rule a violation breaks"
            )
        path = self.one(node, SH.path)
        if path not in self.by_iri:
            raise self.fail(
                node,
                f"sh:path {path} is not an ontology property (only IRI paths are implemented)",
            )
        message = self.one(node, SH.message)
        if not isinstance(message, Literal):
            raise self.fail(node, "a property shape needs one sh:message")
        spec = self.by_iri[path]
        check = PropertyCheck(rule=short_name(node), message=str(message), prop=spec)
        check.min_count = self.integer(node, SH.minCount) or 0
        check.max_count = self.integer(node, SH.maxCount)
        check.min_length = self.integer(node, SH.minLength)
        datatype = self.one(node, SH.datatype)
        if datatype is not None and datatype not in _DATATYPE_VALUES:
            raise self.fail(node, f"sh:datatype {datatype} is not implemented")
        check.datatype = datatype
        cls = self.one(node, SH["class"])
        check.cls = self.class_name(node, cls) if cls is not None else None
        members = self.one(node, SH["in"])
        if members is not None:
            check.allowed = frozenset(Collection(self.g, members))
            self.understood.update(self.list_nodes(members))
        check.patterns = tuple(re.compile(str(p)) for p in self.g.objects(node, SH.pattern))
        check.min_inclusive = tuple(
            self.number(node, v) for v in self.g.objects(node, SH.minInclusive)
        )
        check.max_inclusive = tuple(
            self.number(node, v) for v in self.g.objects(node, SH.maxInclusive)
        )
        target = self.one(node, SH.node)
        if target is not None:
            if spec.kind != "edge":
                raise self.fail(
                    node, "sh:node is implemented only on edge properties (such as evidence)"
                )
            check.node = self.node_shape(target)
        return check

    def list_nodes(self, head: Any) -> list[Any]:
        nodes = []
        while head is not None and head != RDF.nil:
            nodes.append(head)
            self.keys(head, {RDF.first, RDF.rest})
            head = self.g.value(head, RDF.rest)
        return nodes

    def integer(self, node: Any, predicate: URIRef) -> int | None:
        value = self.one(node, predicate)
        if value is None:
            return None
        if (
            not isinstance(value, Literal)
            or not isinstance(value.value, int)
            or isinstance(value.value, bool)
        ):
            raise self.fail(node, f"{short_name(predicate)} must be an integer")
        return value.value

    def number(self, node: Any, value: Any) -> Decimal:
        if (
            not isinstance(value, Literal)
            or not isinstance(value.value, int | Decimal)
            or isinstance(value.value, bool)
        ):
            raise self.fail(node, "range bounds are implemented for numbers only")
        return Decimal(value.value)

    def sparql(self, node: Any) -> SparqlCheck:
        self.keys(node, _SPARQL_KEYS)
        name = short_name(node)
        if name not in SPARQL_RULES or (node, RDF.type, SH.SPARQLConstraint) not in self.g:
            raise self.fail(
                node,
                "SPARQL constraint without a Python implementation in ontology/fast_validate.py",
            )
        impl = SPARQL_RULES[name]
        query = str(self.one(node, SH.select) or "")
        missing = [t for t in impl.tokens if t not in query]
        if missing:
            raise self.fail(
                node, f"the query no longer mentions {missing}: update its Python implementation"
            )
        message = self.one(node, SH.message)
        if not isinstance(message, Literal):
            raise self.fail(node, "a SPARQL constraint needs one sh:message")
        return SparqlCheck(name, str(message), impl)


def compile_shapes(shapes: Graph, model: OntologyModel) -> CompiledShapes:
    """Compile a shapes graph; raise ShapeCompileError on anything not implemented."""
    return _Compiler(shapes, model).compile()


@cache
def compiled_shapes(model: OntologyModel | None = None) -> CompiledShapes:
    """The shapes file compiled once. Parsed afresh: pyshacl adds RDFS axioms to the shapes
    graph it is given, and those are not shapes."""
    shapes = Graph()
    shapes.parse(SHAPES_FILE, format="turtle")
    return compile_shapes(shapes, model or load_model())


# ---------------------------------------------------------------------- values


def _edge_value(spec: PropertySpec, value: Any, model: OntologyModel) -> Value:
    """One value inside an edge entry: taken whole, as records_to_graph does."""
    if spec.kind == "literal":
        return to_literal(spec, value)
    if spec.kind == "vocab":
        return vocab_iri(model, spec, str(value))
    return NodeRef(str(value))


_LITERALS: dict[tuple[str, type, Any], Literal] = {}


def _literal(spec: PropertySpec, value: Any) -> Literal:
    """to_literal, memoised: the same currencies, dates and names recur across many records."""
    try:
        key = (spec.name, type(value), value)
        found = _LITERALS.get(key)
    except TypeError:  # an unhashable value: convert it every time
        return to_literal(spec, value)
    if found is None:
        if len(_LITERALS) > 100_000:
            _LITERALS.clear()
        found = _LITERALS[key] = to_literal(spec, value)
    return found


class _Focus:
    """A record (or an edge entry) being validated: its value nodes per property, built once."""

    __slots__ = ("data", "edge", "model", "cache")

    def __init__(self, data: Mapping[str, Any], model: OntologyModel, edge: bool = False):
        self.data = data
        self.edge = edge
        self.model = model
        self.cache: dict[str, list[Value]] = {}

    def values(self, spec: PropertySpec) -> list[Value]:
        name = spec.name
        found = self.cache.get(name)
        if found is not None:
            return found
        raw = self.data.get(name)
        nodes: list[Value]
        if raw is None:
            nodes = []
        elif self.edge:
            nodes = [_edge_value(spec, raw, self.model)]
        else:
            items = raw if isinstance(raw, list) else [raw]
            kind = spec.kind
            if kind == "literal":
                nodes = list(dict.fromkeys(_literal(spec, v) for v in items))
            elif kind in ("link", "idlist"):
                nodes = list(dict.fromkeys(NodeRef(str(v)) for v in items))
            elif kind == "vocab":
                nodes = list(dict.fromkeys(vocab_iri(self.model, spec, str(v)) for v in items))
            else:  # edge entries are blank nodes: never the same node twice
                nodes = list(items)
        self.cache[name] = nodes
        return nodes


def _text(value: Value) -> str | None:
    """The string SHACL's string constraints see; None for blank nodes (edge entries)."""
    if isinstance(value, Literal):
        if value.value is not None and value.datatype in _PLAIN_TEXT:
            return str(value.value)
        return str(value)
    if isinstance(value, NodeRef):
        return str(id_to_iri(value))
    if isinstance(value, URIRef):
        return str(value)
    return None


def _has_datatype(value: Value, datatype: URIRef) -> bool:
    if not isinstance(value, Literal):
        return False
    if value.datatype == datatype:
        if getattr(value, "ill_typed", None) is True:
            return False
    elif not (value.datatype is None and value.language is None and datatype == _XSD_STRING):
        return False
    return isinstance(value.value, _DATATYPE_VALUES[datatype])


def _number(value: Value) -> Decimal | None:
    if not isinstance(value, Literal):
        return None
    number = value.value
    if isinstance(number, bool) or not isinstance(number, int | float | Decimal):
        return None
    number = Decimal(number)
    return None if number.is_nan() else number


# ---------------------------------------------------------------------- validation


class _Run:
    def __init__(self, compiled: CompiledShapes, types: dict[str, frozenset[str]]):
        self.compiled = compiled
        self.model = compiled.model
        self.types = types
        self._ok: dict[tuple[int, Any], bool] = {}  # verdicts that depend on the value alone

    def value_ok(self, check: PropertyCheck, value: Value) -> bool:
        if check.cls is not None or isinstance(value, dict):
            return self._value_ok(check, value)
        key = (id(check), value)
        found = self._ok.get(key)
        if found is None:
            found = self._ok[key] = self._value_ok(check, value)
        return found

    def _value_ok(self, check: PropertyCheck, value: Value) -> bool:
        if check.datatype is not None and not _has_datatype(value, check.datatype):
            return False
        if check.cls is not None and not (
            isinstance(value, NodeRef) and check.cls in self.types.get(value, ())
        ):
            return False
        if check.allowed is not None:
            node = id_to_iri(value) if isinstance(value, NodeRef) else value
            if isinstance(node, dict) or node not in check.allowed:
                return False
        if check.patterns or check.min_length:
            text = _text(value)
            if text is None:
                return False
            if check.min_length and len(text) < check.min_length:
                return False
            if not all(p.search(text) for p in check.patterns):
                return False
        if check.min_inclusive or check.max_inclusive:
            number = _number(value)
            if number is None:
                return False
            if any(number < bound for bound in check.min_inclusive) or any(
                number > bound for bound in check.max_inclusive
            ):
                return False
        return True

    def violations(
        self, owner: str, self_id: str | None, shape: NodeShape, focus: _Focus
    ) -> Iterable[Violation]:
        """What pyshacl reports for one focus node; `self_id` is the focus's id (None for edge
        entries, which are blank nodes), `owner` the record the violations are filed under."""
        for check in shape.properties:
            path = check.prop.name
            values = focus.values(check.prop)
            if len(values) < check.min_count or (
                check.max_count is not None and len(values) > check.max_count
            ):
                yield Violation(owner, check.rule, check.message, path, None)
            for value in values:
                ok = self.value_ok(check, value)
                details: list[Violation] = []
                if check.node is not None:  # pyshacl files the nested results too (sh:detail)
                    if isinstance(value, dict):
                        details = list(
                            self.violations(
                                owner, None, check.node, _Focus(value, self.model, edge=True)
                            )
                        )
                    ok = ok and isinstance(value, dict) and not details
                if not ok:
                    yield Violation(owner, check.rule, check.message, path, _shown(value, self_id))
                    yield from details
        for sparql in shape.sparql:
            for value in sparql.impl.check(focus.values, self.model):
                message = sparql.message
                if value is not None:
                    message = re.sub(r"\{[?$]value\}", lambda _m, v=value: str(v), message)
                yield Violation(owner, sparql.rule, message, None, _shown(value, self_id))


def _shown(value: Value | None, self_id: str | None) -> str | None:
    """The value as validate_graph shows it: none for blank nodes or the focus record itself."""
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, NodeRef):
        return None if value == self_id else str(value)
    return short_name(value)


def _merged(records: Iterable[Record]) -> tuple[dict[str, dict[str, Any]], dict[str, set[str]]]:
    """Records by id; two records with one id are one node in RDF, so their values join."""
    nodes: dict[str, dict[str, Any]] = {}
    classes: dict[str, set[str]] = {}
    for record in records:
        rid = record["id"]
        classes.setdefault(rid, set()).add(record["type"])
        if rid not in nodes:
            nodes[rid] = record
            continue
        joined = dict(nodes[rid])
        for key, value in record.items():
            if key in RESERVED_KEYS:
                continue
            old = joined.get(key)
            extra = value if isinstance(value, list) else [value]
            joined[key] = (old if isinstance(old, list) else [] if old is None else [old]) + extra
        nodes[rid] = joined
    return nodes, classes


def fast_validate(
    records: Iterable[Record],
    known: Mapping[str, str] | None = None,
    model: OntologyModel | None = None,
) -> list[Violation]:
    """Violations of checked records, as validate_graph reports them; `known` maps ids already
    in the graph to their class names (the targets of references outside the records)."""
    compiled = compiled_shapes(model or load_model())
    model = compiled.model
    nodes, classes = _merged(records)
    types: dict[str, frozenset[str]] = {
        i: frozenset().union(*(model.cls(c).ancestors for c in names))
        for i, names in classes.items()
    }
    for node_id, class_name in (known or {}).items():
        if node_id not in types:
            types[node_id] = model.cls(class_name).ancestors
    run = _Run(compiled, types)
    out: set[Violation] = set()
    for rid, data in nodes.items():
        focus = _Focus(data, model)
        shapes = {id(s): s for c in classes[rid] for s in compiled.by_class[c]}
        for shape in shapes.values():
            out.update(run.violations(rid, rid, shape, focus))
    return sorted_violations(out)


__all__ = ["ShapeCompileError", "compile_shapes", "compiled_shapes", "fast_validate"]
