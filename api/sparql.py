"""SPARQL over what a caller may see: one in-memory pyoxigraph store per sharing level.

Each store holds exactly the RDF export at its level (`export.stream.Export`, the reader every
export goes through), so a query sees what `GET /export?tlp=L` would give that caller and
nothing else. The stores are a derived index, never a source of truth: built from Neo4j on first
use, rebuilt when the graph has changed (its node and relationship counts or its latest ingest
run differ from the build's) or when the build is older than `max_age` seconds; dropping them
loses nothing.

Queries are read-only by construction (pyoxigraph's `query` runs no update; SPARQL Update is
refused before it is parsed) and `SERVICE` is refused, so no query reaches another server.
The cost limits are /cypher's: one query at a time per key and a capped number at once, a
deadline checked between solutions, and caps on rows and bytes.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyoxigraph
from neo4j import Driver

from api.errors import ApiProblem
from core import names
from export.options import ExportOptions
from export.stream import Export

JSON = "application/sparql-results+json"
CSV = "text/csv"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
SOLUTION_TYPES = (JSON, CSV)
GRAPH_TYPES = (TURTLE, NTRIPLES)
SERVICE = re.compile(r"\bSERVICE\b", re.IGNORECASE)
UPDATE = re.compile(
    r"^\s*(?:(?:PREFIX\s+\S*\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*"
    r"(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE,
)


class SparqlRefused(ApiProblem):
    status, title, kind = 422, "SPARQL query refused", "sparql-refused"


class SparqlTimedOut(ApiProblem):
    status, title, kind = 504, "SPARQL query timed out", "sparql-timeout"


class SparqlBusy(ApiProblem):
    status, title, kind = 429, "SPARQL query already running", "sparql-busy"


class NotAcceptable(ApiProblem):
    status, title, kind = 406, "Not acceptable", "not-acceptable"


# ---------------------------------------------------------------------- the stores


@dataclass
class LevelStore:
    store: pyoxigraph.Store
    stamp: tuple[Any, ...]
    built: float
    triples: int


class SparqlIndex:
    """The per-level stores of one API process, built and rebuilt on demand."""

    def __init__(self, max_age: float = 300.0):
        self.max_age = max_age
        self._stores: dict[str, LevelStore] = {}
        self._lock = threading.Lock()

    def stamp(self, driver: Driver, database: str | None) -> tuple[Any, ...]:
        """What changes whenever an ingest, erasure or merge changes the graph."""
        rows, _, _ = driver.execute_query(
            f"MATCH (n:Node) RETURN count(n) AS nodes, max(n.`{names.INGEST_RUN}`) AS run",
            database_=database,
            routing_="r",
        )
        rels, _, _ = driver.execute_query(
            "MATCH ()-[r]->() RETURN count(r) AS rels", database_=database, routing_="r"
        )
        return rows[0]["nodes"], rows[0]["run"], rels[0]["rels"]

    def store(self, driver: Driver, database: str | None, level: str) -> LevelStore:
        """The store of one level, (re)built from Neo4j when it is missing or stale."""
        stamp = self.stamp(driver, database)
        with self._lock:
            current = self._stores.get(level)
            fresh = current is not None and current.stamp == stamp
            if fresh and time.monotonic() - current.built < self.max_age:  # type: ignore[union-attr]
                return current  # type: ignore[return-value]
            built = self._build(driver, database, level, stamp)
            self._stores[level] = built
            return built

    def _build(
        self, driver: Driver, database: str | None, level: str, stamp: tuple[Any, ...]
    ) -> LevelStore:
        export = Export.open(driver, ExportOptions(format="ntriples", tlp=level), database)
        text = "".join(export.chunks())
        store = pyoxigraph.Store()
        store.bulk_load(text.encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
        return LevelStore(store, stamp, time.monotonic(), export.writer.triples)  # type: ignore[attr-defined]


class Slots:
    """At most one query per key and `limit` in all, in this process."""

    def __init__(self, limit: int):
        self.limit = limit
        self._busy: set[str | None] = set()
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, key: str | None) -> Iterator[None]:
        with self._lock:
            if key in self._busy:
                raise SparqlBusy(
                    "this key already has a SPARQL query running: one at a time",
                    headers={"Retry-After": "1"},
                )
            if len(self._busy) >= self.limit:
                raise SparqlBusy(
                    f"{self.limit} SPARQL queries are running", headers={"Retry-After": "1"}
                )
            self._busy.add(key)
        try:
            yield
        finally:
            with self._lock:
                self._busy.discard(key)


# ---------------------------------------------------------------------- queries


def check_query(query: str) -> None:
    """Refuse an update or a federated query before anything is parsed."""
    if not query.strip():
        raise SparqlRefused("the query is empty")
    if UPDATE.match(query):
        raise SparqlRefused("SPARQL Update is refused: this endpoint is read-only")
    if SERVICE.search(query):
        raise SparqlRefused("SERVICE (federated queries) is refused: nothing is fetched")


@dataclass
class Answer:
    media_type: str
    body: str
    rows: int
    truncated_by: str | None


def negotiate(accept: str | None, graph_result: bool) -> str:
    """The result media type: the first type in Accept (by q-value) that fits the query form."""
    offered = GRAPH_TYPES if graph_result else SOLUTION_TYPES
    aliases = {"application/json": JSON, "text/plain": NTRIPLES if graph_result else CSV}
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept or "").split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        media = aliases.get(media, media)
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        if media in offered:
            ranked.append((-q, index, media))
        elif media in ("*/*", "text/*", "application/*"):
            ranked.append((-q, index + 1000, offered[0]))
    if accept and accept.strip() and not ranked:
        raise NotAcceptable(f"this query's results are served as {', '.join(offered)}")
    return min(ranked)[2] if ranked else offered[0]


def run_query(
    store: pyoxigraph.Store,
    query: str,
    accept: str | None,
    *,
    timeout: float,
    max_rows: int,
    max_bytes: int,
) -> Answer:
    """Run one query; solutions or triples are written until the deadline, the row cap or the
    byte cap (the answer then says which cut it short)."""
    deadline = time.monotonic() + timeout
    try:
        result = store.query(query)
    except SyntaxError as exc:
        raise SparqlRefused(f"not a SPARQL 1.1 query: {exc}") from None
    try:
        return _answer(result, accept, deadline, timeout, max_rows, max_bytes)
    except ApiProblem as exc:  # raised without the frames that hold the results
        failure = exc.with_traceback(None)
    del result  # pyoxigraph's results must be dropped on the thread that made them
    raise failure


def _answer(
    result: Any, accept: str | None, deadline: float, timeout: float, max_rows: int, max_bytes: int
) -> Answer:
    if isinstance(result, bool | pyoxigraph.QueryBoolean):
        result = bool(result)
        media = negotiate(accept, False)
        if media == CSV:
            return Answer(CSV, "_askResult\r\n" + ("true" if result else "false") + "\r\n", 1, None)
        return Answer(JSON, json.dumps({"head": {}, "boolean": result}), 1, None)
    if isinstance(result, pyoxigraph.QuerySolutions):
        return _solutions(result, negotiate(accept, False), deadline, timeout, max_rows, max_bytes)
    return _triples(result, negotiate(accept, True), deadline, timeout, max_rows, max_bytes)


def _check_time(deadline: float, timeout: float) -> None:
    if time.monotonic() > deadline:
        raise SparqlTimedOut(f"the query ran longer than {timeout:g} s")


def _solutions(
    result: pyoxigraph.QuerySolutions,
    media: str,
    deadline: float,
    timeout: float,
    max_rows: int,
    max_bytes: int,
) -> Answer:
    names_ = [v.value for v in result.variables]
    rows: list[dict[str, Any]] = []
    size = 0
    cut = None
    for solution in result:
        _check_time(deadline, timeout)
        if len(rows) >= max_rows:
            cut = "rows"
            break
        row = {n: _term_json(solution[n]) for n in names_ if solution[n] is not None}
        size += len(json.dumps(row, ensure_ascii=False))
        if size > max_bytes:
            cut = "bytes"
            break
        rows.append(row)
    if media == CSV:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(names_)
        for row in rows:
            writer.writerow([row[n]["value"] if n in row else "" for n in names_])
        return Answer(CSV, out.getvalue(), len(rows), cut)
    body: dict[str, Any] = {"head": {"vars": names_}, "results": {"bindings": rows}}
    if cut:
        body["truncated"] = cut  # an extension member; SPARQL JSON readers ignore it
    return Answer(JSON, json.dumps(body, ensure_ascii=False), len(rows), cut)


def _term_json(term: Any) -> dict[str, Any]:
    if isinstance(term, pyoxigraph.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, pyoxigraph.BlankNode):
        return {"type": "bnode", "value": term.value}
    out: dict[str, Any] = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def _triples(
    result: Any, media: str, deadline: float, timeout: float, max_rows: int, max_bytes: int
) -> Answer:
    triples = []
    size = 0
    cut = None
    for triple in result:
        _check_time(deadline, timeout)
        if len(triples) >= max_rows:
            cut = "rows"
            break
        size += len(str(triple))
        if size > max_bytes:
            cut = "bytes"
            break
        triples.append(triple)
    fmt = pyoxigraph.RdfFormat.TURTLE if media == TURTLE else pyoxigraph.RdfFormat.N_TRIPLES
    body = pyoxigraph.serialize(triples, format=fmt) or b""
    return Answer(media, body.decode("utf-8"), len(triples), cut)
