"""`rightsgraph extract FILE --review` and `rightsgraph review-draft DRAFT`: each extracted item
against the graph (new / same / conflicting), accepted or dropped by a person (or `--accept
all|new` in scripts), written as a reviewed report. (`rightsgraph review` walks resolution
proposals; this walks a draft.)

Exit codes: 0 reviewed report written; 1 nothing written (quit, nothing accepted, unreadable
draft, no -o);
2 Neo4j unavailable; 3 the reviewed report broke the shapes (a bug: please report it).
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.markup import escape

from core.settings import get_settings
from ingest.extract.draft import report_yaml
from ontology.records import Record
from rightsgraph.clitools import connect_or_exit
from rightsgraph.draft_review import (
    ACCEPT_MODES,
    ReviewItem,
    compare,
    decide_all,
    graph_classes,
    reviewed_report,
)

console = Console()
err = Console(stderr=True)
STYLE = {"new": "green", "same": "cyan", "conflicting": "bold red"}
HEADER = (
    "# Case report reviewed with `rightsgraph extract --review` / `review-draft`: the items the\n"
    "# reviewer accepted, with the graph's ids for what the graph already held.\n"
)
PROMPT = "a(ccept) d(rop) A(ccept the rest) D(rop the rest) q(uit, write nothing)"


def run_review(
    report: Record,
    records: list[Record],
    output: Path | None,
    accept: str | None,
    user: str,
) -> None:
    """Compare with the graph, decide (prompt or --accept), write the reviewed report."""
    if accept is not None and accept not in ACCEPT_MODES:
        err.print(f"[red]error:[/red] --accept is one of {', '.join(ACCEPT_MODES)}")
        raise typer.Exit(1)
    if output is None:
        err.print("[red]error:[/red] a review needs -o FILE for the reviewed report")
        raise typer.Exit(1)
    settings = get_settings()
    driver = connect_or_exit(settings)
    db = settings.neo4j_database
    try:
        items = compare(records, driver, db)
        if accept is not None:
            decide_all(items, accept)
        elif not _walk(items):
            err.print("quit: nothing written")
            raise typer.Exit(1)
        result = reviewed_report(report, records, items, user, known=graph_classes(driver, db))
    finally:
        driver.close()
    if not any(r["type"] != "Source" for r in result.records):
        err.print("nothing accepted: no reviewed report written")
        raise typer.Exit(1)
    if not result.ok:
        err.print("[red]internal error:[/red] the reviewed report breaks the shapes; not written:")
        for v in result.violations:
            err.print(f"  {v}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(3)
    output.write_text(report_yaml(result.report, result.records, HEADER), encoding="utf-8")
    counts = {s: sum(1 for i in items if i.status == s) for s in ("new", "same", "conflicting")}
    accepted = sum(1 for i in items if i.accepted)
    err.print(
        f"reviewed report written to {output}: {accepted} of {len(items)} items accepted "
        f"({counts['new']} new, {counts['same']} same, {counts['conflicting']} conflicting "
        f"in the draft); {len(result.dropped)} dropped",
        highlight=False,
    )
    for rid, why in result.dropped:
        err.print(f"  dropped {rid}: {why}", highlight=False, soft_wrap=True)


def show(item: ReviewItem, number: int, total: int) -> None:
    """One item: its kind, id, what it says, its quote, and how it stands against the graph."""
    style = STYLE[item.status]
    console.rule(f"{number}/{total}  {item.kind}  [{style}]{item.status}[/{style}]")
    console.print(f"id: {escape(item.id)}", highlight=False, soft_wrap=True)
    if item.graph_id and item.graph_id != item.id:
        console.print(f"in the graph as: {escape(item.graph_id)}", highlight=False, soft_wrap=True)
    if item.summary():
        console.print(escape(item.summary()), highlight=False, soft_wrap=True)
    for name in ("measureType", "demandType", "contractStatus", "date", "startDate", "endDate"):
        if name in item.record:
            console.print(
                f"{name}: {escape(str(item.record[name]))}", highlight=False, soft_wrap=True
            )
    if item.quote():
        console.print(f'quote: "{escape(item.quote() or "")}"', highlight=False, soft_wrap=True)
    for name, mine, theirs in item.conflicts:
        console.print(
            f"[red]conflict[/red] {name}: draft {escape(str(mine))} ≠ graph {escape(str(theirs))}",
            highlight=False,
            soft_wrap=True,
        )
    if item.additions and item.status != "new":
        console.print(f"adds: {', '.join(item.additions)}", highlight=False, soft_wrap=True)


def _walk(items: list[ReviewItem]) -> bool:
    """Ask about each item; False when the reviewer quits."""
    rest: bool | None = None
    for number, item in enumerate(items, 1):
        if rest is not None:
            item.accepted = rest
            continue
        show(item, number, len(items))
        default = "d" if item.status == "conflicting" else "a"
        while True:
            answer = typer.prompt(PROMPT, default=default).strip()[:1]
            if answer in ("a", "d", "A", "D", "q"):
                break
        if answer == "q":
            return False
        if answer in ("A", "D"):
            rest = answer == "A"
            item.accepted = rest
        else:
            item.accepted = answer == "a"
    return True


def review_draft(
    draft: Annotated[Path, typer.Argument(help="A draft written by `rightsgraph extract -o`.")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="The reviewed report (default: DRAFT.reviewed.yaml)."),
    ] = None,
    accept: Annotated[
        str | None,
        typer.Option("--accept", help="No prompt: accept all items, or only the new ones."),
    ] = None,
    user: Annotated[
        str, typer.Option("--user", help="Who reviews (written as reviewedBy).")
    ] = getpass.getuser(),
) -> None:
    """Review a saved draft against the graph: each item new, same or conflicting; accept or
    drop it; write a reviewed report."""
    try:
        doc = yaml.safe_load(draft.read_text(encoding="utf-8"))
        records = doc["@graph"]
        report = {k: v for k, v in doc.items() if k not in ("@context", "@graph")}
        if report.get("type") != "Report" or not isinstance(records, list):
            raise ValueError("not a case report")
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        err.print(
            f"[red]error:[/red] {draft}: cannot read it as a draft: {exc}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    target = output or draft.with_name(draft.name.removesuffix(".yaml") + ".reviewed.yaml")
    run_review(report, records, target, accept, user)


def register(app: typer.Typer) -> None:
    app.command("review-draft")(review_draft)
