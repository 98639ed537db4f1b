"""Helpers shared by the tests: bundled reports, graph counts, free ports, HTTP waits."""

from __future__ import annotations

import copy
import socket
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import yaml
from neo4j import Driver

from ingest.reports import read_report
from ontology.records import Record

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REPORTS = PROJECT_ROOT / "reports"
SEED = REPORTS / "seed-open-letter.yaml"
DOCUMENTED = REPORTS / "documented-case.yaml"
TEST_REPORTS = Path(__file__).resolve().parent / "data" / "reports"
BAD_INPUTS = Path(__file__).resolve().parent / "data" / "bad"


def report_records(path: Path) -> list[Record]:
    """A report's checked records, the Report record first, as the adapter reads them."""
    (batch,) = list(read_report(path))
    return copy.deepcopy(batch.all_records)


def by_id(records: list[Record]) -> dict[str, Record]:
    return {r["id"]: r for r in records}


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


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
