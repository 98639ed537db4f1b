"""The ceiling for benchmark 5: a FastAPI app with one endpoint that does nothing, served by
uvicorn exactly as the API is, so its requests per second are what this machine's HTTP stack
allows with no database and no work."""

from __future__ import annotations

from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI(title="trivial")

    @app.get("/ping")
    def ping() -> dict[str, bool]:  # sync, like the API's routers: run in the thread pool
        return {"ok": True}

    return app
