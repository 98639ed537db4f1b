"""`rightsgraph keys …`: create, list and revoke API keys; read the audit log.

Keys and the audit log live in the shared Neo4j (api/system_store.py), which every API process
reads on every request, so a revoked key stops working at once in every process."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

keys_app = typer.Typer(
    help="API keys (roles, sharing levels) and the audit log.", no_args_is_help=True
)
err = Console(stderr=True)


def _stores():
    from api.audit import AuditLog
    from api.auth import KeyStore
    from api.settings import get_api_settings
    from api.system_store import SystemStore
    from core.db import connect

    settings = get_api_settings()
    store = SystemStore(connect(settings.neo4j), settings.neo4j.neo4j_database, settings.auth_path)
    return KeyStore(store), AuditLog(store)


@keys_app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="Who or what uses the key."),
    role: str = typer.Option(..., "--role", help="reader, investigator, editor or admin."),
    tlp: str = typer.Option(
        ...,
        "--tlp",
        help="Highest sharing level it may read: CLEAR, GREEN, AMBER, AMBER+STRICT, RED.",
    ),
) -> None:
    """Create a key and print its token once: only its hash is kept."""
    from api.auth import KeyAdminError

    keys, _ = _stores()
    try:
        info, token = keys.create(name, role, tlp)
    except KeyAdminError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    err.print(f"key {info.id} ({info.name}): role {info.role}, sharing level up to {info.tlp}.")
    err.print("The token below is shown once; store it now (send it as X-API-Key).")
    typer.echo(token)


@keys_app.command("list")
def list_keys() -> None:
    """Every key: id, name, role, sharing level, created, revoked."""
    keys, _ = _stores()
    table = Table(title="API keys")
    for col in ("id", "name", "role", "tlp", "created", "revoked"):
        table.add_column(col)
    for k in keys.list():
        table.add_row(k.id, k.name, k.role, k.tlp, k.created, k.revoked or "")
    Console(width=160).print(table)


@keys_app.command("revoke")
def revoke(key_id: str = typer.Argument(..., help="The key's id (from `keys list`).")) -> None:
    """Revoke a key: the API answers 401 to it from the next request on."""
    from api.auth import KeyAdminError

    keys, _ = _stores()
    try:
        info = keys.revoke(key_id)
    except KeyAdminError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    typer.echo(f"revoked key {info.id} ({info.name}) at {info.revoked}")


@keys_app.command("audit")
def audit(
    limit: int = typer.Option(50, "--limit", min=1, help="How many of the latest entries."),
) -> None:
    """The latest audit entries, oldest first: when, who, endpoint, outcome, what. Control
    characters are shown escaped (\\x1b, \\r, …), so no stored text can rewrite the screen."""
    from api.audit import printable

    _, log = _stores()
    for e in log.recent(limit):
        who = f"{e.key_id} ({e.caller})" if e.key_id else e.caller
        reason = f": {e.reason}" if e.reason else ""
        params = f" parameters {e.parameters}" if e.parameters not in (None, "{}") else ""
        times = f" ×{e.count} until {e.last_at}" if e.count > 1 else ""
        head = f"#{e.seq} {e.at}  {who}  {e.endpoint}  {e.outcome}{reason}{times}"
        typer.echo(printable(head).replace("\n", " "))
        typer.echo(("    " + printable(f"{e.what}{params}")).replace("\n", "\n    "))


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
