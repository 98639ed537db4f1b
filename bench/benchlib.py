"""What the benchmarks share: their own Neo4j, subprocess environments, uvicorn servers, memory
sampling and percentiles.

Benchmarks never touch the test database or the one of `make run`: `bench_settings()` points at
a port and home of their own (RIGHTSGRAPH_BENCH_PORT, default 7699; RIGHTSGRAPH_BENCH_HOME,
default .data/bench), and `bench_server()` starts and stops that server around a run.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [p for p in (str(ROOT), str(ROOT / "bench")) if p not in sys.path]

from core import neo4j_local  # noqa: E402
from core.settings import Settings  # noqa: E402
from rightsgraph.served import child_server  # noqa: E402

# environment variables that would send a child process to another server
_FOREIGN = ("NEO4J_URI", "NEO4J_PASSWORD", "NEO4J_USER", "NEO4J_DATABASE")
# the API's rate limits measure its limiter, not the API: off for benchmarks (one client address)
UNLIMITED = {
    "RIGHTSGRAPH_RATE_LIMIT": "1000000000",
    "RIGHTSGRAPH_RATE_LIMIT_ANONYMOUS": "1000000000",
}


def bench_settings() -> Settings:
    """The benchmarks' own local Neo4j (never NEO4J_URI: numbers need a server of known size)."""
    home = Path(os.environ.get("RIGHTSGRAPH_BENCH_HOME") or ROOT / ".data" / "bench")
    port = int(os.environ.get("RIGHTSGRAPH_BENCH_PORT") or 7699)
    return replace(Settings(), home=home, neo4j_port=port, neo4j_uri_env=None, neo4j_password=None)


def import_dir(settings: Settings) -> Path:
    """The folder LOAD CSV reads `file:///…` URLs from."""
    return settings.home / "import"


def server_conf(settings: Settings, pagecache: str) -> dict[str, str]:
    return {
        "server.memory.pagecache.size": pagecache,
        "server.directories.import": str(import_dir(settings)),
        "dbms.security.allow_csv_import_from_file_urls": "true",
    }


@contextlib.contextmanager
def bench_server(settings: Settings, pagecache: str = "2g", fresh: bool = False) -> Iterator[int]:
    """Start the benchmarks' Neo4j (refusing one already running: its state is unknown), yield
    its pid, stop it at the end. `fresh` deletes its data folder first (faster than emptying
    a big graph; it is the benchmarks' own)."""
    if neo4j_local.running_pid(settings) is not None:
        raise SystemExit(
            f"a Neo4j already runs for {settings.neo4j_dir}: stop it first "
            f"(RIGHTSGRAPH_NEO4J_PORT={settings.neo4j_port} RIGHTSGRAPH_HOME={settings.home} "
            "rightsgraph neo4j stop)"
        )
    import_dir(settings).mkdir(parents=True, exist_ok=True)
    if fresh:
        shutil.rmtree(neo4j_local.data_dir(settings), ignore_errors=True)
    print(
        neo4j_local.start(settings, timeout=600, conf=server_conf(settings, pagecache)),
        flush=True,
    )
    try:
        pid = neo4j_local.running_pid(settings)
        assert pid is not None
        yield pid
    finally:
        print(neo4j_local.stop(settings), flush=True)


def child_env(settings: Settings, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child process (CLI, API, other bench scripts) using the bench server."""
    env = {k: v for k, v in os.environ.items() if k not in _FOREIGN}
    env.update(
        RIGHTSGRAPH_NEO4J_PORT=str(settings.neo4j_port),
        RIGHTSGRAPH_HOME=str(settings.home),
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    )
    env.update(extra or {})
    return env


def empty_database(driver, database: str = "neo4j") -> None:  # noqa: ANN001
    """Delete every node and relationship (indexes and constraints stay)."""
    with driver.session(database=database) as session:  # implicit transaction: IN TRANSACTIONS
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS"
        ).consume()


def counts(driver, database: str = "neo4j") -> tuple[int, int]:  # noqa: ANN001
    """(nodes, relationships), from the count store."""
    nodes = driver.execute_query("MATCH (n) RETURN count(n) AS c", database_=database)[0][0]["c"]
    rels = driver.execute_query("MATCH ()-[r]->() RETURN count(r) AS c", database_=database)
    return nodes, rels[0][0]["c"]


# ---------------------------------------------------------------------- measuring


def rss_mib(pid: int) -> float:
    """Resident set size of a live process (Linux /proc), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class RssSampler:
    """Samples a process's RSS every `every` seconds in a thread: the peak and the start."""

    pid: int
    every: float = 0.1
    start_mib: float = 0.0
    peak_mib: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> RssSampler:
        self.start_mib = self.peak_mib = rss_mib(self.pid)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak_mib = max(self.peak_mib, rss_mib(self.pid))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.peak_mib = max(self.peak_mib, rss_mib(self.pid))


def run_measured(command: list[str], env: Mapping[str, str]) -> tuple[int, float, float, str]:
    """Run a command; (exit code, seconds, its own peak RSS in MiB from wait4, stdout)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        began = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env=dict(env), stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - began
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code != 0:
            print(f"  {' '.join(command[:4])}… exited {code}: {err.read()[-1500:]}", flush=True)
        return code, seconds, usage.ru_maxrss / 1024, out.read()


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (inclusive method); with few samples p99 is about the maximum."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def timed_runs(run: Callable[[], object], runs: int) -> list[float]:
    """Seconds of each of `runs` calls."""
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        run()
        out.append(time.perf_counter() - began)
    return out


# ---------------------------------------------------------------------- HTTP load


async def _client(
    http: httpx.AsyncClient, paths: Iterator[str], until: float, out: list[float], bad: list[str]
) -> None:
    while time.monotonic() < until:
        path = next(paths)
        began = time.perf_counter()
        try:
            response = await http.get(path)
            await response.aread()
            if response.status_code != 200:
                bad.append(f"{path}: {response.status_code} {response.text[:200]}")
        except httpx.HTTPError as exc:
            bad.append(f"{path}: {type(exc).__name__} {exc}")
        out.append((time.perf_counter() - began) * 1000)


async def http_load(
    url: str,
    paths: Sequence[str],
    clients: int,
    seconds: float,
    offset: int = 0,
    timeout: float = 30,
    warm_up: int = 0,
) -> tuple[list[float], list[str], float]:
    """`clients` concurrent clients, each cycling through `paths` (client i from path offset + i)
    for `seconds`, after the first `warm_up` paths once: (latencies in ms, errors, seconds
    taken). Anything but a 200 is an error."""
    latencies: list[float] = []
    bad: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as http:
        for path in paths[:warm_up]:  # plans compiled, pages cached
            await http.get(path)
        began = time.monotonic()
        cycles = (
            itertools.islice(itertools.cycle(paths), offset + i, None) for i in range(clients)
        )
        await asyncio.gather(*(_client(http, c, began + seconds, latencies, bad) for c in cycles))
        return latencies, bad, time.monotonic() - began


# ---------------------------------------------------------------------- HTTP servers


@contextlib.contextmanager
def uvicorn_server(
    app: str, env: Mapping[str, str], ready_path: str = "/openapi.json", timeout: float = 60
) -> Iterator[tuple[str, int]]:
    """`app` (module:factory) served by one uvicorn worker on a free loopback port, as
    `rightsgraph serve` does, without rate limits: (base url, pid)."""

    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1",
                "--port", str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip

    with child_server(command, {**env, **UNLIMITED}, ROOT, ready_path, timeout) as served:
        yield served
