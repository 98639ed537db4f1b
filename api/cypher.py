"""Read-only Cypher for investigators: refuse anything that is not a read, then run it in a READ
transaction bounded in time, rows and bytes.

Locks, each enough on its own for what it stops (docs/security.md says which server setting backs
which):
1. `check_query`, a guard on the text that lexes it as Neo4j 5.26 does: `\\uXXXX` escapes are
   decoded first, everywhere (Neo4j's lexer does that before it reads a token), `//` comments end
   at `\\n` or `\\r` only, no normalisation the server does not do; then control and invisible
   characters refused, and any non-ASCII character or backslash outside string literals and
   backtick-quoted names (no look-alikes); write clauses, LOAD CSV, SHOW, TERMINATE and every
   administration command refused, as are several statements, procedure calls outside
   `ALLOWED_PROCEDURES`, user-defined functions and `range(...)` calls the guard can see are huge;
2. `EXPLAIN` of the query: Neo4j's own plan must say the query type is read (`"r"`);
3. the query runs in a transaction of a READ_ACCESS session, which Neo4j stops from writing,
   and is rolled back whatever it did; the server's own configuration refuses LOAD CSV files and
   URLs and bounds each transaction's time and memory (core/neo4j_local.py, docker/neo4j).
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import neo4j
from neo4j import Driver
from neo4j.graph import Node, Path, Relationship
from neo4j.spatial import Point

from api.errors import ApiProblem
from core.names import SYSTEM_LABEL, SYSTEM_PREFIX

MAX_QUERY_CHARS = 100_000
MAX_NESTING = 100
# the most items the guard lets `range(...)` calls it can evaluate produce (their product, for
# ranges nested in one query): Neo4j evaluates a `reduce` or list comprehension over a range in
# one tight loop that neither the transaction timeout nor TERMINATE interrupts
MAX_RANGE_ITEMS = 1_000_000
RANGE_BOUND_FUNCTIONS = frozenset({"size", "length"})
APP_TAG = "rightsgraph-cypher"  # transaction metadata `app` of every /cypher transaction

# read-only procedures an investigator may CALL (exact names, compared case-insensitively)
ALLOWED_PROCEDURES = frozenset(
    {
        "db.labels",
        "db.relationshipTypes",
        "db.propertyKeys",
        "db.schema.visualization",
        "db.schema.nodeTypeProperties",
        "db.schema.relTypeProperties",
        "db.index.fulltext.queryNodes",
        "db.index.fulltext.queryRelationships",
    }
)
# namespaces of Neo4j's built-in functions (`date.truncate`, `point.distance`, …); any other
# namespaced function is a user-defined one (APOC and friends) and refused
FUNCTION_NAMESPACES = frozenset(
    {"date", "datetime", "localdatetime", "localtime", "time", "duration", "point", "vector"}
)
ALLOWED_FUNCTIONS = frozenset({"db.nameFromElementId"})

_ADMIN = "is an administration command"
# words that start or make a write, an import or an administration command
WRITE_WORDS = {
    "CREATE": "CREATE writes",
    "MERGE": "MERGE writes",
    "SET": "SET writes",
    "DELETE": "DELETE writes",
    "DETACH": "DETACH DELETE writes",
    "NODETACH": "NODETACH DELETE writes",
    "REMOVE": "REMOVE writes",
    "FOREACH": "FOREACH is only useful for writes",
    "INSERT": "INSERT writes",
    "LOAD": "LOAD CSV reads files and URLs from the server",
    "PERIODIC": "USING PERIODIC COMMIT is a write",
    "COMMIT": "transaction control is not allowed",
    "ROLLBACK": "transaction control is not allowed",
    "BEGIN": "transaction control is not allowed",
    "DROP": f"DROP {_ADMIN}",
    "ALTER": f"ALTER {_ADMIN}",
    "RENAME": f"RENAME {_ADMIN}",
    "GRANT": f"GRANT {_ADMIN}",
    "DENY": f"DENY {_ADMIN}",
    "REVOKE": f"REVOKE {_ADMIN}",
    "SHOW": f"SHOW {_ADMIN}",
    "TERMINATE": f"TERMINATE {_ADMIN}",
    "STOP": f"STOP {_ADMIN}",
    "ENABLE": f"ENABLE {_ADMIN}",
    "DISABLE": f"DISABLE {_ADMIN}",
    "DEALLOCATE": f"DEALLOCATE {_ADMIN}",
    "REALLOCATE": f"REALLOCATE {_ADMIN}",
    "DRYRUN": f"DRYRUN {_ADMIN}",
    "SUSPENDED": f"SET STATUS SUSPENDED {_ADMIN}",
    "USE": "USE selects another database; queries run on the graph only",
    "EXPLAIN": "EXPLAIN and PROFILE are added by the server, not by the query",
    "PROFILE": "EXPLAIN and PROFILE are added by the server, not by the query",
    "CYPHER": "query options (CYPHER …) are not allowed",
    "CONCURRENT": "CALL { … } IN TRANSACTIONS writes in batches",
}
# a word refused only before one of these (START as a variable name is common)
WRITE_PAIRS = {
    ("START", "DATABASE"): f"START DATABASE {_ADMIN}",
    ("START", "DATABASES"): f"START DATABASE {_ADMIN}",
    ("START", "SERVER"): f"START SERVER {_ADMIN}",
    ("IN", "TRANSACTIONS"): "CALL { … } IN TRANSACTIONS writes in batches",
}
# the only characters that end a `//` comment in Neo4j 5.26 (tested against the server for
# every code point: tests/test_cypher_lexing.py)
LINE_TERMINATORS = "\n\r"
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_HEX = frozenset("0123456789abcdefABCDEF")


class QueryRefused(ApiProblem):
    status, title, kind = 422, "Query refused", "cypher-refused"


class QueryBusy(ApiProblem):
    """Too many /cypher queries at once, for this key (429) or for the server (503)."""

    status, title, kind = 429, "Too many queries", "cypher-busy"


class QueryTimedOut(ApiProblem):
    status, title, kind = 422, "Query timed out", "cypher-timeout"


@dataclass(frozen=True)
class Token:
    kind: str  # word | name (backtick-quoted) | param | string | number | punct
    text: str


def _refuse(reason: str) -> QueryRefused:
    return QueryRefused(reason)


def decode_escapes(text: str) -> str:
    """The text as Neo4j's lexer reads it: every `\\u` followed by four hex digits replaced by
    that character, in strings, names and comments alike, unless the backslash is itself escaped
    (an odd run of backslashes before `u`). Neo4j's decoder also accepts forms Java's
    `Integer.parseInt` takes (a sign, non-ASCII digits, fewer digits at the end); those are
    refused here rather than imitated."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i, n, escaped = 0, len(text), False
    while i < n:
        c = text[i]
        if not escaped and c == "\\" and i + 1 < n and text[i + 1] == "u":
            digits = text[i + 2 : i + 6]
            if len(digits) != 4 or not set(digits) <= _HEX:
                raise _refuse(
                    f"\\u at offset {i} must be followed by four ASCII hex digits "
                    f"(found {digits!r})"
                )
            out.append(chr(int(digits, 16)))
            i += 6
            escaped = False
            continue
        escaped = not escaped and c == "\\"
        out.append(c)
        i += 1
    return "".join(out)


def _check_characters(query: str) -> None:
    for index, char in enumerate(query):
        if char in _ALLOWED_CONTROLS:
            continue
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES:
            name = unicodedata.name(char, "")
            raise _refuse(
                f"character U+{ord(char):04X}{' ' + name if name else ''} (category {category}) at "
                f"offset {index} is not allowed: control, invisible and bidirectional characters "
                "can hide text"
            )


def _outside_literal(char: str, index: int) -> QueryRefused:
    name = unicodedata.name(char, "")
    what = f"U+{ord(char):04X}{' ' + name if name else ''}"
    if char == "\\":
        return _refuse(
            f"a backslash at offset {index} outside a string literal: Neo4j reads escapes there"
        )
    return _refuse(
        f"character {what} at offset {index} is outside a string literal or `quoted name`: only "
        "ASCII is allowed there, so no look-alike can stand for a quote, a letter or a newline"
    )


def tokenize(text: str) -> list[Token]:
    """Cypher tokens of already decoded text (`decode_escapes`); comments dropped, literals and
    quoted names kept apart from words. Non-ASCII and backslashes outside literals are refused."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\n\r":
            i += 1
        elif c > "\x7f" or c == "\\" or (c < " " and c not in "\t\n\r"):
            raise _outside_literal(c, i)
        elif text.startswith("//", i):
            j = i + 2
            while j < n and text[j] not in LINE_TERMINATORS:
                if text[j] > "\x7f":
                    raise _outside_literal(text[j], j)
                j += 1
            i = j
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise _refuse("unterminated /* comment")
            for j in range(i + 2, end):
                if text[j] > "\x7f":
                    raise _outside_literal(text[j], j)
            i = end + 2
        elif c in "'\"":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise _refuse("unterminated string literal")
            tokens.append(Token("string", text[i + 1 : j]))
            i = j + 1
        elif c == "`":
            j, parts = i + 1, []
            while True:
                end = text.find("`", j)
                if end < 0:
                    raise _refuse("unterminated `quoted name`")
                parts.append(text[j:end])
                if text.startswith("``", end):  # a doubled backtick is one backtick
                    parts.append("`")
                    j = end + 2
                    continue
                break
            tokens.append(Token("name", "".join(parts)))
            i = end + 1
        elif c == "$":
            j = i + 1
            if j < n and text[j] == "`":
                end = text.find("`", j + 1)
                if end < 0:
                    raise _refuse("unterminated `quoted name`")
                j = end + 1
            else:
                while j < n and (text[j].isalnum() or text[j] == "_") and text[j] < "\x80":
                    j += 1
            tokens.append(Token("param", text[i:j]))
            i = j
        elif c.isalpha() or c == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_") and text[j] < "\x80":
                j += 1
            tokens.append(Token("word", text[i:j]))
            i = j
        elif c.isdigit():
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "_.") and text[j] < "\x80":
                if text[j] == "." and not (j + 1 < n and text[j + 1].isdigit()):
                    break
                j += 1
            tokens.append(Token("number", text[i:j]))
            i = j
        else:
            tokens.append(Token("punct", c))
            i += 1
    return tokens


def _punct(tokens: list[Token], index: int, chars: str) -> bool:
    return (
        0 <= index < len(tokens) and tokens[index].kind == "punct" and tokens[index].text in chars
    )


def _dotted_name(tokens: list[Token], start: int) -> tuple[str, int]:
    """`a.b.c` from tokens[start] (words or quoted names): the name and the index after it."""
    parts, i = [], start
    while i < len(tokens) and tokens[i].kind in ("word", "name"):
        parts.append(tokens[i].text)
        if (
            _punct(tokens, i + 1, ".")
            and i + 2 < len(tokens)
            and tokens[i + 2].kind in ("word", "name")
        ):
            i += 2
            continue
        i += 1
        break
    return ".".join(parts), i


def _statement_tokens(tokens: list[Token]) -> list[Token]:
    """The tokens without one trailing `;` (Neo4j accepts it); any other `;` is refused."""
    if tokens and _punct(tokens, len(tokens) - 1, ";"):
        tokens = tokens[:-1]
    if any(_punct(tokens, i, ";") for i in range(len(tokens))):
        raise _refuse("one statement only: ';' is allowed only at the end")
    return tokens


def _check_tokens(tokens: list[Token]) -> None:
    if not tokens:
        raise _refuse("the query is empty")
    depth = 0
    for index, token in enumerate(tokens):
        if token.kind == "punct":
            if token.text in "([{":
                depth += 1
                if depth > MAX_NESTING:
                    raise _refuse(f"the query nests brackets deeper than {MAX_NESTING} levels")
            elif token.text in ")]}":
                depth -= 1
            continue
        if token.kind != "word":
            continue
        # a property key (n.set), a label or type (:Set), a map key ({set: 1}) or an alias
        # (AS set) is a name, not a clause
        if _punct(tokens, index - 1, ".:") or _punct(tokens, index + 1, ":"):
            continue
        if (
            index > 0
            and tokens[index - 1].kind == "word"
            and tokens[index - 1].text.upper() == "AS"
        ):
            continue
        word = token.text.upper()
        if word in WRITE_WORDS:
            raise _refuse(f"{word} is refused ({WRITE_WORDS[word]}): /cypher runs reads only")
        nxt = tokens[index + 1] if index + 1 < len(tokens) else None
        if nxt is not None and nxt.kind == "word" and (word, nxt.text.upper()) in WRITE_PAIRS:
            reason = WRITE_PAIRS[(word, nxt.text.upper())]
            raise _refuse(
                f"{word} {nxt.text.upper()} is refused ({reason}): /cypher runs reads only"
            )
        if word == "CALL":
            _check_call(tokens, index)
    _check_functions(tokens)


def _check_call(tokens: list[Token], index: int) -> None:
    if _punct(tokens, index + 1, "({"):
        return  # a subquery: its body is checked like the rest
    name, _ = _dotted_name(tokens, index + 1)
    if not name:
        raise _refuse("CALL must name a procedure or open a subquery")
    if name.casefold() not in {p.casefold() for p in ALLOWED_PROCEDURES}:
        raise _refuse(
            f"procedure {name} is not allowed; allowed: {', '.join(sorted(ALLOWED_PROCEDURES))}"
        )


def _check_functions(tokens: list[Token]) -> None:
    for index, token in enumerate(tokens):
        if token.kind not in ("word", "name") or _punct(tokens, index - 1, ".:"):
            continue
        if (
            index > 0
            and tokens[index - 1].kind == "word"
            and tokens[index - 1].text.upper() == "CALL"
        ):
            continue
        name, after = _dotted_name(tokens, index)
        if "." not in name or not _punct(tokens, after, "("):
            continue
        namespace = name.split(".")[0].casefold()
        if namespace in FUNCTION_NAMESPACES or name.casefold() in {
            f.casefold() for f in ALLOWED_FUNCTIONS
        }:
            continue
        raise _refuse(f"function {name} is not allowed: only Neo4j's built-in functions are")


def _number(text: str) -> int | float | None:
    """The value of a Cypher number literal (decimal, 0x…, 0o…, exponent), None if unreadable."""
    plain = text.replace("_", "")
    try:
        return int(plain, 0) if plain[:2].lower() in ("0x", "0o") else int(plain)
    except ValueError:
        pass
    try:
        return float(plain)
    except ValueError:
        return None


def _arguments(tokens: list[Token], open_index: int) -> list[list[Token]]:
    """The comma-separated argument tokens of the call whose `(` is at open_index."""
    args: list[list[Token]] = [[]]
    depth = 0
    for token in tokens[open_index + 1 :]:
        if token.kind == "punct" and token.text in "([{":
            depth += 1
        elif token.kind == "punct" and token.text in ")]}":
            if depth == 0:
                return args
            depth -= 1
        elif token.kind == "punct" and token.text == "," and depth == 0:
            args.append([])
            continue
        args[-1].append(token)
    return args


def _bound(arg: list[Token], parameters: dict[str, Any]) -> int | float | None:
    """A range bound the guard can evaluate: a (signed) literal or a parameter; None when it
    depends on data. Refused: numbers past the limit anywhere in it, and operators that make
    large numbers from small ones."""
    sign, rest = 1, arg
    if rest and rest[0].kind == "punct" and rest[0].text in "+-":
        sign, rest = (-1 if rest[0].text == "-" else 1), rest[1:]
    if len(rest) == 1 and rest[0].kind == "number":
        value = _number(rest[0].text)
        return None if value is None else sign * value
    if len(rest) == 1 and rest[0].kind == "param":
        value = parameters.get(rest[0].text[1:].strip("`"))
        return (
            sign * value if isinstance(value, int | float) and not isinstance(value, bool) else None
        )
    i = 0
    while i < len(arg):
        token = arg[i]
        if token.kind == "word" and _punct(arg, i + 1, "("):
            inner = _arguments(arg, i + 1)
            simple = len(inner) == 1 and all(
                t.kind in ("word", "name", "param") or (t.kind == "punct" and t.text == ".")
                for t in inner[0]
            )
            if token.text.lower() not in RANGE_BOUND_FUNCTIONS or not simple:
                raise _refuse(
                    f"a range bound may call only {'/'.join(sorted(RANGE_BOUND_FUNCTIONS))} of a "
                    f"variable, property or parameter, not {token.text}(...): write it as a "
                    "literal or a parameter"
                )
            i += len(inner[0]) + 3
            continue
        if token.kind == "punct" and token.text not in "+-.()":
            raise _refuse(
                f"range bounds may add and subtract, not use {token.text!r}: write the bound as a "
                "literal or a parameter"
            )
        if token.kind in ("number", "param"):
            value = _bound([token], parameters)
            if value is None or abs(value) > MAX_RANGE_ITEMS:
                raise _refuse(f"a range bound over {MAX_RANGE_ITEMS:,} is not allowed")
        if token.kind == "string":
            raise _refuse("a range bound may not hold a string")
        i += 1
    return None


def _check_ranges(tokens: list[Token], parameters: dict[str, Any]) -> None:
    """Refuse `range(...)` calls that produce more than MAX_RANGE_ITEMS items (their product when
    there are several: nested comprehensions multiply)."""
    total = 1
    for index, token in enumerate(tokens):
        if (
            token.kind != "word"
            or token.text.lower() != "range"
            or not _punct(tokens, index + 1, "(")
            or _punct(tokens, index - 1, ".:")
        ):
            continue
        args = _arguments(tokens, index + 1)
        bounds = [_bound(arg, parameters) for arg in args]
        if len(bounds) < 2 or bounds[0] is None or bounds[1] is None:
            continue
        step = bounds[2] if len(bounds) > 2 else 1
        if step is None or step == 0:
            continue
        items = max(0, int((bounds[1] - bounds[0]) // step) + 1)
        total *= max(items, 1)
        if total > MAX_RANGE_ITEMS:
            raise _refuse(
                f"range(...) calls that make more than {MAX_RANGE_ITEMS:,} items are refused: "
                "Neo4j cannot stop a reduce or comprehension over them in time"
            )


def check_query(query: str, parameters: dict[str, Any] | None = None) -> None:
    """Raise QueryRefused unless the text is one read-only query we can vouch for."""
    if len(query) > MAX_QUERY_CHARS:
        raise _refuse(f"the query has {len(query):,} characters; at most {MAX_QUERY_CHARS:,}")
    _check_characters(query)
    decoded = decode_escapes(query)
    _check_characters(decoded)
    tokens = _statement_tokens(tokenize(decoded))
    _check_tokens(tokens)
    _check_system_names(tokens, parameters or {})
    _check_ranges(tokens, parameters or {})


def _mentions_system(value: Any) -> bool:
    if isinstance(value, str):
        return SYSTEM_PREFIX in value.casefold()
    if isinstance(value, dict):
        return any(_mentions_system(k) or _mentions_system(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_mentions_system(v) for v in value)
    return False


def _check_system_names(tokens: list[Token], parameters: dict[str, Any]) -> None:
    """The API's own data (keys, audit log: labels and properties starting `rgsystem`) is no
    part of the graph: refuse any word, quoted name, string or parameter that names it."""
    if any(_mentions_system(t.text) for t in tokens) or _mentions_system(parameters):
        raise _refuse(
            f"names starting {SYSTEM_PREFIX!r} are the API's own data (keys, audit log), "
            "not part of the graph"
        )


def carries_system_data(value: Any) -> bool:
    """Whether a value read from Neo4j is or holds a node of the API's own data (`:RgSystem`),
    or a map with one of its property names: such rows are withheld from /cypher answers."""
    if isinstance(value, Node):
        return SYSTEM_LABEL in value.labels or any(
            k.casefold().startswith(SYSTEM_PREFIX) for k in value
        )
    if isinstance(value, Relationship):
        return any(carries_system_data(n) for n in value.nodes)
    if isinstance(value, Path):
        return any(carries_system_data(n) for n in value.nodes)
    if isinstance(value, dict):
        return any(
            str(k).casefold().startswith(SYSTEM_PREFIX) or carries_system_data(v)
            for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return any(carries_system_data(v) for v in value)
    return False


EXPLAIN_PREFIX = "EXPLAIN "
_POSITION = re.compile(r"\(line (\d+), column (\d+) \(offset: (\d+)\)\)")


def user_positions(message: str, shift: int = len(EXPLAIN_PREFIX)) -> str:
    """A Neo4j error message about `EXPLAIN <query>` with its positions and excerpt moved back
    onto the caller's own text (the prefix is on line 1 only)."""

    def move(match: re.Match[str]) -> str:
        line, column, offset = (int(g) for g in match.groups())
        if line == 1:
            column = max(column - shift, 1)
        return f"(line {line}, column {column} (offset: {max(offset - shift, 0)}))"

    message = _POSITION.sub(move, message)
    lines = message.split("\n")
    for index, text in enumerate(lines):
        if text.startswith('"' + EXPLAIN_PREFIX):
            lines[index] = '"' + text[1 + len(EXPLAIN_PREFIX) :]
            if index + 1 < len(lines) and lines[index + 1].startswith(" " * shift):
                lines[index + 1] = lines[index + 1][shift:]
            break
    return "\n".join(lines)


def check_plan(
    session: neo4j.Session, query: str, parameters: dict[str, Any], timeout: float
) -> None:
    """Neo4j's own verdict: the EXPLAIN plan of a read has query type "r"."""
    explain = neo4j.Query(EXPLAIN_PREFIX + query, timeout=timeout)  # type: ignore[arg-type]
    try:
        summary = session.run(explain, parameters).consume()
    except neo4j.exceptions.ClientError as exc:
        if ".Statement." not in (exc.code or ""):
            raise
        # positions and excerpt as in the caller's text, not in ours with EXPLAIN before it
        raise _refuse(
            f"Neo4j refused the query: {user_positions(exc.message or exc.code or '')}"
        ) from None
    if summary.query_type != "r":
        kinds = {"rw": "reads and writes", "w": "writes", "s": "changes the schema"}
        what = kinds.get(summary.query_type or "", f"is of type {summary.query_type!r}")
        raise _refuse(f"Neo4j's plan says this query {what}; /cypher runs reads only")


@dataclass
class CypherResult:
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool
    truncated_by: str | None = None  # "rows" or "bytes"
    bytes: int = 0


@dataclass
class _Run:
    """One query in its worker thread: the session (so it can be severed) and how it ended."""

    session: neo4j.Session | None = None
    result: CypherResult | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


def _sever(session: neo4j.Session | None) -> None:
    """Cut the session's connection at the socket, so a worker blocked on a query that ignores
    its timeout returns at once and the server sees the client gone (the driver offers no public
    way to abort a running query from another thread)."""
    connection = getattr(session, "_connection", None)
    bolt_socket = getattr(connection, "socket", None)
    raw = getattr(bolt_socket, "_socket", bolt_socket)
    if isinstance(raw, socket.socket):
        with suppress(OSError):
            raw.shutdown(socket.SHUT_RDWR)


def _stream(
    result: neo4j.Result, max_rows: int, max_bytes: int
) -> tuple[list[dict[str, Any]], str | None, int]:
    """Rows as JSON-ready maps until `max_rows` rows or `max_bytes` bytes of JSON (each row
    measured as it arrives), and what cut them short."""
    rows: list[dict[str, Any]] = []
    size = 0
    for record in result:
        if any(carries_system_data(v) for v in record.values()):
            continue  # the second lock on the API's own data (the guard refuses its names)
        if len(rows) >= max_rows:
            return rows, "rows", size
        row = {key: plain(value) for key, value in record.items()}
        row_bytes = len(json.dumps(row, ensure_ascii=False, default=str).encode("utf-8")) + 1
        if size + row_bytes > max_bytes:
            return rows, "bytes", size
        size += row_bytes
        rows.append(row)
    return rows, None, size


def run_read_query(
    driver: Driver,
    database: str,
    query: str,
    parameters: dict[str, Any],
    *,
    timeout: float,
    max_rows: int,
    max_bytes: int = 8 * 1024 * 1024,
    explain: bool = True,
    metadata: dict[str, Any] | None = None,
    grace: float = 2.0,
) -> CypherResult:
    """Plan (unless `explain` is false: tests prove the READ transaction alone holds), then run
    in a READ transaction that is rolled back; at most `max_rows` rows and `max_bytes` bytes.

    Plan and run share `timeout` seconds; the transaction carries what is left of it and
    `metadata` (with `app` = APP_TAG and a `request` id). Should the server not have stopped it
    `grace` seconds past the timeout, the connection is cut, Neo4j is asked to terminate the
    transaction, and QueryTimedOut raised."""
    tag = {"app": APP_TAG, "request": uuid.uuid4().hex, **(metadata or {})}
    run = _Run()

    def work() -> None:
        try:
            with driver.session(
                database=database, default_access_mode=neo4j.READ_ACCESS, fetch_size=100
            ) as session:
                run.session = session
                if explain:
                    check_plan(session, query, parameters, timeout)
                left = max(timeout - (time.monotonic() - began), 0.1)  # the plan counts too
                with session.begin_transaction(timeout=left, metadata=tag) as tx:
                    result = tx.run(query, parameters)
                    columns = list(result.keys())
                    rows, cut, size = _stream(result, max_rows, max_bytes)
                    tx.rollback()
                run.result = CypherResult(columns, rows, cut is not None, cut, size)
        except BaseException as exc:  # handed to the caller's thread
            run.error = exc
        finally:
            run.done.set()

    worker = threading.Thread(target=work, name="cypher-query", daemon=True)
    began = time.monotonic()
    worker.start()
    if not run.done.wait(timeout + grace):
        _sever(run.session)
        terminate_transactions(driver, tag["request"])
        raise QueryTimedOut(
            f"the query ran longer than {timeout:g} s; its connection was closed and Neo4j "
            f"asked to stop it ({time.monotonic() - began:.1f} s)"
        )
    if run.error is not None:
        raise run.error
    assert run.result is not None
    return run.result


def terminate_transactions(driver: Driver, request: str) -> int:
    """Ask Neo4j to stop the transactions of one /cypher request (by its metadata); the number
    asked. Best effort: a query in a tight loop may not notice."""
    with suppress(neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError, OSError):
        rows, _, _ = driver.execute_query(
            "SHOW TRANSACTIONS YIELD transactionId, metaData "
            "WHERE metaData.app = $app AND metaData.request = $request "
            "RETURN collect(transactionId) AS ids",
            app=APP_TAG,
            request=request,
            database_="system",
        )
        ids = rows[0]["ids"] if rows else []
        if ids:
            driver.execute_query("TERMINATE TRANSACTIONS $ids", ids=ids, database_="system")
        return len(ids)
    return 0


def running_queries(driver: Driver) -> list[str | None]:
    """The key ids of the /cypher transactions Neo4j is running now (by their metadata), also
    those whose callers gave up on them."""
    rows, _, _ = driver.execute_query(
        "SHOW TRANSACTIONS YIELD metaData WHERE metaData.app = $app RETURN metaData.key AS key",
        app=APP_TAG,
        database_="system",
    )
    return [row["key"] for row in rows]


class Concurrency:
    """At most one /cypher query per key and `limit` in all, counted twice: in this process
    (queries whose worker is still busy, also after a timeout) and on the server (transactions
    tagged with APP_TAG, from every API process)."""

    def __init__(self, limit: int):
        self.limit = limit
        self._lock = threading.Lock()
        self._busy: dict[str | None, int] = {}

    @contextmanager
    def slot(self, driver: Driver, key: str | None) -> Iterator[None]:
        with self._lock:
            if self._busy.get(key):
                raise QueryBusy(
                    "this key already has a /cypher query running: one at a time",
                    headers={"Retry-After": "1"},
                )
            if sum(self._busy.values()) >= self.limit:
                raise _busy_server(f"{self.limit} /cypher queries are running in this process")
            self._busy[key] = 1
        try:
            on_server = running_queries(driver)
            if key is not None and key in on_server:
                raise QueryBusy(
                    "Neo4j is still running a /cypher query of this key (perhaps one that "
                    "timed out): one at a time",
                    headers={"Retry-After": "5"},
                )
            if len(on_server) >= self.limit:
                raise _busy_server(f"Neo4j is running {len(on_server)} /cypher queries")
            yield
        finally:
            with self._lock:
                self._busy.pop(key, None)


class ServerBusy(ApiProblem):
    status, title, kind = 503, "Cypher endpoint saturated", "cypher-saturated"


def _busy_server(why: str) -> ServerBusy:
    return ServerBusy(f"{why}: try again shortly", headers={"Retry-After": "5"})


def plain(value: Any) -> Any:
    """A Neo4j value as JSON: nodes and relationships by their ids and properties, temporal values
    as ISO text, points as {srid, x, y[, z]}."""
    if isinstance(value, Node):
        return {
            "id": value.get("id"),
            "labels": sorted(value.labels),
            "properties": plain(dict(value)),
        }
    if isinstance(value, Relationship):
        return {
            "type": value.type,
            "start": value.start_node.get("id") if value.start_node else None,
            "end": value.end_node.get("id") if value.end_node else None,
            "properties": plain(dict(value)),
        }
    if isinstance(value, Path):
        return {
            "nodes": [plain(n) for n in value.nodes],
            "relationships": [plain(r) for r in value.relationships],
        }
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Point):
        return {"srid": value.srid, **dict(zip("xyz", value, strict=False))}
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return value
