"""Benchmark: the holdings adapter streams a generated N-row CSV in flat memory.

Generates an NBIM-style CSV in a temporary folder, reads it with the holdings adapter (no
database) and prints rows per second and memory: resident set size at checkpoints through the
file and the process's peak. Flat memory means the RSS at the end is about the RSS after the
first batches, whatever N is. With --ingest M it also runs the full pipeline (resolve, validate,
write) on the first M rows against the configured Neo4j and prints rows per second for that.

    python bench/holdings_memory.py --rows 1000000
    python bench/holdings_memory.py --rows 1000000 --ingest 5000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

HEADER = (
    "Region,Country,Name,Industry,Market Value(NOK),Market Value(USD),Voting,Ownership,"
    "Incorporation Country\n"
)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEADER)
        for i in range(rows):
            share = f"0.{i % 100:02d}"
            fh.write(
                f"Asia,China,Example Holding Company {i} Co Ltd,Industrials,"
                f"{1000 + i},{100 + i},{share},{share},China\n"
            )


def read_only(path: Path, rows: int) -> None:
    from ingest.source_holdings import read_holdings

    checkpoints = {rows // 10, rows // 2, rows}
    seen = 0
    start = time.perf_counter()
    base = rss_mib()
    print(f"RSS before reading: {base:.0f} MiB")
    for batch in read_holdings(path, fund="GPFG", as_of="2019-12-31"):
        before = seen
        seen += sum(1 for r in batch.records if r["type"] == "Holding")
        for mark in sorted(checkpoints):
            if before < mark <= seen:
                print(f"  after {seen:>9,} rows: RSS {rss_mib():.0f} MiB")
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = seen / elapsed
    print(f"read {seen:,} holdings in {elapsed:.1f} s: {rate:,.0f} rows/s; peak RSS {peak:.0f} MiB")


def full_ingest(path: Path, rows: int) -> None:
    from core.db import connect
    from core.settings import get_settings
    from ingest.pipeline import ingest_paths

    small = path.with_name("holdings-ingest.csv")
    with path.open(encoding="utf-8") as src, small.open("w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i > rows:
                break
            dst.write(line)
    settings = get_settings()
    driver = connect(settings)
    try:
        start = time.perf_counter()
        result = ingest_paths(
            [small],
            driver,
            database=settings.neo4j_database,
            options={"fund": "GPFG", "as_of": "2019-12-31"},
        )
        elapsed = time.perf_counter() - start
    finally:
        driver.close()
    status = "ok" if result.ok else f"{len(result.problems)} problems"
    print(f"full ingest of {rows:,} rows: {elapsed:.1f} s, {rows / elapsed:,.0f} rows/s ({status})")
    print(f"  created {dict(result.summary.created)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--ingest", type=int, default=0, help="also ingest this many rows into the configured Neo4j"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "EQ_2019_Industry.csv"
        start = time.perf_counter()
        generate(path, args.rows)
        size = path.stat().st_size / 2**20
        print(
            f"generated {args.rows:,} rows ({size:.0f} MiB) in {time.perf_counter() - start:.1f} s"
        )
        read_only(path, args.rows)
        if args.ingest:
            full_ingest(path, args.ingest)


if __name__ == "__main__":
    main()
