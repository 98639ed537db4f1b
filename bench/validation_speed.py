"""Benchmark: records/s of the fast validator against pyshacl on the same 10,000-record report.

The report is what ingest validates: a synthetic holdings table (`rightsgraph synth`) read by
the holdings adapter — holdings, their companies and funds, and the file's Source — plus the
synthetic companies' case report, merged by id as the pipeline does, cut to --records. Both
validators run on the same records in the same process; the script prints the median of
--runs runs of each, the ratio, and whether the verdicts (sets of Violations) match, on the
valid report and on a copy with a few per cent of the records broken.

    python bench/validation_speed.py                    # 10,000 records, target >= 20x
    python bench/validation_speed.py --records 2000 --runs 3
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from ingest.adapters import read_batches
from ingest.resolve import merge_records
from ontology.fast_validate import fast_validate
from ontology.model import load_model
from ontology.records import Record
from ontology.validate import validate_records
from rightsgraph.synth import SynthConfig, write_synth


def report_records(count: int, seed: int) -> list[Record]:
    """About `count` records of a realistic holdings import: holdings, companies, funds, sources."""
    model = load_model()
    companies = max(50, count // 5)
    config = SynthConfig(
        funds=20,
        companies=companies,
        holdings=count,
        contracts=0,
        regions=2,
        seed=seed,
        chunk=count * 10,
    )
    by_id: dict[str, Record] = {}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        write_synth(config, out)
        for path in (out / "2-entities-0001.yaml", out / "3-holdings.csv"):
            for batch in read_batches(path):
                for record in batch.all_records:
                    rid = record["id"]
                    by_id[rid] = (
                        merge_records(by_id[rid], record, model) if rid in by_id else record
                    )
    records = list(by_id.values())
    facts = [r for r in records if r["type"] == "Holding"]
    others = [r for r in records if r["type"] != "Holding"]
    return (others + facts)[:count]


def broken(records: list[Record], every: int = 37) -> list[Record]:
    """A copy with one record in `every` broken in one of several ways."""
    breakers: list[Callable[[Record], None]] = [
        lambda r: r.pop("evidence", None),
        lambda r: r.update(marketValue=-1) if r["type"] == "Holding" else r.update(name=""),
        lambda r: r.update(currency="XXX") if r["type"] == "Holding" else r.update(tlp="YELLOW"),
        lambda r: (
            r.update(asOf="2019-02-30") if r["type"] == "Holding" else r.update(country="Norway")
        ),
        lambda r: r.update(lei=r["lei"][:-2] + "00") if r.get("lei") else r.update(tlp="AMBERISH"),
    ]
    out = []
    for n, record in enumerate(records):
        copy = dict(record)
        if n % every == 0:
            breakers[(n // every) % len(breakers)](copy)
        out.append(copy)
    return out


def timed(run: Callable[[], list], runs: int) -> tuple[float, list]:
    times, result = [], []
    for _ in range(runs):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5, help="runs of the fast validator")
    parser.add_argument("--pyshacl-runs", type=int, default=1, help="pyshacl takes minutes")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.disable(logging.ERROR)  # rdflib logs every ill-typed literal of the broken copy
    warnings.simplefilter("ignore")

    records = report_records(args.records, args.seed)
    fast_validate(records[:10])  # compile the shapes outside the timing
    print(
        f"{len(records)} records (seed {args.seed}); median of {args.runs} fast and "
        f"{args.pyshacl_runs} pyshacl runs"
    )
    columns = ("report", "pyshacl rec/s", "fast rec/s", "ratio", "violations", "verdicts")
    print("{:<10} {:>14} {:>12} {:>8} {:>11}  {}".format(*columns))
    ratios = []
    for label, data in (("valid", records), ("broken", broken(records))):
        slow, reference = timed(
            lambda d=data: validate_records(d, engine="pyshacl"), args.pyshacl_runs
        )
        quick, result = timed(lambda d=data: fast_validate(d), args.runs)
        ratio = slow / quick
        ratios.append(ratio)
        same = "match" if set(result) == set(reference) else "DIFFER"
        print(
            f"{label:<10} {len(data) / slow:>14,.0f} {len(data) / quick:>12,.0f} {ratio:>7.1f}x "
            f"{len(reference):>11}  {same}"
        )
    verdict = "met" if min(ratios) >= 20 else "NOT met"
    print(f"target >= 20x pyshacl: {verdict} (lowest ratio {min(ratios):.1f}x)")


if __name__ == "__main__":
    main()
