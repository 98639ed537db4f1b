"""The `rightsgraph` command: one Typer app, one sub-app or command per concern."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="rightsgraph",
    help="RightsGraph: funds, companies, contracts and human-rights allegations, with evidence.",
    no_args_is_help=True,
    add_completion=False,
)


def _register() -> None:
    """Attach the command modules; each module owns its commands."""
    from rightsgraph import cli_neo4j

    app.add_typer(cli_neo4j.app, name="neo4j")


_register()

if __name__ == "__main__":
    app()
