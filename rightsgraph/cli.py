"""The `rightsgraph` command: one Typer app; each `rightsgraph/cli_*.py` module adds its commands.

A command module defines `register(app: typer.Typer) -> None`; adding a module adds commands
without touching this file.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

import rightsgraph

app = typer.Typer(
    name="rightsgraph",
    help="RightsGraph: funds, companies, contracts and human-rights allegations, with evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    for info in sorted(pkgutil.iter_modules(rightsgraph.__path__), key=lambda m: m.name):
        if info.name.startswith("cli_"):
            module = importlib.import_module(f"rightsgraph.{info.name}")
            module.register(app)


_register()

if __name__ == "__main__":
    app()
