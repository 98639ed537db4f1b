"""JSON-LD: compact records under our context, as in case reports; `rightsgraph ingest` reads
it back.

Decimals are written as strings so that a JSON-LD processor types them `xsd:decimal` (a JSON
number with a fraction would become an xsd:double lexical form). Alignments are compact IRIs
(`owl:sameAs`, `prov:wasDerivedFrom`, `rdf:type`), which the report reader skips.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from rdflib import XSD, URIRef

from export.mapping import ExportedNode, ExportMapping
from export.rdf import SAFE_IDENTIFIER, RdfWriter, export_prefixes, node_triples
from ontology.context import build_context
from ontology.records import Record, canonical_decimal


class JsonLdWriter(RdfWriter):
    media_type = "application/ld+json"
    extension = ".jsonld"
    description = "JSON-LD"

    def __init__(self, mapping: ExportMapping):
        super().__init__(mapping)
        self._first = True
        self._context = self.context()
        self._evidence_types = [mapping.edge.name] + [
            self._compact(t) for t in mapping.external_types(mapping.edge.name)
        ]

    def context(self) -> dict[str, Any]:
        """Our context, plus the prefixes of the alignments where they name no term of ours."""
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
        objects = [self._json_record(node), *self._statements(node)]
        self.triples += sum(1 for _ in node_triples(self.mapping, node))
        text = ("" if self._first else ",\n") + ",\n".join(
            json.dumps(o, ensure_ascii=False) for o in objects
        )
        self._first = False
        return text

    def end(self) -> str:
        return "\n]}\n"

    def _statements(self, node: ExportedNode) -> Iterator[dict[str, Any]]:
        in_report = self.mapping.in_report.name
        for name, statements in sorted(node.link_reports.items()):
            if name == self.mapping.edge_spec.name:
                continue
            for target, reports in statements:
                yield {
                    "type": "rdf:Statement",
                    "rdf:subject": {"@id": node.record["id"]},
                    "rdf:predicate": {"@id": f"rg:{name}"},
                    "rdf:object": {"@id": target},
                    in_report: reports,
                }

    def _json_record(self, node: ExportedNode) -> dict[str, Any]:
        record = node.record
        mapping = self.mapping
        edge = mapping.edge_spec.name
        evidence_reports = {
            json.dumps(item, sort_keys=True, default=str): reports
            for item, reports in node.link_reports.get(edge, [])
        }
        specs = mapping.model.properties_of(record["type"])
        out: dict[str, Any] = {}
        for key, value in record.items():
            spec = specs.get(key)
            if spec is not None and spec.kind == "literal" and spec.datatype == XSD.decimal:
                value = [_decimal(v) for v in value] if isinstance(value, list) else _decimal(value)
            elif key == edge:
                value = [self._evidence_item(e, evidence_reports) for e in value]
            out[key] = value
        types = [self._compact(t) for t in mapping.external_types(record["type"])]
        if types:
            out["rdf:type"] = [{"@id": t} for t in types]
        same = []
        for key, value in record.items():
            spec = specs.get(key)
            pattern = mapping.same_as.get(spec.iri) if spec is not None else None
            if pattern is not None:
                for v in value if isinstance(value, list) else [value]:
                    if SAFE_IDENTIFIER.match(str(v)):
                        same.append({"@id": pattern.format(value=v)})
        if same:
            out["owl:sameAs"] = same
        sources = sorted({e[mapping.edge.edge_target] for e in record.get(edge, [])})
        if sources:
            out["prov:wasDerivedFrom"] = [{"@id": s} for s in sources]
        return out

    def _evidence_item(self, item: Record, reports: dict[str, list[str]]) -> Record:
        stated = reports.get(json.dumps(item, sort_keys=True, default=str))
        typed = {"type": self._evidence_types, **item}
        return {**typed, self.mapping.in_report.name: stated} if stated else typed

    def _compact(self, iri: URIRef) -> str:
        for prefix, ns in self._context.items():
            if isinstance(ns, str) and ns.endswith(("/", "#")) and str(iri).startswith(ns):
                return f"{prefix}:{str(iri)[len(ns) :]}"
        return str(iri)


def _decimal(value: Any) -> Any:
    text = canonical_decimal(value)
    return text if text is not None else value
