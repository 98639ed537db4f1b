"""The named Cypher queries: the `*.cypher` files of this package, read as package data.

Each file is complete Cypher that runs as it is in cypher-shell (with `:param`) and through the
driver; the header comment names its parameters. No query text lives in Python.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

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
