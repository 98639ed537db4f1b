"""The adapter registry: which reader turns a file into batches of records.

Each `ingest/source_*.py` module defines one `ADAPTER`. An adapter is a name, the file suffixes it reads, a `sniff` that looks at the first bytes to
claim a file by content, and a `read` that yields Batches. `rightsgraph ingest` picks the first
adapter whose sniff claims the file; `--format NAME` overrides it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.batch import Batch
from ingest.errors import IngestError, Problem

Reader = Callable[..., Iterator[Batch]]


@dataclass(frozen=True)
class Adapter:
    name: str
    suffixes: tuple[str, ...]
    sniff: Callable[[Path, bytes], bool]
    read: Reader
    description: str = ""


_ADAPTERS: list[Adapter] = []


def register(adapter: Adapter) -> Adapter:
    _ADAPTERS[:] = [a for a in _ADAPTERS if a.name != adapter.name] + [adapter]
    return adapter


def adapters() -> list[Adapter]:
    _load_builtin()
    return list(_ADAPTERS)


def _load_builtin() -> None:
    """Register every `ingest/source_*.py` module's ADAPTER (the report adapter first)."""
    if _ADAPTERS:
        return
    import ingest

    names = sorted(
        m.name for m in pkgutil.iter_modules(ingest.__path__) if m.name.startswith("source_")
    )
    names.sort(key=lambda n: n != "source_report")
    for name in names:
        register(importlib.import_module(f"ingest.{name}").ADAPTER)


def head(path: Path, size: int = 8192) -> bytes:
    with path.open("rb") as fh:
        return fh.read(size)


def adapter_for(path: Path, fmt: str | None = None) -> Adapter:
    available = adapters()
    if fmt:
        for adapter in available:
            if adapter.name == fmt:
                return adapter
        names = ", ".join(a.name for a in available)
        raise IngestError(
            [
                Problem(
                    str(path), "-", "unknown-format", f"unknown --format {fmt!r} (known: {names})"
                )
            ]
        )
    start = head(path)
    for adapter in available:
        if path.suffix.lower() in adapter.suffixes and adapter.sniff(path, start):
            return adapter
    raise IngestError(
        [
            Problem(
                str(path),
                "-",
                "unknown-format",
                "no adapter reads this file; name one with --format",
            )
        ]
    )


def _claimed(path: Path) -> bool:
    try:
        adapter_for(path)
    except (IngestError, OSError):
        return False
    return True


def discover(paths: list[Path]) -> list[Path]:
    """Files to ingest: the files given, and the files inside the folders given that an adapter
    claims (a folder may hold other files, such as the evidentiary copies of reports' texts)."""
    suffixes = {s for a in adapters() for s in a.suffixes}
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in suffixes
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and _claimed(p)
            )
        else:
            out.append(path)
    return out


def read_batches(path: Path, fmt: str | None = None, **options: Any) -> Iterator[Batch]:
    adapter = adapter_for(path, fmt)
    yield from adapter.read(path, **options)
