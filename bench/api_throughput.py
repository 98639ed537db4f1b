"""Benchmark 5: requests per second and p99 latency of `/search` and `/funds/{id}/exposure` with
32 concurrent clients on loopback, next to a trivial FastAPI endpoint served the same way.

Each target is one uvicorn worker (as `rightsgraph serve` runs by default), loaded for a fixed
time by asynchronous httpx clients in this process; the API runs with its rate limits off
(they would measure the limiter) and anonymous callers (CLEAR data: the benchmark graph is all
CLEAR). Needs the graph of benchmark 2 loaded; run from bench/run_all.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

from benchlib import ROOT, child_env, http_load, percentile, uvicorn_server

from core.settings import Settings

CLIENTS = 32


async def _load(url: str, paths: list[str], clients: int, seconds: float) -> dict[str, Any]:
    latencies, bad, elapsed = await http_load(url, paths, clients, seconds, timeout=60, warm_up=3)
    return {
        "requests": len(latencies),
        "errors": len(bad),
        "error_samples": bad[:3],
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
    }


def measure(app: str, ready: str, paths: list[str], env: dict[str, str], seconds: float) -> dict:
    with uvicorn_server(app, env, ready_path=ready) as (url, _pid):
        return asyncio.run(_load(url, paths, CLIENTS, seconds))


def run(
    settings: Settings, search_terms: list[str], funds: list[str], seconds: float = 15
) -> dict[str, Any]:
    """Ceiling, search and exposure, one after the other, `seconds` each."""
    env = child_env(settings)
    api = "api.app:create_app"
    targets = {
        "trivial": ("trivial_app:create_app", "/ping", ["/ping"]),
        "search": (api, "/health", [f"/search?q={t}" for t in search_terms]),
        "exposure": (api, "/health", [f"/funds/{f}/exposure" for f in funds]),
    }
    env["PYTHONPATH"] = f"{env['PYTHONPATH']}:{ROOT / 'bench'}"  # the trivial app
    out: dict[str, Any] = {"clients": CLIENTS, "seconds": seconds}
    for name, (app, ready, paths) in targets.items():
        out[name] = measure(app, ready, paths, env, seconds)
        r = out[name]
        print(
            f"  {name:9} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:7.1f} ms"
            f"  {r['requests']} requests, {r['errors']} errors",
            flush=True,
        )
    return out
