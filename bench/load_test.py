"""Load test: many concurrent API clients on loopback while an ingest writes to the same graph.

Starts the API as a uvicorn subprocess (or uses --url), then runs ROUNDS rounds; in each, CLIENTS
asynchronous clients loop for DURATION seconds over a mix of search, exposure, entity,
neighbourhood and allegation reads while one `rightsgraph ingest` of a generated holdings table
(a new fund each round, so it really writes) runs beside them. Prints, per round: requests,
errors, requests per second, latency p50/p95/p99, the ingest's exit code and the API process's
resident memory (VmRSS) after the round. Exits 1 on any error. Needs a graph holding at least
the seed case (`rightsgraph ingest reports/`).

    python bench/load_test.py                          # 50 clients, 30 s, 3 rounds
    python bench/load_test.py --clients 20 --duration 10 --rounds 3 --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [p for p in (str(ROOT), str(ROOT / "bench")) if p not in sys.path]
from benchlib import http_load, percentile, rss_mib, uvicorn_server  # noqa: E402

from rightsgraph.synth import write_fund_holdings  # noqa: E402

# the API's own server here measures the API, not its rate limiter (one client address)
# reads of the seed case (reports/seed-open-letter.yaml): ids that exist, words that match
READS = (
    "/search?q=hikvision",
    "/search?q=dahua%20technology",
    "/search?q=xinjiang",
    "/search?q=rafto",
    "/search?q=pension%20fund",
    "/funds/gpfg/exposure?region=xinjiang",
    "/funds/gpfg/exposure?ownership_hops=2",
    "/entities/hikvision",
    "/entities/gpfg",
    "/entities/xinjiang",
    "/entities/hikvision/neighbourhood",
    "/companies/hikvision/allegations",
    "/companies/dahua/allegations",
)


# ---------------------------------------------------------------------- the API process


@contextlib.contextmanager
def api_server(env: dict[str, str] | None = None, timeout: float = 60) -> Iterator[tuple[str, int]]:
    """A uvicorn subprocess serving the API on a free loopback port: (base url, pid)."""
    with uvicorn_server(
        "api.app:create_app", {**os.environ, **(env or {})}, timeout=timeout
    ) as served:
        yield served


# ---------------------------------------------------------------------- the load


@dataclass
class Round:
    round: int
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    rss_mib: float = 0.0
    ingest_exit: int | None = None
    ingest_seconds: float | None = None
    error_samples: list[str] = field(default_factory=list)


def run_round(
    number: int, url: str, pid: int | None, clients: int, duration: float, ingest: Path | None
) -> Round:
    """One round of load; the ingest (if any) starts with it and must finish without error."""
    proc = None
    began = time.monotonic()
    if ingest is not None:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rightsgraph.cli", "ingest", "--json", str(ingest)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    latencies, bad, _ = asyncio.run(http_load(url, READS, clients, duration, offset=number))
    result = Round(round=number, requests=len(latencies), errors=len(bad), seconds=duration)
    if proc is not None:
        _, err = proc.communicate(timeout=600)
        result.ingest_exit = proc.returncode
        result.ingest_seconds = round(time.monotonic() - began, 1)
        if proc.returncode != 0:
            result.errors += 1
            bad.append(f"ingest exit {proc.returncode}: {err[-500:]}")
    result.rps = round(len(latencies) / duration, 1)
    for name, q in (("p50_ms", 50), ("p95_ms", 95), ("p99_ms", 99)):
        setattr(result, name, round(percentile(latencies, q), 1))
    result.max_ms = round(max(latencies, default=0.0), 1)
    result.rss_mib = round(rss_mib(pid), 1) if pid else 0.0
    result.error_samples = bad[:5]
    return result


def warm_up(url: str) -> None:
    """Each read once, one at a time: query plans compiled and pages cached before the clock runs
    (a cold start is a different measurement)."""
    for path in READS:
        response = httpx.get(url + path, timeout=60)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")


def run(
    url: str | None, clients: int, duration: float, rounds: int, ingest_rows: int, echo=print
) -> list[Round]:
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        pid = None
        if url is None:
            url, pid = stack.enter_context(api_server())
        warm_up(url)
        results = []
        for number in range(1, rounds + 1):
            table = None
            if ingest_rows:
                companies = max(ingest_rows // 5, 1)
                table = write_fund_holdings(
                    Path(tmp) / f"load-{number}.csv", companies, 5, f"Load Test Fund {number}"
                )
            results.append(run_round(number, url, pid, clients, duration, table))
            echo(format_round(results[-1]))
        return results


def format_round(r: Round) -> str:
    ingest = (
        f"; ingest exit {r.ingest_exit} in {r.ingest_seconds} s"
        if r.ingest_exit is not None
        else ""
    )
    text = (
        f"round {r.round}: {r.requests} requests, {r.errors} errors, {r.rps}/s; "
        f"p50 {r.p50_ms} ms, p95 {r.p95_ms} ms, p99 {r.p99_ms} ms, max {r.max_ms} ms; "
        f"API RSS {r.rss_mib} MiB{ingest}"
    )
    return text + "".join(f"\n  error: {e}" for e in r.error_samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an API already running (default: start one)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--ingest-rows", type=int, default=10_000, help="holdings rows ingested per round (0: none)"
    )
    parser.add_argument("--json", action="store_true", help="print the rounds as JSON at the end")
    args = parser.parse_args()
    rounds = run(args.url, args.clients, args.duration, args.rounds, args.ingest_rows)
    if args.json:
        print(json.dumps([asdict(r) for r in rounds]))
    sys.exit(1 if any(r.errors for r in rounds) else 0)


if __name__ == "__main__":
    main()
