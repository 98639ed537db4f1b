"""Statements' storage cost: what the per-value provenance (`statements`, `statedBy`,
`knownSpans`) adds to each node and relationship of a graph built by the real writer.

`reports/` and a synthetic holdings table (`rightsgraph synth`'s rows, bench/ingest_speed.py's
file) are ingested by the real pipeline (resolution, validation, writer) into an empty
database; then every node's and relationship's properties are read back and their UTF-8 JSON
bytes split into the provenance properties and the rest, per label, and the store's size on
disk (once the server has stopped) is divided by the node count. The ingest's rows/s is printed too.

    python bench/statements_storage.py --rows 10000      # starts and stops its own Neo4j
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchlib import ROOT, bench_server, bench_settings, empty_database
from ingest_speed import write_holdings

from core import names as system
from core import neo4j_local
from core.db import make_driver
from core.settings import Settings
from ingest.pipeline import ingest_paths

PROVENANCE = (system.STATEMENTS, system.STATED_BY, system.KNOWN_SPANS)
PAGE = 5000


def _bytes(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8"))


def account(driver, database: str, what: str) -> dict[str, dict[str, float]]:  # noqa: ANN001
    """Per label (or type): count, provenance bytes and other bytes, from properties read back."""
    pattern = (
        "MATCH (n) WHERE elementId(n) > $after"
        if what == "nodes"
        else ("MATCH ()-[n]->() WHERE elementId(n) > $after")
    )
    kind = "labels(n)" if what == "nodes" else "[type(n)]"
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    after = ""
    while True:
        rows, _, _ = driver.execute_query(
            f"{pattern} RETURN elementId(n) AS e, {kind} AS k, properties(n) AS p "
            "ORDER BY e LIMIT $page",
            after=after,
            page=PAGE,
            database_=database,
        )
        if not rows:
            return {k: dict(v) for k, v in sums.items()}
        for row in rows:
            key = ":".join(sorted(row["k"]))
            props = row["p"]
            prov = {k: v for k, v in props.items() if k in PROVENANCE}
            rest = {k: v for k, v in props.items() if k not in PROVENANCE}
            s = sums[key]
            s["count"] += 1
            s["provenance_bytes"] += _bytes(prov) if prov else 0
            s["statements_bytes"] += len(str(props.get(system.STATEMENTS) or "").encode())
            s["other_bytes"] += _bytes(rest)
        after = rows[-1]["e"]


def store_bytes(settings: Settings) -> int:
    """Bytes of the database's store files on disk (transaction logs left out)."""
    folder = neo4j_local.data_dir(settings) / "data" / "databases" / settings.neo4j_database
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run(settings: Settings, rows: int) -> dict[str, Any]:
    with make_driver(settings) as driver:
        empty_database(driver, settings.neo4j_database)
        before = store_bytes(settings)
        with tempfile.TemporaryDirectory(prefix="rg-bench-statements-") as tmp:
            holdings = write_holdings(Path(tmp) / "holdings.csv", rows)
            began = time.perf_counter()
            result = ingest_paths([holdings], driver, database=settings.neo4j_database)
            took = time.perf_counter() - began
            assert result.ok, result.problems[:3]
            reports = ingest_paths([ROOT / "reports"], driver, database=settings.neo4j_database)
            assert reports.ok, reports.problems[:3]
        print(f"ingest: {rows:,} rows in {took:.1f} s, {rows / took:,.0f} rows/s", flush=True)
        nodes = account(driver, settings.neo4j_database, "nodes")
        rels = account(driver, settings.neo4j_database, "relationships")
    total_nodes = sum(v["count"] for v in nodes.values())
    total_rels = sum(v["count"] for v in rels.values())
    out = {
        "rows": rows,
        "ingest_seconds": round(took, 1),
        "rows_per_s": round(rows / took, 1),
        "nodes": total_nodes,
        "relationships": total_rels,
        "store_bytes_before": before,
        "per_label": nodes,
        "per_type": rels,
    }
    for name, part in (("nodes", nodes), ("relationships", rels)):
        prov = sum(v["provenance_bytes"] for v in part.values())
        stmts = sum(v["statements_bytes"] for v in part.values())
        other = sum(v["other_bytes"] for v in part.values())
        n = sum(v["count"] for v in part.values()) or 1
        out[name + "_summary"] = {
            "statements_bytes_each": round(stmts / n),
            "provenance_bytes_each": round(prov / n),
            "other_bytes_each": round(other / n),
            "provenance_share": round(prov / (prov + other), 3) if prov + other else None,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    settings = bench_settings()
    with bench_server(settings, fresh=True):
        figures = run(settings, args.rows)
    size = store_bytes(settings)  # the server stopped: its store is on disk
    figures.update(store_bytes=size, store_bytes_per_node=round(size / figures["nodes"]))
    text = json.dumps(figures, indent=2)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    sys.exit(main())
