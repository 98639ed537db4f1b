"""JSON-LD: node objects under our context; `rightsgraph ingest` reads it back.

Written from the very triples the other formats write (`RdfWriter.node_triples`), so the three
are one graph. Every id is an absolute IRI (`https://w3id.org/rightsgraph/id/…`): an id such as
`contract-x:1` written bare would read as an IRI of scheme `contract-x`. Our properties use the
context's terms (a literal of the term's datatype as a plain string, so decimals keep their
lexical form); other vocabularies' properties are compact IRIs (`schema:name`) with explicit
value objects. An evidence entry is nested in the node it supports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from rdflib import RDF, XSD, BNode, Literal, URIRef
from rdflib.term import Node

from export.mapping import ExportedNode, ExportMapping
from export.rdf import RdfWriter, Triple, by_subject, export_prefixes
from ontology.context import build_context

Pairs = dict[Node, list[tuple[Node, Node]]]


class JsonLdWriter(RdfWriter):
    media_type = "application/ld+json"
    extension = ".jsonld"
    description = "JSON-LD"

    def __init__(self, mapping: ExportMapping, with_ontology: bool = False):
        super().__init__(mapping, with_ontology)
        self._first = True
        self._context = self.context()
        self._namespaces = sorted(
            ((p, ns) for p, ns in self._context.items() if isinstance(ns, str) and ns[-1:] in "/#"),
            key=lambda kv: -len(kv[1]),
        )
        self._terms: dict[str, tuple[str, str | None]] = {}  # property IRI -> (term, coercion)
        for spec in mapping.model.properties.values():
            term = self._context.get(spec.name)
            if isinstance(term, dict):
                self._terms[str(spec.iri)] = (spec.name, term.get("@type"))
        self._classes = {str(c.iri): c.name for c in mapping.model.classes.values()}
        self._blank = 0
        self._sets = {
            n for n, t in self._context.items() if isinstance(t, dict) and "@container" in t
        }

    def context(self) -> dict[str, Any]:
        """Our context, plus the prefixes of the other vocabularies where they name no term of
        ours."""
        ctx = build_context(self.mapping.model)["@context"]
        extra = {
            p: ns for p, ns in export_prefixes(self.mapping).items() if p not in ctx and p != "id"
        }
        return {**ctx, **extra}

    def begin(self) -> str:
        return (
            '{\n"@context": ' + json.dumps(self._context, ensure_ascii=False) + ',\n"@graph": [\n'
        )

    def node(self, node: ExportedNode) -> str:
        return self._objects(self.node_triples(node))

    def end(self) -> str:
        return self._objects(self.closing_triples()) + "\n]}\n"

    # -- triples -> node objects

    def _objects(self, triples: Iterable[Triple]) -> str:
        pairs = by_subject(triples)
        uses: dict[Node, int] = {}
        for values in pairs.values():
            for _, o in values:
                if isinstance(o, URIRef | BNode) and o in pairs:
                    uses[o] = uses.get(o, 0) + 1
        subjects = list(pairs)
        nested = {  # evidence entries, shapes' property nodes; list cells stay flat (depth)
            s for s in subjects[1:] if uses.get(s) == 1 and all(p != RDF.rest for p, _ in pairs[s])
        }
        labels: dict[BNode, str] = {}
        objects = [self._object(s, pairs, nested, labels) for s in subjects if s not in nested]
        if not objects:
            return ""
        text = ("" if self._first else ",\n") + ",\n".join(
            json.dumps(o, ensure_ascii=False) for o in objects
        )
        self._first = False
        return text

    def _object(
        self, subject: Node, pairs: Pairs, nested: set[Node], labels: dict[BNode, str]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if isinstance(subject, URIRef):
            out["id"] = str(subject)
        elif subject not in nested:
            out["id"] = self._label(subject, labels)
        types: list[str] = []
        values: dict[str, list[Any]] = {}
        for p, o in pairs[subject]:
            if p == RDF.type and isinstance(o, URIRef):
                types.append(self._classes.get(str(o)) or self._compact(str(o)))
                continue
            key, coercion = self._terms.get(str(p)) or (self._compact(str(p)), None)
            if isinstance(o, URIRef | BNode) and o in nested:
                value: Any = self._object(o, pairs, nested, labels)
            else:
                value = self._value(o, coercion, labels)
            values.setdefault(key, []).append(value)
        if types:
            out["type"] = types
        for key, items in values.items():
            out[key] = items if len(items) > 1 or key in self._sets else items[0]
        return out

    def _value(self, term: Node, coercion: str | None, labels: dict[BNode, str]) -> Any:
        if isinstance(term, BNode):
            return {"@id": self._label(term, labels)}
        if isinstance(term, URIRef):
            return str(term) if coercion in ("@id", "@vocab") else {"@id": str(term)}
        if not isinstance(term, Literal):
            raise TypeError(f"not an RDF term: {term!r}")
        text = str(term)
        if term.language:
            return {"@value": text, "@language": term.language}
        datatype = term.datatype or XSD.string
        if coercion is not None and coercion not in ("@id", "@vocab"):
            if self._expand(coercion) == str(datatype):
                return text
        elif coercion is None and datatype == XSD.string:
            return text
        return {"@value": text, "@type": self._compact(str(datatype))}

    def _label(self, node: BNode, labels: dict[BNode, str]) -> str:
        if node not in labels:
            self._blank += 1
            labels[node] = f"_:b{self._blank}"
        return labels[node]

    def _compact(self, iri: str) -> str:
        for prefix, ns in self._namespaces:
            if iri.startswith(ns) and ":" not in iri[len(ns) :]:
                return f"{prefix}:{iri[len(ns) :]}"
        return iri

    def _expand(self, compact: str) -> str:
        prefix, _, local = compact.partition(":")
        ns = self._context.get(prefix)
        return ns + local if isinstance(ns, str) else compact
