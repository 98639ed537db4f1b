"""`rightsgraph export-ftm OUT`: the graph as FollowTheMoney entities (JSON lines)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from core.settings import get_settings
from ingest.ftm_export import export_ftm
from ontology.types import sharing
from rightsgraph.clitools import connect_or_exit

err = Console(stderr=True)


def export_ftm_command(
    out: Annotated[Path, typer.Argument(help="File to write (JSON lines); - for standard output.")],
    max_tlp: Annotated[
        str,
        typer.Option("--max-tlp", help="Export only what is shared at this TLP level or below."),
    ] = "GREEN",
) -> None:
    """Export companies, persons, bodies, holdings, ownerships, contracts and sanctions to FtM."""
    level = max_tlp.upper()
    if not sharing.is_level(level):
        err.print(f"[red]error:[/red] --max-tlp must be one of {', '.join(sharing.levels())}")
        raise typer.Exit(2)
    settings = get_settings()
    driver = connect_or_exit(settings)
    try:
        if str(out) == "-":
            stats = export_ftm(driver, sys.stdout, settings.neo4j_database, level)
        else:
            with out.open("w", encoding="utf-8") as fh:
                stats = export_ftm(driver, fh, settings.neo4j_database, level)
    finally:
        driver.close()
    written = ", ".join(f"{n} {s}" for s, n in sorted(stats.written.items())) or "nothing"
    skipped = ", ".join(f"{n} {c}" for c, n in sorted(stats.skipped.items()))
    err.print(f"wrote {written}" + (f"; no FtM form for {skipped}" if skipped else ""))


def register(app: typer.Typer) -> None:
    app.command("export-ftm")(export_ftm_command)
