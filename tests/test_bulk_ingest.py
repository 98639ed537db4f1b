"""The bulk path (ingest/bulk.py, pipeline._ingest_file_bulk) keeps the normal path's promises:
the same graph from the same input, statements and evidence included; a re-run changes
nothing; a fault anywhere in the file writes nothing. Small inputs: the bulk path is forced
with a threshold of 0 bytes, and both paths cut the files into small batches, so several
batches are written."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import empty
from neo4j import Driver

from core.dump import canonical_dump
from core.settings import Settings
from ingest.pipeline import ingest_paths
from rightsgraph.synth import Synth, SynthConfig

# both paths cut the file alike (the adapter's batch_size): where rows restating one holding
# fall, in one batch or two, decides what the graph keeps of them on either path
BULK = {"bulk_threshold": 0, "batch_size": 60}
NORMAL = {"bulk_threshold": -1, "batch_size": 60}
NBIM_HEADER = (
    "Region;Country;Name;Industry;Market Value(NOK);Market Value(USD);Voting;Ownership;"
    "Incorporation Country"
)
SHARED = Path("/work/shared/data/holdings")


def nbim_quirks(
    path: Path, rows: int = 150, bad_row: int | None = None, across: bool = False
) -> Path:
    """An NBIM-shaped table (semicolons, spaced thousands, decimal commas, per cent signs)
    with short positions (negative ownership), companies spelt twice and listed twice. The
    repeats stay within one batch of 60 rows, or with `across` fall in every batch too (so
    one holding, same fund, company and date, is restated on rows 60 apart)."""
    lines = [NBIM_HEADER]
    for i in range(rows):
        batch = 0 if across else i // 60 * 100
        key = batch + i % 60 % 29 if i % 11 else batch + 3
        company = f"Example Holding {key} ASA" if i % 11 else f"EXAMPLE HOLDING {key} ASA"
        ownership = f"-{i % 5},{i % 10}" if i % 13 == 0 else f"{i % 7}.{i % 10}%"
        value = "12 3x4" if i == bad_row else f"{1000 + i} {i % 1000:03d}"
        lines.append(
            f"Europe;Norway;{company};Industrials;{value};{100 + i};{ownership};{ownership};Norway"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def synthetic(path: Path, rows: int = 240) -> Path:
    Synth(SynthConfig(funds=5, companies=60, holdings=rows, contracts=0, seed=3)).write_holdings(
        path
    )
    return path


def load(driver: Driver, database: str, paths: list[Path], options: dict, **extra):
    result = ingest_paths(paths, driver, database=database, options={**options, **extra})
    assert result.ok, result.problems[:5]
    return result


def both_ways(driver: Driver, database: str, before: list[Path], paths: list[Path], **extra):
    """(normal dump, bulk dump, bulk re-run summary) of `paths` loaded over `before`."""
    dumps = []
    for options in (NORMAL, BULK):
        empty(driver, database)
        for path in before:
            load(driver, database, [path], NORMAL, **extra)
        load(driver, database, paths, options, **extra)
        dumps.append(canonical_dump(driver, database))
    rerun = load(driver, database, paths, BULK, **extra)
    return dumps[0], dumps[1], rerun


def test_bulk_and_normal_paths_give_the_same_graph_and_a_rerun_changes_nothing(
    neo4j_db: Driver, settings: Settings, tmp_path: Path
) -> None:
    database = settings.neo4j_database
    table = synthetic(tmp_path / "holdings-synthetic.csv")
    normal, bulky, rerun = both_ways(neo4j_db, database, [], [table])
    assert any('"statements"' in line for line in normal)  # the statements are compared too
    assert bulky == normal
    assert rerun.summary.changes == 0
    assert canonical_dump(neo4j_db, database) == normal


def test_nbim_quirks_into_a_graph_holding_another_year(
    neo4j_db: Driver, settings: Settings, tmp_path: Path
) -> None:
    """Short positions, spellings and repeated rows; the second year's companies are in the
    graph already, so the bulk path merges them and creates only the new holdings."""
    database = settings.neo4j_database
    first = nbim_quirks(tmp_path / "GPFG_EQ_2018_Industry.csv", rows=120)
    second = nbim_quirks(tmp_path / "GPFG_EQ_2019_Industry.csv", rows=150)
    normal, bulky, rerun = both_ways(neo4j_db, database, [first], [second])
    assert any('"shortPosition": true' in line for line in normal)
    assert bulky == normal
    assert rerun.summary.changes == 0


def _run_stamps(driver: Driver, database: str) -> list[tuple]:
    """Every graph node's and relationship's ingest run stamp (the dump leaves them out)."""
    nodes, _, _ = driver.execute_query(
        "MATCH (n:Node) RETURN n.id AS id, n.ingestRun AS run ORDER BY id", database_=database
    )
    rels, _, _ = driver.execute_query(
        "MATCH (a:Node)-[r]->(b:Node) RETURN a.id AS a, type(r) AS t, b.id AS b, r.key AS k, "
        "r.ingestRun AS run ORDER BY a, t, b, k",
        database_=database,
    )
    return [tuple(r.values()) for r in nodes] + [tuple(r.values()) for r in rels]


@pytest.mark.parametrize("options", [NORMAL, BULK], ids=["normal", "bulk"])
def test_a_holding_restated_in_several_batches_is_left_alone_by_a_rerun(
    neo4j_db: Driver, settings: Settings, tmp_path: Path, options: dict
) -> None:
    """Rows far apart (in three batches of 60) restate one holding and one company: the file
    states it once, so a re-run changes nothing and rewrites nothing, on either path."""
    database = settings.neo4j_database
    empty(neo4j_db, database)
    table = nbim_quirks(tmp_path / "GPFG_EQ_2019_Industry.csv", rows=150, across=True)
    first = load(neo4j_db, database, [table], options)
    assert first.summary.created["Holding"] == 29  # each restated by rows in every batch
    dump, stamps = canonical_dump(neo4j_db, database), _run_stamps(neo4j_db, database)
    rerun = load(neo4j_db, database, [table], options)
    assert rerun.summary.changes == 0, (rerun.summary.updated, rerun.summary.removed)
    assert canonical_dump(neo4j_db, database) == dump
    after = _run_stamps(neo4j_db, database)
    assert after == stamps, (set(after) - set(stamps), set(stamps) - set(after))


def test_restated_holdings_give_the_same_graph_both_ways(
    neo4j_db: Driver, settings: Settings, tmp_path: Path
) -> None:
    table = nbim_quirks(tmp_path / "GPFG_EQ_2019_Industry.csv", rows=150, across=True)
    normal, bulky, rerun = both_ways(neo4j_db, settings.neo4j_database, [], [table])
    assert bulky == normal
    assert rerun.summary.changes == 0


def test_a_fault_in_a_late_batch_writes_nothing(
    neo4j_db: Driver, settings: Settings, tmp_path: Path
) -> None:
    database = settings.neo4j_database
    empty(neo4j_db, database)
    table = nbim_quirks(tmp_path / "GPFG_EQ_2019_Industry.csv", rows=200, bad_row=170)
    result = ingest_paths([table], neo4j_db, database=database, options=BULK)
    assert not result.ok
    assert [p.line for p in result.problems] == [172]  # header line 1, row 170 on line 172
    assert canonical_dump(neo4j_db, database) == []


def _shared_rows(path: Path, rows: int, target: Path) -> Path:
    """The first `rows` rows of a published NBIM workbook as the CSV NBIM also publishes."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    lines = []
    for cells in workbook.worksheets[0].iter_rows(values_only=True):
        lines.append(";".join("" if c is None else str(c) for c in cells))
        if len(lines) > rows:
            break
    workbook.close()
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"no sample files at {SHARED}")
def test_a_published_nbim_file_gives_the_same_graph_both_ways(
    neo4j_db: Driver, settings: Settings, tmp_path: Path
) -> None:
    workbook = SHARED / "EQ_2019_Industry.xlsx"
    if not workbook.is_file():
        pytest.skip(f"{workbook} is absent")
    table = _shared_rows(workbook, 200, tmp_path / "EQ_2019_Industry.csv")
    normal, bulky, rerun = both_ways(neo4j_db, settings.neo4j_database, [], [table], fund="GPFG")
    assert bulky == normal
    assert rerun.summary.changes == 0


@pytest.mark.slow
@pytest.mark.skipif(not SHARED.is_dir(), reason=f"no sample files at {SHARED}")
def test_whole_published_years_give_the_same_graph_both_ways(
    neo4j_db: Driver, settings: Settings
) -> None:
    """Two whole NBIM years (about 9,000 rows each), the second over the first."""
    first, second = SHARED / "EQ_2018_Industry.xlsx", SHARED / "EQ_2019_Industry.xlsx"
    if not (first.is_file() and second.is_file()):
        pytest.skip(f"{first} or {second} is absent")
    normal, bulky, rerun = both_ways(
        neo4j_db, settings.neo4j_database, [first], [second], fund="GPFG"
    )
    assert bulky == normal
    assert rerun.summary.changes == 0
