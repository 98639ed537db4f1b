"""`rightsgraph export`, `backup` and `restore`: the graph out as RDF (or FtM), and back in."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from core.settings import get_settings
from rightsgraph import backup as backups
from rightsgraph.clitools import connect_or_exit
from rightsgraph.export import FORMATS, ExportError, ExportOptions, open_output, write_export

err = Console(stderr=True)


def _driver():
    return connect_or_exit(get_settings())


def export(
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=f"{', '.join(FORMATS)} or ftm (FollowTheMoney).")
    ] = "turtle",
    scope: Annotated[str, typer.Option(help="all, entity:ID (with --hops) or report:ID.")] = "all",
    hops: Annotated[int, typer.Option(help="Neighbourhood radius for entity:ID scopes.")] = 1,
    tlp: Annotated[
        str,
        typer.Option(
            help="Highest sharing level included: CLEAR, GREEN, AMBER, AMBER+STRICT, RED."
        ),
    ] = "CLEAR",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Leave out facts dated after this day (YYYY-MM-DD)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File (.gz: gzip'd); stdout by default.")
    ] = None,
) -> None:
    """Export the graph as RDF for partners: only what is shared at --tlp or below, streamed."""
    settings = get_settings()
    if fmt == "ftm":
        _export_ftm(scope, tlp, as_of, output)
        return
    try:
        options = ExportOptions(
            format=fmt, tlp=tlp.upper(), scope=scope, hops=hops, as_of=as_of
        ).checked()
    except ExportError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    driver = _driver()
    out = open_output(output)
    try:
        writer = write_export(driver, options, out, settings.neo4j_database)
    except ExportError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        if out is not sys.stdout:
            out.close()
        driver.close()
    err.print(f"exported {writer.triples} triples ({fmt}, tlp {options.tlp}, scope {scope})")


def _export_ftm(scope: str, tlp: str, as_of: str | None, output: Path | None) -> None:
    from ingest.ftm_export import export_ftm

    if scope != "all" or as_of:
        err.print("[red]error:[/red] --format ftm exports the whole graph: no --scope or --as-of")
        raise typer.Exit(2)
    settings = get_settings()
    driver = _driver()
    out = open_output(output)
    try:
        stats = export_ftm(driver, out, settings.neo4j_database, tlp.upper())
    finally:
        if out is not sys.stdout:
            out.close()
        driver.close()
    err.print(f"exported {sum(stats.written.values())} FtM entities (tlp {tlp.upper()})")


def backup(
    output: Annotated[Path, typer.Option("-o", "--output", help="Backup file: .nt or .nt.gz.")],
) -> None:
    """Write the whole graph, every sharing level, as N-Triples that `restore` reads back."""
    if not output.name.endswith((".nt", ".nt.gz")):
        err.print("[red]error:[/red] the backup file must end in .nt or .nt.gz")
        raise typer.Exit(2)
    driver = _driver()
    try:
        triples = backups.backup(driver, output, get_settings().neo4j_database)
    finally:
        driver.close()
    err.print(f"backed up {triples} triples to {output}")


def restore(
    path: Annotated[Path, typer.Argument(exists=True, help="A backup file (.nt or .nt.gz).")],
    force: Annotated[
        bool, typer.Option("--force", help="Restore into a database that is not empty (merges).")
    ] = False,
) -> None:
    """Rebuild the graph from a backup, into an empty database."""
    from rightsgraph.cli_ingest import print_result

    driver = _driver()
    try:
        result = backups.restore(driver, path, get_settings().neo4j_database, force=force)
    except backups.NotEmpty as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        driver.close()
    print_result(result)
    raise typer.Exit(0 if result.ok else 1)


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("backup")(backup)
    app.command("restore")(restore)
