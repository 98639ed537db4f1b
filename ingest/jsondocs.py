"""Reading JSON documents and JSON lines for the adapters, with errors that name file and line.

JSON-lines files can be far larger than memory, and their statements refer to each other in any
order (an FtM Ownership before its owner, a BODS relationship before its entities). `LineIndex`
keeps only each item's byte offset, so a reader can fetch a referenced item when it needs it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ingest.content import MAX_LINE_BYTES
from ingest.content import is_json_lines as is_json_lines  # by content; the adapters ask here
from ingest.errors import IngestError, Problem

MAX_DEPTH = 100  # levels of nesting in one JSON document or line
MAX_NODES = 5_000_000  # values in one JSON document


def too_deep(label: str, record: str = "-", line: int | None = None) -> Problem:
    return Problem(
        label, record, "too-deep", f"the document nests deeper than {MAX_DEPTH} levels", line
    )


def check_shape(
    value: Any, label: str, record: str = "-", line: int | None = None
) -> Problem | None:
    """A problem when a parsed value nests deeper than MAX_DEPTH or holds more than MAX_NODES
    values (walked without recursion)."""
    stack, seen = [(value, 1)], 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if depth > MAX_DEPTH:
            return too_deep(label, record, line)
        if seen > MAX_NODES:
            return Problem(
                label, record, "too-large", f"the document holds more than {MAX_NODES:,} values"
            )
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return None


def _shaped(value: Any, label: str, record: str = "-", line: int | None = None) -> Any:
    problem = check_shape(value, label, record, line)
    if problem:
        raise IngestError([problem])
    return value


def load_json(path: Path) -> Any:
    """The whole document (JSON files are read whole: their parsers need all of it anyway)."""
    try:
        with path.open(encoding="utf-8-sig") as fh:
            return _shaped(json.load(fh), str(path))
    except RecursionError:
        raise IngestError([too_deep(str(path))]) from None
    except json.JSONDecodeError as exc:
        raise IngestError([Problem(str(path), "-", "json-syntax", exc.msg, exc.lineno)]) from None
    except UnicodeDecodeError as exc:
        raise IngestError(
            [Problem(str(path), "-", "encoding", f"not UTF-8 text ({exc.reason})")]
        ) from None


def iter_lines(path: Path) -> Iterator[tuple[int, int, Any]]:
    """(line number, byte offset, parsed value) for every non-blank line."""
    with path.open("rb") as fh:
        number = 0
        while True:
            offset = fh.tell()
            raw = fh.readline(MAX_LINE_BYTES + 1)  # never more than the limit in memory
            if not raw:
                return
            number += 1
            if len(raw) > MAX_LINE_BYTES:
                raise IngestError(
                    [
                        Problem(
                            str(path),
                            f"line {number}",
                            "line-too-long",
                            f"a line longer than {MAX_LINE_BYTES:,} bytes: refused unread",
                            number,
                        )
                    ]
                )
            if not raw.strip():
                continue
            yield number, offset, parse_line(path, raw, number)


def parse_line(path: Path, raw: bytes, number: int) -> Any:
    where = f"line {number}"
    try:
        return _shaped(json.loads(raw.decode("utf-8-sig")), str(path), where, number)
    except RecursionError:
        raise IngestError([too_deep(str(path), where, number)]) from None
    except UnicodeDecodeError as exc:
        raise IngestError(
            [
                Problem(
                    str(path),
                    f"line {number}",
                    "encoding",
                    f"not UTF-8 text ({exc.reason})",
                    number,
                )
            ]
        ) from None
    except json.JSONDecodeError as exc:
        raise IngestError(
            [Problem(str(path), f"line {number}", "json-syntax", exc.msg, number)]
        ) from None


class LineIndex:
    """id -> (line, byte offset) of the items of a JSON-lines file; items are re-read on demand."""

    def __init__(self, path: Path):
        self.path = path
        self.where: dict[str, tuple[int, int]] = {}
        self._fh = path.open("rb")
        self._cache: dict[str, Any] = {}

    def add(self, key: str, line: int, offset: int) -> None:
        self.where[key] = (line, offset)

    def __contains__(self, key: str) -> bool:
        return key in self.where

    def get(self, key: str) -> Any:
        if key not in self.where:
            return None
        if key not in self._cache:
            if len(self._cache) > 4096:  # a small cache: referenced items cluster
                self._cache.clear()
            line, offset = self.where[key]
            self._fh.seek(offset)
            self._cache[key] = parse_line(self.path, self._fh.readline(), line)
        return self._cache[key]

    def line(self, key: str) -> int | None:
        return self.where.get(key, (None, 0))[0]

    def close(self) -> None:
        self._fh.close()


class MemoryIndex:
    """The same interface over a document already in memory."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[int | None, Any]] = {}

    def add(self, key: str, line: int | None, item: Any) -> None:
        self.items[key] = (line, item)

    def __contains__(self, key: str) -> bool:
        return key in self.items

    def get(self, key: str) -> Any:
        return self.items.get(key, (None, None))[1]

    def line(self, key: str) -> int | None:
        return self.items.get(key, (None, None))[0]

    def close(self) -> None:
        pass


def iter_items(
    path: Path, unpack: Callable[[Any], list[Any]]
) -> Iterator[tuple[int | None, int | None, Any]]:
    """(line, offset, item) of a JSON document (items found by `unpack`) or a JSON-lines file
    (each line unpacked the same way, so a line may hold one item or a package of them)."""
    if is_json_lines(path):
        for line, offset, value in iter_lines(path):
            items = unpack(value)
            for item in items:
                yield line, offset if len(items) == 1 else None, item
    else:
        for item in unpack(load_json(path)):
            yield None, None, item


def head_text(start: bytes) -> str:
    return start.decode("utf-8-sig", "ignore")
