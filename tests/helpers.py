"""Helpers shared by the tests: bundled reports, ingesting, emptying and dumping the graph,
graph counts, free ports, HTTP waits."""

from __future__ import annotations

import copy
import os
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

import yaml
from neo4j import Driver

from core.dump import canonical_dump
from core.settings import Settings
from ingest.pipeline import IngestResult, ingest_paths
from ingest.reports import read_report
from ontology.identifiers import isin_check_digit, lei_check_digits
from ontology.records import Record
from rightsgraph.served import free_port  # noqa: F401  (the one free-port helper, for the tests)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REPORTS = PROJECT_ROOT / "reports"
SEED = REPORTS / "seed-open-letter.yaml"
DOCUMENTED = REPORTS / "documented-case.yaml"
TEST_REPORTS = Path(__file__).resolve().parent / "data" / "reports"
BAD_INPUTS = Path(__file__).resolve().parent / "data" / "bad"

# records of the bundled reports that the validation tests break one rule at a time
VALID_LEI = "5493001KJTIIGC8Y1R" + lei_check_digits("5493001KJTIIGC8Y1R")
VALID_ISIN = "CNE100000PM" + isin_check_digit("CNE100000PM")
HOLDING = "holding-gpfg-hikvision-2019-12-31"
OWNERSHIP = "ownership-cethik-hikvision"
CONTRACT = "contracts-xinjiang-hikvision-dahua-since-2016"
ALLEGATION = "allegation-open-letter-hikvision-dahua-xinjiang"
DEMAND = "demand-open-letter-gpfg-divest-hikvision-dahua"
SOURCE = "src-scandasia-2020-ngos-divest"


def report_records(path: Path) -> list[Record]:
    """A report's checked records, the Report record first, as the adapter reads them."""
    (batch,) = list(read_report(path))
    return copy.deepcopy(batch.all_records)


def by_id(records: list[Record]) -> dict[str, Record]:
    return {r["id"]: r for r in records}


@cache
def _bundled() -> dict[str, Record]:
    return {**by_id(report_records(SEED)), **by_id(report_records(DOCUMENTED))}


def bundled_records() -> dict[str, Record]:
    """The checked records of both bundled reports by id (a fresh copy: edit freely)."""
    return copy.deepcopy(_bundled())


def bundled_types() -> dict[str, str]:
    """Record id -> class of every bundled record."""
    return {rid: r["type"] for rid, r in _bundled().items()}


def _strings(value: object) -> set[str]:
    if isinstance(value, dict):
        return set().union(*map(_strings, value.values()))
    if isinstance(value, list):
        return set().union(*map(_strings, value)) if value else set()
    return {value} if isinstance(value, str) else set()


def known_for(record: Record) -> dict[str, str]:
    """The bundled records this one refers to, standing in the graph as typed nodes."""
    types = bundled_types()
    refs = _strings({k: v for k, v in record.items() if k not in ("id", "type")})
    return {rid: types[rid] for rid in refs - {record["id"]} if rid in types}


def set_to(key: str, value: object) -> Callable[[Record], None]:
    """A mutation of a record: `key` set to `value`."""
    return lambda r: r.__setitem__(key, value)


def drop(key: str) -> Callable[[Record], None]:
    """A mutation of a record: `key` removed."""
    return lambda r: r.pop(key)


def report_document(path: Path) -> dict:
    """The report as parsed YAML (dates as ISO strings), to edit and write out as a new report."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write_report(path: Path, document: dict) -> Path:
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def label_counts(driver: Driver, database: str | None = None) -> Counter:
    """Nodes per concrete (most specific) label; every node also carries :Node."""
    rows, _, _ = driver.execute_query(
        "MATCH (n) WHERE NOT n:RgSystem UNWIND labels(n) AS label RETURN label, count(*) AS n",
        database_=database,
    )
    return Counter({r["label"]: r["n"] for r in rows})


def type_counts(driver: Driver, database: str | None = None) -> Counter:
    rows, _, _ = driver.execute_query(
        "MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS n", database_=database
    )
    return Counter({r["t"]: r["n"] for r in rows})


def wait_for_http(url: str, timeout: float, alive: Callable[[], bool] | None = None) -> None:
    """Return once `url` answers HTTP at all (any status); fail when `alive()` turns false."""
    deadline = time.monotonic() + timeout
    while True:
        assert alive is None or alive(), f"the server exited before {url} answered"
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            assert time.monotonic() < deadline, f"no answer from {url} within {timeout:.0f} s"
            time.sleep(0.3)


def ingest(driver: Driver, settings: Settings, *paths: Path, **options) -> IngestResult:
    """Ingest `paths` into the test database; every problem fails the test."""
    result = ingest_paths(list(paths), driver, database=settings.neo4j_database, options=options)
    assert result.ok, result.problems[:5]
    return result


def empty(driver: Driver, database: str) -> None:
    """Delete everything in small transactions: relationships first, so a source cited by tens of
    thousands of rows does not take its whole fan-out into one transaction's memory (indexes
    and constraints stay)."""
    with driver.session(database=database) as session:  # batched deletes need auto-commit
        for query in (
            "MATCH (n)-[r]->() WHERE NOT n:RgSystem "  # the API's keys and audit log stay
            "CALL { WITH r DELETE r } IN TRANSACTIONS OF 10000 ROWS",
            "MATCH (n) WHERE NOT n:RgSystem CALL { WITH n DELETE n } IN TRANSACTIONS OF 10000 ROWS",
        ):
            session.run(query).consume()


def wipe(driver: Driver, settings: Settings) -> None:
    empty(driver, settings.neo4j_database)


def dump(driver: Driver, settings: Settings) -> list[str]:
    """The canonical dump of the test database (what a round trip must keep)."""
    return canonical_dump(driver, settings.neo4j_database)


def entity_dump(driver: Driver, settings: Settings) -> list[str]:
    """The entity graph alone: what an RDF export carries (no proposals, decisions, redirects)."""
    return canonical_dump(driver, settings.neo4j_database, entities_only=True)


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment of a `rightsgraph` subprocess (or a pseudo-terminal) against the test
    server: the checkout on the path, wide plain output."""
    return {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "RIGHTSGRAPH_HOME": str(settings.home),
        "RIGHTSGRAPH_NEO4J_PORT": str(settings.neo4j_port),
        "COLUMNS": "200",
        "TERM": "dumb",
    }
