"""Resolution speed: records/s resolving an FtM file against a graph of the same size, and the
time per record as the graph grows (blocking should keep it flat).

The graph is filled with synthetic FtM companies through the real pipeline; the query file
holds the same number of entities: a third restate graph companies by ISIN under another
name, a third are misspellings of graph names, a third are new. Resolving is the real
Resolver (one blocking query per batch, then scoring), nothing written.

    python bench/resolution_speed.py --sizes 10000,100000,200000 --sample 2000
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import ROOT, bench_server, bench_settings, empty_database

sys.path.insert(0, str(ROOT))

from core.db import make_driver  # noqa: E402
from core.settings import Settings  # noqa: E402
from ingest.adapters import read_batches  # noqa: E402
from ingest.pipeline import ingest_paths  # noqa: E402
from ingest.resolve import Resolver  # noqa: E402
from ontology.identifiers import isin_check_digit  # noqa: E402
from rightsgraph.synth import word  # noqa: E402

BATCH = 500


def isin(i: int) -> str:
    prefix = f"XS{i:09d}"
    return prefix + isin_check_digit(prefix)


def company(i: int) -> dict[str, Any]:
    name = f"{word(0, i).title()} {word(1, i * 7 + 3).title()} {word(2, i * 13 + 5).title()} Ltd"
    return {
        "id": f"bench-{i}",
        "schema": "Company",
        "properties": {"name": [name], "isinCode": [isin(i)], "country": ["no"]},
    }


def query_entity(i: int, n: int, rng: random.Random) -> dict[str, Any]:
    base = company(rng.randrange(n))
    name = base["properties"]["name"][0]
    kind = i % 3
    if kind == 0:  # the same company by ISIN, under another spelling
        props = {
            "name": [name.upper().replace(" LTD", " LIMITED")],
            "isinCode": base["properties"]["isinCode"],
        }
    elif kind == 1:  # a misspelling, no identifier
        chars = list(name)
        j = rng.randrange(1, max(2, len(chars) - 5))
        chars[j], chars[j + 1] = chars[j + 1], chars[j]
        props = {"name": ["".join(chars)]}
    else:  # a company the graph does not hold
        props = {"name": [company(n + i)["properties"]["name"][0]]}
    return {"id": f"query-{i}", "schema": "Company", "properties": props}


def write_ftm(path: Path, entities: Any) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for entity in entities:
            fh.write(json.dumps(entity) + "\n")
    return path


def records_of(path: Path) -> list[dict[str, Any]]:
    return [r for b in read_batches(path, "ftm") for r in b.records if r["type"] == "Company"]


def resolve_all(settings: Settings, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Resolve every record (batches of BATCH, as an ingest does); nothing is written."""
    driver = make_driver(settings)
    try:
        resolver = Resolver(driver, settings.neo4j_database)
        verdicts = {"merged": 0, "proposed": 0, "new": 0}
        began = time.perf_counter()
        for start in range(0, len(records), BATCH):
            chunk = records[start : start + BATCH]
            resolver.prefetch(chunk)
            for record in chunk:
                found, proposal = resolver.match(record, "GREEN")
                verdicts["merged" if found else "proposed" if proposal else "new"] += 1
        took = time.perf_counter() - began
    finally:
        driver.close()
    return {
        "records": len(records),
        "seconds": round(took, 2),
        "records_per_s": round(len(records) / took, 1) if took else None,
        "ms_per_record": round(1000 * took / len(records), 3) if records else None,
        **verdicts,
    }


def run(settings: Settings, sizes: list[int], sample: int, full: bool = True) -> dict[str, Any]:
    """Grow the graph to each size, timing a sample of records at each; then, at the largest
    size, resolve a whole file of that many entities (`full`)."""
    rng = random.Random(17)
    out: dict[str, Any] = {"sizes": {}, "sample": sample}
    driver = make_driver(settings)
    empty_database(driver, settings.neo4j_database)
    driver.close()
    loaded = 0
    with tempfile.TemporaryDirectory(prefix="rg-bench-resolution-") as tmp:
        folder = Path(tmp)
        for size in sizes:
            chunk = write_ftm(folder / f"graph-{size}.ftm.jsonl", map(company, range(loaded, size)))
            began = time.perf_counter()
            with make_driver(settings) as driver:
                result = ingest_paths([chunk], driver, database=settings.neo4j_database)
            assert result.ok, result.problems[:3]
            print(f"graph {size}: loaded in {time.perf_counter() - began:.0f} s", flush=True)
            loaded = size
            queries = write_ftm(
                folder / f"query-{size}.ftm.jsonl",
                (query_entity(i, size, rng) for i in range(sample)),
            )
            out["sizes"][size] = resolve_all(settings, records_of(queries))
            print(f"  sample: {out['sizes'][size]}", flush=True)
        if full:
            whole = write_ftm(
                folder / "query-full.ftm.jsonl",
                (query_entity(i, loaded, rng) for i in range(loaded)),
            )
            out["full"] = resolve_all(settings, records_of(whole))
            print(f"full file of {loaded}: {out['full']}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,200000")
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--no-full", action="store_true", help="skip the whole-file run")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    settings = bench_settings()
    with bench_server(settings):
        figures = run(
            settings, [int(s) for s in args.sizes.split(",")], args.sample, not args.no_full
        )
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
