"""`make bench`: every benchmark, end to end, on the benchmarks' own Neo4j; writes
docs/benchmarks.md.

Order: validation (no database), export (an empty database, filled and emptied by
bench/export_speed.py), ingest (emptied before each load), then the big graph for the exposure
latency and API throughput benchmarks. The server is started with the benchmarks' port and
home (RIGHTSGRAPH_BENCH_PORT, RIGHTSGRAPH_BENCH_HOME; see bench/benchlib.py) and stopped at the
end, whatever happens. Sizes are chosen so the whole run fits in 30 minutes on 2 cores; every
size is an option.

    python bench/run_all.py                       # what `make bench` runs
    python bench/run_all.py --ingest-rows 5000 --holdings 100000 --out /tmp/bench.md   # quick
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import api_throughput
import exposure_latency
import ingest_speed
import neo4j
import resolution_speed
from benchlib import ROOT, bench_server, bench_settings, child_env, empty_database

from core import neo4j_local
from core.db import make_driver
from core.settings import Settings
from rightsgraph.synth import word


def log(text: str) -> None:
    print(text, flush=True)


# ---------------------------------------------------------------------- benchmarks 3 and 4


def validation(records: int, pyshacl_records: int, runs: int) -> dict[str, Any]:
    """bench/validation_speed.py at a size pyshacl finishes in a minute, then our validator
    alone on the full-size report (the ratio is per record)."""
    import validation_speed

    from ontology.fast_validate import fast_validate

    logging.disable(logging.ERROR)  # rdflib logs every ill-typed literal of the broken copy

    done = subprocess.run(
        [sys.executable, "bench/validation_speed.py", "--records", str(pyshacl_records),
         "--runs", str(runs)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    log(done.stdout.rstrip())
    rows = {}
    for line in done.stdout.splitlines():
        m = re.match(r"(valid|broken)\s+([\d,]+)\s+([\d,]+)\s+([\d.]+)x\s+(\d+)\s+(\w+)", line)
        if m:
            rows[m[1]] = {
                "pyshacl_rps": float(m[2].replace(",", "")),
                "fast_rps": float(m[3].replace(",", "")),
                "ratio": float(m[4]),
                "violations": int(m[5]),
                "verdicts": m[6],
            }
    report = validation_speed.report_records(records, 0)
    fast_validate(report[:10])
    full = {}
    for label, data in (("valid", report), ("broken", validation_speed.broken(report))):
        seconds, found = validation_speed.timed(lambda d=data: fast_validate(d), runs)
        full[label] = {"fast_rps": len(data) / seconds, "violations": len(found)}
    log(f"  fast validator on {len(report):,} records: {full}")
    return {"pyshacl_records": pyshacl_records, "records": len(report), "small": rows, "full": full}


def export(settings: Settings, sizes: list[int]) -> dict[str, Any]:
    """bench/export_speed.py at two graph sizes (memory should not grow with the graph)."""
    out = {}
    for units in sizes:
        done = subprocess.run(
            [sys.executable, "bench/export_speed.py", "--units", str(units)],
            cwd=ROOT, env=child_env(settings), capture_output=True, text=True, check=True,
        )  # fmt: skip
        log(done.stdout.rstrip())
        rows = {}
        for line in done.stdout.splitlines():
            m = re.match(r"(export N-Triples|export Turtle|rdflib serialize nt|rdflib serialize "
                         r"turtle)\s+(\d+)\s+([\d.]+)\s+(?:([\d.]+)\s+)?(\d+)\s+(\d+)"
                         r"(?:\s+\(\+([\d.]+) s)?", line)  # fmt: skip
            if m:  # name, triples, seconds, CPU seconds (newer runs), triples/s, peak RSS
                rows[m[1]] = {
                    "triples": int(m[2]),
                    "seconds": float(m[3]),
                    "cpu_seconds": float(m[4]) if m[4] else None,
                    "tps": float(m[5]),
                    "peak_mb": float(m[6]),
                    "parse_seconds": float(m[7]) if m[7] else None,
                }
        out[units] = rows
    return out


# ---------------------------------------------------------------------- the report


def machine(settings: Settings, took: float) -> dict[str, str]:
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    with make_driver(settings) as driver:
        (row,), _, _ = driver.execute_query(
            "CALL dbms.components() YIELD name, versions, edition "
            "RETURN versions[0] AS version, edition"
        )
    return {
        "cores": str(os.cpu_count()),
        "memory": f"{int(mem) / 2**20:.1f} GiB",
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "neo4j": f"{row['version']} {row['edition']} (embedded launcher, page cache 2 GiB, heap "
        f"{neo4j_local.HEAP[-1].removeprefix('-Xmx')})",
        "driver": f"neo4j Python driver {neo4j.__version__}",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "took": f"{took / 60:.1f} min",
    }


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render(r: dict[str, Any]) -> str:
    m = r["machine"]
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run_all.py`); do not edit by hand. Figures are medians "
        "of several runs unless a row says otherwise, and every ratio compares two things "
        "measured in the same run on the same server. These machines are shared and noisy: "
        "read the ratios, not the third digit.",
        "",
        table(
            ["machine", ""],
            [
                ["cores", f"{m['cores']} ({m['cpu']})"],
                ["memory", m["memory"]],
                ["Python", m["python"]],
                ["Neo4j", m["neo4j"]],
                ["driver", m["driver"]],
                ["date", m["date"]],
                ["whole run", m["took"]],
            ],
        ),
        "",
    ]
    out += _ingest_section(r["ingest"], r["ingest_profile"])
    out += _exposure_section(r["exposure"])
    out += _export_section(r["export"])
    out += _validation_section(r["validation"])
    small = [c["driver"]["p50"] for c in r["exposure"]["cases"] if c["target"] == 10]
    out += _throughput_section(r["throughput"], min(small))
    if "resolution" in r:  # runs before this benchmark was added have none
        out += _resolution_section(r["resolution"])
    out += _summary(r)
    return "\n".join(out) + "\n"


def _ingest_section(ing: dict[str, Any], prof: dict[str, Any]) -> list[str]:
    methods = ing["methods"]
    base = methods["load_csv"]["rows_per_s"]
    names = {
        "ours": "`rightsgraph ingest` (resolve + validate + write; the bulk path from 1 MiB)",
        "rerun": "the same `rightsgraph ingest` again (changes nothing)",
        "normal": "`rightsgraph ingest` with the bulk path off",
        "load_csv": "`LOAD CSV … CALL {…} IN TRANSACTIONS OF 1000 ROWS`",
        "naive": "driver loop, one MERGE statement and transaction per row",
    }
    rows = [
        [
            names[k],
            f"{v['seconds']:.1f}",
            f"{v['rows_per_s']:,.0f}",
            f"{v['rows_per_s'] / base:.2f}×",
            f"{v['peak_mib']:.0f}",
            f"{v['server_peak_mib']:.0f}",
            f"{v['nodes']:,} / {v['relationships']:,}",
        ]
        for k, v in methods.items()
    ]
    ratio = methods["ours"]["rows_per_s"] / base
    total = prof["seconds"]
    stage_rows = [[k, f"{v:.1f}", f"{100 * v / total:.0f} %"] for k, v in prof["stages"].items()]
    rest = total - sum(prof["stages"].values())
    stage_rows.append(["the rest (merging records, write plans, quotes, start-up)", f"{rest:.1f}",
                       f"{100 * rest / total:.0f} %"])  # fmt: skip
    return [
        f"## 1. Ingest: {ing['rows']:,} holdings rows",
        "",
        f"One synthetic holdings table (`rightsgraph synth` rows: 50 funds, power-law sizes) "
        f"loaded into an emptied database by each method in turn, {ing['runs']} rounds, medians. "
        f"**{ing['rows']:,} rows, not the 1 million the issue asks for**: three rounds of three "
        "methods at a million rows would take hours here (the naive loop manages a few hundred "
        "rows a second), far beyond the 30-minute budget of `make bench`; nothing here is "
        "extrapolated to a million. Client RSS is the loading process's own peak (wait4); for LOAD CSV the "
        "work happens in the server, whose RSS (sampled) is beside it.",
        "",
        table(
            [
                "method",
                "s",
                "rows/s",
                "× LOAD CSV",
                "client peak RSS MiB",
                "Neo4j RSS MiB",
                "nodes / relationships",
            ],
            rows,
        ),  # fmt: skip
        "",
        f"Target ≥ 1.0× LOAD CSV with validation on: {met(ratio >= 1.0)} ({ratio:.2f}×). "
        "Our ingest does more than LOAD CSV: it checks the whole file before the first write "
        "(so bad input writes nothing; the checked batches wait for the write), resolves every "
        "company against the graph, checks every identifier's check digits and every SHACL "
        "rule, writes evidence links with quotes, and diffs against the graph so a re-run "
        "changes nothing; it beats the naive per-row loop by "
        f"{methods['ours']['rows_per_s'] / methods['naive']['rows_per_s']:.1f}×.",
        "",
        f"Where the time goes (cProfile of one {prof['rows']:,}-row ingest, "
        f"{total:.1f} s under the profiler; each stage includes what it calls):",
        "",
        table(["stage", "s", "share"], stage_rows),
        "",
        "What limits it: Python work per row (adapter parsing, validation, resolution, "
        "building write rows) on one core, and the writer's transaction per batch, which reads "
        "the batch's nodes and relationships back before it writes only what changed (what "
        "makes a re-run a no-op). See *Profile and fixes* below.",
        "",
    ]


def _exposure_section(e: dict[str, Any]) -> list[str]:
    g = e["graph"]
    rows = []
    for c in e["cases"]:
        d, a = c["driver"], c["api"]
        rows.append(
            [
                f"{c['holdings']:,} (~{c['target']:,})",
                c["hops"],
                f"{c['paths']:,}",
                f"{d['p50']:.0f} / {d['p95']:.0f} / {d['p99']:.0f}",
                f"{a['p50']:.0f} / {a['p95']:.0f} / {a['p99']:.0f}",
                f"{c['api_over_driver']:.2f}×",
                c["samples"],
            ]
        )
    worst = max(c["api_over_driver"] for c in e["cases"])
    mid = [c for c in e["cases"] if c["target"] == 1_000]
    p95 = max(c["api"]["p95"] for c in mid)
    ba = [
        [
            f"{b['holdings']:,}",
            _ms(b["before"]),
            _ms(b["after"]),
            f"{b['before']['ms'] / b['after']['ms']:.1f}×"
            if b["before"]["ms"] and b["after"]["ms"]
            else "—",
            f"{b['before']['db_hits']:,}" if b["before"]["db_hits"] else "—",
            f"{b['after']['db_hits']:,}" if b["after"]["db_hits"] else "—",
        ]
        for b in e["before_after"]
    ]
    failures = sorted({b[k]["failed"] for b in e["before_after"] for k in ("before", "after")
                       if b[k].get("failed")})  # fmt: skip
    cfg = e["config"]
    return [
        f"## 2. Exposure query latency: {g['nodes']:,} nodes, {g['relationships']:,} relationships",
        "",
        f"`rightsgraph synth` graph ({cfg['funds']:,} funds, {cfg['companies']:,} companies, "
        f"{g['holdings']:,} holdings, {cfg['contracts']:,} contracts, {cfg['regions']} regions, "
        "ownership trees, allegations on 3 % of companies). The core (regions, companies, "
        f"contracts, ownership, allegations) went through the adapters and the real writer in "
        f"{g['core_seconds']:.0f} s; the {g['holdings']:,} holdings were written with `UNWIND … CREATE` "
        f"batches of rows made by the writer's own ontology mapping in {g['bulk_seconds']:.0f} s "
        "(ingest would take far longer: see benchmark 1). Fund sizes are synth's power law; the "
        "funds nearest 10, 1,000 and 10,000 holdings were queried with no region filter (every "
        "region), the API's first page of 100 paths and its totals. Driver = the query in a "
        "read session as `api/graph.py` runs it; API = `GET /funds/{id}/exposure` on a uvicorn "
        "subprocess over loopback, one request at a time, alternating with the driver.",
        "",
        table(
            [
                "holdings",
                "ownership hops",
                "paths",
                "driver p50 / p95 / p99 ms",
                "API p50 / p95 / p99 ms",
                "API ÷ driver (p50)",
                "samples",
            ],
            rows,
        ),  # fmt: skip
        "",
        f"Targets: API within 1.3× of the driver: {met(worst <= 1.3)} (worst case {worst:.2f}×); "
        f"p95 under 100 ms for the 1,000-holding fund: {met(p95 < 100)} ({p95:.0f} ms). With few "
        "samples p99 is close to the maximum.",
        "",
        "Before and after the fix to `queries/exposure.cypher` (same graph, same run, driver, "
        "no ownership hops, median of 3; db hits from PROFILE):",
        "",
        table(
            ["holdings", "before ms", "after ms", "speed-up", "db hits before", "db hits after"], ba
        ),  # fmt: skip
        "",
        *(f"*failed*: {f}\n" for f in failures),
        "What limits it: the work grows with the number of paths, not holdings: every path "
        "(holding → company → contract → region) is found, its allegations collected (company, "
        "region hierarchy and contract) and sorted, because the totals and the ordering need "
        "all of them before the first page is known. Widely held companies are also the big "
        "suppliers in synth's graph, so even a 10-holding fund has hundreds of paths. The API's "
        "overhead on top is JSON validation and serialisation of the page (100 paths with "
        "evidence).",
        "",
    ]


def _ms(figures: dict[str, Any]) -> str:
    return f"{figures['ms']:.0f}" if figures.get("ms") else "*failed*"


def _export_section(x: dict[str, Any]) -> list[str]:
    rows = []
    for r in x.values():
        for name, v in r.items():
            parse = f" (+{v['parse_seconds']:.1f} s parse)" if v["parse_seconds"] else ""
            rows.append(
                [
                    f"{v['triples']:,}",
                    name,
                    f"{v['seconds']:.1f}{parse}",
                    f"{v['tps']:,.0f}",
                    f"{v['peak_mb']:.0f}",
                ]  # fmt: skip
            )
    big = x[max(x, key=int)]
    small = x[min(x, key=int)]
    nt = big["export N-Triples"]["tps"] / big["rdflib serialize nt"]["tps"]
    ttl = big["export Turtle"]["tps"] / big["rdflib serialize turtle"]["tps"]
    grow = big["export N-Triples"]["peak_mb"] / small["export N-Triples"]["peak_mb"]
    size = big["export N-Triples"]["triples"] / small["export N-Triples"]["triples"]
    return [
        "## 3. Export",
        "",
        "`bench/export_speed.py` at two graph sizes: our streamed export (reading Neo4j "
        "included) against rdflib's `Graph.serialize` of the same triples already in memory "
        "(its parse time shown apart), each in its own process for its own peak RSS.",
        "",
        table(["triples", "what", "s", "triples/s", "peak RSS MB"], rows),
        "",
        f"Target ≥ 5× rdflib: N-Triples {met(nt >= 5)} ({nt:.2f}×), Turtle {met(ttl >= 5)} "
        f"({ttl:.2f}×). Memory flat in graph size: {met(grow < 1.25)} ({size:.1f}× the triples, "
        f"{grow:.2f}× the peak RSS; rdflib's grows with the graph). What limits it: reading "
        "nodes and relationships back from Neo4j over Bolt and building each term in Python; "
        "rdflib's serializer starts with the graph in memory, so the comparison flatters it.",
        "",
    ]


def _validation_section(v: dict[str, Any]) -> list[str]:
    rows = [
        [
            label,
            f"{s['pyshacl_rps']:,.0f}",
            f"{s['fast_rps']:,.0f}",
            f"{s['ratio']:.0f}×",
            s["violations"],
            s["verdicts"],
            f"{v['full'][label]['fast_rps']:,.0f}",
        ]  # fmt: skip
        for label, s in v["small"].items()
    ]
    low = min(v["full"][label]["fast_rps"] / s["pyshacl_rps"] for label, s in v["small"].items())
    agree = all(s["verdicts"] == "match" for s in v["small"].values())
    return [
        "## 4. Validation",
        "",
        f"`bench/validation_speed.py`: a synthetic holdings report (holdings, companies, funds, "
        f"source), valid and with one record in 37 broken. pyshacl takes about a minute per "
        f"1,000 records here, so both validators ran on **{v['pyshacl_records']:,} records** "
        f"(verdicts compared), and ours alone again on the issue's {v['records']:,}-record "
        "report; rates are per record.",
        "",
        table(
            [
                "report",
                f"pyshacl rec/s ({v['pyshacl_records']:,})",
                f"ours rec/s ({v['pyshacl_records']:,})",
                "ratio",
                "violations",
                "verdicts",
                f"ours rec/s ({v['records']:,})",
            ],
            rows,
        ),  # fmt: skip
        "",
        f"Target ≥ 20× pyshacl with the same verdicts: {met(low >= 20 and agree)} (lowest "
        f"ratio {low:.0f}× with ours at full size against pyshacl's per-record rate; verdicts "
        f"{'match' if agree else 'DIFFER'}).",
        "",
    ]


def _pct(share: float) -> str:
    return f"{100 * share:.1f}" if share < 0.1 else f"{100 * share:.0f}"


def _throughput_section(t: dict[str, Any], small_ms: float) -> list[str]:
    ceiling = t["trivial"]["rps"]
    names = {
        "trivial": "trivial FastAPI endpoint (ceiling)",
        "search": "`GET /search?q=…`",
        "exposure": "`GET /funds/{id}/exposure` (funds of ~10 holdings)",
    }
    rows = [
        [
            names[k],
            f"{t[k]['rps']:,.1f}",
            f"{_pct(t[k]['rps'] / ceiling)} %",
            f"{t[k]['p50_ms']:.0f}",
            f"{t[k]['p99_ms']:.0f}",
            t[k]["requests"],
            t[k]["errors"],
        ]  # fmt: skip
        for k in names
    ]
    search = t["search"]["rps"] / ceiling
    expo = t["exposure"]["rps"] / ceiling
    errors = sum(t[k]["errors"] for k in names)
    return [
        "## 5. API throughput",
        "",
        f"{t['clients']} concurrent asynchronous httpx clients in one process, {t['seconds']:.0f} s "
        "per target, each target one uvicorn worker on loopback (as `rightsgraph serve` runs "
        "by default), rate limits off, anonymous callers, on the graph of benchmark 2. The "
        "clients, the server and Neo4j share the same 2 cores.",
        "",
        table(["target", "req/s", "% of ceiling", "p50 ms", "p99 ms", "requests", "errors"], rows),
        "",
        f"Targets: `/search` ≥ 50 % of the ceiling {met(search >= 0.5)} ({_pct(search)} %); "
        f"exposure ≥ 25 % {met(expo >= 0.25)} ({_pct(expo)} %); zero errors "
        f"{met(errors == 0)} ({errors}). What limits them: the ceiling itself is bound by the "
        "Python client and uvicorn sharing two cores; `/search` runs a full-text query and "
        "ranks and shapes the hits in one Python worker; exposure is bound by Neo4j's CPU time "
        f"per query: these funds have hundreds of paths each, about {small_ms:.0f} ms of one "
        "core per query alone (benchmark 2), so two cores answer a few a second and the other "
        "clients queue (hence its p50).",
        "",
    ]


def _resolution_section(res: dict[str, Any]) -> list[str]:
    baselines = res.get("baselines") or {}

    def beside(size: Any, name: str) -> str:
        b = baselines.get(size, baselines.get(str(size), {})).get(name)
        return f"{b['ms_per_record']} ms" if b else "–"

    rows = [
        [
            f"{int(size):,}",
            f"{f['ms_per_record']} ms",
            f"{f['records_per_s']:,}",
            f"{f.get('cpu_ms_per_record', '–')} ms",
            beside(size, "index only"),
            beside(size, "compare all"),
            beside(size, "baseline"),
            f["merged"],
            f["proposed"],
            f["new"],
        ]
        for size, f in res["sizes"].items()
    ]
    out = [
        "## 6. Resolution against a growing graph",
        "",
        f"A sample of {res['sample']:,} FtM companies (a third restated by ISIN under another "
        "spelling, a third misspelt, a third new) resolved by the real Resolver against graphs "
        "of each size (bench/resolution_speed.py); blocking should keep the time per record flat. "
        "Beside it, on the same records in the same run: the index lookups alone (index only) "
        "and comparing every candidate (compare all, as /match does).",
        "",
        table(
            [
                "entities in the graph",
                "time per record",
                "records/s",
                "client CPU per record",
                "index only",
                "compare all",
                "baseline",
                "merged",
                "proposed",
                "new",
            ],
            rows,
        ),
    ]
    full = res.get("full")
    if full:
        out += [
            "",
            f"Whole file: {full['records']:,} entities against {max(map(int, res['sizes'])):,} in "
            f"{full['seconds']} s = **{full['records_per_s']:,} records/s** "
            f"(goal ≥ 2,000: {met((full['records_per_s'] or 0) >= 2000)}).",
        ]
    return out + [""]


def _summary(r: dict[str, Any]) -> list[str]:
    return [
        "## Profile and fixes",
        "",
        "- Exposure (benchmark 2): PROFILE showed most db hits in building each path's "
        "description (evidence of holding, contract and each allegation; claimants, targets "
        "and regions of every allegation) for *every* path, before the page was cut. The query "
        "now finds all paths and their allegation ids (the totals need them), sorts, and "
        "describes only the requested page; the answer is the same (the exposure tests in "
        "tests/test_queries.py and tests/test_api.py pass unchanged). Before/after in the "
        "table of benchmark 2; the previous text is kept as bench/exposure_before.cypher for "
        "that comparison.",
        "- Ingest (benchmark 1): the stage table shows where the time goes; no single stage "
        "dominates enough for a fix within reach of this benchmark work (validation was sped "
        "up just before it; the remaining cost is spread over per-row Python and the "
        "two-pass all-or-nothing design). See docs/scaling.md for splitting ingest by source.",
        "",
    ]


# ---------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ingest-rows", type=int, default=10_000)
    parser.add_argument("--ingest-runs", type=int, default=3)
    parser.add_argument("--profile-rows", type=int, default=5_000)
    parser.add_argument(
        "--export-units", default="1560,3120", help="two graph sizes (3120: ≈430 k triples)"
    )
    parser.add_argument("--validation-records", type=int, default=10_000)
    parser.add_argument("--pyshacl-records", type=int, default=1_000)
    parser.add_argument("--holdings", type=int, default=1_000_000)
    parser.add_argument("--funds", type=int, default=8_000)
    parser.add_argument("--companies", type=int, default=30_000)
    parser.add_argument("--contracts", type=int, default=20_000)
    parser.add_argument("--latency-budget", type=float, default=12.0, help="seconds per case")
    parser.add_argument("--throughput-seconds", type=float, default=15.0)
    parser.add_argument(
        "--resolution-sizes", default="10000,100000,200000", help="graph sizes, last = file size"
    )
    parser.add_argument("--resolution-sample", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--render-only", action="store_true", help="rewrite --out from the last run's results.json"
    )
    args = parser.parse_args()
    if args.render_only:
        saved = json.loads((bench_settings().home / "results.json").read_text())
        args.out.write_text(render(saved), encoding="utf-8")
        return

    began = time.perf_counter()
    settings = bench_settings()
    results: dict[str, Any] = {}
    log(f"benchmarks: Neo4j on port {settings.neo4j_port}, data in {settings.neo4j_dir}")
    log("4. validation")
    results["validation"] = validation(args.validation_records, args.pyshacl_records, 5)
    with bench_server(settings, fresh=True) as pid:
        log("3. export")
        results["export"] = export(settings, [int(u) for u in args.export_units.split(",")])
        log("1. ingest")
        results["ingest_profile"] = ingest_speed.profile_stages(settings, args.profile_rows)
        log(f"  profile: {results['ingest_profile']}")
        results["ingest"] = ingest_speed.run(settings, pid, args.ingest_rows, args.ingest_runs)
        with make_driver(settings) as driver:
            empty_database(driver)
        log("2. exposure latency")
        config = dataclasses.replace(
            exposure_latency.GRAPH,
            funds=args.funds, companies=args.companies, holdings=args.holdings,
            contracts=args.contracts,
        )  # fmt: skip
        results["exposure"] = exposure_latency.run(settings, config, args.latency_budget)
        log("5. API throughput")
        terms = [word(1, i) for i in range(0, 2000, 37)]  # first words of company names
        results["throughput"] = api_throughput.run(
            settings, terms, results["exposure"]["small_funds"], args.throughput_seconds
        )
        log("6. resolution")
        sizes = [int(x) for x in args.resolution_sizes.split(",")]
        results["resolution"] = resolution_speed.run(settings, sizes, args.resolution_sample)
        results["machine"] = machine(settings, time.perf_counter() - began)
    results["machine"]["took"] = f"{(time.perf_counter() - began) / 60:.1f} min"
    (settings.home / "results.json").write_text(json.dumps(results, indent=2, default=str))
    args.out.write_text(render(results), encoding="utf-8")
    log(f"wrote {args.out} in {(time.perf_counter() - began) / 60:.1f} min")


if __name__ == "__main__":
    main()
