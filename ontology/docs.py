"""Human-readable ontology documentation, generated from the Turtle files (docs/ontology.md)."""

from __future__ import annotations

from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SKOS

from ontology.model import (
    ONTOLOGY_DIR,
    RG,
    ClassSpec,
    OntologyModel,
    PropertySpec,
    load_model,
    shapes_graph,
)

SH = Namespace("http://www.w3.org/ns/shacl#")
DOCS_FILE = ONTOLOGY_DIR.parent / "docs" / "ontology.md"
RULE_KEYS = (
    ("minCount", "min"),
    ("maxCount", "max"),
    ("datatype", "datatype"),
    ("class", "class"),
    ("minInclusive", "≥"),
    ("maxInclusive", "≤"),
    ("pattern", "pattern"),
    ("minLength", "min length"),
)


def _short(node: object) -> str:
    text = str(node)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _rules(shapes: Graph, shape: URIRef) -> list[tuple[str, str, str]]:
    """(property, constraint summary, message) for each property shape of a node shape."""
    out = []
    for prop in shapes.objects(shape, SH.property):
        path = _short(shapes.value(prop, SH.path))
        parts = []
        for key, label in RULE_KEYS:
            value = shapes.value(prop, SH[key])
            if value is not None:
                parts.append(
                    f"{label} `{_short(value) if key in ('datatype', 'class') else value}`"
                )
        values = shapes.value(prop, SH["in"])
        if values is not None:
            items = [_short(v) for v in Collection(shapes, values)]
            shown = ", ".join(items[:12]) + (
                f", … ({len(items)} values)" if len(items) > 12 else ""
            )
            parts.append(f"one of {shown}")
        out.append((path, "; ".join(parts), str(shapes.value(prop, SH.message) or "")))
    for constraint in shapes.objects(shape, SH.sparql):
        out.append(
            (
                _short(constraint),
                "SPARQL constraint",
                str(shapes.value(constraint, SH.message) or ""),
            )
        )
    return sorted(out)


def _mapping(p: PropertySpec) -> str:
    if p.neo4j_type:
        arrow = f"-[:{p.neo4j_type}]->"
        return f"`(this){arrow}(value)`" if p.direction == "out" else f"`(value){arrow}(this)`"
    if p.neo4j_property:
        return f"property `{p.neo4j_property}`"
    return "relationship end node"


def _class_flags(c: ClassSpec) -> str:
    if c.resolved_by_name:
        return "resolved by identity keys and name"
    return "resolved by identity keys" if c.resolved else ""


def _property_flags(p: PropertySpec) -> str:
    flags = [
        "identity key" if p.identity_key else "",
        "searchable" if p.searchable else "",
        "union" if p.union else "",
        "indexed" if p.indexed else "",
        "partial date" if p.partial_date else "",
        f"rank {p.rank}" if p.rank is not None else "",
    ]
    return ", ".join(f for f in flags if f)


def _behaviour(model: OntologyModel) -> list[str]:
    """The behaviour flags as ingest, search and the schema read them."""

    def listed(props: tuple[PropertySpec, ...]) -> str:
        return ", ".join(f"`{p.name}`" for p in props)

    resolved = ", ".join(
        f"`{c.name}`" + (" (and by name)" if c.resolved_by_name else "")
        for c in sorted(model.resolved_classes(), key=lambda c: c.name)
    )
    indexed = ", ".join(f"`:{label}({prop})`" for label, prop in model.indexed_properties())
    g = model.graph
    notes = sorted(
        (str(iri).removeprefix(str(RG)), str(g.value(iri, SKOS.definition) or ""))
        for iri in g.subjects(RDF.type, OWL.AnnotationProperty)
        if str(iri).startswith(str(RG)) and g.value(iri, RDFS.label) is not None
    )
    return [
        "## Behaviour flags",
        "",
        "Annotations in the Turtle files that ingest, search and the Neo4j schema read through",
        "`ontology/model.py`; no Python table repeats them.",
        "",
        f"- Resolved classes: {resolved}.",
        f"- Identity keys, in the order resolution tries them: {listed(model.identifier_properties())}.",
        f"- `searchText`, in this order: {listed(model.searchable_properties())}.",
        f"- United across reports: {listed(model.union_properties())}.",
        f"- Range indexes: {indexed or 'none'}.",
        "",
        "| annotation | definition |",
        "| --- | --- |",
        *(f"| `rg:{name}` | {definition} |" for name, definition in notes),
    ]


ONTOLOGY_IRI = URIRef("https://w3id.org/rightsgraph/ontology")


def _published(model: OntologyModel) -> list[str]:
    """The ontology's version and versioned IRI, as its own header states them."""
    g = model.graph
    version = g.value(ONTOLOGY_IRI, OWL.versionInfo)
    version_iri = g.value(ONTOLOGY_IRI, OWL.versionIRI)
    return [
        f"Ontology IRI: `{ONTOLOGY_IRI}`; this version: `{version_iri}` (version {version}). "
        "The Turtle files are the publication: `ontology/rightsgraph.ttl` (classes and "
        "properties), `ontology/vocabularies.ttl` (SKOS schemes), `ontology/shapes.ttl` (SHACL); "
        "`rightsgraph export --with-ontology` bundles all three with the data.",
    ]


def _standard_terms(model: OntologyModel) -> list[str]:
    """Each class and property of ours with its super-classes and super-properties outside our
    namespace: what the export states beside our own terms."""
    g = model.graph
    lines = [
        "## Standard terms",
        "",
        "The export states these beside our own terms (`docs/export.md`): each node is also of",
        "the external classes of its class and its ancestors, and each value is also stated under",
        "the external super-properties of its property (a URL as an IRI, a date typed `xsd:date`,",
        "`xsd:gYearMonth` or `xsd:gYear` by precision).",
        "",
        "| term | rdfs:subClassOf / rdfs:subPropertyOf |",
        "| --- | --- |",
    ]
    terms = [(c.name, c.iri, RDFS.subClassOf) for c in model.classes.values()]
    terms += [(p.name, p.iri, RDFS.subPropertyOf) for p in model.properties.values()]
    for name, iri, relation in sorted(terms, key=lambda t: t[0]):
        external = sorted(
            o.n3(g.namespace_manager)
            for o in g.objects(iri, relation)
            if isinstance(o, URIRef) and not str(o).startswith(str(RG))
        )
        if external:
            lines.append(f"| `{name}` | {', '.join(f'`{e}`' for e in external)} |")
    lines += [
        "",
        "Per-value provenance (`rightsgraph export --statements`) is an RDF reification: an",
        "`rdf:Statement` per statement, with `rg:inReport`, `prov:wasDerivedFrom` and:",
        "",
        "| term | definition |",
        "| --- | --- |",
    ]
    for iri in sorted(g.subjects(RDF.type, RDF.Property)):
        if str(iri).startswith(str(RG)):
            lines.append(f"| `rg:{_short(iri)}` | {g.value(iri, SKOS.definition)} |")
    return lines


def render(model: OntologyModel | None = None) -> str:
    model = model or load_model()
    shapes = shapes_graph()
    lines = [
        "# RightsGraph ontology",
        "",
        "Generated by `rightsgraph ontology generate` from `ontology/*.ttl`; do not edit by hand.",
        "",
        "Namespace: `https://w3id.org/rightsgraph/ontology#` (prefix `rg:`). Node ids expand against",
        "`https://w3id.org/rightsgraph/id/`. JSON-LD context: `ontology/context.jsonld`.",
        "",
        *_published(model),
        "",
        "## Classes",
        "",
        "| class | Neo4j labels | behaviour | definition |",
        "| --- | --- | --- | --- |",
    ]
    for cls in sorted(model.classes.values(), key=lambda c: c.name):
        labels = (
            ":" + ":".join(model.labels_of(cls.name))
            if cls.neo4j_label
            else f"relationship `{cls.neo4j_type}`"
        )
        kind = " (abstract)" if cls.abstract else ""
        lines.append(f"| `{cls.name}`{kind} | {labels} | {_class_flags(cls)} | {cls.definition} |")
    lines += ["", *_behaviour(model)]
    for cls in sorted(model.classes.values(), key=lambda c: c.name):
        lines += ["", f"## {cls.name}", "", cls.definition, ""]
        own = [p for p in model.properties.values() if p.domain == cls.name]
        if own:
            lines += [
                "| property | values | Neo4j | behaviour | definition |",
                "| --- | --- | --- | --- | --- |",
            ]
            for p in sorted(own, key=lambda p: p.name):
                rng = p.range + (" (list)" if p.multiple else "")
                if p.vocabulary:
                    rng = f"concept of `{p.vocabulary}`" + (" (list)" if p.multiple else "")
                lines.append(
                    f"| `{p.name}` | {rng} | {_mapping(p)} | {_property_flags(p)} | {p.definition} |"
                )
        shape = URIRef(f"https://w3id.org/rightsgraph/shapes#{cls.name}")
        if (shape, RDF.type, SH.NodeShape) in shapes:
            lines += [
                "",
                "Rules (SHACL):",
                "",
                "| rule | constraint | message |",
                "| --- | --- | --- |",
            ]
            for path, summary, message in _rules(shapes, shape):
                escaped = summary.replace("|", "\\|")
                lines.append(f"| `{path}` | {escaped} | {message} |")
    lines += ["", *_standard_terms(model)]
    lines += ["", "## Vocabularies", ""]
    for vocab in model.vocabularies.values():
        lines += [
            f"### {vocab.label} (`{vocab.name}`)",
            "",
            "| notation | label |",
            "| --- | --- |",
        ]
        lines += [f"| `{n}` | {vocab.labels[n]} |" for n in vocab.concepts]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_docs(path: Path = DOCS_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path
