"""Case-report adapter: YAML or JSON(-LD) documents under our context, and RDF (our exports)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import yaml
from rdflib import RDF, BNode, Graph, URIRef

from core.names import STATEMENTS, SYSTEM_NS
from core.offline import NetworkRefused, offline
from ingest import content
from ingest.batch import Batch
from ingest.errors import IngestError, Problem
from ingest.jsondocs import MAX_DEPTH, MAX_NODES, check_shape, too_deep
from ingest.writer import RelKey, relationship_rows
from ontology import statements as st
from ontology.model import ID_BASE, RG, iri_to_id, load_model, shapes_graph
from ontology.provenance import read_statements
from ontology.records import (
    Record,
    RecordError,
    check_record,
    edge_record,
    graph_to_records,
    record_id,
)
from ontology.types import sharing

MAX_REPORT_BYTES = 50 * 1024 * 1024
MAX_ALIASES = 1_000  # uses of YAML aliases
MAX_ALIAS_EXPANSION = 10_000  # values the aliases may add
RDF_FORMATS = {".ttl": "turtle", ".nt": "nt", ".n3": "n3", ".trig": "trig", ".nq": "nquads"}
CONTENT_RDF = {"turtle": "turtle", "ntriples": "nt"}  # rdflib's names for what content.detect finds
LINE_KEY = "__line__"
MAX_FOREIGN = 20  # foreign subjects named one by one; the rest are counted


class YamlLimit(yaml.composer.ComposerError):
    """A YAML document over one of the loader's limits; `rule` names which."""

    def __init__(self, *args: Any, rule: str) -> None:
        super().__init__(*args)
        self.rule = rule


class _LineLoader(yaml.SafeLoader):
    """Safe YAML loader that remembers each mapping's line and refuses duplicate keys, and whose
    composer refuses, before any value is built: nesting deeper than MAX_DEPTH, more than
    MAX_NODES nodes, and aliases (`*a`, `<<: *a`) that would expand the document by more than
    MAX_ALIAS_EXPANSION nodes or be used more than MAX_ALIASES times (a "billion laughs" file of
    1 KB expands to billions of nodes)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._literal = 0  # nodes written in the file
        self._aliases = 0
        self._size: dict[int, int] = {}  # id(node) -> nodes it stands for, aliases expanded

    def _refuse(self, message: str, mark: Any, rule: str) -> NoReturn:
        raise YamlLimit(None, None, message, mark, rule=rule)

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                self._refuse(f"more than {MAX_ALIASES} aliases", event.start_mark, "yaml-aliases")
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            self._refuse(f"nested deeper than {MAX_DEPTH} levels", mark, "too-deep")
        self._literal += 1
        if self._literal > MAX_NODES:
            mark = self.peek_event().start_mark
            self._refuse(f"more than {MAX_NODES:,} values", mark, "too-large")
        node = super().compose_node(parent, index)
        self._depth -= 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        size = 1 + sum(self._size.get(id(child), 1) for child in children)
        self._size[id(node)] = size
        if size > self._literal + MAX_ALIAS_EXPANSION:
            self._refuse(
                f"its aliases expand it by more than {MAX_ALIAS_EXPANSION:,} values",
                node.start_mark,
                "yaml-aliases",
            )
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:  # type: ignore[override]
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        duplicates = {k for k in keys if keys.count(k) > 1}
        if duplicates:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {sorted(map(str, duplicates))[0]!r}", node.start_mark
            )
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE_KEY] = node.start_mark.line + 1
        return mapping


def read_text(path: Path, max_bytes: int = MAX_REPORT_BYTES) -> str:
    """The file as UTF-8 text, or an IngestError that says what is wrong with it."""
    label = str(path)
    size = path.stat().st_size
    if size == 0:
        raise IngestError([Problem(label, "-", "empty-file", "the file is empty")])
    if size > max_bytes:
        raise IngestError(
            [
                Problem(
                    label,
                    "-",
                    "file-too-large",
                    f"{size} bytes is over the {max_bytes}-byte limit for this format",
                )
            ]
        )
    data = path.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise IngestError(
            [Problem(label, "-", "encoding", "UTF-16 text; re-save the file as UTF-8", 1)]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise IngestError(
            [
                Problem(
                    label,
                    "-",
                    "encoding",
                    f"not UTF-8 text (byte {exc.start}); re-save the file as UTF-8",
                    line,
                )
            ]
        ) from None


def parse_document(path: Path) -> Any:
    text = read_text(path)
    label = str(path)
    if path.suffix.lower() in (".json", ".jsonld") or content.detect(path) in ("json", "jsonld"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise IngestError([Problem(label, "-", "json-syntax", exc.msg, exc.lineno)]) from None
        except RecursionError:
            raise IngestError([too_deep(label)]) from None
        problem = check_shape(doc, label)
        if problem:
            raise IngestError([problem])
        return doc
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        rule = getattr(exc, "rule", "yaml-syntax")
        raise IngestError([Problem(label, "-", rule, str(problem), line)]) from None


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != LINE_KEY}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def read_report(path: Path, exact_ids: bool = False) -> Iterator[Batch]:
    """One batch: the report record and its checked records (raises IngestError on bad input).

    `exact_ids` (a restore of our own export) keeps every id as it is, without resolution."""
    suffix = path.suffix.lower()
    if suffix in RDF_FORMATS:
        yield _read_rdf(path, RDF_FORMATS[suffix], exact_ids)
        return
    syntax = content.detect(path)
    if syntax in CONTENT_RDF:  # an RDF export under another name (.txt, .rdf, none)
        yield _read_rdf(path, CONTENT_RDF[syntax], exact_ids)
        return
    doc = parse_document(path)
    label = str(path)
    if doc is None:
        raise IngestError(
            [Problem(label, "-", "empty-file", "no document in the file (only blanks or comments)")]
        )
    if _is_inline_jsonld(doc):  # our JSON-LD export: read as RDF, like the other formats
        remote = remote_references(doc)
        if remote:
            raise IngestError(
                [
                    Problem(
                        label,
                        "-",
                        "remote-context",
                        "a JSON-LD context may not name another document (@context as a URL, "
                        f"@import): nothing an upload names is fetched; found {remote[0][:200]!r}",
                    )
                ]
            )
        yield _read_rdf(path, "json-ld", exact_ids)
        return
    if not isinstance(doc, dict) or not isinstance(doc.get("@graph"), list):
        raise IngestError(
            [
                Problem(
                    label,
                    "-",
                    "report-form",
                    'a report is a mapping with an "@graph" list of records',
                )
            ]
        )
    problems: list[Problem] = []
    set_aside: set[str] = set()  # ids of records left out for a problem
    lines: dict[str, int] = {}
    records = []
    seen: set[str] = set()
    report = None
    meta = {k: v for k, v in doc.items() if k not in ("@graph", "@context", LINE_KEY)}
    if meta:
        try:
            report = check_record(_strip_lines(meta), where="report")
            if report["type"] != "Report":
                raise RecordError(
                    record_id(report), "the document's own type must be Report", "report-form"
                )
            seen.add(report["id"])
        except RecordError as exc:
            problems.append(Problem(label, exc.record, exc.rule, exc.message, doc.get(LINE_KEY)))
    for index, raw in enumerate(doc["@graph"]):
        line = raw.get(LINE_KEY) if isinstance(raw, dict) else None
        try:
            record = check_record(_strip_lines(raw), where=f"#{index + 1}")
        except RecordError as exc:
            problems.append(Problem(label, exc.record, exc.rule, exc.message, line))
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                set_aside.add(raw["id"])
            continue
        if record["id"] in seen:
            problems.append(
                Problem(
                    label, record["id"], "duplicate-id", "this id is used twice in the report", line
                )
            )
            continue
        seen.add(record["id"])
        if line:
            lines[record["id"]] = line
        records.append(record)
    if not records and not problems:
        problems.append(Problem(label, "-", "empty-report", "the report has no records"))
    tlp = (report or {}).get("tlp", "GREEN")
    if problems and (report is None or not records):  # nothing sound to check the rest with
        raise IngestError(problems)
    yield Batch(
        file=label,
        records=records,
        report=report,
        report_id=report["id"] if report else None,
        default_tlp=tlp if sharing.is_level(tlp) else sharing.DEFAULT,
        lines=lines,
        problems=problems,  # the pipeline reports them with what else it finds
        set_aside=set_aside,
        review_status=(report or {}).get("reviewStatus"),
    )


def remote_references(value: Any) -> list[str]:
    """Every other document a JSON-LD value names for its parser to fetch: a `@context` that is
    (or lists) a string, and every `@import`, at any depth."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, inner in item.items():
                if key == "@import":
                    found.append(str(inner))
                elif key == "@context":
                    contexts = inner if isinstance(inner, list) else [inner]
                    found.extend(str(c) for c in contexts if isinstance(c, str))
                stack.append(inner)
    return found


def _is_inline_jsonld(doc: Any) -> bool:
    """A JSON-LD document that carries its own context and nothing but its graph (an export)."""
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("@context"), dict)
        and set(doc) <= {"@context", "@graph"}
    )


def _read_rdf(path: Path, fmt: str, exact_ids: bool = False) -> Batch:
    text = read_text(path, max_bytes=2 * 1024 * 1024 * 1024)
    graph = Graph()
    try:
        with offline(f"parsing {path.name}"):  # the second lock: no parser fetches anything
            graph.parse(data=text, format=fmt)
    except Exception as exc:  # rdflib raises many parser-specific types
        message = " ".join(str(exc).split())  # rdflib's first line may be only "at line N of <>:"
        found = re.search(r"at line (\d+)", message)
        raise IngestError(
            [
                Problem(
                    str(path),
                    "-",
                    "remote-context" if isinstance(exc, NetworkRefused) else "rdf-syntax",
                    message[:300],
                    int(found.group(1)) if found else None,
                )
            ]
        ) from None
    foreign = foreign_subjects(graph)
    if foreign:
        raise IngestError(
            [
                Problem(
                    str(path),
                    str(subject)[:200],
                    "foreign-subject",
                    f"{str(subject)[:200]} is not a RightsGraph IRI (ids are {ID_BASE}ID): an id "
                    "written as a relative IRI with a colon (contract-x:1) reads as an IRI of "
                    "scheme contract-x; write ids as absolute IRIs",
                )
                for subject in foreign[:MAX_FOREIGN]
            ]
            + (
                [
                    Problem(
                        str(path),
                        "-",
                        "foreign-subject",
                        f"and {len(foreign) - MAX_FOREIGN} more subjects outside our ids",
                    )
                ]
                if len(foreign) > MAX_FOREIGN
                else []
            )
        )
    statements, link_statements = _system_statements(graph)
    records, ignored = graph_to_records(graph)
    link_reports, used = _link_reports(graph, records)
    ignored -= used
    given, given_links, used = _reified_statements(graph, records)
    ignored -= used
    statements = {**given, **statements}  # a backup's own system statements win
    link_statements = {**given_links, **link_statements}
    checked = []
    problems = []
    for record in records:
        try:
            checked.append(check_record(record))
        except RecordError as exc:
            problems.append(Problem(str(path), exc.record, exc.rule, exc.message))
    if problems:
        raise IngestError(problems)
    if not checked:
        raise IngestError(
            [Problem(str(path), "-", "empty-report", "no RightsGraph records in this RDF")]
        )
    return Batch(
        file=str(path),
        records=checked,
        unsupported={"triples outside the ontology": ignored} if ignored else {},
        link_reports=link_reports,
        resolve=not exact_ids,
        statements=statements,
        link_statements=link_statements,
    )


def foreign_subjects(graph: Graph) -> list[URIRef]:
    """IRIs the graph says something about that are neither our ids (nor evidence) nor terms
    of the ontology, its vocabularies or its shapes (an export `--with-ontology` carries them)."""
    known = _ontology_subjects()
    return sorted(
        {
            s
            for s in graph.subjects()
            if isinstance(s, URIRef) and not str(s).startswith(ID_BASE) and s not in known
        }
    )


@functools.cache
def _ontology_subjects() -> frozenset[URIRef]:
    graphs = (load_model().graph, shapes_graph())
    return frozenset(s for g in graphs for s in g.subjects() if isinstance(s, URIRef))


def _system_statements(graph: Graph) -> tuple[dict[str, str], dict[RelKey, str]]:
    """The statements a backup carries (and takes them out of the graph): node id -> text,
    relationship -> text."""
    pred = URIRef(SYSTEM_NS + STATEMENTS)
    nodes: dict[str, str] = {}
    links: dict[RelKey, str] = {}
    for subject, text in list(graph.subject_objects(pred)):
        if isinstance(subject, BNode):
            part = {
                n: graph.value(subject, URIRef(SYSTEM_NS + n))
                for n in ("start", "type", "end", "key")
            }
            if all(v is not None for v in part.values()):
                key = RelKey(
                    iri_to_id(str(part["start"])),
                    str(part["type"]),
                    iri_to_id(str(part["end"])),
                    str(part["key"]),
                )
                links[key] = str(text)
            graph.remove((subject, None, None))
        elif str(subject).startswith(ID_BASE):
            nodes[iri_to_id(str(subject))] = str(text)
            graph.remove((subject, pred, None))
    return nodes, links


def _reified_statements(
    graph: Graph, records: list[Record]
) -> tuple[dict[str, str], dict[RelKey, str], int]:
    """The statements an export `--statements` carries as reifications (`ontology.provenance`):
    node id -> stored text, relationship -> stored text, and the number of triples read."""
    model = load_model()
    types = {r["id"]: r["type"] for r in records}
    read = read_statements(graph, model, types.get)
    nodes = {node_id: st.encode(found) for node_id, found in read.nodes.items()}
    links: dict[RelKey, str] = {}
    edge = model.edge_class
    for (sid, name, value), found in read.links.items():
        spec = model.properties[name]
        if spec.kind == "edge":
            target: Any = edge_record(graph, value, model)  # type: ignore[arg-type]
        elif str(value).startswith(ID_BASE):
            target = iri_to_id(str(value))
        else:
            continue
        if spec.kind == "edge" and edge.edge_target not in target:
            continue
        record = {"id": sid, "type": types[sid], name: [target]}
        for key in relationship_rows(record, model):
            links[key] = st.encode(found)
    return nodes, links, read.used


def _link_reports(graph: Graph, records: list[Record]) -> tuple[dict[RelKey, list[str]], int]:
    """The reports our exports state for links whose reports cannot be inferred from their ends:
    `rg:inReport` on an evidence node, or on an rdf:Statement about a link. Also the number of
    triples read, so they are not counted as ignored."""
    model = load_model()
    types = {r["id"]: r["type"] for r in records}
    in_report = next(
        p for p in model.properties.values() if p.kind == "idlist" and p.range == "Report"
    )
    edge = next(p for p in model.properties.values() if p.kind == "edge")
    by_iri = {p.iri: p for p in model.properties.values()}
    out: dict[RelKey, list[str]] = {}
    used = 0

    def stated(node: Any) -> list[str]:
        return sorted(
            iri_to_id(str(o))
            for o in graph.objects(node, in_report.iri)
            if str(o).startswith(ID_BASE)
        )

    def add(subject: Any, name: str, value: Any, reports: list[str]) -> None:
        sid = iri_to_id(str(subject)) if str(subject).startswith(ID_BASE) else None
        if sid in types and reports:
            record = {"id": sid, "type": types[sid], name: [value]}
            for key in relationship_rows(record, model):
                out[key] = reports

    for subject, node in graph.subject_objects(edge.iri):
        reports = stated(node)
        if reports:
            add(subject, edge.name, edge_record(graph, node, model), reports)
            used += len(reports)
    for statement in graph.subjects(RDF.type, RDF.Statement):
        if (statement, RG.standing, None) in graph:  # a value's provenance, read elsewhere
            continue
        spec = by_iri.get(graph.value(statement, RDF.predicate))  # type: ignore[arg-type]
        target = graph.value(statement, RDF.object)
        reports = stated(statement)
        if (
            spec is None
            or spec.kind != "link"
            or target is None
            or not str(target).startswith(ID_BASE)
        ):
            continue
        add(graph.value(statement, RDF.subject), spec.name, iri_to_id(str(target)), reports)
        used += 4 + len(reports)
    return out, used
