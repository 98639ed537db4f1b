"""`rightsgraph extract FILE` (article → draft report) and `rightsgraph verify` (quotes and hashes).

Exit codes of extract: 0 draft written; 1 input that is no article (empty, binary, too large,
unreadable rules); 3 the draft broke the shapes (a bug: please report it). With --review, see
rightsgraph/cli_draft_review.py.
Exit codes of verify: 0 every quote and copy checks out; 1 a mismatch; 2 Neo4j unavailable.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from core.db import connect
from core.errors import DatabaseUnavailable
from core.settings import get_settings
from ingest.evidence import verify_graph
from ingest.extract.draft import Draft, build_draft
from ingest.extract.linking import link_to_graph
from ingest.extract.rules import RulesError, load_rules
from ingest.extract.text import MAX_BYTES, ExtractInputError, load_document
from rightsgraph.cli_draft_review import run_review
from rightsgraph.clitools import connect_or_exit

err = Console(stderr=True)


def extract(
    file: Annotated[Path, typer.Argument(help="Article saved as plain text or HTML.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="text or html (default: by suffix and content).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the draft here (default: stdout).")
    ] = None,
    explain: Annotated[
        bool,
        typer.Option("--explain", help="Print the text with the evidence marked, and the items."),
    ] = False,
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help="Extra keyword rules (YAML shaped like harm_rules.yaml)."),
    ] = None,
    source_url: Annotated[
        str | None, typer.Option("--source-url", help="URL the article was read from.")
    ] = None,
    publisher: Annotated[str | None, typer.Option("--publisher", help="Its publisher.")] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Do not look entities up in Neo4j (gazetteer only).")
    ] = False,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", help="Refuse larger files (one article, not a corpus).")
    ] = MAX_BYTES,
    review: Annotated[
        bool,
        typer.Option(
            "--review",
            help="Walk each item against the graph (new / same / conflicting), accept or drop "
            "it, and write a reviewed report to -o.",
        ),
    ] = False,
    accept: Annotated[
        str | None,
        typer.Option("--accept", help="With --review, no prompt: accept all items, or only new."),
    ] = None,
    user: Annotated[
        str, typer.Option("--user", help="With --review: who reviews (written as reviewedBy).")
    ] = getpass.getuser(),
) -> None:
    """Draft a case report from an article: every claim with its quote and offsets, unreviewed."""
    try:
        loaded_rules = load_rules(rules or [])
        doc = load_document(file, fmt, max_bytes=max_bytes)
    except (ExtractInputError, RulesError) as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    if (review or accept) and (offline or output is None):
        err.print("[red]error:[/red] --review compares with the graph and writes to -o FILE")
        raise typer.Exit(1)
    link = None
    if not offline:
        link = _graph_linker()
    draft = build_draft(
        doc, rules=loaded_rules, source_url=source_url, publisher=publisher, link=link
    )
    if not draft.ok:
        err.print(
            "[red]internal error:[/red] the draft does not conform to the shapes; nothing written:"
        )
        for v in draft.violations:
            err.print(f"  {v}", markup=False, highlight=False)
        raise typer.Exit(3)
    for warning in draft.warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    if explain:
        print_explanation(draft)
    if review or accept:
        run_review(draft.report, draft.records, output, accept, user)
    elif output:
        output.write_text(draft.to_yaml(), encoding="utf-8")
        err.print(f"draft written to {output}: " + _summary(draft), highlight=False)
    elif not explain:
        typer.echo(draft.to_yaml(), nl=False)
    if draft.copy:
        err.print(f"evidentiary copy: {draft.copy.path}", highlight=False)


def _graph_linker():
    """A function linking entities to the graph, or None when Neo4j does not answer."""
    settings = get_settings()
    try:
        driver = connect(settings)
    except DatabaseUnavailable:
        err.print("[dim]Neo4j not reachable: entities keep gazetteer or proposed ids[/dim]")
        return None

    def link(entities):
        try:
            return link_to_graph(entities, driver, settings.neo4j_database)
        finally:
            driver.close()

    return link


def _summary(draft: Draft) -> str:
    counts: dict[str, int] = {}
    for r in draft.records:
        counts[r["type"]] = counts.get(r["type"], 0) + 1
    return ", ".join(f"{n} {t}" for t, n in sorted(counts.items())) + f"; {len(draft.items)} quotes"


def print_explanation(draft: Draft) -> None:
    """The text with each quote in brackets numbered by item, then the items as a table."""
    console = Console()
    text = draft.document.text
    opens: dict[int, list[int]] = {}
    closes: dict[int, list[int]] = {}
    for n, item in enumerate(draft.items, 1):
        opens.setdefault(item.start, []).append(n)
        closes.setdefault(item.end, []).append(n)
    out = Text()
    depth = 0
    styles = ["bold yellow", "cyan", "green", "magenta"]
    pos = 0
    for cut in sorted(set(opens) | set(closes) | {len(text)}):
        out.append(text[pos:cut], style=styles[(depth - 1) % len(styles)] if depth else "")
        for n in closes.get(cut, []):
            out.append(f"]{n}", style="dim")
            depth -= 1
        for _ in opens.get(cut, []):
            out.append("[", style="dim")
            depth += 1
        pos = cut
    console.print(out)
    table = Table(title="extracted items")
    for col in ("#", "kind", "record", "chars", "quote"):
        table.add_column(col, overflow="fold")
    for n, item in enumerate(draft.items, 1):
        quote = item.quote if len(item.quote) <= 90 else item.quote[:87] + "…"
        table.add_row(str(n), item.kind, item.record, f"{item.start}-{item.end}", quote)
    console.print(table)


def verify(
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
) -> None:
    """Re-check every stored quote against its source's evidentiary copy, and every copy's hash;
    list every quote that could not be checked (its source has no sha256 or no copy here)."""
    settings = get_settings()
    driver = connect_or_exit(settings)
    try:
        report = verify_graph(driver, settings.neo4j_database)
    finally:
        driver.close()
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        Console().print(
            f"checked {report.quotes_checked} quotes against {report.copies_checked} "
            "evidentiary copies; "
            f"{report.sources_without_copy} sources with a sha256 have no copy here; "
            f"{len(report.unchecked)} quotes could not be checked"
        )
        for item in report.unchecked:
            Console().print(
                f"[yellow]unchecked[/yellow] quote on {item['node']} → {item['source']}: "
                f"{item['reason']}",
                highlight=False,
            )
        for finding in report.findings:
            err.print(f"[red]mismatch[/red] {finding}", highlight=False)
    raise typer.Exit(1 if report.findings else 0)


def register(app: typer.Typer) -> None:
    app.command("extract")(extract)
    app.command("verify")(verify)
