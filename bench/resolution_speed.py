"""Resolution speed: records/s resolving an FtM file against a graph of the same size, and the
time per record as the graph grows (blocking should keep it flat).

The graph holds synthetic FtM companies: the first SEED go through the real pipeline (writer,
statements, blockKeys), the rest are copies of the shape of one node that writer wrote, with
their own values and blockKeys from ingest.blocking (the real writer would take most of the
run; resolution reads only the index and a node's properties). The query file: a third restate
graph companies by ISIN under another name, a third are misspellings of graph names, a third
are new. Resolving is the real Resolver (Resolver.match, as an ingest calls it), nothing
written. Beside it, in the same run and on the same records:

- `index only`: one BM25 lookup per record (the OR of its keys, 20 hits, ids returned,
  nothing compared), as the resolver asked the rg_block index before its lookup became one
  term query per distinct key of a batch;
- `compare all`: every candidate turned into a profile and compared (what /match does, and
  what match did before candidates were screened by their keys);
- `baseline` (`--baseline DIR`): the resolver of another checkout, e.g. main's code from
  `git archive main | tar -x -C DIR`, in a process of its own on the same file and server.

Times are wall clock; `cpu ms` is this process's CPU per record (the rest is the server's).

    python bench/resolution_speed.py --sizes 10000,100000,200000 --sample 2000 --full 200000 \
        --baseline /tmp/main
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import ROOT, bench_server, bench_settings, empty_database

sys.path.insert(0, str(ROOT))

from core import names as system  # noqa: E402
from core.db import make_driver  # noqa: E402
from core.settings import Settings  # noqa: E402
from ingest.adapters import read_batches  # noqa: E402
from ingest.blocking import (  # noqa: E402
    INDEX_NAME,
    analyse,
    block_keys,
    lucene_query,
    record_from_props,
)
from ingest.normalize import normalise_name  # noqa: E402
from ingest.pipeline import ingest_paths  # noqa: E402
from ingest.resolve import CANDIDATES, Resolver  # noqa: E402
from ingest.scoring import SKETCH_CACHES  # noqa: E402
from ontology.identifiers import isin_check_digit  # noqa: E402
from ontology.model import load_model  # noqa: E402
from rightsgraph.synth import word  # noqa: E402

BATCH = 500
SEED = 5000  # graph companies written by the real pipeline; the rest copy their shape
FILL = 5000  # nodes per bulk transaction


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


def fill(settings: Settings, start: int, stop: int) -> None:
    """Companies start..stop-1 in the shape of `bench-0` as the writer wrote it: every property,
    the statements and the evidence link copied with this company's values and blockKeys."""
    model = load_model()
    first = company(0)["properties"]
    with make_driver(settings) as driver:
        rows, _, _ = driver.execute_query(
            "MATCH (n:Company {id: 'ftm-bench-0'})-[r:EVIDENCED_BY]->(s) "
            "RETURN properties(n) AS node, labels(n) AS labels, properties(r) AS rel, s.id AS src",
            database_=settings.neo4j_database,
        )
        template = rows[0]
        node_text, rel_text = json.dumps(template["node"]), json.dumps(template["rel"])
        swaps = [
            (first["name"][0], None),
            (normalise_name(first["name"][0]), None),
            (first["isinCode"][0], None),
            ("bench-0", None),
            ("BENCH-0", None),
            (template["rel"][system.EDGE_KEY], None),
        ]
        labels = ":".join(f"`{label}`" for label in template["labels"])
        for begin in range(start, stop, FILL):
            batch = []
            for i in range(begin, min(stop, begin + FILL)):
                p = company(i)["properties"]
                values = [
                    p["name"][0],
                    normalise_name(p["name"][0]),
                    p["isinCode"][0],
                    f"bench-{i}",
                    f"BENCH-{i}",
                    f"{i:016x}",
                ]
                node, rel = node_text, rel_text
                for (old, _), value in zip(swaps, values, strict=True):
                    node, rel = node.replace(old, value), rel.replace(old, value)
                props = json.loads(node)
                record = record_from_props("Company", props, model)
                props[system.BLOCK_KEYS] = block_keys(record, model)
                batch.append({"props": props, "rel": json.loads(rel)})
            driver.execute_query(
                f"MATCH (s:Source {{id: $src}}) UNWIND $rows AS row CREATE (n:{labels}) "
                "SET n = row.props CREATE (n)-[r:EVIDENCED_BY]->(s) SET r = row.rel",
                src=template["src"],
                rows=batch,
                database_=settings.neo4j_database,
            )


def resolve_all(settings: Settings, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Resolve every record (batches of BATCH, as an ingest does); nothing is written."""
    driver = make_driver(settings)
    try:
        resolver = Resolver(driver, settings.neo4j_database)
        verdicts = {"merged": 0, "proposed": 0, "new": 0}
        began, cpu = time.perf_counter(), time.process_time()
        for start in range(0, len(records), BATCH):
            chunk = records[start : start + BATCH]
            resolver.prefetch(chunk)
            for record in chunk:
                found, proposal = resolver.match(record, "GREEN")
                verdicts["merged" if found else "proposed" if proposal else "new"] += 1
        took, cpu = time.perf_counter() - began, time.process_time() - cpu
    finally:
        driver.close()
    return {**_rates(len(records), took, cpu), **verdicts}


def cold() -> None:
    """Forget the names analysed so far, so no method profits from the one timed before it."""
    analyse.cache_clear()
    for cache in SKETCH_CACHES:
        cache.cache_clear()


def _rates(n: int, took: float, cpu: float) -> dict[str, Any]:
    return {
        "records": n,
        "seconds": round(took, 2),
        "records_per_s": round(n / took, 1) if took else None,
        "ms_per_record": round(1000 * took / n, 3) if n else None,
        "cpu_ms_per_record": round(1000 * cpu / n, 3) if n else None,
    }


def index_only(settings: Settings, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Baseline: the same blocking lookups, one query per batch, candidate ids only."""
    model = load_model()
    with make_driver(settings) as driver:
        began, cpu, hits = time.perf_counter(), time.process_time(), 0
        for start in range(0, len(records), BATCH):
            queries = [
                {"id": r["id"], "q": lucene_query(block_keys(r, model))}
                for r in records[start : start + BATCH]
            ]
            rows, _, _ = driver.execute_query(
                "UNWIND $queries AS q CALL (q) { "
                f"CALL db.index.fulltext.queryNodes('{INDEX_NAME}', q.q, {{limit: $limit}}) "
                "YIELD node WHERE 'Company' IN labels(node) RETURN node.id AS id } "
                "RETURN q.id AS record, id",
                queries=queries,
                limit=CANDIDATES,
                database_=settings.neo4j_database,
                routing_="r",
            )
            hits += len(rows)
        took, cpu = time.perf_counter() - began, time.process_time() - cpu
    return {
        **_rates(len(records), took, cpu),
        "candidates_per_record": round(hits / len(records), 1),
    }


def compare_all(settings: Settings, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Baseline: every candidate of every record made a profile and compared."""
    with make_driver(settings) as driver:
        resolver = Resolver(driver, settings.neo4j_database)
        began, cpu = time.perf_counter(), time.process_time()
        for start in range(0, len(records), BATCH):
            chunk = records[start : start + BATCH]
            resolver.prefetch(chunk, certain=False)
            for record in chunk:
                resolver.candidates(record, "GREEN")
        took, cpu = time.perf_counter() - began, time.process_time() - cpu
    return _rates(len(records), took, cpu)


_BASELINE = """
import json, sys
from pathlib import Path
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/bench"]
import resolution_speed as rs
from benchlib import bench_settings
print(json.dumps(rs.resolve_all(bench_settings(), rs.records_of(Path(sys.argv[2])))))
"""


def baseline_resolver(checkout: Path, queries: Path) -> dict[str, Any]:
    """The resolver of another checkout (e.g. main's code, `git archive main`) on the same
    file and server, in a process of its own (its modules, cold caches)."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run(
        [sys.executable, "-c", _BASELINE, str(checkout), str(queries)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _line(name: str, f: dict[str, Any]) -> str:
    return (
        f"    {name:<12} {f['records_per_s']:>9,.0f} records/s  {f['ms_per_record']:>7.3f} ms/record"
        f"  (cpu {f['cpu_ms_per_record']:.3f} ms)"
    )


def run(
    settings: Settings,
    sizes: list[int],
    sample: int,
    full: int | bool = True,
    baseline: Path | None = None,
    baseline_full: bool = False,
) -> dict[str, Any]:
    """Grow the graph to each size, timing a sample of records at each (the Resolver beside
    the two baselines, and `baseline`'s resolver when given: another checkout); then, at the
    largest size, resolve a whole file (`full` records: the largest size when True, none when
    False), with `baseline`'s resolver after it when `baseline_full`."""
    rng = random.Random(17)
    out: dict[str, Any] = {"sizes": {}, "sample": sample, "baselines": {}}
    driver = make_driver(settings)
    empty_database(driver, settings.neo4j_database)
    driver.close()
    loaded = 0
    with tempfile.TemporaryDirectory(prefix="rg-bench-resolution-") as tmp:
        folder = Path(tmp)
        for size in sizes:
            began = time.perf_counter()
            seed = min(size, SEED)
            if loaded < seed:
                chunk = write_ftm(
                    folder / f"graph-{seed}.ftm.jsonl", map(company, range(loaded, seed))
                )
                with make_driver(settings) as driver:
                    result = ingest_paths([chunk], driver, database=settings.neo4j_database)
                assert result.ok, result.problems[:3]
                loaded = seed
            if loaded < size:
                fill(settings, loaded, size)
                loaded = size
            print(f"graph {size:,}: loaded in {time.perf_counter() - began:.0f} s", flush=True)
            queries = write_ftm(
                folder / f"query-{size}.ftm.jsonl",
                (query_entity(i, size, rng) for i in range(sample)),
            )
            records = records_of(queries)
            index_only(settings, records)  # warm-up: the server's caches, the plans compiled
            cold()
            out["sizes"][size] = resolve_all(settings, records)
            cold()
            baselines = {"index only": index_only(settings, records)}
            cold()
            baselines["compare all"] = compare_all(settings, records)
            if baseline:
                baselines["baseline"] = baseline_resolver(baseline, queries)
            out["baselines"][size] = baselines
            print(f"  {sample:,} records: {out['sizes'][size]}", flush=True)
            print(_line("resolver", out["sizes"][size]), flush=True)
            for name, figures in out["baselines"][size].items():
                print(_line(name, figures), flush=True)
        count = loaded if full is True else int(full or 0)
        if count:
            whole = write_ftm(
                folder / "query-full.ftm.jsonl",
                (query_entity(i, loaded, rng) for i in range(count)),
            )
            records = records_of(whole)
            cold()
            out["full"] = resolve_all(settings, records)
            print(f"file of {count:,} against {loaded:,}: {out['full']}", flush=True)
            print(_line("resolver", out["full"]), flush=True)
            if baseline and baseline_full:
                out["full baseline"] = baseline_resolver(baseline, whole)
                print(_line("baseline", out["full baseline"]), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,200000")
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument(
        "--full", type=int, help="records of the whole-file run (default: the largest size)"
    )
    parser.add_argument("--no-full", action="store_true", help="skip the whole-file run")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a checkout whose resolver is timed beside this one (e.g. `git archive main`)",
    )
    parser.add_argument(
        "--baseline-full", action="store_true", help="time the baseline on the whole file too"
    )
    args = parser.parse_args()
    settings = bench_settings()
    with bench_server(settings):
        figures = run(
            settings,
            [int(s) for s in args.sizes.split(",")],
            args.sample,
            False if args.no_full else (args.full or True),
            args.baseline,
            args.baseline_full,
        )
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
