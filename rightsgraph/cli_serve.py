"""`rightsgraph serve`: run the HTTP API with uvicorn."""

from __future__ import annotations

import typer


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workers: int = typer.Option(
        1, "--workers", min=1, help="Worker processes (each with its own Neo4j driver)."
    ),
    reload: bool = typer.Option(
        False, "--reload", help="Restart on code changes (development; one worker)."
    ),
) -> None:
    """Serve the API (OpenAPI at /docs); Neo4j is reached through the usual settings."""
    import uvicorn

    from core.settings import get_settings

    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    typer.echo(f"RightsGraph API on {base} (Neo4j at {get_settings().neo4j_uri}). Try:")
    for path in (
        "/docs",
        "/health",
        "/search?q=hikvision",
        "/entities/gpfg",
        "/funds/gpfg/exposure?region=xinjiang&as_of=2019-12-31",
        "/companies/hikvision/allegations",
        "/campaigns?target=gpfg",
        "/paths?from=rafto-foundation&to=gpfg",
    ):
        typer.echo(f"  {base}{path}")
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
