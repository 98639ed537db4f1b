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
    forwarded_allow_ips: str = typer.Option(
        "",
        "--forwarded-allow-ips",
        envvar="RIGHTSGRAPH_FORWARDED_ALLOW_IPS",
        help="Comma-separated addresses of the reverse proxies whose X-Forwarded-For names the "
        "client. Default: none, so no proxy header changes the client address.",
    ),
) -> None:
    """Serve the API (OpenAPI at /docs); Neo4j is reached through the usual settings."""
    import os

    import uvicorn

    trusted = ",".join(ip.strip() for ip in forwarded_allow_ips.split(",") if ip.strip())
    os.environ["RIGHTSGRAPH_FORWARDED_ALLOW_IPS"] = trusted  # the app's limiter knows it too

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
        # uvicorn trusts X-Forwarded-For from 127.0.0.1 by default: only from the named proxies
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
