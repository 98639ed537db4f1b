"""Build step of the wheel: copy the web page and the Neo4j launcher's Maven project into it.

pyproject.toml holds the metadata; this file only adds two folders to the built packages, so an
installation serves the same page and starts the same local Neo4j as a source checkout:
- `api/_web/`: the files `web/assets.json` lists (the page, its scripts, the npm libraries it
  loads and their licences); `npm ci` runs first when a library is missing from web/node_modules.
- `core/_launcher/`: docker/neo4j's pom.xml and src/ (not target/), built by Maven on first use
  under RIGHTSGRAPH_HOME (core/neo4j_local.py).
An editable install (`pip install -e .`) copies nothing: it reads web/ and docker/neo4j in place.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
WEB = ROOT / "web"
LAUNCHER = ROOT / "docker" / "neo4j"
WEB_TARGET = Path("api") / "_web"  # beside api/routers/web.py's package
LAUNCHER_TARGET = Path("core") / "_launcher"  # beside core/neo4j_local.py


def web_files() -> list[str]:
    """Every file under web/ that the page serves or must carry (paths relative to web/)."""
    assets = json.loads((WEB / "assets.json").read_text())
    return [
        "assets.json",
        assets["index"],
        *assets["static"],
        *assets["vendor"].values(),
        *assets["licenses"],
    ]


def launcher_files() -> list[str]:
    """The launcher's Maven project: pom.xml and its sources (relative to docker/neo4j)."""
    sources = sorted(p for p in (LAUNCHER / "src").rglob("*") if p.is_file())
    return ["pom.xml", *(str(p.relative_to(LAUNCHER)) for p in sources)]


def install_web_libraries(missing: list[str]) -> None:
    """`npm ci` in web/ (the lock file pins the versions) when a listed library file is absent."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(
            f"web/{missing[0]} is missing and npm is not on PATH: install Node.js/npm, or run "
            "`npm ci --prefix web` before building the wheel."
        )
    subprocess.run(
        [npm, "ci", "--prefix", str(WEB), "--no-audit", "--no-fund", "--ignore-scripts"],
        check=True,
    )


def copy_tree(source: Path, files: list[str], target: Path) -> None:
    """Replace `target` by copies of `files` (relative to `source`), keeping their layout."""
    shutil.rmtree(target, ignore_errors=True)
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target / name)


class BuildWithAssets(build_py):
    """build_py, then the page and the launcher into the build folder (not in editable mode)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        files = web_files()
        missing = [name for name in files if not (WEB / name).is_file()]
        if missing:
            install_web_libraries(missing)
            still = [name for name in files if not (WEB / name).is_file()]
            if still:
                raise SystemExit(f"web/assets.json lists files that do not exist: {still}")
        build = Path(self.build_lib)
        copy_tree(WEB, files, build / WEB_TARGET)
        copy_tree(LAUNCHER, launcher_files(), build / LAUNCHER_TARGET)


setup(cmdclass={"build_py": BuildWithAssets})
