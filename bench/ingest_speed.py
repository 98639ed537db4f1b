"""Benchmark 1: holdings rows per second and peak memory, our ingest against Neo4j's own loaders.

One synthetic holdings table (`rightsgraph synth`'s rows: power-law fund sizes, LEIs and ISINs
with valid check digits) is loaded into an empty database, in turn, by:
  - ours:     `rightsgraph ingest FILE` (adapter → resolve → SHACL validation → write), the CLI
              as users run it (wall time includes the interpreter's start-up); a file of at
              least RIGHTSGRAPH_BULK_THRESHOLD bytes (1 MiB) takes the bulk path;
  - rerun:    the same command again over the graph `ours` left (it must change nothing);
  - normal:   `ours` with the bulk path turned off (RIGHTSGRAPH_BULK_THRESHOLD=-1);
  - LOAD CSV: `LOAD CSV WITH HEADERS FROM 'file:///…' CALL (row) {…} IN TRANSACTIONS` of the
              same file into the same server, writing the same nodes and relationships (fund,
              company, holding, HOLDS, IN, EVIDENCED_BY to the file's Source) without checks;
  - naive:    the same per-row MERGE statement sent by a driver loop, one transaction per row.
Each runs in its own process, so its peak RSS (wait4) is its own; the Neo4j server's RSS is
sampled beside it (for LOAD CSV the work happens there). Medians of --runs rounds, the methods
interleaved within each round. Figures are printed, never asserted.

    python bench/ingest_speed.py --rows 20000 --runs 3     # starts and stops its own Neo4j
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import (
    ROOT,
    RssSampler,
    bench_server,
    bench_settings,
    child_env,
    counts,
    empty_database,
    import_dir,
    median,
    run_measured,
)

from core.settings import Settings
from ontology.model import load_model
from rightsgraph.synth import Synth, SynthConfig

SOURCE_ID = "src-bench-holdings"


def write_holdings(path: Path, rows: int, seed: int = 1) -> Path:
    """`rows` holdings rows of 50 funds in companies a quarter as many, in synth's CSV layout."""
    config = SynthConfig(
        funds=50, companies=max(1000, rows // 4), holdings=rows, contracts=0, seed=seed
    )
    Synth(config).write_holdings(path)
    return path


def row_statement() -> str:
    """One holdings row as MERGEs, the same graph shape our writer makes; labels and types come
    from the ontology. Used per row by LOAD CSV and by the naive loop alike."""
    model = load_model()
    holding = model.properties_of("Holding")

    def labels(cls: str) -> tuple[str, str]:
        *general, own = model.labels_of(cls)
        return own, ":".join(general)

    fund, fund_more = labels("Fund")
    company, company_more = labels("Company")
    fact, fact_more = labels("Holding")
    source, _ = labels("Source")
    holds, held_in = holding["fund"].neo4j_type, holding["company"].neo4j_type
    evidenced = model.edge_class.neo4j_type
    return f"""
  MATCH (s:{source} {{id: $source}})
  WITH row, s, 'fund-' + replace(toLower(row.fund), ' ', '-') AS fundId
  MERGE (f:{fund} {{id: fundId}})
    ON CREATE SET f:{fund_more}, f.name = row.fund, f.tlp = 'GREEN'
  MERGE (c:{company} {{id: 'lei-' + row.lei}})
    ON CREATE SET c:{company_more}, c.name = row.company, c.lei = row.lei, c.country = row.country,
                  c.isin = CASE row.isin WHEN '' THEN [] ELSE [row.isin] END, c.tlp = 'GREEN'
  MERGE (h:{fact} {{id: 'holding-' + fundId + '-' + toLower(row.lei) + '-' + row.as_of}})
  SET h:{fact_more}, h.asOf = row.as_of, h.marketValue = toFloat(row.value),
      h.currency = row.currency, h.ownershipShare = toFloat(row.ownership) / 100,
      h.held = true, h.industry = row.industry, h.tlp = 'GREEN'
  MERGE (f)-[:{holds}]->(h)
  MERGE (h)-[:{held_in}]->(c)
  MERGE (h)-[e:{evidenced}]->(s) SET e.quote = row.company, e.locator = 'row'
"""


def _prepare_source(driver) -> None:  # noqa: ANN001
    *general, own = load_model().labels_of("Source")
    driver.execute_query(
        f"MERGE (s:{own} {{id: $id}}) SET s:{':'.join(general)}, s.tlp = 'GREEN'", id=SOURCE_ID
    )


def load_csv(file_name: str) -> dict[str, Any]:
    from core.db import make_driver

    driver = make_driver()
    _prepare_source(driver)
    query = (
        "LOAD CSV WITH HEADERS FROM 'file:///' + $file AS row\n"
        f"CALL (row) {{{row_statement()}}} IN TRANSACTIONS OF 1000 ROWS"
    )
    began = time.perf_counter()
    with driver.session() as session:  # CALL … IN TRANSACTIONS needs an implicit transaction
        session.run(query, file=file_name, source=SOURCE_ID).consume()
    seconds = time.perf_counter() - began
    driver.close()
    return {"seconds": seconds}


def naive(path: Path) -> dict[str, Any]:
    from core.db import make_driver

    driver = make_driver()
    _prepare_source(driver)
    query = f"WITH $row AS row{row_statement()}"
    began = time.perf_counter()
    with driver.session() as session, path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            session.execute_write(
                lambda tx, r=row: tx.run(query, row=r, source=SOURCE_ID).consume()
            )
    seconds = time.perf_counter() - began
    driver.close()
    return {"seconds": seconds}


def _one(method: str, path: Path, settings: Settings, server_pid: int) -> dict[str, Any]:
    """One load into an emptied database (`rerun`: over what `ours` left), in a child process;
    its figures."""
    from core.db import make_driver

    if method != "rerun":
        driver = make_driver(settings)
        empty_database(driver)
        driver.close()
    env = child_env(settings, {"RIGHTSGRAPH_BULK_THRESHOLD": "-1"} if method == "normal" else None)
    if method in OURS:
        command = [sys.executable, "-m", "rightsgraph.cli", "ingest", "--json", str(path)]
    else:
        command = [sys.executable, __file__, "--child", method, "--file", str(path)]
    with RssSampler(server_pid) as server:
        code, wall, peak, out = run_measured(command, env)
    result: dict[str, Any] = {"ok": code == 0, "peak_mib": peak, "server_peak_mib": server.peak_mib}
    result["server_start_mib"] = server.start_mib
    if method in OURS:
        result["seconds"] = wall
        summary = json.loads(out) if code == 0 else {}
        result["ok"] = code == 0 and summary.get("problems") == []
        result["changes"] = sum(
            sum(summary.get(k, {}).values()) for k in ("created", "updated", "removed")
        )
    else:
        result["seconds"] = (
            json.loads(out.strip().splitlines()[-1])["seconds"] if code == 0 else wall
        )
    driver = make_driver(settings)
    result["nodes"], result["relationships"] = counts(driver)
    driver.close()
    return result


OURS = ("ours", "rerun", "normal")  # the CLI, as users run it
METHODS = ("ours", "rerun", "normal", "load_csv", "naive")


# where the time of our ingest goes: functions of the pipeline, by stage
STAGES = {
    "read (adapter)": ("ingest/adapters.py", "read_batches"),
    "validate (SHACL rules)": ("ontology/validate.py", "validate_records"),
    "resolve (graph look-ups, matching)": ("ingest/pipeline.py", "lookup_nodes"),
    "write (writer transaction)": ("ingest/writer.py", "write_batch"),
}


def profile_stages(settings: Settings, rows: int) -> dict[str, Any]:
    """cProfile of one ingest of `rows` rows into an empty database: seconds per stage (the
    profiler slows Python code, not the server: shares, not absolute times, are the point)."""
    import cProfile
    import pstats

    from core.db import make_driver
    from ingest.pipeline import ingest_paths

    driver = make_driver(settings)
    empty_database(driver)
    profiler = cProfile.Profile()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_holdings(Path(tmp) / "holdings-profile.csv", rows)
        began = time.perf_counter()
        profiler.enable()
        ingest_paths([path], driver, database=settings.neo4j_database)
        profiler.disable()
        total = time.perf_counter() - began
    driver.close()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    stages: dict[str, float] = {}
    for stage, (file, function) in STAGES.items():
        stages[stage] = sum(
            v[3] for (f, _, fn), v in stats.items() if f.endswith(file) and fn == function
        )
    return {"rows": rows, "seconds": total, "stages": stages}


def run(
    settings: Settings, server_pid: int, rows: int, runs: int, methods: tuple[str, ...] = METHODS
) -> dict[str, Any]:
    """The benchmark against a running bench server; returns the figures for the report."""
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        path = write_holdings(Path(tmp) / "holdings-bench.csv", rows)
        print(f"  wrote {rows:,} holdings rows in {time.perf_counter() - began:.1f} s", flush=True)
        shutil.copy(path, import_dir(settings) / path.name)
        results: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
        try:
            for number in range(runs):
                for method in methods:
                    figures = _one(method, path, settings, server_pid)
                    results[method].append(figures)
                    print(
                        f"  round {number + 1} {method:9} {figures['seconds']:7.1f} s "
                        f"{rows / figures['seconds']:8,.0f} rows/s  client {figures['peak_mib']:5.0f}"
                        f" MiB  Neo4j {figures['server_peak_mib']:5.0f} MiB  "
                        f"{figures['nodes']:,} nodes {figures['relationships']:,} rels"
                        + (f"  {figures['changes']:,} changes" if "changes" in figures else "")
                        + f"{'' if figures['ok'] else '  FAILED'}",
                        flush=True,
                    )
        finally:
            (import_dir(settings) / path.name).unlink(missing_ok=True)
    summary = {
        m: {
            "seconds": median([r["seconds"] for r in rs]),
            "rows_per_s": rows / median([r["seconds"] for r in rs]),
            "peak_mib": median([r["peak_mib"] for r in rs]),
            "server_peak_mib": max(r["server_peak_mib"] for r in rs),
            "nodes": rs[-1]["nodes"],
            "relationships": rs[-1]["relationships"],
            "ok": all(r["ok"] for r in rs),
            **({"changes": rs[-1]["changes"]} if "changes" in rs[-1] else {}),
        }
        for m, rs in results.items()
    }
    return {"rows": rows, "runs": runs, "methods": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--methods", default=",".join(METHODS), help="comma-separated: " + ", ".join(METHODS)
    )
    parser.add_argument("--pagecache", default="2g")
    parser.add_argument("--child", choices=("load_csv", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = load_csv(args.file.name) if args.child == "load_csv" else naive(args.file)
        print(json.dumps(result))
        return
    settings = bench_settings()
    methods = tuple(m for m in args.methods.split(",") if m)
    if "rerun" in methods and "ours" not in methods:
        parser.error("rerun needs ours (it runs over the graph ours left)")
    with bench_server(settings, pagecache=args.pagecache) as pid:
        figures = run(settings, pid, args.rows, args.runs, methods)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
