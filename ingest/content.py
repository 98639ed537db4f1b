"""What a file is, told from its bytes, not its name: JSON lines or a JSON document, JSON-LD,
YAML, Turtle, N-Triples, CSV, XML, XLSX, and gzip or zip archives of those.

Publishers name files as they like (`entities.ftm.json` holds JSON lines; an export may be
called `.txt`), so the adapters are picked by the syntax found here and then by their own look
at the content; the suffix only breaks ties where content cannot (Turtle variants, an empty or
unreadable file). Archives are unpacked into a temporary folder, each member bounded in size
and in compression ratio, so a zip bomb is refused before it fills the disk.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import json
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingest.errors import IngestError, Problem

HEAD_BYTES = 65536
MAX_LINE_BYTES = 16 << 20  # one statement or entity; far above any real one
JSON_LINES_SUFFIXES = (".jsonl", ".ndjson", ".ijson", ".ftm")
RDF_SUFFIXES = {
    ".ttl": "turtle",
    ".nt": "ntriples",
    ".n3": "turtle",
    ".trig": "trig",
    ".nq": "nquads",
}
YAML_SUFFIXES = (".yaml", ".yml")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")

# Unpacked archives: no member may inflate beyond MAX_MEMBER bytes, all together beyond
# MAX_UNPACKED, nor (past RATIO_FROM bytes) more than MAX_RATIO times its compressed size.
MAX_MEMBER = 8 << 30
MAX_UNPACKED = 16 << 30
MAX_RATIO, RATIO_FROM = 200, 100 << 20
MAX_MEMBERS = 1000

SYNTAXES = (
    "json-lines",
    "json",
    "jsonld",
    "yaml",
    "turtle",
    "ntriples",
    "csv",
    "xml",
    "xlsx",
    "gzip",
    "zip",
    "unknown",
)

_NTRIPLE = re.compile(r'^(<[^>\s]*>|_:\S+)\s+<[^>\s]*>\s+(<[^>\s]*>|_:\S+|".*)\s*\.\s*$')
_TURTLE_START = re.compile(r"^(@prefix|@base|PREFIX|BASE)\b", re.I)
_TURTLE_TRIPLE = re.compile(
    r"^(<[^>\s]*>|[A-Za-z][\w.-]*:[\w.-]*|_:\S+)\s+(a|<[^>]*>|[\w.-]*:[\w.-]*)\s"
)
# an XML declaration, a comment, or a start tag whose name may be prefixed ("<lei:LEIData ")
_XML_START = re.compile(r"^(<\?xml\s|<!--|<[A-Za-z_][\w.-]*(:[A-Za-z_][\w.-]*)?(\s|>|/>|$))")
_YAML_KEY = re.compile(r"""^(---|\.\.\.|%YAML|[-?]\s|["']?[\w .@/-]+["']?\s*:(\s|$))""")


def head(path: Path, size: int = HEAD_BYTES) -> bytes:
    with path.open("rb") as fh:
        return fh.read(size)


def detect(path: Path) -> str:
    """The syntax of the file (one of SYNTAXES), from its content."""
    stat = path.stat()
    return _detect(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=256)
def _detect(name: str, size: int, mtime: int) -> str:
    path = Path(name)
    start = head(path)
    if start.startswith(b"\x1f\x8b"):
        return "gzip"
    if start.startswith(b"PK\x03\x04"):
        workbook = _is_workbook(path)
        if workbook is None:  # not readable as a zip: the name says what it was meant to be
            return "xlsx" if path.suffix.lower() in WORKBOOK_SUFFIXES else "zip"
        return "xlsx" if workbook else "zip"
    if b"\x00" in start[:4096]:
        return "unknown"  # binary, or UTF-16/32 text, which none of the formats allows
    text = start.decode("utf-8-sig", "ignore")
    first = _first_significant_line(text)
    if first is None:
        return "unknown"
    if first[0] in "{[":
        if is_json_lines(path):
            return "json-lines"
        return "jsonld" if ('"@context"' in text or '"@graph"' in text) else "json"
    suffix = path.suffix.lower()
    if suffix in RDF_SUFFIXES:
        return RDF_SUFFIXES[suffix] if RDF_SUFFIXES[suffix] in SYNTAXES else "turtle"
    if _NTRIPLE.match(first):
        lines = [ln for ln in text.splitlines()[:-1] if ln.strip() and not ln.startswith("#")]
        return "ntriples" if all(_NTRIPLE.match(ln.strip()) for ln in lines[:20]) else "turtle"
    if _TURTLE_START.match(first):
        return "turtle"
    if _XML_START.match(first):
        return "xml"
    if _YAML_KEY.match(first):  # before prefixed-name triples: "name: a company" is YAML
        return "yaml"
    if _TURTLE_TRIPLE.match(first):
        return "turtle"
    if _looks_tabular(text):
        return "csv"
    return "yaml" if suffix in YAML_SUFFIXES else "unknown"


def _first_significant_line(text: str) -> str | None:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped
    return None


def _is_workbook(path: Path) -> bool | None:
    """Whether the zip is an Office Open XML workbook; None when it is not a readable zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return None
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def _looks_tabular(text: str) -> bool:
    """Two or more lines that split into the same number (at least two) of cells."""
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    if len(text) >= HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line of the head may be cut
    if not lines:
        return False
    delimiter = max(",;\t|", key=lines[0].count)
    if lines[0].count(delimiter) == 0:
        return False
    try:
        widths = {len(row) for row in csv.reader(lines, delimiter=delimiter)}
    except csv.Error:
        return False
    return len(lines) == 1 or len(widths) <= 2


def is_json_lines(path: Path) -> bool:
    """True when the first non-blank line is a whole JSON value and more lines follow (or the
    file's name says JSON lines): a pretty-printed document's first line is not one."""
    with path.open("rb") as fh:
        raw = b""
        while not raw.strip():
            raw = fh.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return False
        if len(raw) > MAX_LINE_BYTES:  # a minified document, or a line the reader refuses
            return path.suffix.lower() in JSON_LINES_SUFFIXES
        try:
            json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            return False
        if path.suffix.lower() in JSON_LINES_SUFFIXES:
            return True
        while rest := fh.readline(HEAD_BYTES):  # bounded: a later line may be huge
            if rest.strip():
                return True
        return False


# ---------------------------------------------------------------------- archives


@dataclass(frozen=True)
class Member:
    """A file to ingest: on disk at `path`, shown to the user as `name`."""

    path: Path
    name: str


def is_archive(path: Path) -> bool:
    return path.is_file() and detect(path) in ("gzip", "zip")


@contextlib.contextmanager
def unpacked(paths: list[Path]) -> Iterator[list[Member]]:
    """The files to ingest, archives replaced by their members (unpacked into a temporary
    folder removed afterwards); raises IngestError for an archive out of bounds."""
    with tempfile.TemporaryDirectory(prefix="rightsgraph-unpack-") as tmp:
        out: list[Member] = []
        for index, path in enumerate(paths):
            if not is_archive(path):
                out.append(Member(path, str(path)))
                continue
            folder = Path(tmp) / str(index)
            folder.mkdir()
            out.extend(_unpack(path, folder))
        yield out


def _unpack(path: Path, folder: Path) -> list[Member]:
    if detect(path) == "gzip":
        inner = path.stem if path.suffix.lower() in (".gz", ".gzip") else path.name + ".out"
        target = folder / _safe_name(inner)
        with gzip.open(path, "rb") as src:
            _copy_bounded(src, target, path, inner, path.stat().st_size)
        return [Member(target, f"{path}!{inner}")]
    members: list[Member] = []
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refused(path, "archive-syntax", f"not a readable zip archive: {exc}") from None
    with archive:
        infos = [
            i
            for i in archive.infolist()
            if not i.is_dir()
            and not any(p.startswith((".", "__MACOSX")) for p in i.filename.split("/"))
        ]
        if len(infos) > MAX_MEMBERS:
            raise _refused(
                path, "archive-too-large", f"{len(infos):,} members (limit {MAX_MEMBERS:,})"
            )
        total = sum(i.file_size for i in infos)
        if total > MAX_UNPACKED:
            raise _refused(
                path,
                "archive-too-large",
                f"would unpack to {total:,} bytes (limit {MAX_UNPACKED:,})",
            )
        for number, info in enumerate(infos):
            sub = folder / str(number)
            sub.mkdir()
            target = sub / _safe_name(Path(info.filename).name)
            with archive.open(info) as src:
                _copy_bounded(src, target, path, info.filename, info.compress_size)
            members.append(Member(target, f"{path}!{info.filename}"))
    return members


def _copy_bounded(src, target: Path, archive: Path, member: str, compressed: int) -> None:
    """Copy while counting: the declared sizes of an archive may lie, the bytes may not."""
    written = 0
    with target.open("wb") as out:
        while block := src.read(1 << 20):
            written += len(block)
            ratio = written / max(compressed, 1)
            if written > MAX_MEMBER or (written > RATIO_FROM and ratio > MAX_RATIO):
                raise _refused(
                    archive,
                    "archive-too-large",
                    f"{member} inflates past {written:,} bytes ({ratio:,.0f}:1): refused as a "
                    "possible zip bomb",
                )
            out.write(block)


def _safe_name(name: str) -> str:
    base = re.sub(r"[^\w.+-]", "_", name).strip("._") or "member"
    return base[:200]


def _refused(path: Path, rule: str, message: str) -> IngestError:
    return IngestError([Problem(str(path), "-", rule, message)])


__all__ = ["Member", "detect", "head", "is_archive", "is_json_lines", "unpacked"]
