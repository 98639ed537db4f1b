"""The /cypher guard reads a query as Neo4j 5.26 does (issue 19, item 1): every candidate line
terminator, look-alike and escape is sent to the real server and to the guard, and wherever the
guard lets a text through, both agree on where comments, strings and names end. The same
comparison runs over generated texts (hypothesis). No query here writes: each is a RETURN."""

from __future__ import annotations

import unicodedata

import neo4j
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j import Driver

from api.cypher import QueryRefused, check_query, decode_escapes, tokenize

# characters another lexer might end a line or a comment at, and Unicode's own line separators
TERMINATORS = [chr(c) for c in range(0x20)] + [
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\u000b",
    "\u000c",
    "\u001c",
    "\u001d",
    "\u001e",
]
# characters that look like or normalise to a quote, backtick, slash, backslash or letter
CONFUSABLES = [
    "\uff07",  # FULLWIDTH APOSTROPHE
    "\u2018",
    "\u2019",
    "\u02bc",
    "\u201c",
    "\u201d",
    "\uff02",  # FULLWIDTH QUOTATION MARK
    "\uff40",  # FULLWIDTH GRAVE ACCENT
    "\u2215",  # DIVISION SLASH
    "\u2044",  # FRACTION SLASH
    "\uff0f",  # FULLWIDTH SOLIDUS
    "\uff3c",  # FULLWIDTH REVERSE SOLIDUS
    "\ufe68",  # SMALL REVERSE SOLIDUS
    "\u0430",  # CYRILLIC SMALL LETTER A
    "\uff2c",  # FULLWIDTH LATIN CAPITAL LETTER L
    "\u00a0",
    "\u3000",
    "\ufeff",
]


def server_columns(driver: Driver, query: str) -> list[str] | None:
    """The columns Neo4j reads in the query (EXPLAIN: nothing runs), None on a syntax error."""
    try:
        with driver.session(default_access_mode=neo4j.READ_ACCESS) as session:
            result = session.run("EXPLAIN " + query)
            columns = list(result.keys())
            result.consume()
            return columns
    except neo4j.exceptions.ClientError:
        return None


def guard_columns(query: str) -> list[str] | None:
    """The columns the guard's tokens name (`AS x`), None when the guard refuses the text."""
    try:
        check_query(query)
    except QueryRefused:
        return None
    tokens = tokenize(decode_escapes(query))
    return [
        tokens[i + 1].text
        for i in range(len(tokens) - 1)
        if tokens[i].kind == "word" and tokens[i].text.upper() == "AS"
    ]


def agree(driver: Driver, query: str) -> None:
    guard = guard_columns(query)
    if guard is not None:  # what the guard lets through, Neo4j reads the same way or not at all
        server = server_columns(driver, query)
        # unaliased expressions (`RETURN ''`) are named after their text: not aliases
        aliases = None if server is None else [c for c in server if c.isidentifier()]
        assert aliases is None or aliases == guard, repr(query)


@pytest.mark.parametrize("char", TERMINATORS, ids=lambda c: f"U+{ord(c):04X}")
def test_line_terminators_end_comments_for_both_or_are_refused(driver: Driver, char: str) -> None:
    query = f"RETURN 1 AS a // x{char}, 2 AS b"
    agree(driver, query)
    agree(driver, f"RETURN 1 AS a // x\\u{ord(char):04x}, 2 AS b")  # the same, escaped
    ends = server_columns(driver, query) == ["a", "b"]  # None: part of the comment or refused
    assert ends == (char in "\n\r"), "Neo4j 5.26 ends `//` comments at \\n and \\r only"
    if char not in "\t\n\r":
        with pytest.raises(QueryRefused):
            check_query(query)


@pytest.mark.parametrize("char", CONFUSABLES, ids=lambda c: unicodedata.name(c, hex(ord(c))))
def test_look_alikes_are_refused_outside_literals_and_inert_inside(
    driver: Driver, char: str
) -> None:
    for outside in (f"RETURN 1 AS a{char}", f"RETURN 1 AS a // {char}", f"RETURN {char}1{char}"):
        with pytest.raises(QueryRefused, match="outside a string literal|not allowed"):
            check_query(outside)
    inside = f"RETURN '{char}' AS a, 1 AS `{char}`"
    if unicodedata.category(char) != "Cf":
        assert guard_columns(inside) == ["a", char] == server_columns(driver, inside)


def test_unicode_escapes_are_read_as_neo4j_reads_them(driver: Driver) -> None:
    for query in (
        "RETURN 'a\\u0027 AS s, 'b' AS t",  # the escape ends the string for Neo4j
        "RETURN 1 AS a //x\\u000a, 2 AS b",  # and the comment
        "RETURN 1 AS \\u0061",
        "RETURN 'a\\\\u0027' AS s",  # an escaped backslash escapes nothing
        "RETURN '\\\\\\u0027 AS s, 1 AS t",
    ):
        agree(driver, query)
    assert guard_columns("RETURN 'a\\u0027 AS s, 'b' AS t") == ["s", "t"]
    for sloppy in ("RETURN '\\u+027'", "RETURN '\\u00'", "RETURN '\\u００２７'"):
        with pytest.raises(QueryRefused, match="four ASCII hex digits"):
            check_query(sloppy)


PIECES = st.sampled_from(
    [
        "//",
        "/*",
        "*/",
        "'",
        '"',
        "`",
        "\\",
        "\\u0027",
        "\\u000a",
        "\\u000d",
        "\\u0060",
        "\\u002f",
        "\n",
        "\r",
        "\r\n",
        "\u2028",
        "\u0085",
        "\uff07",
        " ",
        "x",
        ", 2 AS b",
        ", 3 AS c",
    ]
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(PIECES, max_size=8).map("".join))
def test_generated_texts_never_read_differently(driver: Driver, middle: str) -> None:
    agree(driver, f"RETURN 1 AS a {middle}")
    agree(driver, f"RETURN '{middle}' AS a")
