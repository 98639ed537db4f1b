"""The JSON-LD context, generated from the ontology: a record is a compact JSON-LD node object."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rdflib import XSD

from ontology.model import ID_BASE, ONTOLOGY_DIR, RG, OntologyModel, load_model

CONTEXT_FILE = ONTOLOGY_DIR / "context.jsonld"


def build_context(model: OntologyModel | None = None) -> dict[str, Any]:
    model = model or load_model()
    ctx: dict[str, Any] = {
        "@version": 1.1,
        "@base": ID_BASE,
        "rg": str(RG),
        "xsd": str(XSD),
        "id": "@id",
        "type": "@type",
    }
    for cls in sorted(model.classes.values(), key=lambda c: c.name):
        ctx[cls.name] = f"rg:{cls.name}"
    for vocab in sorted(model.vocabularies.values(), key=lambda v: v.name):
        for notation, iri in sorted(vocab.concepts.items()):
            ctx[notation] = str(iri)
    for prop in sorted(model.properties.values(), key=lambda p: p.name):
        term: dict[str, Any] = {"@id": f"rg:{prop.name}"}
        if prop.kind == "literal" and prop.datatype is not None and prop.datatype != XSD.string:
            term["@type"] = f"xsd:{str(prop.datatype).rsplit('#', 1)[-1]}"
        elif prop.kind in ("link", "idlist"):
            term["@type"] = "@id"
        elif prop.kind == "vocab":
            term["@type"] = "@vocab"
        if prop.multiple:
            term["@container"] = "@set"
        ctx[prop.name] = term
    return {"@context": ctx}


def context_text(model: OntologyModel | None = None) -> str:
    return json.dumps(build_context(model), indent=2, ensure_ascii=False) + "\n"


def write_context(path: Path = CONTEXT_FILE) -> Path:
    path.write_text(context_text(), encoding="utf-8")
    return path
