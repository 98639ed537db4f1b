"""Benchmark 2: exposure query latency over the API and through the raw driver, on a graph of
over a million nodes and three million relationships.

The graph is `rightsgraph synth`'s (power-law holdings, ownership trees, concentrated contracts,
allegations, region hierarchies), loaded as fast as this machine allows:
  - the core (regions, companies, organisations, contracts, ownership, allegations: synth's
    case reports and OCDS file) goes through the adapters and the real writer
    (`ingest.writer.write_batch`); resolution and SHACL validation are skipped (benchmark 1
    measures them; synth's ids already agree);
  - the holdings (a million rows) are turned into records by the ontology's own mapping
    (`node_row`, `relationship_rows`), given the statements the writer would store (`node_state`,
    `link_state`: one published report citing the table) and written with plain
    `UNWIND … CREATE` batches: the graph an ingest would make, minus its per-row checks.
Everything is CLEAR, so anonymous API callers see all of it.

Then, for funds of about 10, 1,000 and 10,000 holdings, with 0 and 4 ownership hops, the same
named query (queries/exposure.cypher, the API's parameters: first page of 100 paths) is timed
through the driver (a read session, as api.graph does) and through `GET /funds/{id}/exposure`
on a uvicorn subprocess, alternately, after a warm-up. PROFILE of the 1,000-holding case gives
the operators that cost most.

    python bench/exposure_latency.py --holdings 1000000     # starts and stops its own Neo4j
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import neo4j
from benchlib import (
    bench_server,
    bench_settings,
    child_env,
    counts,
    median,
    percentile,
    timed_runs,
    uvicorn_server,
)

from core.db import make_driver
from core.settings import Settings
from ingest.adapters import read_batches
from ingest.normalize import slug
from ingest.resolve import merge_records
from ingest.writer import (
    NOT_STATED,
    RUN_PROPERTY,
    WritePlan,
    ensure_schema,
    link_state,
    node_row,
    node_state,
    relationship_rows,
    relationship_statements,
    run_day,
    write_batch,
)
from ontology import statements as st
from ontology.model import OntologyModel, load_model
from ontology.records import Record
from queries import load
from rightsgraph.synth import Synth, SynthConfig

RUN_ID = "bench-exposure"
REPORT_ID = "report-bench-holdings"
SOURCE_ID = "src-bench-holdings"
BULK = 10_000  # holdings per transaction
TARGET_SIZES = (10, 1_000, 10_000)
HOPS = (0, 4)
BEFORE = Path(__file__).with_name("exposure_before.cypher")


# the graph of the benchmark (the other counts as `rightsgraph synth` has them)
GRAPH = SynthConfig(
    funds=8_000, companies=30_000, holdings=1_000_000, contracts=20_000, regions=500
)
SIZES = ("funds", "companies", "holdings", "contracts", "regions", "seed")  # command-line options


# ---------------------------------------------------------------------- the graph


def _write(driver: neo4j.Driver, records: list[Record], report_id: str | None) -> None:
    model = load_model()
    by_id: dict[str, Record] = {}
    for record in records:  # one node per id, as resolution would leave it
        rid = record["id"]
        by_id[rid] = merge_records(by_id[rid], record, model) if rid in by_id else record
    plan = WritePlan(list(by_id.values()), dict.fromkeys(by_id, "CLEAR"), report_id, RUN_ID)
    with driver.session() as session:
        session.execute_write(write_batch, plan, model)


def _core(driver: neo4j.Driver, config: SynthConfig) -> None:
    """Synth's case reports and OCDS file through the adapters and the writer."""
    with tempfile.TemporaryDirectory() as folder:
        files = dataclasses.replace(config, holdings=0)
        synth = Synth(files)
        synth.write(Path(folder))
        for path in sorted(Path(folder).iterdir()):
            if path.suffix == ".csv":
                continue  # holdings are written in bulk below
            for batch in read_batches(path):
                _write(driver, batch.all_records, batch.report_id)


def _holding_record(row: list[str], number: int) -> Record:
    fund, company, _isin, lei, _country, industry, as_of, value, currency, ownership = row
    fund_id = f"fund-{slug(fund)}"
    return {
        "id": f"holding-{slug(fund, 40)}-{lei.lower()}-{as_of}",
        "type": "Holding",
        "fund": fund_id,
        "company": f"lei-{lei}",
        "name": f"{fund} in {company}, {as_of}",
        "asOf": as_of,
        "held": True,
        "marketValue": int(value),
        "currency": currency,
        "ownershipShare": float(ownership) / 100,
        "industry": industry,
        "evidence": [{"source": SOURCE_ID, "quote": company, "locator": f"row {number}"}],
    }


def _bulk(driver: neo4j.Driver, records: list[Record], model: OntologyModel) -> None:
    """Create the records' nodes and relationships (all new) in one transaction."""
    nodes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    rels: dict[str, list[dict[str, Any]]] = {}
    claim = st.Claim(REPORT_ID, "CLEAR", "published", (SOURCE_ID,))
    day = run_day(RUN_ID)
    exists = relationship_statements(None, [REPORT_ID], "CLEAR", lambda _: "published", day)
    link = link_state(exists, "CLEAR")
    for record in records:
        row = node_row(record, model, "CLEAR")
        # the node as the writer stores it: its statements (one published report citing the
        # table) projected at its level, with statedBy, knownSpans, sourceIds, searchText …
        values = {k: v for k, v in row.props.items() if k not in NOT_STATED and v is not None}
        statements = st.restate([], claim, values, row.multi, day)
        props = node_state(row.id, row.labels, statements, model) or {}
        nodes.setdefault(tuple(row.labels), []).append({**props, RUN_PROPERTY: RUN_ID})
        for key, link_props in relationship_rows(record, model).items():
            # every relationship has a level and statements, as the writer gives it (the
            # queries follow a link only at the caller's levels)
            link_props = {**link_props, "key": key.key, "reportIds": [REPORT_ID]}
            link_props |= {"sourceIds": [SOURCE_ID], **link}
            rels.setdefault(key.type, []).append(
                {"a": key.start, "b": key.end, "props": link_props}
            )

    def work(tx: neo4j.ManagedTransaction) -> None:
        for labels, rows in nodes.items():
            tx.run(f"UNWIND $rows AS r CREATE (n:{':'.join(labels)}) SET n = r", rows=rows)
        for rel_type, rows in rels.items():
            tx.run(
                "UNWIND $rows AS r MATCH (a:Node {id: r.a}) MATCH (b:Node {id: r.b}) "
                f"CREATE (a)-[x:{rel_type}]->(b) SET x = r.props",
                rows=rows,
            )

    with driver.session() as session:
        session.execute_write(work)


def build_graph(driver: neo4j.Driver, config: SynthConfig) -> dict[str, Any]:
    """Load the graph into an empty database; its size, load times and fund sizes."""
    ensure_schema(driver)
    began = time.perf_counter()
    _core(driver, config)
    core_s = time.perf_counter() - began
    print(f"  core (adapters + writer): {core_s:.0f} s", flush=True)

    synth = Synth(config)
    source = {"id": SOURCE_ID, "type": "Source", "name": "Synthetic holdings table"}
    source |= {"sourceType": "dataset", "url": "https://example.org/rightsgraph-synthetic/bench"}
    funds = [
        {"id": f"fund-{slug(synth.fund_name(f))}", "type": "Fund", "name": synth.fund_name(f)}
        for f in range(config.funds)
    ]
    _write(driver, [source, *funds], REPORT_ID)

    began = time.perf_counter()
    model = load_model()
    sizes: Counter[str] = Counter()
    batch: list[Record] = []
    for number, row in enumerate(synth.holding_rows(), start=2):
        record = _holding_record(row, number)
        sizes[record["fund"]] += 1
        batch.append(record)
        if len(batch) == BULK:
            _bulk(driver, batch, model)
            batch = []
    if batch:
        _bulk(driver, batch, model)
    bulk_s = time.perf_counter() - began
    nodes, relationships = counts(driver)
    print(
        f"  holdings (UNWIND CREATE): {sum(sizes.values()):,} in {bulk_s:.0f} s; graph "
        f"{nodes:,} nodes, {relationships:,} relationships",
        flush=True,
    )
    return {
        "nodes": nodes,
        "relationships": relationships,
        "holdings": sum(sizes.values()),
        "core_seconds": core_s,
        "bulk_seconds": bulk_s,
        "fund_sizes": dict(sizes),
    }


def probe_funds(fund_sizes: dict[str, int]) -> list[tuple[int, str, int]]:
    """(target, fund id, holdings) of the fund nearest each target size."""
    out = []
    for target in TARGET_SIZES:
        fund, size = min(fund_sizes.items(), key=lambda kv: (abs(kv[1] - target), kv[0]))
        out.append((target, fund, size))
    return out


# ---------------------------------------------------------------------- latency


def params(fund: str, hops: int) -> dict[str, Any]:
    """What the API passes for an anonymous GET /funds/{fund}/exposure?ownership_hops=hops."""
    return {
        "fund": fund,
        "region": None,
        "as_of": None,
        "ownership_hops": hops,
        "tlp": ["CLEAR"],
        "as_known_on": None,
        "offset": 0,
        "limit": 100,
    }


def driver_call(driver: neo4j.Driver, fund: str, hops: int, text: str | None = None) -> int:
    """The query as api.graph runs it: a read session, a timeout, every record as a dict."""
    query = neo4j.Query(text or load("exposure"), timeout=120)  # type: ignore[arg-type]
    with driver.session(default_access_mode=neo4j.READ_ACCESS) as session:
        rows = [record.data() for record in session.run(query, params(fund, hops))]
    return rows[0]["pathCount"]


def api_call(http: httpx.Client, fund: str, hops: int) -> int:
    response = http.get(f"/funds/{fund}/exposure", params={"ownership_hops": hops})
    response.raise_for_status()
    return response.json()["total"]


def profile(driver: neo4j.Driver, fund: str, hops: int, text: str | None = None) -> dict[str, Any]:
    """PROFILE of one exposure query: total db hits and the five costliest operators."""
    with driver.session(default_access_mode=neo4j.READ_ACCESS) as session:
        query = "PROFILE " + (text or load("exposure"))
        summary = session.run(query, params(fund, hops)).consume()
    operators: list[tuple[str, int, int]] = []

    def walk(plan: dict[str, Any]) -> None:
        args = plan.get("args", {})
        operators.append((plan["operatorType"], plan.get("dbHits", 0), args.get("Rows", 0)))
        for child in plan.get("children", []):
            walk(child)

    assert summary.profile is not None
    walk(summary.profile)
    top = sorted(operators, key=lambda o: -o[1])[:5]
    return {
        "db_hits": sum(o[1] for o in operators),
        "top": [{"operator": o, "db_hits": h, "rows": r} for o, h, r in top],
    }


def measure(
    driver: neo4j.Driver,
    http: httpx.Client,
    fund: str,
    hops: int,
    budget_s: float,
    samples: int,
) -> dict[str, Any]:
    """Alternate driver and API calls after a warm-up, until `samples` pairs or the budget."""
    paths = driver_call(driver, fund, hops)
    api_call(http, fund, hops)
    times: dict[str, list[float]] = {"driver": [], "api": []}
    until = time.monotonic() + budget_s
    while len(times["api"]) < samples and (time.monotonic() < until or len(times["api"]) < 5):
        for name, call in (("driver", lambda: driver_call(driver, fund, hops)),
                           ("api", lambda: api_call(http, fund, hops))):  # fmt: skip
            began = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - began) * 1000)
    out: dict[str, Any] = {"paths": paths, "samples": len(times["api"])}
    for name, values in times.items():
        out[name] = {f"p{q}": percentile(values, q) for q in (50, 95, 99)}
    out["api_over_driver"] = median(times["api"]) / median(times["driver"])
    return out


def run_latency(
    settings: Settings, probes: list[tuple[int, str, int]], budget_s: float, samples: int
) -> dict[str, Any]:
    driver = make_driver(settings)
    results = []
    try:
        with (
            uvicorn_server("api.app:create_app", child_env(settings)) as (url, _pid),
            httpx.Client(base_url=url, timeout=120) as http,
        ):
            for target, fund, size in probes:
                for hops in HOPS:
                    figures = measure(driver, http, fund, hops, budget_s, samples)
                    figures |= {"target": target, "fund": fund, "holdings": size, "hops": hops}
                    results.append(figures)
                    print(
                        f"  ~{target:>6,} holdings ({size:,}), hops {hops}: {figures['paths']:,} "
                        f"paths; driver p50/p95/p99 "
                        + "/".join(f"{figures['driver'][k]:.0f}" for k in ("p50", "p95", "p99"))
                        + " ms; API "
                        + "/".join(f"{figures['api'][k]:.0f}" for k in ("p50", "p95", "p99"))
                        + f" ms; API/driver {figures['api_over_driver']:.2f}× "
                        f"({figures['samples']} samples)",
                        flush=True,
                    )
        before_after = compare_before(driver, probes)
    finally:
        driver.close()
    return {"cases": results, "before_after": before_after}


def compare_before(driver: neo4j.Driver, probes: list[tuple[int, str, int]], runs: int = 3) -> list:
    """The query before and after the fix on the same graph: driver median and PROFILE db hits
    (no ownership hops)."""
    before = BEFORE.read_text(encoding="utf-8")
    out = []
    for target, fund, size in probes:
        row: dict[str, Any] = {"target": target, "fund": fund, "holdings": size}
        for name, text in (("before", before), ("after", None)):
            try:
                driver_call(driver, fund, 0, text)  # warm-up: the plan is compiled
                times = timed_runs(lambda t=text, f=fund: driver_call(driver, f, 0, t), runs)
                row[name] = {"ms": median(times) * 1000, **profile(driver, fund, 0, text)}
            except neo4j.exceptions.Neo4jError as exc:  # e.g. the transaction memory limit
                row[name] = {"ms": None, "db_hits": None, "failed": exc.message or str(exc)}
        out.append(row)
        print(f"  before/after fix, ~{target:,} holdings: {row['before']} → {row['after']}")
    return out


def run(
    settings: Settings, config: SynthConfig, budget_s: float = 12, samples: int = 40
) -> dict[str, Any]:
    driver = make_driver(settings)
    try:
        graph = build_graph(driver, config)
    finally:
        driver.close()
    sizes = graph.pop("fund_sizes")
    probes = probe_funds(sizes)
    small = sorted(f for f, n in sizes.items() if 8 <= n <= 12)[:20]  # for benchmark 5
    latency = run_latency(settings, probes, budget_s, samples)
    return {
        "graph": graph,
        "config": dataclasses.asdict(config),
        "probes": probes,
        "small_funds": small or [probes[0][1]],
        **latency,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in SIZES:
        parser.add_argument(f"--{name}", type=int, default=getattr(GRAPH, name))
    parser.add_argument("--budget", type=float, default=12, help="seconds per case (at least 5)")
    args = parser.parse_args()
    config = dataclasses.replace(GRAPH, **{k: getattr(args, k) for k in SIZES})
    settings = bench_settings()
    with bench_server(settings):
        figures = run(settings, config, args.budget)
    print(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
