"""`POST /ingest`: files (multipart) or one JSON case report through the same pipeline as
`rightsgraph ingest` — resolve, validate, write, each file all or nothing.

Editor keys cleared for every sharing level only: an ingest resolves records against every node
in the graph (its proposals name them) and can restate any node, so a key limited to GREEN
could read or re-level AMBER and RED nodes through it (docs/security.md)."""

from __future__ import annotations

import functools
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import AuditDep, CallerDep, GraphDep
from api.errors import ApiProblem, BadParameter, problem, responses
from api.security import require
from ingest.pipeline import IngestResult, ingest_paths

router = APIRouter(tags=["ingest"])
ENDPOINT = "POST /ingest"
MAX_FILES = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
# how ingest's messages name the options: this endpoint's query parameters, not the CLI's flags
OPTION_NAMES = {
    "format": "the `format` query parameter",
    "fund": "the `fund` query parameter",
    "as_of": "the `as_of` query parameter",
}


class UnsupportedMedia(ApiProblem):
    status, title, kind = 415, "Unsupported media type", "unsupported-media-type"


class IngestReport(BaseModel):
    """The summary `rightsgraph ingest --json` prints, file names as uploaded."""

    run: str
    dry_run: bool
    files: list[str]
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    removed: dict[str, int]
    rejected: dict[str, int]
    problems: list[dict[str, Any]]
    proposals: list[dict[str, Any]]
    new_proposals: int = 0
    unsupported: dict[str, int]
    quarantined: dict[str, int] | None = None  # with on_invalid=quarantine: records set aside
    rejects: list[dict[str, Any]] | None = None  # each set aside: file, line, record, rule, message


def safe_name(name: str | None, index: int) -> str:
    """The uploaded file's own name without folders or odd characters (its suffix picks the
    adapter)."""
    base = _UNSAFE.sub("_", Path((name or "").replace("\\", "/")).name).strip(" .")[:200]
    return base or f"upload-{index}"


async def save_uploads(request: Request, folder: Path) -> list[Path]:
    """The request's files written under `folder`, one subfolder each (names may repeat)."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    saved: list[Path] = []
    if media == "multipart/form-data":
        form = await request.form(max_files=MAX_FILES, max_fields=MAX_FILES)
        uploads = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
        if not uploads:
            raise BadParameter("the upload holds no file (send them as `files` form fields)")
        for index, upload in enumerate(uploads):
            path = folder / str(index) / safe_name(upload.filename, index)
            path.parent.mkdir()
            with path.open("wb") as out:
                shutil.copyfileobj(upload.file, out)
            saved.append(path)
        await form.close()
    elif media in ("application/json", "application/ld+json"):
        raw = await request.body()
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise BadParameter(f"the body is not JSON: {exc}") from None
        if not isinstance(document, dict):
            raise BadParameter("a JSON body must be one case report (an object with @graph)")
        name = safe_name(str(document.get("id") or "report"), 0)
        path = folder / "0" / f"{name}.json"
        path.parent.mkdir()
        path.write_bytes(raw)
        saved.append(path)
    else:
        raise UnsupportedMedia(
            f"send files as multipart/form-data or one case report as application/json, "
            f"not {media or 'no content type'}"
        )
    return saved


def report(result: IngestResult, folder: Path) -> dict[str, Any]:
    """The result with the temporary folder taken out of every file name and message."""
    return report_names(result.as_dict(), folder)


def report_names(value: Any, folder: Path) -> Any:
    """`value` with the temporary folder taken out of every file name and message."""
    prefix = re.compile(re.escape(str(folder)) + r"/\d+/")

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return prefix.sub("", value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {clean(k): clean(v) for k, v in value.items()}
        return value

    return clean(value)


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                    "required": ["files"],
                }
            },
            "application/json": {
                "schema": {"type": "object", "description": "one case report (JSON-LD)"}
            },
        },
    }
}


@router.post(
    "/ingest",
    response_model=IngestReport,
    response_model_exclude_none=True,
    responses=responses(401, 403, 413, 415, 422, 429),
    openapi_extra=UPLOAD_BODY,
)
async def ingest(
    request: Request,
    caller: CallerDep,
    graph: GraphDep,
    audit: AuditDep,
    dry_run: Annotated[bool, Query(description="resolve and validate, write nothing")] = False,
    format: Annotated[
        str | None,
        Query(description="the adapter to read every file with (default: by content)"),
    ] = None,
    fund: Annotated[
        str | None, Query(description="the fund of holdings files that have no fund column")
    ] = None,
    as_of: Annotated[
        str | None,
        Query(description="the as-of date (YYYY-MM-DD) of holdings files without one"),
    ] = None,
    on_invalid: Annotated[
        Literal["reject", "quarantine"],
        Query(
            description="reject: a file with an invalid record loads nothing; quarantine: its "
            "valid records load and the invalid ones come back in `rejects`"
        ),
    ] = "reject",
) -> Any:
    """Ingest case reports and source files (editor keys cleared for RED): a summary of what was
    created, updated, unchanged and removed, or 422 with the validation report naming file,
    record, line and rule (files without problems are still written)."""
    params: dict[str, Any] = {"dry_run": dry_run}
    options = {k: v for k, v in {"fund": fund, "as_of": as_of}.items() if v}
    params.update(options, **({"format": format} if format else {}))
    if on_invalid != "reject":
        params["on_invalid"] = on_invalid
    require(caller, "editor", audit=audit, endpoint=ENDPOINT, what="upload", parameters=params)
    await run_in_threadpool(graph.ping)  # Neo4j down: 503 now, not after the writes' retries
    with tempfile.TemporaryDirectory(prefix="rightsgraph-ingest-") as tmp:
        folder = Path(tmp)
        what = "upload"
        try:
            paths = await save_uploads(request, folder)
            what = "files: " + ", ".join(p.name for p in paths)
            result = await run_in_threadpool(
                functools.partial(
                    ingest_paths,
                    paths,
                    graph.driver,
                    database=graph.database,
                    dry_run=dry_run,
                    uploaded=True,  # an upload names no file on the server (docs/security.md)
                    fmt=format,
                    options={
                        **options,
                        "option_names": OPTION_NAMES,
                        "on_invalid": on_invalid,
                        "rejects_dir": folder,
                    },
                )
            )
        except ApiProblem as exc:
            audit.record(caller, ENDPOINT, what, "refused", f"{exc.status} {exc.detail}", params)
            raise
        except HTTPException as exc:  # a body over the limit, a malformed multipart body
            reason = f"{exc.status_code} {exc.detail}"
            audit.record(caller, ENDPOINT, what, "refused", reason, params)
            raise
        except Exception as exc:
            audit.record(caller, ENDPOINT, what, "error", type(exc).__name__, params)
            raise
        body = report(result, folder)
        if result.quarantined:
            body["rejects"] = report_names(result.rejects, folder)
        body.pop("rejects_files", None)
    if not result.ok:
        reason = f"{len(result.problems)} problem(s) in {len(result.rejected)} file(s)"
        audit.record(caller, ENDPOINT, what, "refused", reason, params)
        return problem(
            422,
            "Ingest rejected",
            f"{reason}; nothing of the rejected files was written",
            "ingest-rejected",
            **body,
        )
    counts = {k: sum(body[k].values()) for k in ("created", "updated", "unchanged", "removed")}
    audit.record(caller, ENDPOINT, what, "ok", json.dumps(counts), params)
    return body
