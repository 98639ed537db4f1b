"""`rightsgraph cypher` (a cypher-shell-like console) and `rightsgraph query NAME` (the named
queries of queries/, with their header's `:param` values as defaults)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console

import queries
from core.settings import Settings, get_settings
from rightsgraph.clitools import connect_or_exit, err
from rightsgraph.cypher_shell import (
    Runner,
    Shell,
    csv_text,
    parse_params,
    summary_line,
    table,
)

HISTORY_FILE = "cypher_history"
HISTORY_LENGTH = 1000


def _history_path(settings: Settings) -> Path:
    return settings.home / HISTORY_FILE


def _readline(path: Path):  # noqa: ANN202 - the readline module, when there is one
    """readline with the history of earlier sessions loaded, or None (no terminal)."""
    if not sys.stdin.isatty():
        return None
    try:
        import readline
    except ImportError:
        return None
    readline.set_auto_history(False)  # whole statements go in, not their lines
    readline.set_history_length(HISTORY_LENGTH)
    if path.is_file():
        readline.read_history_file(path)
    return readline


def cypher(
    write: bool = typer.Option(
        False, "--write", help="Allow writes (the local database only; reads are the default)."
    ),
    file: Path | None = typer.Option(None, "--file", help="Run this file's statements."),
    param: list[str] = typer.Option([], "--param", "-P", help="name=value (JSON or text)."),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds a statement may run."),
    max_rows: int = typer.Option(1000, "--max-rows", help="Rows shown at most per statement."),
    history_file: Path | None = typer.Option(
        None, "--history", help="History file (default: cypher_history in RIGHTSGRAPH_HOME)."
    ),
) -> None:
    """A Cypher console: statements end with ';', `:param name => value` as in cypher-shell,
    `:help` for the rest. Read-only unless --write."""
    settings = get_settings()
    if write and settings.external:
        err.print("[red]error:[/red] --write works on the local database only (NEO4J_URI is set)")
        raise typer.Exit(2)
    try:
        parameters = parse_params(param)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    driver = connect_or_exit(settings)
    console = Console()
    history_path = history_file or _history_path(settings)
    rl = _readline(history_path)

    def history() -> list[str]:
        if rl is None:
            return []
        return [rl.get_history_item(i) for i in range(1, rl.get_current_history_length() + 1)]

    runner = Runner(
        driver, settings.neo4j_database, write=write, timeout=timeout, max_rows=max_rows
    )
    shell = Shell(runner, console, history)
    shell.parameters.update(parameters)
    try:
        if file is not None:
            shell.source(str(file))
            return
        user = settings.neo4j_user
        mode = "read-write" if write else "read-only"
        if rl is not None:
            console.print(
                f"Connected to {settings.neo4j_uri} as {user} ({mode}). "
                "Statements end with ';'; :help, :exit.",
                highlight=False,
            )
        while not shell.done:
            prompt = (
                f"{user}@{settings.neo4j_database}> "
                if not shell.waiting
                else " " * (len(user) + len(settings.neo4j_database) + 1) + "> "
            )
            try:
                line = input(prompt) if rl is not None else sys.stdin.readline()
            except (EOFError, KeyboardInterrupt):
                break
            if rl is None and line == "":
                break
            for entry in shell.feed(line.rstrip("\n")):
                if rl is not None:
                    rl.add_history(" ".join(entry.split()) + ("" if entry.startswith(":") else ";"))
        if shell.waiting:
            shell.feed(";")  # piped input may leave its last statement without ';'
    finally:
        if rl is not None:
            history_path.parent.mkdir(parents=True, exist_ok=True)
            rl.write_history_file(history_path)
        driver.close()


def query(
    name: str = typer.Argument(..., help="A named query (file name in queries/ without .cypher)."),
    param: list[str] = typer.Option([], "--param", "-P", help="name=value (JSON or text)."),
    as_json: bool = typer.Option(False, "--json", help="Rows as JSON."),
    as_csv: bool = typer.Option(False, "--csv", help="Rows as CSV."),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds the query may run."),
    max_rows: int = typer.Option(10_000, "--max-rows", help="Rows at most."),
) -> None:
    """Run a named query read-only; parameters default to the `:param` lines of its header."""
    try:
        info = queries.describe(name)
        parameters = {p.name: p.value for p in info.params} | parse_params(param)
    except (KeyError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc.args[0] if exc.args else exc}")
        raise typer.Exit(2) from None
    settings = get_settings()
    driver = connect_or_exit(settings)
    try:
        runner = Runner(driver, settings.neo4j_database, timeout=timeout, max_rows=max_rows)
        shell = Shell(runner, Console())
        try:
            outcome = runner.run(queries.load(name), parameters)
        except Exception as exc:  # a refusal or Neo4j's error, said once
            shell.error(getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc))
            raise typer.Exit(1) from None
    finally:
        driver.close()
    if as_json:
        sys.stdout.write(json.dumps(outcome.rows, ensure_ascii=False, indent=2) + "\n")
    elif as_csv:
        sys.stdout.write(csv_text(outcome))
    else:
        console = Console()
        console.print(table(outcome))
        console.print(summary_line(outcome), style="dim", highlight=False)


def queries_list() -> None:
    """List the named queries with their parameters."""
    console = Console()
    for name in queries.names():
        info = queries.describe(name)
        console.print(f"[bold]{name}[/bold]  {info.summary}", highlight=False)
        for p in info.params:
            console.print(f"    --param {p.name}={json.dumps(p.value)}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("cypher")(cypher)
    app.command("query")(query)
    app.command("queries")(queries_list)
