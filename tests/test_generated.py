"""Generated artefacts are generated: the committed copies equal what the ontology gives now."""

from __future__ import annotations

from ontology.context import CONTEXT_FILE, context_text
from ontology.docs import DOCS_FILE, render


def test_jsonld_context_is_up_to_date() -> None:
    assert CONTEXT_FILE.read_text(encoding="utf-8") == context_text(), (
        "run `rightsgraph ontology generate`"
    )


def test_ontology_docs_are_up_to_date() -> None:
    assert DOCS_FILE.read_text(encoding="utf-8") == render(), "run `rightsgraph ontology generate`"
