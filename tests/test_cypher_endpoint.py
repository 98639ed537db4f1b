"""POST /cypher: hostile queries are refused with a reason, change nothing and are audited; each
of the three locks (text guard, EXPLAIN query type, READ transaction) stops a write on its own;
reads work, are capped and time out; only investigators cleared for RED may use it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from graph_fixture import load_reports
from helpers import SEED
from neo4j import Driver
from neo4j.exceptions import ClientError
from security_helpers import CONFIDENTIAL, audit_entries, key, make_app, make_keys

from api.audit import clip
from api.cypher import QueryRefused, check_plan, check_query, run_read_query
from core.dump import canonical_dump
from core.settings import Settings

PROBLEM = "application/problem+json"

# (name, query, words the refusal must contain)
HOSTILE = [
    ("create", "CREATE (n:Probe {x: 1})", "CREATE"),
    ("merge", "MERGE (n:Company {id: 'hikvision'}) SET n.name = 'x'", "MERGE"),
    ("set", "MATCH (n:Company {id: 'hikvision'}) SET n.name = 'pwned'", "SET"),
    ("set label", "MATCH (n:Company) SET n:Pwned", "SET"),
    ("delete", "MATCH (n:Source) DELETE n", "DELETE"),
    ("detach delete", "MATCH (n) DETACH DELETE n", "DETACH"),
    ("remove", "MATCH (n:Company) REMOVE n.name", "REMOVE"),
    ("foreach", "MATCH (n) FOREACH (x IN [1] | CREATE (:Probe))", "FOREACH"),
    ("load csv file", "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line", "LOAD"),
    (
        "load csv http",
        "LOAD CSV WITH HEADERS FROM 'http://127.0.0.1:1/x.csv' AS r RETURN r",
        "LOAD",
    ),
    ("load csv after comment", "/* hi */ load\t/* x */ csv from 'file:///x' as l return l", "LOAD"),
    ("dbms procedure", "CALL dbms.security.createUser('eve', 'secret', false)", "dbms.security"),
    ("dbms listing", "CALL dbms.listConfig() YIELD name RETURN name", "dbms.listConfig"),
    ("db write procedure", "CALL db.createLabel('Pwned')", "db.createLabel"),
    ("db property procedure", "CALL db.createProperty('pwned')", "db.createProperty"),
    ("tx procedure", "CALL tx.setMetaData({a: 1})", "tx.setMetaData"),
    ("backtick procedure", "CALL `db`.`createLabel`('Pwned')", "db.createLabel"),
    ("apoc procedure", "CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'DELETE n', {})", "apoc"),
    ("apoc function", "RETURN apoc.cypher.runFirstColumnSingle('MATCH (n) RETURN n', {})", "apoc"),
    ("create user", "CREATE USER eve SET PASSWORD 'secret123'", "CREATE"),
    ("create database", "CREATE DATABASE pwned", "CREATE"),
    ("drop database", "DROP DATABASE neo4j", "DROP"),
    ("alter user", "ALTER USER neo4j SET PASSWORD 'x'", "ALTER"),
    ("grant", "GRANT ROLE admin TO eve", "GRANT"),
    ("deny", "DENY READ {*} ON GRAPH * TO PUBLIC", "DENY"),
    ("show users", "SHOW USERS", "SHOW"),
    ("terminate", "TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "TERMINATE"),
    ("stop database", "STOP DATABASE neo4j", "STOP"),
    ("start database", "START DATABASE neo4j", "START DATABASE"),
    ("use system", "USE system SHOW DATABASES", "USE"),
    ("use in subquery", "CALL { USE system MATCH (n) RETURN n } RETURN n", "USE"),
    ("write subquery", "MATCH (c:Company) CALL (c) { CREATE (:Probe) } RETURN c", "CREATE"),
    (
        "in transactions",
        "MATCH (n) CALL (n) { MATCH (n) RETURN n.id AS i } IN TRANSACTIONS RETURN i",
        "IN TRANSACTIONS",
    ),
    ("two statements", "MATCH (n) RETURN n LIMIT 1; MATCH (n) DETACH DELETE n", "';'"),
    ("line comment hiding nothing", "MATCH (n) // harmless\nDETACH DELETE n", "DETACH"),
    ("block comment splitting", "MATCH (n) /* RETURN n */ DELETE n", "DELETE"),
    ("mixed case", "mAtCh (n) DeTaCh dElEtE n", "DETACH"),
    ("full-width letters", "MATCH (n) ＤＥＴＡＣＨ ＤＥＬＥＴＥ n", "FULLWIDTH"),
    # issue 19, item 1: the guard once ended `//` comments at \n only and NFKC-normalised
    (
        "carriage return ends a comment",
        "// x\rLOAD CSV FROM 'file:///etc/passwd' AS l\nRETURN l[0] AS line LIMIT 3",
        "LOAD",
    ),
    (
        "full-width apostrophe",
        "WITH '\uff07' AS a LOAD CSV FROM 'file:///etc/hostname' AS l RETURN '\uff07' AS b, l",
        "LOAD",
    ),
    ("load csv of the api", "LOAD CSV FROM 'http://127.0.0.1:8000/health' AS l RETURN l", "LOAD"),
    ("show transactions after cr", "// x\rSHOW TRANSACTIONS YIELD transactionId", "SHOW"),
    ("terminate after cr", "// x\rTERMINATE TRANSACTIONS 'neo4j-transaction-1'", "TERMINATE"),
    ("show settings", "SHOW SETTINGS YIELD name RETURN name", "SHOW"),
    ("unicode escape ends a comment", "RETURN 1 AS a // x\\u000aLOAD CSV FROM 'x' AS l", "LOAD"),
    ("unicode escape ends a string", "RETURN 'a\\u0027 AS s LOAD CSV FROM 'x' AS l", "LOAD"),
    ("unicode escape spells a word", "RETURN 1 AS a \\u004cOAD CSV FROM 'x' AS l", "LOAD"),
    ("sloppy unicode escape", "RETURN '\\u+027' AS a", "four ASCII hex digits"),
    ("backslash outside a string", "RETURN 1 AS a \\ 2", "backslash"),
    ("non-ascii in a comment", "MATCH (n) RETURN n // \u2028 DETACH DELETE n", "U+2028"),
    ("huge reduce", "RETURN reduce(s = 0, i IN range(1, 3000000000) | s + i)", "range"),
    ("huge range", "RETURN range(1, 15000000)", "range"),
    ("nested ranges", "RETURN [a IN range(1, 2000) | [b IN range(1, 2000) | a * b]]", "range"),
    ("computed range bound", "RETURN range(1, toInteger('4000000000'))", "range bound"),
    ("multiplied range bound", "RETURN range(1, 100000 * 100000)", "range bounds"),
    ("show procedures", "SHOW PROCEDURES YIELD name", "SHOW"),
    ("dbms procedure after comment", "/* */ CALL dbms.killQuery('q-1')", "dbms.killQuery"),
    ("db admin procedure", "CALL db.clearQueryCaches()", "db.clearQueryCaches"),
    ("zero-width joiner", "MATCH (n) DE\u200dLETE n", "ZERO WIDTH JOINER"),
    ("zero-width space", "CRE\u200bATE (n)", "ZERO WIDTH SPACE"),
    ("bidi override", "MATCH (n) RETURN n // \u202eetaerc", "RIGHT-TO-LEFT OVERRIDE"),
    ("nul character", "MATCH (n) RETURN n\x00CREATE (m)", "U+0000"),
    ("explain prefix", "EXPLAIN CREATE (n)", "EXPLAIN"),
    ("profile prefix", "PROFILE MATCH (n) RETURN n", "PROFILE"),
    ("cypher options", "CYPHER runtime=slotted MATCH (n) RETURN n", "CYPHER"),
    ("one megabyte", "MATCH (n) RETURN n // " + "x" * 1_000_000, "characters"),
    ("nested parentheses", "RETURN " + "(" * 10_000 + "1" + ")" * 10_000, "nests"),
    ("nested lists", "RETURN " + "[" * 10_000 + "]" * 10_000, "nests"),
    ("unterminated string", "MATCH (n) WHERE n.id = 'x RETURN n", "unterminated"),
    ("empty", "   // nothing here\n", "empty"),
]


@pytest.fixture(scope="module")
def graph(driver: Driver, settings: Settings) -> Driver:
    load_reports(driver, settings.neo4j_database, [SEED, CONFIDENTIAL])
    return driver


@pytest.fixture(scope="module")
def client(graph: Driver, settings: Settings, auth_db: Path) -> Iterator[TestClient]:
    with TestClient(make_app(settings, auth_db, rate_limit=0)) as c:
        yield c


def cypher(client: TestClient, token: str | None, query: str, parameters: dict | None = None):
    headers = key(token) if token else {}
    return client.post(
        "/cypher", json={"query": query, "parameters": parameters or {}}, headers=headers
    )


def test_hostile_corpus_is_large_enough() -> None:
    assert len(HOSTILE) >= 30 and len({name for name, _, _ in HOSTILE}) == len(HOSTILE)


def test_every_hostile_query_is_refused_audited_and_changes_nothing(
    client: TestClient, tokens: dict[str, str], graph: Driver, settings: Settings, auth_db: Path
) -> None:
    before = canonical_dump(graph, settings.neo4j_database)
    for name, query, words in HOSTILE:
        response = cypher(client, tokens["investigator"], query)
        assert response.status_code == 422, (name, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        body = response.json()
        assert body["title"] == "Query refused" and words in body["detail"], (name, body)
    assert canonical_dump(graph, settings.neo4j_database) == before
    refused = [e for e in audit_entries(settings) if e.outcome == "refused"]
    logged = {(e.what, e.key_id) for e in refused}
    investigator = tokens["investigator"].split("_")[1]
    for name, query, _ in HOSTILE:
        assert (clip(query), investigator) in logged, name


def test_each_lock_stops_a_write_on_its_own(graph: Driver, settings: Settings) -> None:
    before = canonical_dump(graph, settings.neo4j_database)
    with pytest.raises(QueryRefused):
        check_query("MATCH (n) DETACH DELETE n")
    with graph.session(database=settings.neo4j_database) as session:
        for write in (
            "CREATE (:Probe)",
            "MATCH (n:Company) SET n.x = 1",
            "CALL db.createLabel('X')",
        ):
            with pytest.raises(QueryRefused, match="plan says"):
                check_plan(session, write, {}, 10)
        check_plan(session, "MATCH (n) RETURN count(n)", {}, 10)
    with pytest.raises(ClientError):  # the READ transaction, with the plan check skipped
        run_read_query(
            graph,
            settings.neo4j_database,
            "CREATE (:Probe)",
            {},
            timeout=10,
            max_rows=10,
            explain=False,
        )
    assert canonical_dump(graph, settings.neo4j_database) == before


def test_reads_work_with_parameters_nodes_and_paths(
    client: TestClient, tokens: dict[str, str]
) -> None:
    response = cypher(
        client,
        tokens["investigator"],
        "MATCH p = (c:Company {id: $id})<-[:AGAINST]-(a) RETURN c, a.status AS status, p",
        {"id": "hikvision"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["columns"] == ["c", "status", "p"] and not body["truncated"]
    assert body["rows"][0]["c"]["id"] == "hikvision" and "Company" in body["rows"][0]["c"]["labels"]
    assert body["rows"][0]["p"]["relationships"][0]["type"] == "AGAINST"
    injected = cypher(
        client,
        tokens["investigator"],
        "MATCH (c:Company {id: $id}) RETURN c.name AS name",
        {"id": "x' OR 1=1 //"},
    )
    assert injected.status_code == 200 and injected.json()["rows"] == []
    labels = cypher(client, tokens["investigator"], "CALL db.labels() YIELD label RETURN label")
    assert {"label": "Company"} in labels.json()["rows"]
    words = cypher(
        client, tokens["editor"], "MATCH (n) WHERE n.name = 'CREATE (x); DROP' RETURN n.set AS set"
    )
    assert words.status_code == 200, words.text  # keywords in strings and property names are words


def test_rows_are_capped_with_a_truncated_flag(client: TestClient, tokens: dict[str, str]) -> None:
    body = cypher(client, tokens["investigator"], "UNWIND range(1, 5000) AS i RETURN i").json()
    assert body["rowCount"] == body["maxRows"] == 1000 and body["truncated"] is True
    assert body["rows"][-1] == {"i": 1000}


def test_a_query_over_the_time_limit_is_stopped_and_audited(
    graph: Driver, settings: Settings, tmp_path: Path
) -> None:
    auth_db = tmp_path / "auth.sqlite"
    tokens = make_keys(settings)
    with TestClient(make_app(settings, auth_db, cypher_timeout=1.0)) as c:
        response = cypher(
            c,
            tokens["investigator"],
            "UNWIND [1000000000] AS n UNWIND range(1, n) AS x WITH x WHERE x % 7 = 13 "
            "RETURN count(x) AS n",
        )
    body = response.json()
    assert response.status_code == 422 and "longer than 1 s" in body["detail"], body
    assert body["title"] == "Query timed out"
    entry = audit_entries(settings)[-1]
    assert entry.outcome == "timeout" and "longer than" in (entry.reason or "")


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("green_reader", 403),
        ("red_reader", 403),
        ("amber_investigator", 403),
        ("revoked", 401),
    ],
)
def test_only_investigators_cleared_for_red_may_query(
    client: TestClient, tokens: dict[str, str], settings: Settings, who: str | None, status: int
) -> None:
    query = f"MATCH (n) RETURN count(n) AS probe_{who}"
    response = cypher(client, tokens[who] if who else None, query)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    entry = audit_entries(settings)[-1]
    assert entry.outcome == "refused" and entry.endpoint == "POST /cypher"
    assert entry.reason and entry.reason.startswith(str(status))


def test_bearer_tokens_and_higher_roles_are_accepted(
    client: TestClient, tokens: dict[str, str]
) -> None:
    for who in ("investigator", "editor", "admin"):
        response = client.post(
            "/cypher",
            json={"query": "RETURN 1 AS one"},
            headers={"Authorization": f"Bearer {tokens[who]}"},
        )
        assert response.status_code == 200 and response.json()["rows"] == [{"one": 1}], who


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "null",
        "{}",
        '{"query": 1}',
        '{"query": "RETURN 1", "parameters": []}',
        '{"query": "RETURN 1"',
        '{"query": "RETURN $x", "parameters": {"x": ' + "[" * 10_000 + "]" * 10_000 + "}}",
        '{"query": "RETURN $x", "parameters": {"x": ' + "[" * 50 + "1" + "]" * 50 + "}}",
    ],
)
def test_malformed_bodies_are_4xx_never_500(
    client: TestClient, tokens: dict[str, str], raw: str
) -> None:
    headers = {**key(tokens["investigator"]), "Content-Type": "application/json"}
    response = client.post("/cypher", content=raw.encode(), headers=headers)
    assert response.status_code < 500, response.text
