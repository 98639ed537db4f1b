"""`rightsgraph watch …`: follow a fund, company, region, portfolio or named query; read alerts.

The watches are the same nodes the API's `/watches` serves (ingest/watches.py); a watch made here
belongs to `cli` (an admin key sees it through the API) and is at the level `--tlp` (default
RED: the command line reads the whole graph)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from rightsgraph.clitools import connect_or_exit

watch_app = typer.Typer(help="Watches and their alerts (docs/watches.md).", no_args_is_help=True)
err = Console(stderr=True)
CLI_OWNER = "cli"


def _store():
    from core.settings import get_settings
    from ingest.watches import WatchStore

    settings = get_settings()
    return WatchStore(connect_or_exit(settings), settings.neo4j_database)


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(2)


def _param(text: str) -> tuple[str, Any]:
    """`k=v`: v as JSON when it reads as JSON (numbers, null, lists), else the text."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise _fail(f"--param takes name=value, not {text!r}")
    try:
        return name.strip(), json.loads(value)
    except json.JSONDecodeError:
        return name.strip(), value


def read_portfolio(path: Path) -> list[dict[str, Any]]:
    """Rows of a portfolio file: CSV with a header (name, isin, lei, value, currency), or a
    JSON list of such objects (or `{"holdings": [...]}`, the body of POST /screening)."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        rows = data.get("holdings") if isinstance(data, dict) else data
        if not isinstance(rows, list):
            raise _fail(f"{path}: a JSON list of rows, or {{'holdings': [...]}}")
        return rows
    wanted = ("name", "isin", "lei", "value", "currency")
    out = []
    for row in csv.DictReader(text.splitlines()):
        found = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        item: dict[str, Any] = {k: found[k] for k in wanted if found.get(k)}
        if "value" in item:
            try:
                item["value"] = float(item["value"])
            except ValueError:
                del item["value"]
        out.append(item)
    return out


def _portfolio_companies(path: Path, tlp: str, driver) -> list[str]:
    from api.data import PortfolioRow, ScreeningRequest
    from api.graph import Graph
    from api.matching import screen
    from core.settings import get_settings
    from ontology.types import sharing

    try:
        rows = [PortfolioRow.model_validate(r) for r in read_portfolio(path)]
    except (OSError, ValueError) as exc:
        raise _fail(f"{path}: {exc}") from None
    graph = Graph(driver, get_settings().neo4j_database, 60.0)
    found = screen(graph, ScreeningRequest(holdings=rows), list(sharing.levels_up_to(tlp)))
    err.print(f"{len(found['matched'])} companies matched, {len(found['unmatched'])} rows not")
    return [m["company"]["id"] for m in found["matched"]]


@watch_app.command("add")
def add(
    name: str = typer.Option(..., "--name", help="What to call the watch."),
    fund: str | None = typer.Option(None, "--fund", help="Follow this fund's holdings."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="With --fund: its holdings on this day (default: the latest)."
    ),
    company: str | None = typer.Option(None, "--company", help="Follow this company."),
    region: str | None = typer.Option(None, "--region", help="Follow this region."),
    portfolio: Path | None = typer.Option(
        None, "--portfolio", exists=True, dir_okay=False, help="CSV or JSON rows, matched."
    ),
    query: str | None = typer.Option(None, "--query", help="Follow a named query's answer."),
    param: list[str] = typer.Option([], "--param", help="The query's parameter, name=value."),
    flagged: list[str] = typer.Option(
        [],
        "--flagged-region",
        help="A flagged region (default: every region an allegation concerns).",
    ),
    hops: int = typer.Option(2, "--hops", min=0, max=4, help="Ownership links followed."),
    tlp: str = typer.Option("RED", "--tlp", help="The watch's sharing level."),
    webhook: str | None = typer.Option(
        None, "--webhook", help="POST each alert here (a host in RIGHTSGRAPH_WEBHOOK_HOSTS)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the watch, feed token and secret."),
) -> None:
    """Make a watch and print its id (its feed token and webhook secret go to stderr, once)."""
    from api.delivery import WebhookRefused, check_url
    from api.settings import get_api_settings
    from ingest.watches import WatchError

    given = {
        k: v
        for k, v in (
            ("fund", fund),
            ("company", company),
            ("region", region),
            ("portfolio", portfolio),
            ("query", query),
        )
        if v
    }
    if len(given) != 1:
        raise _fail("give exactly one of --fund, --company, --region, --portfolio, --query")
    if as_of and not fund:
        raise _fail("--as-of goes with --fund")
    if param and not query:
        raise _fail("--param goes with --query")
    kind = next(iter(given))
    tlp = tlp.strip().upper()
    store = _store()
    if webhook:
        try:
            webhook = check_url(webhook, get_api_settings().webhook_hosts)
        except WebhookRefused as exc:
            raise _fail(str(exc)) from None
    companies: list[str] = []
    if company:
        companies = [company]
    if portfolio:
        companies = _portfolio_companies(portfolio, tlp, store.driver)
    target = {"fund": fund, "region": region, "query": query}.get(kind)
    try:
        watch, token, secret = store.create(
            name=name,
            kind=kind,
            owner=CLI_OWNER,
            tlp=tlp,
            target=target,
            as_of=as_of,
            companies=companies,
            params=dict(_param(p) for p in param),
            flagged_regions=flagged or None,
            ownership_hops=hops,
            webhook_url=webhook,
        )
    except WatchError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        out = {"watch": watch.as_dict(), "feedToken": token, "webhookSecret": secret}
        typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    err.print(f"feed token (shown once): {token}", highlight=False)
    if secret:
        err.print(f"webhook secret (shown once): {secret}", highlight=False)
    typer.echo(watch.id)


@watch_app.command("list")
def list_watches(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every watch: id, name, what it follows, level, owner, webhook."""
    watches = _store().list()
    if as_json:
        typer.echo(json.dumps([w.as_dict() for w in watches], indent=2, ensure_ascii=False))
        return
    for w in watches:
        follows = w.target or ", ".join(w.companies)
        when = f" as of {w.as_of}" if w.as_of else ""
        hook = f"  webhook {w.webhook_url}" if w.webhook_url else ""
        typer.echo(f"{w.id}  {w.name}  {w.kind} {follows}{when}  {w.tlp}  {w.owner}{hook}")


@watch_app.command("alerts")
def alerts(
    watch_id: str = typer.Argument(..., help="The watch's id."),
    since: str | None = typer.Option(None, "--since", help="Alerts raised on or after this day."),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The watch's alerts, newest first: what changed, the path to it, each source and quote."""
    from api.feed import alert_text
    from ingest.watches import WatchError

    store = _store()
    try:
        watch = store.get(watch_id)
    except WatchError as exc:
        raise _fail(str(exc)) from None
    total, page = store.alerts(watch, watch.levels, since, limit, 0)
    if as_json:
        typer.echo(json.dumps({"watch": watch.id, "total": total, "alerts": page}, indent=2))
        return
    err.print(f"{total} alerts for {watch.id} ({watch.name})")
    for alert in page:
        typer.echo(f"{alert['raised']}  [{alert['kind']}]  {alert['tlp']}")
        typer.echo("  " + alert_text(alert).replace("\n", "\n  "))


@watch_app.command("remove")
def remove(watch_id: str = typer.Argument(..., help="The watch's id.")) -> None:
    """Remove a watch with its alerts and deliveries."""
    from ingest.watches import WatchError

    try:
        counts = _store().delete(watch_id)
    except WatchError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"removed {watch_id}: {counts['alerts']} alerts, {counts['deliveries']} deliveries")


def register(app: typer.Typer) -> None:
    app.add_typer(watch_app, name="watch")
