"""`rightsgraph ontology …`: generated artefacts and checks of the ontology."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(
    help="The ontology: regenerate its JSON-LD context and documentation, validate reports.",
    no_args_is_help=True,
)


@app.command()
def generate() -> None:
    """Regenerate ontology/context.jsonld and docs/ontology.md from the Turtle files."""
    from ontology.context import write_context
    from ontology.docs import write_docs

    for path in (write_context(), write_docs()):
        typer.echo(f"wrote {path}")


@app.command()
def validate(
    paths: list[Path] = typer.Argument(..., exists=True, help="Case reports to check."),
) -> None:
    """Check case reports against the ontology and the SHACL shapes, offline (no database): a
    reference to a record outside the files given "needs the graph" and is no error."""
    from ingest.pipeline import NEEDS_THE_GRAPH, ingest_paths

    result = ingest_paths(paths, None, dry_run=True)
    errors = [p for p in result.problems if p.rule not in NEEDS_THE_GRAPH]
    for problem in result.problems:
        if problem.rule in NEEDS_THE_GRAPH:
            typer.echo(f"needs the graph: {problem}", err=True)
    for problem in errors:
        typer.echo(str(problem), err=True)
    if errors:
        raise typer.Exit(1)
    typer.echo(f"{len(result.files)} file(s) conform")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="ontology")
