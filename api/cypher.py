"""Read-only Cypher for investigators: refuse anything that is not a read, then run it in a READ
transaction with a timeout and a row cap.

Three independent locks, each enough on its own for the writes we know of:
1. `check_query`, a guard on the text: control and invisible characters refused, NFKC-normalised
   (full-width letters become ASCII), tokenised with comments, string literals and backtick
   names set apart, then write clauses, LOAD CSV, admin commands, several statements, procedure
   calls outside `ALLOWED_PROCEDURES` and user-defined functions refused, with a reason;
2. `EXPLAIN` of the query: Neo4j's own plan must say the query type is read (`"r"`);
3. the query runs in a transaction of a READ_ACCESS session, which Neo4j stops from writing,
   and is rolled back whatever it did.
"""

from __future__ import annotations

import base64
import unicodedata
from dataclasses import dataclass
from typing import Any

import neo4j
from neo4j import Driver
from neo4j.graph import Node, Path, Relationship
from neo4j.spatial import Point

from api.errors import ApiProblem

MAX_QUERY_CHARS = 100_000
MAX_NESTING = 100

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

# words that start or make a write, an import or an administration command
WRITE_WORDS = {
    "CREATE": "CREATE writes",
    "MERGE": "MERGE writes",
    "SET": "SET writes",
    "DELETE": "DELETE writes",
    "DETACH": "DETACH DELETE writes",
    "REMOVE": "REMOVE writes",
    "FOREACH": "FOREACH is only useful for writes",
    "INSERT": "INSERT writes",
    "LOAD": "LOAD CSV reads files and URLs from the server",
    "PERIODIC": "USING PERIODIC COMMIT is a write",
    "COMMIT": "transaction control is not allowed",
    "DROP": "DROP is an administration command",
    "ALTER": "ALTER is an administration command",
    "RENAME": "RENAME is an administration command",
    "GRANT": "GRANT is an administration command",
    "DENY": "DENY is an administration command",
    "REVOKE": "REVOKE is an administration command",
    "SHOW": "SHOW is an administration command",
    "TERMINATE": "TERMINATE is an administration command",
    "STOP": "STOP is an administration command",
    "ENABLE": "ENABLE is an administration command",
    "DEALLOCATE": "DEALLOCATE is an administration command",
    "REALLOCATE": "REALLOCATE is an administration command",
    "DRYRUN": "DRYRUN is an administration command",
    "USE": "USE selects another database; queries run on the graph only",
    "EXPLAIN": "EXPLAIN and PROFILE are added by the server, not by the query",
    "PROFILE": "EXPLAIN and PROFILE are added by the server, not by the query",
    "CYPHER": "query options (CYPHER …) are not allowed",
    "CONCURRENT": "CALL { … } IN TRANSACTIONS writes in batches",
}
# a word refused only before one of these (START as a variable name is common)
WRITE_PAIRS = {
    ("START", "DATABASE"): "START DATABASE is an administration command",
    ("START", "DATABASES"): "START DATABASE is an administration command",
    ("START", "SERVER"): "START SERVER is an administration command",
    ("IN", "TRANSACTIONS"): "CALL { … } IN TRANSACTIONS writes in batches",
}
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


class QueryRefused(ApiProblem):
    status, title, kind = 422, "Query refused", "cypher-refused"


@dataclass(frozen=True)
class Token:
    kind: str  # word | name (backtick-quoted) | param | string | number | punct
    text: str


def _refuse(reason: str) -> QueryRefused:
    return QueryRefused(reason)


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


def tokenize(text: str) -> list[Token]:
    """Cypher tokens; comments dropped, literals and quoted names kept apart from words."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise _refuse("unterminated /* comment")
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
                while j < n and (text[j].isalnum() or text[j] == "_"):
                    j += 1
            tokens.append(Token("param", text[i:j]))
            i = j
        elif c.isalpha() or c == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            tokens.append(Token("word", text[i:j]))
            i = j
        elif c.isdigit():
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
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
            and tokens[i + 2].kind
            in (
                "word",
                "name",
            )
        ):
            i += 2
            continue
        i += 1
        break
    return ".".join(parts), i


def _check_tokens(tokens: list[Token]) -> None:
    if not tokens:
        raise _refuse("the query is empty")
    depth = 0
    for index, token in enumerate(tokens):
        if token.kind == "punct":
            if token.text == ";":
                raise _refuse("one statement only: ';' is not allowed")
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


def check_query(query: str) -> None:
    """Raise QueryRefused unless the text is one read-only query we can vouch for."""
    if len(query) > MAX_QUERY_CHARS:
        raise _refuse(f"the query has {len(query):,} characters; at most {MAX_QUERY_CHARS:,}")
    _check_characters(query)
    _check_tokens(tokenize(unicodedata.normalize("NFKC", query)))


def check_plan(
    session: neo4j.Session, query: str, parameters: dict[str, Any], timeout: float
) -> None:
    """Neo4j's own verdict: the EXPLAIN plan of a read has query type "r"."""
    explain = neo4j.Query("EXPLAIN " + query, timeout=timeout)  # type: ignore[arg-type]
    summary = session.run(explain, parameters).consume()
    if summary.query_type != "r":
        kinds = {"rw": "reads and writes", "w": "writes", "s": "changes the schema"}
        what = kinds.get(summary.query_type or "", f"is of type {summary.query_type!r}")
        raise _refuse(f"Neo4j's plan says this query {what}; /cypher runs reads only")


@dataclass
class CypherResult:
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool


def run_read_query(
    driver: Driver,
    database: str,
    query: str,
    parameters: dict[str, Any],
    *,
    timeout: float,
    max_rows: int,
    explain: bool = True,
) -> CypherResult:
    """Plan (unless `explain` is false: tests prove the READ transaction alone holds), then run
    in a READ transaction that is rolled back; at most `max_rows` rows."""
    with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
        if explain:
            check_plan(session, query, parameters, timeout)
        with session.begin_transaction(timeout=timeout) as tx:
            result = tx.run(query, parameters)
            columns = list(result.keys())
            rows: list[dict[str, Any]] = []
            truncated = False
            for record in result:
                if len(rows) >= max_rows:
                    truncated = True
                    break
                rows.append({key: plain(value) for key, value in record.items()})
            tx.rollback()
    return CypherResult(columns, rows, truncated)


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
