"""`rightsgraph synth`: write a deterministic synthetic graph in the formats ingest reads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from rightsgraph.synth import SynthConfig, write_synth

DEFAULT = SynthConfig()  # the option defaults are the configuration's


def synth(
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder to write the files into.")],
    funds: Annotated[int, typer.Option(help="Funds holding shares.")] = DEFAULT.funds,
    companies: Annotated[
        int, typer.Option(help="Companies: 60 % listed, the rest subsidiaries.")
    ] = DEFAULT.companies,
    holdings: Annotated[
        int, typer.Option(help="Holdings rows (fund, company, as-of date).")
    ] = DEFAULT.holdings,
    contracts: Annotated[
        int, typer.Option(help="Government contracts (OCDS releases).")
    ] = DEFAULT.contracts,
    regions: Annotated[
        int, typer.Option(help="Countries, provinces, prefectures and counties.")
    ] = DEFAULT.regions,
    allegations_pct: Annotated[
        float, typer.Option(help="Per cent of companies with an allegation.")
    ] = DEFAULT.allegations_pct,
    seed: Annotated[
        int, typer.Option(help="Same seed and counts, byte-identical files.")
    ] = DEFAULT.seed,
    chunk: Annotated[int, typer.Option(help="Records per case-report file.")] = DEFAULT.chunk,
) -> None:
    """Generate a realistic synthetic graph (case reports, holdings CSV, OCDS JSON lines) for
    benchmarks; load it with `rightsgraph ingest DIR`. Its identifiers are made up: keep it out
    of databases that hold real data."""
    config = SynthConfig(
        funds, companies, holdings, contracts, regions, allegations_pct, seed, chunk
    )
    try:
        summary = write_synth(config, output)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    table = Table(title=f"synthetic graph (seed {seed}) in {output}")
    table.add_column("written")
    table.add_column("count", justify="right")
    for kind, count in sorted(summary.records.items()):
        table.add_row(kind, str(count))
    table.add_row("files", str(len(summary.files)))
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)
