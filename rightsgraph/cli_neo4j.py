"""`rightsgraph neo4j start|stop|status`: the local Neo4j 5.26 (embedded, built with Maven)."""

from __future__ import annotations

import dataclasses
from typing import NoReturn

import typer

from core import neo4j_local
from core.settings import Settings, get_settings

app = typer.Typer(
    help=(
        "Run the local Neo4j 5.26 (Bolt on 127.0.0.1, data under RIGHTSGRAPH_HOME). "
        "With NEO4J_URI set, everything uses that server instead and start/stop do nothing."
    ),
    no_args_is_help=True,
)


def _settings(port: int | None) -> Settings:
    settings = get_settings()
    return dataclasses.replace(settings, neo4j_port=port) if port else settings


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


PortOption = typer.Option(
    None, "--port", help="Bolt port (default: RIGHTSGRAPH_NEO4J_PORT, else 7687)."
)


@app.command()
def start(
    port: int | None = PortOption,
    auth: str | None = typer.Option(
        None,
        "--auth",
        envvar="NEO4J_PASSWORD",
        help=(
            "The password (8+ characters) of user neo4j. Default: NEO4J_PASSWORD, else one "
            "generated on the first start and kept in <RIGHTSGRAPH_HOME>/neo4j-password (0600), "
            "where every command finds it."
        ),
    ),
    no_auth: bool = typer.Option(
        False, "--no-auth", help="Turn authentication off: anyone on this host may use Bolt."
    ),
    timeout: float = typer.Option(120, "--timeout", help="Seconds to wait for Bolt to answer."),
) -> None:
    """Start the local Neo4j in the background (the first start builds it with Maven)."""
    try:
        typer.echo(
            neo4j_local.start(_settings(port), auth_password=auth, timeout=timeout, no_auth=no_auth)
        )
    except neo4j_local.LocalNeo4jError as exc:
        _fail(str(exc))


@app.command()
def stop(
    port: int | None = PortOption,
    timeout: float = typer.Option(30, "--timeout", help="Seconds before SIGTERM turns to SIGKILL."),
) -> None:
    """Stop the local Neo4j cleanly (data is kept)."""
    try:
        typer.echo(neo4j_local.stop(_settings(port), timeout=timeout))
    except neo4j_local.LocalNeo4jError as exc:
        _fail(str(exc))


@app.command()
def status(port: int | None = PortOption) -> None:
    """Say whether Neo4j answers on Bolt; exit code 0 when up, 1 when down."""
    up, message = neo4j_local.status(_settings(port))
    if not up:
        _fail(message)
    typer.echo(message)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="neo4j")
