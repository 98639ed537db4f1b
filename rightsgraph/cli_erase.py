"""`rightsgraph erase ID`: remove a person's personal values from the graph for good
(ingest/erasure.py), and say so in the audit log."""

from __future__ import annotations

import getpass

import typer
from rich.console import Console

err = Console(stderr=True)


def erase(
    person: str = typer.Argument(..., help="The person's id."),
    reason: str = typer.Option(
        ..., "--reason", help="Why (kept in the erasure record and the audit log)."
    ),
    by: str = typer.Option(
        None, "--by", help="Who asks for it (default: the user running the command)."
    ),
) -> None:
    """Erase a person's personal values (identifiers, aliases, description, notes, country,
    website, …; name and sharing level stay) from the graph, its statement history and every
    export, and keep later ingests from restoring them. The audit log records who, when and
    why, never the values."""
    from api.audit import AuditLog
    from api.auth import Caller
    from api.settings import get_api_settings
    from api.system_store import SystemStore
    from core.db import connect
    from ingest.erasure import EraseError, erase_person

    settings = get_api_settings()
    driver = connect(settings.neo4j)
    who = by or getpass.getuser()
    log = AuditLog(SystemStore(driver, settings.neo4j.neo4j_database, settings.auth_path))
    caller = Caller(None, f"rightsgraph erase ({who})", "admin", "RED")
    try:
        done = erase_person(
            driver, person, by=who, reason=reason, database=settings.neo4j.neo4j_database
        )
    except EraseError as exc:
        log.record(caller, "erase", f"erase {person}", "error", str(exc))
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    erased = ", ".join(done.properties) or "nothing (no personal value was held)"
    log.record(caller, "erase", f"erase {person}", "ok", f"erased {erased}; reason: {reason}")
    driver.close()
    typer.echo(f"erased from {person}: {erased}")


def register(app: typer.Typer) -> None:
    app.command("erase")(erase)
