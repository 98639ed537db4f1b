"""`rightsgraph review`, `decide` and `split`: people decide what resolution could not."""

from __future__ import annotations

import getpass
import json

import typer
from rich.console import Console
from rich.table import Table

from core.settings import get_settings
from ingest.decisions import JUDGEMENTS, list_proposals
from ingest.merge import MergeError, decide, split
from rightsgraph.clitools import connect_or_exit

console = Console()
err = Console(stderr=True)
KEYS = {"s": "same", "d": "different", "u": "unsure"}


def _side_table(proposal: dict) -> Table:
    table = Table(show_header=True, header_style="bold")
    table.add_column("")
    left, right = proposal["sides"]
    table.add_column(left["id"])
    table.add_column(right["id"])
    for field in ("name", "aliases", "country", "tlp", "sourceIds", "reportIds"):
        values = [s.get(field) for s in (left, right)]
        table.add_row(
            field,
            *(", ".join(map(str, v)) if isinstance(v, list) else str(v or "") for v in values),
        )
    return table


def review(
    type: str | None = typer.Option(None, "--type", help="Only proposals of this class."),
    min_score: float | None = typer.Option(None, "--min-score", help="Only at or above (0-100)."),
    user: str = typer.Option(getpass.getuser(), "--user", help="Who decides (stored)."),
    limit: int = typer.Option(50, "--limit", help="At most this many proposals in this session."),
) -> None:
    """Walk the open proposals: both records side by side; s(ame), d(ifferent), u(nsure),
    n(ext: skip), q(uit). A decision is stored in the graph; "same" merges."""
    settings = get_settings()
    driver = connect_or_exit(settings)
    db = settings.neo4j_database
    try:
        queue = list_proposals(driver, type=type, min_score=min_score, limit=limit, database=db)
        if not queue:
            console.print("no open proposals")
            return
        for number, proposal in enumerate(queue, 1):
            console.rule(f"{number}/{len(queue)}  {proposal['type']}  score {proposal['score']}")
            console.print(_side_table(proposal))
            for line in proposal.get("explanation") or []:
                console.print(f"  · {line}", highlight=False)
            answer = typer.prompt("s(ame) d(ifferent) u(nsure) n(ext) q(uit)", default="n")
            answer = answer.strip().lower()[:1]
            if answer == "q":
                break
            if answer not in KEYS:
                continue
            note = typer.prompt("note", default="", show_default=False) or None
            result = decide(
                driver, proposal["right"], proposal["left"], KEYS[answer], user, note, db
            )
            if KEYS[answer] == "same" and not result.get("merged"):
                console.print(f"[yellow]recorded, not merged:[/yellow] {result.get('reason')}")
            else:
                console.print(f"recorded: {KEYS[answer]}")
    finally:
        driver.close()


def decide_command(
    canonical: str = typer.Argument(..., help="The id that stays (for 'same')."),
    other: str = typer.Argument(..., help="The other id (merged into the first for 'same')."),
    judgement: str = typer.Argument(..., help="same, different or unsure."),
    user: str = typer.Option(getpass.getuser(), "--user"),
    note: str | None = typer.Option(None, "--note"),
) -> None:
    """Decide one pair without the interactive review."""
    if judgement not in JUDGEMENTS:
        err.print(f"[red]error:[/red] judgement must be one of {', '.join(JUDGEMENTS)}")
        raise typer.Exit(2)
    settings = get_settings()
    driver = connect_or_exit(settings)
    try:
        result = decide(driver, canonical, other, judgement, user, note, settings.neo4j_database)
    finally:
        driver.close()
    typer.echo(json.dumps(result, ensure_ascii=False, default=str))


def split_command(
    ref: str = typer.Argument(..., help="The merged-away id, or the decision id."),
    user: str = typer.Option(getpass.getuser(), "--user"),
) -> None:
    """Undo a merge: the old entity is back with what it had."""
    settings = get_settings()
    driver = connect_or_exit(settings)
    try:
        result = split(driver, ref, user, settings.neo4j_database)
    except MergeError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    finally:
        driver.close()
    typer.echo(json.dumps(result, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.command("review")(review)
    app.command("decide")(decide_command)
    app.command("split")(split_command)
