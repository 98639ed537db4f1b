"""`rightsgraph ingest` picks the adapter by content; --format overrides it."""

from __future__ import annotations

from pathlib import Path

import pytest
from adapter_helpers import DATA, SHARED

from ingest.adapters import adapter_for
from ingest.errors import IngestError

REPORTS = Path(__file__).resolve().parent.parent / "reports"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (DATA / "GPFG_EQ_2019_Industry.csv", "holdings"),
        (DATA / "holdings_generic.csv", "holdings"),
        (DATA / "ocds_hikvision.json", "ocds"),
        (DATA / "ocds_releases.jsonl", "ocds"),
        (DATA / "ocds_records.json", "ocds"),
        (DATA / "bods_03.json", "bods"),
        (DATA / "ftm_entities.jsonl", "ftm"),
        (REPORTS / "seed-open-letter.yaml", "report"),
        (SHARED / "ocds" / "ocds-213czf-000-00001.json", "ocds"),
        (SHARED / "bods" / "bods-package-fi-soe.json", "bods"),
        (SHARED / "ftm" / "donations.ijson", "ftm"),
        (SHARED / "holdings" / "nbim_gpfg_selected_holdings_2018_2025.csv", "holdings"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_content_picks_the_adapter(path, expected):
    if not path.exists():
        pytest.skip(f"{path} is not present on this machine")
    assert adapter_for(path).name == expected


def test_a_csv_that_is_not_a_holdings_table_is_not_claimed(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("city,population\nOslo,700000\n")
    with pytest.raises(IngestError) as exc:
        adapter_for(path)
    assert exc.value.problems[0].rule == "unknown-format"


def test_format_option_overrides_detection():
    assert adapter_for(DATA / "bods_03.json", "ftm").name == "ftm"
    with pytest.raises(IngestError):
        adapter_for(DATA / "bods_03.json", "no-such-format")
