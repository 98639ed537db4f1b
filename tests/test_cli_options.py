"""One option name for one meaning across the `rightsgraph` commands.

Walks every command of the Typer app: a short flag stands for the same long option everywhere
(`-o` is `--output`, never `--out` in one command and `--output` in another), and an option's
value name (its Python parameter) is spelled by one flag everywhere, deprecated commands aside.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import typer.main

from rightsgraph.cli import app

# Typer builds on its own copy of Click: its classes are told apart by attributes, not isinstance.


def _commands(group: Any, path: str = "rightsgraph") -> Iterator[tuple[str, Any]]:
    if hasattr(group, "commands"):
        for name, command in group.commands.items():
            yield from _commands(command, f"{path} {name}")
    else:
        yield path, group


def _deprecated(command: Any) -> bool:
    return bool(command.deprecated) or (command.help or "").lower().startswith("deprecated")


def _options() -> list[tuple[str, Any]]:
    root = typer.main.get_command(app)
    return [
        (path, param)
        for path, command in _commands(root)
        if not _deprecated(command)
        for param in command.params
        if param.param_type_name == "option"
    ]


def test_the_walk_sees_every_command() -> None:
    paths = {path for path, _ in _options()}
    assert {"rightsgraph synth", "rightsgraph keys create", "rightsgraph neo4j start"} <= paths


def test_a_short_flag_means_one_long_option_everywhere() -> None:
    longs: dict[str, set[str]] = defaultdict(set)
    for path, option in _options():
        for short in (o for o in option.opts if not o.startswith("--")):
            names = {o for o in option.opts if o.startswith("--")}
            assert names, f"{path}: {short} has no long name"
            longs[short] |= names
    clashes = {short: names for short, names in longs.items() if len(names) > 1}
    assert not clashes, clashes


def test_one_meaning_is_spelled_by_one_flag() -> None:
    flags: dict[str, set[str]] = defaultdict(set)
    for _, option in _options():
        flags[option.name or ""] |= {o for o in option.opts if o.startswith("--")}
    clashes = {name: spelled for name, spelled in flags.items() if len(spelled) > 1}
    assert not clashes, clashes
