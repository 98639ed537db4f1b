"""`rightsgraph ingest PATH…`: load reports and source files into the graph."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from neo4j.exceptions import DatabaseUnavailable as Neo4jDatabaseUnavailable
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.settings import get_settings
from ingest import migrate as migrations
from ingest.adapters import adapters
from ingest.pipeline import ON_INVALID, IngestResult, ingest_paths
from rightsgraph.clitools import connect_or_exit

err = Console(stderr=True)
# Neo4j going away mid-run (killed, restarted, network cut): reported in one line, exit 2
LOST_DATABASE = (ServiceUnavailable, SessionExpired, Neo4jDatabaseUnavailable)


def _formats_help() -> str:
    return (
        "Adapter to use instead of detecting it by content: "
        + ", ".join(a.name for a in adapters())
        + "."
    )


def ingest(
    paths: list[Path] = typer.Argument(..., exists=True, help="Files or folders to ingest."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Resolve and validate, report what would change, write nothing."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON for machines."),
    fmt: str | None = typer.Option(None, "--format", help=_formats_help()),
    proposals: Path | None = typer.Option(
        None,
        "--proposals",
        help="Write this run's proposals (uncertain matches, never merged) to this JSON-lines file; "
        "`rightsgraph review` walks the open ones.",
    ),
    fund: str | None = typer.Option(
        None, "--fund", help="Fund name for holdings files that have no fund column."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="As-of date (YYYY-MM-DD) for holdings files without one."
    ),
    on_invalid: str = typer.Option(
        "reject",
        "--on-invalid",
        help="reject: a file with an invalid record loads nothing (default); quarantine: its "
        "valid records load and each invalid one goes to <name>.rejects.jsonl beside it.",
        case_sensitive=False,
    ),
    bulk_threshold: int | None = typer.Option(
        None,
        "--bulk-threshold",
        metavar="BYTES",
        help="Files of at least this many bytes take the bulk path (read and checked once, new "
        "nodes created without read-back; the same graph). Default RIGHTSGRAPH_BULK_THRESHOLD "
        "or 1 MiB; 0 always, -1 never.",
    ),
) -> None:
    """Ingest case reports and source files: resolve, validate (SHACL), write — each file all or nothing."""
    if on_invalid.lower() not in ON_INVALID:
        err.print(f"[red]error:[/red] --on-invalid is one of {', '.join(ON_INVALID)}")
        raise typer.Exit(2)
    settings = get_settings()
    driver = connect_or_exit(settings)
    options = {k: v for k, v in {"fund": fund, "as_of": as_of}.items() if v}
    options["on_invalid"] = on_invalid.lower()
    if bulk_threshold is not None:
        options["bulk_threshold"] = bulk_threshold
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=as_json or not err.is_terminal,
            transient=True,
        ) as bar:
            task = bar.add_task("records", total=None)

            def progress(file: str, n: int) -> None:
                bar.update(task, advance=n, description=Path(file).name)

            result = ingest_paths(
                paths,
                driver,
                database=settings.neo4j_database,
                dry_run=dry_run,
                fmt=fmt,
                progress=progress,
                options=options,
            )
    except LOST_DATABASE as exc:
        err.print(
            f"[red]error:[/red] Neo4j became unavailable at {settings.neo4j_uri} during the ingest "
            f"({type(exc).__name__}: {escape(str(exc))}). Batches already committed stay whole; run the same "
            "command again once Neo4j is back: ingest is idempotent.",
            highlight=False,
        )
        raise typer.Exit(2) from None
    finally:
        driver.close()
    if proposals:
        with proposals.open("w", encoding="utf-8") as fh:
            for p in result.proposals:
                fh.write(json.dumps(p.as_dict(), ensure_ascii=False) + "\n")
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        print_result(result, proposals)
    raise typer.Exit(0 if result.ok else 1)


def print_result(result: IngestResult, proposals_file: Path | None = None) -> None:
    console = Console()
    table = Table(title=("Dry run: " if result.dry_run else "") + f"ingest {result.run_id}")
    for col in ("kind", "created", "updated", "unchanged", "removed"):
        table.add_column(col, justify="right" if col != "kind" else "left")
    s = result.summary
    for kind in sorted(set(s.created) | set(s.updated) | set(s.unchanged) | set(s.removed)):
        table.add_row(
            kind,
            *(str(getattr(s, c)[kind]) for c in ("created", "updated", "unchanged", "removed")),
        )
    console.print(table)
    for name, count in result.unsupported.items():
        console.print(f"[yellow]skipped[/yellow] {count} × {name}")
    for name, count in result.quarantined.items():
        console.print(f"[yellow]quarantined[/yellow] {count} invalid record(s) of {name}")
    for target in result.rejects_files:
        console.print(f"[yellow]rejects[/yellow] written to {target}")
    if result.proposals:
        where = f"written to {proposals_file}" if proposals_file else "see `rightsgraph review`"
        new = "" if result.dry_run else f", {result.new_proposals} new"
        console.print(
            f"[yellow]proposals[/yellow] {len(result.proposals)} look-alike pair(s) not merged"
            f"{new} ({where})",
            highlight=False,
        )
    if s.conflicts:
        console.print(
            f"[yellow]{len(s.conflicts)} conflict(s)[/yellow] with reviewed or published values "
            "(kept beside them, not overwriting them):"
        )
        for c in s.conflicts:
            console.print(
                f"  {c.id} {c.property}: {_short(c.value)!r} ({c.standing}, {c.report}) vs "
                f"{_short(c.against)!r} ({c.against_standing}, {', '.join(c.against_reports)}); "
                f"shown: {_short(c.chosen)!r}",
                highlight=False,
                markup=False,
            )
    if result.problems:
        err.print(f"[red]rejected[/red] {len(result.rejected)} file(s), nothing of them written:")
        for problem in result.problems:
            err.print(f"  {problem}", highlight=False, markup=False)


def _short(value: object, width: int = 60) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def migrate() -> None:
    """Bring a graph of an older schema version to this one, in place (safe to run again)."""
    settings = get_settings()
    driver = connect_or_exit(settings)
    try:
        result = migrations.migrate(driver, settings.neo4j_database)
    finally:
        driver.close()
    if result.version_before == result.version:
        typer.echo(f"schema version {result.version}: nothing to migrate")
    else:
        typer.echo(
            f"schema version {result.version_before} -> {result.version}: statements for "
            f"{result.nodes} node(s) and {result.relationships} relationship(s); "
            f"{result.reports_published} import report(s) now published"
        )


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("migrate")(migrate)
