"""The named Cypher queries: the `*.cypher` files of this package, read as package data.

Each file is complete Cypher that runs as it is in cypher-shell (with `:param`) and through the
driver; the header comment names its parameters. No query text lives in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

_NAME = re.compile(r"[a-z][a-z0-9_]*")


def names() -> list[str]:
    """The names of every shipped query, sorted."""
    files = resources.files(__package__).iterdir()
    return sorted(f.name.removesuffix(".cypher") for f in files if f.name.endswith(".cypher"))


@cache
def load(name: str) -> str:
    """The text of query `name` (e.g. "exposure"), comments included; KeyError if unknown."""
    if not _NAME.fullmatch(name):
        raise KeyError(f"not a query name: {name!r}")
    path = resources.files(__package__).joinpath(f"{name}.cypher")
    if not path.is_file():
        raise KeyError(f"no query named {name!r} (known: {', '.join(names())})")
    return path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- headers

_PARAM_LINE = re.compile(r"^//\s+:param\s+(\w+)\s*=>\s*(.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Param:
    """One `:param name => literal` line of a query's header, and the literal's value."""

    name: str
    literal: str
    value: Any


@dataclass(frozen=True)
class QueryInfo:
    """A named query's header: its one-line summary and its `:param` examples, in order."""

    name: str
    summary: str
    params: tuple[Param, ...]


def summary(text: str) -> str:
    """The header's opening sentence(s): the comment lines before the first blank one, without
    the leading `name:`."""
    lines: list[str] = []
    for line in text.splitlines():
        if not line.startswith("//") or not line[2:].strip():
            break
        lines.append(line[2:].strip())
    return re.sub(r"^[a-z_]+:\s*", "", " ".join(lines))


def body(name: str) -> str:
    """The query without its header comment: what the console sends to /cypher (the header's
    prose may hold characters /cypher refuses outside string literals)."""
    lines = load(name).splitlines(keepends=True)
    start = 0
    while start < len(lines) and (lines[start].startswith("//") or not lines[start].strip()):
        start += 1
    return "".join(lines[start:])


@cache
def describe(name: str) -> QueryInfo:
    """The summary and `:param` lines of query `name`; each value parsed as a Cypher literal."""
    text = load(name)
    seen: dict[str, Param] = {}
    for key, literal in _PARAM_LINE.findall(text):
        seen.setdefault(key, Param(key, literal, parse_literal(literal)))
    return QueryInfo(name, summary(text), tuple(seen.values()))


_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|(?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[\[\]{},:]))"
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}


def parse_literal(text: str) -> Any:
    """A Cypher literal as Python: strings ('…' or "…"), integers, floats, true/false/null,
    lists and maps (keys bare or quoted). ValueError for anything else (an expression)."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"not a Cypher literal at offset {pos}: {text!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    value, end = _value(tokens, 0, text)
    if end != len(tokens):
        raise ValueError(f"not a Cypher literal (trailing text): {text!r}")
    return value


def _value(tokens: list[tuple[str, str]], i: int, text: str) -> tuple[Any, int]:
    if i >= len(tokens):
        raise ValueError(f"not a Cypher literal (ends early): {text!r}")
    kind, tok = tokens[i]
    if kind == "string":
        body = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), tok[1:-1])
        return body, i + 1
    if kind == "number":
        return (float(tok) if any(c in tok for c in ".eE") else int(tok)), i + 1
    if kind == "word":
        words = {"true": True, "false": False, "null": None}
        if tok.lower() in words:
            return words[tok.lower()], i + 1
        raise ValueError(f"not a Cypher literal ({tok} is a name): {text!r}")
    if tok in "[{":
        close = "]" if tok == "[" else "}"
        items: list[Any] = []
        pairs: dict[str, Any] = {}
        i += 1
        while i < len(tokens) and tokens[i][1] != close:
            if tok == "[":
                item, i = _value(tokens, i, text)
                items.append(item)
            else:
                kind, key = tokens[i]
                if (
                    kind not in ("word", "string")
                    or i + 1 >= len(tokens)
                    or tokens[i + 1][1] != ":"
                ):
                    raise ValueError(f"not a Cypher map literal: {text!r}")
                pairs[key if kind == "word" else key[1:-1]], i = _value(tokens, i + 2, text)
            if i < len(tokens) and tokens[i][1] == ",":
                i += 1
        if i >= len(tokens):
            raise ValueError(f"not a Cypher literal (unclosed {tok}): {text!r}")
        return (items if tok == "[" else pairs), i + 1
    raise ValueError(f"not a Cypher literal ({tok!r} unexpected): {text!r}")
