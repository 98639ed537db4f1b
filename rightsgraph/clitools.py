"""What every command that talks to Neo4j shares: one way to connect or exit with a clear error."""

from __future__ import annotations

import typer
from neo4j import Driver
from rich.console import Console

from core.db import connect
from core.errors import DatabaseUnavailable
from core.settings import Settings, get_settings

err = Console(stderr=True)


def connect_or_exit(settings: Settings | None = None) -> Driver:
    """A driver whose server answered; otherwise the reason on stderr and exit code 2."""
    try:
        return connect(settings or get_settings())
    except DatabaseUnavailable as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
