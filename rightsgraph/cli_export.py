"""`rightsgraph export`, `backup` and `restore`: the graph out (RDF or FtM), and back in."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from core.settings import get_settings
from export.formats import formats_help
from export.options import ExportError, ExportOptions
from export.stream import open_output, write_export
from ontology.types import sharing
from rightsgraph import backup as backups
from rightsgraph.clitools import connect_or_exit

err = Console(stderr=True)
FTM_ALIAS_LEVEL = "GREEN"
"""`export-ftm`'s own default level, kept while the alias lasts."""


def _driver():
    return connect_or_exit(get_settings())


def _export(options: ExportOptions, output: Path | None) -> None:
    """Check the options, then write the export; exit 2 on a bad option or an unknown scope."""
    try:
        options = options.checked()
    except ExportError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    driver = _driver()
    out = open_output(output)
    try:
        writer = write_export(driver, options, out, get_settings().neo4j_database)
    except ExportError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        if out is not sys.stdout:
            out.close()
        driver.close()
    err.print(
        f"exported {writer.summary()} ({options.format}, tlp {options.tlp}, scope {options.scope})"
    )


def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help=formats_help() + ".")] = "turtle",
    scope: Annotated[str, typer.Option(help="all, entity:ID (with --hops) or report:ID.")] = "all",
    hops: Annotated[int, typer.Option(help="Neighbourhood radius for entity:ID scopes.")] = 1,
    tlp: Annotated[
        str,
        typer.Option(help=f"Highest sharing level included: {', '.join(sharing.levels())}."),
    ] = "CLEAR",
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Leave out facts dated after this day (YYYY-MM-DD)."),
    ] = None,
    as_known_on: Annotated[
        str | None,
        typer.Option(
            "--as-known-on",
            help="Export what the graph held on this day (YYYY-MM-DD): statements first stated "
            "on or before it and not yet retracted then.",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File (.gz: gzip'd); stdout by default.")
    ] = None,
    with_ontology: Annotated[
        bool,
        typer.Option(
            "--with-ontology",
            help="RDF: add the ontology, its vocabularies and the SHACL shapes after the data.",
        ),
    ] = False,
    licence: Annotated[
        list[str] | None,
        typer.Option(
            "--licence",
            help="Keep only sources under this licence (its URL; repeatable), and what rests on "
            "them.",
        ),
    ] = None,
    statements: Annotated[
        bool,
        typer.Option(
            "--statements",
            help="RDF: add every value's provenance (report, sources, standing, level, first "
            "stated, retracted) as reified rdf:Statements; ingest restores it.",
        ),
    ] = False,
) -> None:
    """Export the graph for partners: only what is shared at --tlp or below, streamed."""
    options = ExportOptions(
        format=fmt,
        tlp=tlp.upper(),
        scope=scope,
        hops=hops,
        as_of=as_of,
        as_known_on=as_known_on,
        with_ontology=with_ontology,
        statements=statements,
        licences=tuple(licence or ()),
    )
    _export(options, output)


def export_ftm(
    out: Annotated[Path, typer.Argument(help="File to write (JSON lines); - for standard output.")],
    max_tlp: Annotated[
        str, typer.Option("--max-tlp", help="Highest sharing level included.")
    ] = FTM_ALIAS_LEVEL,
) -> None:
    """Deprecated: `rightsgraph export --format ftm --tlp GREEN -o OUT` does the same."""
    level = max_tlp.upper()
    target = "" if str(out) == "-" else f" -o {out}"
    err.print(
        "[yellow]export-ftm is deprecated:[/yellow] "
        f"use rightsgraph export --format ftm --tlp {level}{target}"
    )
    _export(ExportOptions(format="ftm", tlp=level), None if str(out) == "-" else out)


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
    app.command("export-ftm", deprecated=True)(export_ftm)
    app.command("backup")(backup)
    app.command("restore")(restore)
