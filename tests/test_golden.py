"""Golden outputs (tests/golden.py): the dump, every export and every API answer for the bundled
reports, compared with the files saved under tests/golden/. A deliberate change of behaviour is
re-recorded with `RIGHTSGRAPH_GOLDEN_UPDATE=1 pytest tests/test_golden.py` and shows in the
commit's diff (tests/golden/README.md)."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

from golden import API_URLS, GOLDEN_DIR, PUBLIC_URLS, differences, generate, record
from neo4j import Driver

from api.app import create_app
from api.settings import ApiSettings
from core.settings import Settings

MAX_DIFFS, MAX_LINES = 3, 40


def _diff(name: str, actual: dict[str, str]) -> str:
    path = GOLDEN_DIR / name
    if not path.is_file():
        return f"{name}: new output, not stored"
    if name not in actual:
        return f"{name}: stored, no longer produced"
    lines = difflib.unified_diff(
        path.read_text(encoding="utf-8").splitlines(),
        actual[name].splitlines(),
        f"stored/{name}",
        f"now/{name}",
        n=2,
        lineterm="",
    )
    return "\n".join(list(lines)[:MAX_LINES])


def test_outputs_are_the_golden_ones(neo4j_db: Driver, settings: Settings, tmp_path: Path) -> None:
    actual = generate(neo4j_db, settings, tmp_path)
    if os.environ.get("RIGHTSGRAPH_GOLDEN_UPDATE"):
        changed = record(actual)
        print(f"re-recorded {len(changed)} golden outputs: {', '.join(changed) or 'none'}")
        return
    changed = differences(actual)
    shown = "\n\n".join(_diff(name, actual) for name in changed[:MAX_DIFFS])
    assert not changed, (
        f"{len(changed)} golden outputs differ: {', '.join(changed)}\n\n{shown}\n\n"
        "re-record deliberate changes: RIGHTSGRAPH_GOLDEN_UPDATE=1 pytest tests/test_golden.py"
    )


def test_every_get_endpoint_has_a_golden_answer(settings: Settings) -> None:
    """A new GET endpoint of the OpenAPI schema fails here until API_URLS asks it something."""
    asked = [url.split("?")[0] for url in [*API_URLS, *PUBLIC_URLS]]
    schema = create_app(ApiSettings(neo4j=settings)).openapi()
    gets = [path for path, item in schema["paths"].items() if "get" in item]
    missing = [
        path
        for path in gets
        if not any(re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", path), url) for url in asked)
    ]
    assert gets and not missing, "add a request to tests/golden.py's API_URLS for each"
