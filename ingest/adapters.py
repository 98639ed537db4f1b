"""The adapter registry: which reader turns a file into batches of records.

Each `ingest/source_*.py` module defines one `ADAPTER`: a name, the syntaxes it reads (as
`ingest.content.detect` tells them from the bytes), the suffixes its files usually have (used
only to pick files out of a folder and for content that tells nothing), a `sniff` that looks at
the first bytes to claim a file, a `read` that yields Batches, and optionally an `explain` that
says why a file of its syntax is not one of its files. `rightsgraph ingest` picks the first
adapter whose syntax and sniff claim the file; `--format NAME` overrides it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.suggest import did_you_mean
from ingest import content
from ingest.batch import Batch
from ingest.errors import IngestError, Problem

Reader = Callable[..., Iterator[Batch]]
ARCHIVE_SUFFIXES = (".gz", ".gzip", ".zip")


@dataclass(frozen=True)
class Adapter:
    name: str
    suffixes: tuple[str, ...]
    sniff: Callable[[Path, bytes], bool]
    read: Reader
    description: str = ""
    syntaxes: tuple[str, ...] = ()
    explain: Callable[[Path, bytes], str | None] | None = None


CLI_OPTIONS = {"format": "--format", "fund": "--fund", "as_of": "--as-of"}
"""How messages name the caller's options: the CLI's flags; the API passes its parameters."""
FORMAT_OPTION = CLI_OPTIONS["format"]


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


def adapter_for(path: Path, fmt: str | None = None, format_option: str = FORMAT_OPTION) -> Adapter:
    """The adapter `fmt` names, else the first whose syntax and sniff claim the file's content."""
    available = adapters()
    if fmt:
        for adapter in available:
            if adapter.name == fmt:
                return adapter
        names = ", ".join(a.name for a in available)
        hint = suggest(fmt, [a.name for a in available])
        raise IngestError(
            [
                Problem(
                    str(path),
                    "-",
                    "unknown-format",
                    f"unknown {format_option} {fmt!r}{hint} (known: {names})",
                )
            ]
        )
    syntax = content.detect(path)
    start = head(path)
    for adapter in available:
        if syntax in adapter.syntaxes and adapter.sniff(path, start):
            return adapter
    if syntax == "unknown":  # content that tells nothing: the name is all there is
        for adapter in available:
            if path.suffix.lower() in adapter.suffixes and adapter.sniff(path, start):
                return adapter
    reasons = [
        reason
        for adapter in available
        if syntax in adapter.syntaxes and adapter.explain is not None
        for reason in [adapter.explain(path, start)]
        if reason
    ]
    what = "its content is not recognised" if syntax == "unknown" else f"it holds {syntax}"
    detail = f"; {'; '.join(reasons)}" if reasons else ""
    raise IngestError(
        [
            Problem(
                str(path),
                "-",
                "unknown-format",
                f"no adapter reads this file ({what}){detail}; name one with {format_option} "
                f"(known: {', '.join(a.name for a in available)})",
            )
        ]
    )


suggest = did_you_mean


def _claimed(path: Path) -> bool:
    try:
        adapter_for(path)
    except (IngestError, OSError):
        return False
    return True


def discover(paths: list[Path]) -> list[Path]:
    """Files to ingest: the files given, and the files inside the folders given that an adapter
    claims (a folder may hold other files, such as the evidentiary copies of reports' texts)."""
    suffixes = {s for a in adapters() for s in a.suffixes} | set(ARCHIVE_SUFFIXES)
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


def read_batches(
    path: Path,
    fmt: str | None = None,
    option_names: dict[str, str] | None = None,
    **options: Any,
) -> Iterator[Batch]:
    """The adapter's batches; `option_names` says how messages name the caller's options."""
    names = {**CLI_OPTIONS, **(option_names or {})}
    adapter = adapter_for(path, fmt, names["format"])
    yield from adapter.read(path, option_names=names, **options)
