"""An OCDS JSON-lines release stream of a gigabyte is read in flat memory (slow: --run-slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SIZE = int(os.environ.get("RIGHTSGRAPH_OCDS_STREAM_BYTES", str(1 << 30)))
PEAK_RSS_MB = 300

READ = """
import resource, sys
from pathlib import Path
from ingest.adapters import read_batches
batches = releases = 0
for batch in read_batches(Path(sys.argv[1])):
    batches += 1
    releases += sum(1 for r in batch.records if r["type"] == "Contract")
    assert not batch.problems, batch.problems[:3]
print(batches, releases, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def release(n: int, tag: str) -> dict:
    ocid = f"ocds-ex0001-{n}"
    return {
        "ocid": ocid,
        "id": f"{ocid}-{tag}",
        "date": "2021-01-10T00:00:00Z",
        "tag": [tag],
        "parties": [
            {"id": "b", "name": f"Example City Council {n % 500}", "roles": ["buyer"]},
            {"id": "s", "name": f"Example Supplier {n} Ltd", "roles": ["supplier"]},
        ],
        "buyer": {"id": "b"},
        "awards": [
            {
                "id": "a1",
                "title": f"Street lighting, lot {n}",
                "status": "active",
                "value": {"amount": 1000 + n, "currency": "EUR"},
                "suppliers": [{"id": "s"}],
                "description": "Supply and maintenance of street lighting. " * 8,
            }
        ],
    }


def write_stream(path: Path, size: int) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as out:
        while out.tell() < size:
            for tag in ("award", "awardUpdate"):  # two releases of each process, in a row
                out.write(json.dumps(release(n, tag)) + "\n")
            n += 1
    return n


@pytest.mark.slow
def test_a_gigabyte_of_ocds_json_lines_streams_in_flat_memory(tmp_path):
    path = tmp_path / "releases.jsonl"
    processes = write_stream(path, SIZE)
    run = subprocess.run(
        [sys.executable, "-c", READ, str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
        timeout=7200,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    batches, contracts, peak_mb = map(int, run.stdout.split())
    print(f"{SIZE:,} bytes, {processes:,} processes, {batches} batches: peak RSS {peak_mb} MB")
    assert contracts == processes and batches > 1
    assert peak_mb < PEAK_RSS_MB, f"peak RSS {peak_mb} MB for {SIZE:,} bytes"
