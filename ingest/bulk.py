"""The bulk path's parts: when a file is large enough for it, and where its checked batches wait.

A large file is read and checked once (adapter, resolution, validation), every batch's result
spilled to a temporary file; only when the whole file is clean are the spilled batches written,
each in its own transaction (ingest/pipeline.py `_ingest_file_bulk`). The writer is told which
nodes the check found new (WritePlan.new_ids): it creates them without reading them back.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# files of at least this many bytes take the bulk path (about 8,000 holdings rows)
BULK_THRESHOLD = 1 << 20
THRESHOLD_ENV = "RIGHTSGRAPH_BULK_THRESHOLD"


def threshold(option: Any = None) -> int | None:
    """The size in bytes from which a file takes the bulk path: the option, else the
    environment's RIGHTSGRAPH_BULK_THRESHOLD, else BULK_THRESHOLD; None (or a negative
    number) turns the bulk path off."""
    value = option if option is not None else os.environ.get(THRESHOLD_ENV)
    if value is None or value == "":
        return BULK_THRESHOLD
    number = int(value)
    return None if number < 0 else number


def takes_bulk_path(path: Path, limit: int | None) -> bool:
    try:
        return limit is not None and path.stat().st_size >= limit
    except OSError:
        return False


class Spill:
    """Checked batches kept on disk in the order they came, so memory stays flat in file size."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="rightsgraph-bulk-")  # noqa: SIM115 - closed by close()
        self.count = 0

    def put(self, item: Any) -> None:
        pickle.dump(item, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def __iter__(self) -> Iterator[Any]:
        self._file.seek(0)
        for _ in range(self.count):
            yield pickle.load(self._file)  # noqa: S301 - our own temporary file

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
