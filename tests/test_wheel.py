"""The wheel, installed as a deployer would, serves the same API and page and starts the same
local Neo4j as the checkout; so does the Docker image, where a Docker engine exists.

The wheel is built from a clean copy of the tree (no stale `build/`), installed into a fresh
virtual environment in a temporary folder, and run from there with no PYTHONPATH. To stay fast
and offline the new environment sees the test interpreter's installed dependencies through a
`.pth` line (what `--system-site-packages` does for a system Python): the project itself comes
only from the wheel, which the test checks. The wheel's local Neo4j gets its own port
(RIGHTSGRAPH_TEST_WHEEL_NEO4J_PORT, else a free one) and its own RIGHTSGRAPH_HOME.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import PROJECT_ROOT, free_port, wait_for_http

WEB = PROJECT_ROOT / "web"
# the checkout's top-level packages: every one must be in the wheel (and in the Docker image)
TOP_LEVEL = sorted(p.parent.name for p in PROJECT_ROOT.glob("*/__init__.py"))
ASSETS = json.loads((WEB / "assets.json").read_text())
COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".data",
    "build",
    "*.egg-info",
    "node_modules",
    "target",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "test-artifacts",
)


@dataclass(frozen=True)
class Installation:
    venv: Path
    home: Path
    env: dict[str, str]
    cwd: Path

    def bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.bin("rightsgraph"), *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _build_wheel(out: Path) -> Path:
    """`pip wheel` of a fresh copy of the tree (web/node_modules linked in when present)."""
    source = out / "src"
    shutil.copytree(PROJECT_ROOT, source, ignore=COPY_IGNORE)
    if (WEB / "node_modules").is_dir():
        (source / "web" / "node_modules").symlink_to(WEB / "node_modules")
    elif shutil.which("npm") is None:
        pytest.skip("web/node_modules is missing and npm is not installed: run `make setup`")
    dist = out / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(dist), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
        env=_without_python_path(),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = dist.glob("rightsgraph-*.whl")
    return wheel


def _without_python_path() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}


def _clean_env(home: Path, neo4j_port: int) -> dict[str, str]:
    """The environment of a deployer's shell: no PYTHONPATH, no other Neo4j, our own home."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "NEO4J_", "RIGHTSGRAPH_", "VIRTUAL_ENV"))
    }
    env.update(RIGHTSGRAPH_HOME=str(home), RIGHTSGRAPH_NEO4J_PORT=str(neo4j_port))
    return env


@pytest.fixture(scope="module")
def installed() -> Iterator[Installation]:
    """The wheel installed in a fresh venv outside the checkout; its Neo4j stopped at the end.
    The folder is our own, not pytest's numbered one (another pytest session on the machine may
    prune those while the server still runs)."""
    if shutil.which("mvn") is None or shutil.which("java") is None:
        pytest.skip("Maven and a JDK are needed to build the local Neo4j (`make setup`)")
    root = Path(tempfile.mkdtemp(prefix="rightsgraph-wheel-"))
    try:
        inst = _install(root)
        try:
            yield inst
        finally:
            inst.run("neo4j", "stop", timeout=60)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _install(root: Path) -> Installation:
    """Build the wheel and install it with --no-deps into a new venv under root."""
    wheel = _build_wheel(root)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    # pip runs without PYTHONPATH, and before the dependencies are visible, so that no other
    # copy of rightsgraph (a checkout, the editable install) counts as already installed
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet",
         str(wheel)],
        check=True,
        timeout=300,
        env=_without_python_path(),
    )  # fmt: skip
    assert (venv / "bin" / "rightsgraph").is_file(), "pip did not install the wheel"
    purelib = subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        text=True,
        env=_without_python_path(),
    ).strip()
    deps = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(purelib) / "_test_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n")
    port = int(os.environ.get("RIGHTSGRAPH_TEST_WHEEL_NEO4J_PORT") or free_port())
    cwd = root / "work"
    cwd.mkdir()
    return Installation(venv, root / "home", _clean_env(root / "home", port), cwd)


def test_every_top_level_package_is_packaged() -> None:
    """pyproject's include list and the Dockerfile's wheel stage name every top-level package."""
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    dockerfile = (PROJECT_ROOT / "docker" / "Dockerfile").read_text()
    assert {"core", "api", "rightsgraph"} <= set(TOP_LEVEL)
    for name in TOP_LEVEL:
        assert name in include and f"{name}.*" in include, f"{name} is not in pyproject.toml"
        assert re.search(rf"^COPY {name} \./{name}$", dockerfile, re.M), f"no COPY {name}"


def test_the_packages_come_from_the_wheel(installed: Installation) -> None:
    script = f"import {', '.join(TOP_LEVEL)}\n" + "".join(
        f"print({name}.__file__)\n" for name in TOP_LEVEL
    )
    done = subprocess.run(
        [installed.bin("python"), "-c", script],
        cwd=installed.cwd,
        env=installed.env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    for line in done.stdout.split():
        where = Path(line).resolve()
        assert where.is_relative_to(installed.venv.resolve()), where
        assert not where.is_relative_to(PROJECT_ROOT), where


def test_the_installed_wheel_starts_neo4j_and_serves_the_page_and_docs(
    installed: Installation,
) -> None:
    began = time.monotonic()
    started = installed.run("neo4j", "start", "--timeout", "180", timeout=900)
    assert started.returncode == 0, started.stdout + started.stderr
    print(f"wheel: neo4j start took {time.monotonic() - began:.1f} s: {started.stdout.strip()}")
    site = installed.venv / "lib"
    assert not list(site.rglob("target")), "Maven built inside site-packages"
    assert (installed.home / "launcher" / "target" / "classes").is_dir()
    assert installed.run("neo4j", "status").returncode == 0

    port = free_port()
    server = subprocess.Popen(
        [installed.bin("rightsgraph"), "serve", "--port", str(port)],
        cwd=installed.cwd,
        env=installed.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/health", 60, alive=lambda: server.poll() is None)
        check_served(base)
        with urllib.request.urlopen(f"{base}/health", timeout=10) as response:
            assert json.load(response) == {"status": "ok", "neo4j": "up"}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert server.returncode is not None, output
    stopped = installed.run("neo4j", "stop", timeout=60)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout, stopped.stdout + stopped.stderr


def check_served(base: str) -> None:
    """`/`, every script and style sheet it loads (followed through the module imports),
    `/docs` with its Swagger UI files, and `/openapi.json`: all 200 and, for the page's files,
    byte for byte the checkout's web/ (the same page as `make run`)."""
    page = _get(f"{base}/")
    assert page == (WEB / ASSETS["index"]).read_bytes()
    seen = _follow(base, page.decode(), set())
    assert "/static/vendor/cytoscape.min.js" in seen, seen
    docs_page = _get(f"{base}/docs")
    assert docs_page == (WEB / "docs.html").read_bytes()
    docs = docs_page.decode()
    docs_assets = _follow(base, docs, set())
    vendor = {f"/static/vendor/{name}" for name in ASSETS["vendor"]}
    # every library file is loaded by the page or by /docs (Swagger UI's by /docs only)
    page_vendor = {u for u in seen if "/vendor/" in u}
    docs_vendor = {u for u in docs_assets if "/vendor/" in u}
    assert page_vendor | docs_vendor == vendor, (seen, docs_assets)
    assert docs_vendor and not docs_vendor & page_vendor, docs_assets
    assert "cdn" not in docs.lower() and "https://" not in docs
    own = {f"/static/{name}" for name in ASSETS["static"]}
    assert own - {"/static/docs.html"} <= seen | docs_assets, seen | docs_assets
    spec = json.loads(_get(f"{base}/openapi.json"))
    assert "/search" in spec["paths"] and spec["info"]["title"]


def _follow(base: str, text: str, seen: set[str]) -> set[str]:
    """The /static URLs a document names (src, href, ES module imports), fetched recursively."""
    found = re.findall(r"""(?:src|href)=["'](/static/[^"']+)""", text)
    found += [f"/static/{m}" for m in re.findall(r"""from\s+["']\./([^"']+)["']""", text)]
    for url in found:
        if url in seen:
            continue
        seen.add(url)
        body = _get(base + url)
        name = url.removeprefix("/static/")
        if name in ASSETS["static"]:
            assert body == (WEB / name).read_bytes(), url
        elif name.startswith("vendor/"):
            assert body == (WEB / ASSETS["vendor"][name.removeprefix("vendor/")]).read_bytes()
        if url.endswith(".js"):
            _follow(base, body.decode(), seen)
    return seen


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200, url
        return response.read()


def _docker_unavailable() -> str | None:
    """Why the Docker image cannot be checked here, or None when a Docker engine answers."""
    if shutil.which("docker") is None:
        return "no `docker` command on this machine (documented in docs/deployment.md)"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
    if info.returncode != 0:
        return f"no Docker engine answers `docker info`: {info.stderr.strip()[-200:]}"
    return None


def test_the_docker_image_serves_the_same_page_and_docs() -> None:
    reason = _docker_unavailable()
    if reason:
        print(f"docker image test skipped: {reason}")
        pytest.skip(reason)
    tag = "rightsgraph-api:wheel-test"
    build = subprocess.run(
        ["docker", "build", "-f", "docker/Dockerfile", "-t", tag, "."],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    port = free_port()
    container = subprocess.run(
        ["docker", "run", "-d", "--rm", "-p", f"127.0.0.1:{port}:8000", tag],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/openapi.json", 120)
        check_served(base)
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, timeout=60)
