"""Export speed and memory: our streamed N-Triples / Turtle export against rdflib's Graph.serialize.

    python bench/export_speed.py [--units 3120] [--keep]

Needs a running, EMPTY Neo4j (RIGHTSGRAPH_NEO4J_PORT / NEO4J_URI as for the CLI); it is filled
with a generated graph (`rightsgraph.synth.generate_records`) written by the real writer (`ingest.writer.write_batch`,
batches of 2000 records; resolution and SHACL validation are skipped: they are ingest's cost, not
export's) and emptied again at the end unless --keep.

Each measurement runs in its own subprocess so that its peak RSS (ru_maxrss) is its own:
  - export-nt / export-ttl: our export from Neo4j to /dev/null (Neo4j reads included);
  - rdflib-nt / rdflib-ttl: rdflib parses our N-Triples into one Graph (timed apart), then
    Graph.serialize writes the same triples to /dev/null.
The default graph, 3,120 generated units, is about 430,000 triples (issue 21's size). Figures are
printed beside the goals (Turtle ≥ 5× rdflib's Turtle, N-Triples ≥ 1.5× rdflib's N-Triples,
peak RSS under 200 MB), never asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

BATCH = 2000
GOALS = {"N-Triples": 1.5, "Turtle": 5.0}  # × rdflib's serialize speed (issue 21)
PEAK_MB_GOAL = 200


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def generate(units: int) -> int:
    from core.db import database, make_driver
    from ingest.writer import WritePlan, ensure_schema, write_batch
    from rightsgraph.synth import generate_records

    driver = make_driver()
    db = database()
    if driver.execute_query("MATCH (n) RETURN count(n) AS n", database_=db)[0][0]["n"]:
        sys.exit("the database is not empty: point the benchmark at an empty one")
    ensure_schema(driver, db)
    records = generate_records(units, seed=7, prefix="bench")
    report = {"id": "report-bench", "type": "Report", "name": "bench", "reviewStatus": "reviewed"}
    records.insert(0, report)
    start = time.perf_counter()
    with driver.session(database=db) as session:
        for i in range(0, len(records), BATCH):
            chunk = records[i : i + BATCH]
            tlp = {r["id"]: r.get("tlp", "CLEAR") for r in chunk}
            plan = WritePlan(chunk, tlp, "report-bench", "bench")
            session.execute_write(write_batch, plan)
    took = time.perf_counter() - start
    print(f"generated {len(records)} records in {took:.0f} s (writer, no SHACL)")
    driver.close()
    return len(records)


def measure_export(fmt: str, out: str) -> dict:
    from core.db import database, make_driver
    from export.options import ExportOptions
    from export.stream import write_export

    driver = make_driver()
    start, cpu = time.perf_counter(), time.process_time()
    with open(out, "w", encoding="utf-8") as fh:
        writer = write_export(driver, ExportOptions(format=fmt, tlp="RED"), fh, database())
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    driver.close()
    return {"triples": writer.triples, "seconds": seconds, "cpu": cpu, "peak_mb": _rss_mb()}


def measure_rdflib(fmt: str, source: str) -> dict:
    from rdflib import Graph

    start = time.perf_counter()
    graph = Graph().parse(source, format="nt")
    parsed = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    with open("/dev/null", "wb") as fh:
        graph.serialize(fh, format=fmt)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "triples": len(graph),
        "seconds": seconds,
        "cpu": cpu,
        "parse_seconds": parsed,
        "peak_mb": _rss_mb(),
    }


def run(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--units", type=int, default=3120, help="graph size (≈138 triples each; 3120: ≈430 k)"
    )
    parser.add_argument("--keep", action="store_true", help="leave the generated graph in Neo4j")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        kind, fmt = args.measure.split(":")
        result = (
            measure_export(fmt, args.file) if kind == "export" else measure_rdflib(fmt, args.file)
        )
        print(json.dumps(result))
        return
    generate(args.units)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            nt = str(Path(tmp) / "export.nt")
            rows = [
                ("export N-Triples", run("--measure", "export:ntriples", "--file", nt)),
                ("export Turtle", run("--measure", "export:turtle", "--file", "/dev/null")),
                ("rdflib serialize nt", run("--measure", "rdflib:nt", "--file", nt)),
                ("rdflib serialize turtle", run("--measure", "rdflib:turtle", "--file", nt)),
            ]
    finally:
        if not args.keep:
            from core.db import database, make_driver

            driver = make_driver()
            with driver.session(database=database()) as session:  # implicit: IN TRANSACTIONS
                session.run(
                    "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
                ).consume()
            driver.close()
    print(
        f"{'':26} {'triples':>10} {'seconds':>8} {'CPU s':>6} {'triples/s':>10} {'peak RSS MB':>12}"
    )
    for name, r in rows:
        rate = r["triples"] / r["seconds"] if r["seconds"] else 0
        extra = (
            f"  (+{r['parse_seconds']:.1f} s to parse into a Graph)" if "parse_seconds" in r else ""
        )
        figures = (
            f"{r['triples']:>10} {r['seconds']:>8.1f} {r['cpu']:>6.1f} {rate:>10.0f} "
            f"{r['peak_mb']:>12.0f}"
        )
        print(f"{name:26} {figures}{extra}")
    for label, ours, theirs in (
        ("N-Triples", rows[0][1], rows[2][1]),
        ("Turtle", rows[1][1], rows[3][1]),
    ):
        speed = (ours["triples"] / ours["seconds"]) / (theirs["triples"] / theirs["seconds"])
        memory = ours["peak_mb"] / theirs["peak_mb"]
        verdict = "meets" if speed >= GOALS[label] else "misses"
        print(
            f"{label}: {speed:.2f}× rdflib's speed (ours reads Neo4j; goal ≥ {GOALS[label]}×: "
            f"{verdict}), {memory:.2f}× its peak RSS; ours {ours['peak_mb']:.0f} MB "
            f"(goal < {PEAK_MB_GOAL} MB)"
        )


if __name__ == "__main__":
    main()
