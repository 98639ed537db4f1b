"""The web page: `/` and its static assets, served by the API itself (no separate web server).

The page's own files live in `web/`; the graph-drawing library and Swagger UI (for `/docs`) are
installed there by `npm ci --prefix web` (run by `make setup`) and served from
`web/node_modules`, never from a CDN. `web/assets.json` lists what is served; the wheel carries
exactly those files (setup.py copies them to `api/_web/`), so an installation serves the same.
None of these routes is part of the OpenAPI schema. When a file is missing the answer is
problem+json like every other error: 503 when a library was not installed (the page cannot work
until `make setup` runs), 404 for an unknown asset.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse

from api.errors import ApiProblem, NotFound
from core.settings import shipped_dir
from ontology.model import load_model

WEB_ROOT = shipped_dir(Path(__file__).resolve().parents[1] / "_web", "web")
_ASSETS = json.loads((WEB_ROOT / "assets.json").read_text())
# the files the page may load: its own (by name) and the vendored libraries (by fixed path)
INDEX_FILE = Path(_ASSETS["index"])
PAGE_FILES = frozenset(_ASSETS["static"])
VENDOR_FILES = {name: Path(path) for name, path in _ASSETS["vendor"].items()}
MEDIA_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".png": "image/png",
}
NO_CACHE = {"Cache-Control": "no-cache"}  # revalidate: a rebuilt page is seen at once

router = APIRouter(include_in_schema=False)


class WebNotBuilt(ApiProblem):
    status, title, kind = 503, "Web page not built", "web-not-built"


def _file(relative: Path, missing: ApiProblem) -> FileResponse:
    path = WEB_ROOT / relative
    if not path.is_file():
        raise missing
    media = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    return FileResponse(path, media_type=media, headers=NO_CACHE)


@router.get("/")
def index() -> FileResponse:
    """The page itself."""
    return _file(INDEX_FILE, WebNotBuilt(f"web/{INDEX_FILE} is missing from this installation"))


@router.get("/docs")
def docs() -> FileResponse:
    """Swagger UI over `/openapi.json`, its script and style sheet served from here (works
    offline; FastAPI's own `/docs` and `/redoc` load them from a CDN and are switched off).
    The page (`web/docs.html`) starts Swagger UI from `web/docs.js`, not an inline script
    (FastAPI's `get_swagger_ui_html` writes one), so it runs under the Content-Security-Policy
    (docs/security.md)."""
    return _file(Path("docs.html"), WebNotBuilt("web/docs.html is missing from this installation"))


@router.get("/static/vendor/{name}")
def vendor(name: str) -> FileResponse:
    """A library file from `web/node_modules` (allow-listed: nothing else there is served)."""
    if name not in VENDOR_FILES:
        raise NotFound(f"no vendored file {name!r}")
    return _file(
        VENDOR_FILES[name],
        WebNotBuilt(
            f"the library file {name} is not installed: run `make setup` "
            "(it runs `npm ci --prefix web`)"
        ),
    )


@router.get("/static/ontology.json")
def ontology_labels() -> JSONResponse:
    """Readable names of classes, properties and vocabulary terms, and which properties are
    identifiers, read
    from the ontology so the page repeats no table of its own."""
    return JSONResponse(_ontology_labels(), headers=NO_CACHE)


@router.get("/static/{name}")
def asset(name: str) -> FileResponse:
    """The page's own scripts and style sheet (allow-listed by name: no path traversal)."""
    if name not in PAGE_FILES:
        raise NotFound(f"no static file {name!r}")
    return _file(Path(name), NotFound(f"no static file {name!r}"))


@lru_cache(maxsize=1)
def _ontology_labels() -> dict[str, Any]:
    model = load_model()
    properties = {
        p.neo4j_property: {
            "label": p.label,
            "definition": p.definition,
            "vocabulary": p.vocabulary,
        }
        for p in model.properties.values()
        if p.neo4j_property
    }
    identifiers = [p.neo4j_property for p in model.identifier_properties()]
    classes = {c.name: {"label": c.label, "definition": c.definition} for c in model.node_classes}
    vocabularies = {v.name: v.labels for v in model.vocabularies.values()}
    return {
        "properties": properties,
        "identifiers": identifiers,
        "classes": classes,
        "vocabularies": vocabularies,
    }
