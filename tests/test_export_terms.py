"""The export's fast paths say exactly what the general code says: escaping, id IRIs, typed
literals (cached), and pages read ahead in a thread (order, errors, an early close)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from rdflib import XSD, Literal

from export.rdf import _ESCAPES, _IRI_ESCAPES, iri_term, literal_body
from export.reader import prefetched
from ontology.model import ID_BASE, PropertySpec, id_to_iri
from ontology.records import to_literal

TEXTS = [
    "plain",
    'a "quote"',
    "back\\slash",
    "line\nbreak\r\t",
    "\x00\x1f\x7f",
    "é ü 中",
    "a b<c>{|}^`",
]


@pytest.mark.parametrize("text", TEXTS)
def test_escaping_only_what_needs_it_equals_escaping_everything(text: str) -> None:
    assert literal_body(text) == '"' + text.translate(_ESCAPES) + '"'
    assert iri_term(text) == "<" + text.translate(_IRI_ESCAPES) + ">"


@pytest.mark.parametrize(
    "node_id", ["gpfg", "contract-ocds-x:1", "a~b@c.d_e", "a b", "é", "a/b", ""]
)
def test_id_iris_equal_quoting_every_id(node_id: str) -> None:
    assert str(id_to_iri(node_id)) == ID_BASE + quote(node_id, safe=":@-._~")
    assert id_to_iri(node_id) == id_to_iri(node_id)  # cached or not, the same IRI


def _spec(datatype: object) -> PropertySpec:
    return PropertySpec("p", ID_BASE, "p", "", "literal", "Node", "x", datatype=datatype)  # type: ignore[arg-type]


def test_cached_typed_literals_keep_python_types_apart() -> None:
    flag = _spec(XSD.boolean)
    assert to_literal(flag, True) == Literal("true", datatype=XSD.boolean)
    assert to_literal(flag, 1) == Literal("1", datatype=XSD.boolean)  # True == 1, not here
    assert to_literal(flag, True) == Literal("true", datatype=XSD.boolean)
    amount = _spec(XSD.decimal)
    assert to_literal(amount, 1.5) == to_literal(amount, "1.5")
    assert to_literal(amount, [1]) is not None  # an unhashable value is not cached, still made
    assert to_literal(_spec(None), "x") == Literal("x")


def test_prefetched_pages_arrive_in_order_and_errors_reach_the_reader() -> None:
    assert list(prefetched(iter([[1], [2], [3]]))) == [[1], [2], [3]]

    def failing() -> Iterator[list[int]]:
        yield [1]
        raise RuntimeError("page 2 failed")

    pages = prefetched(failing())
    assert next(pages) == [1]
    with pytest.raises(RuntimeError, match="page 2 failed"):
        next(pages)


def test_closing_a_prefetched_stream_stops_its_thread() -> None:
    read: list[int] = []

    def endless() -> Iterator[list[int]]:
        n = 0
        while True:
            n += 1
            read.append(n)
            yield [n]

    before = threading.active_count()
    pages = prefetched(endless())
    assert next(pages) == [1]
    pages.close()
    assert threading.active_count() == before
    assert len(read) <= 3  # one page ahead, not the whole stream
