"""Shared by the Chromium tests (Playwright on Debian's chromium): the browser, what a page
reports (script errors, Content-Security-Policy refusals) and screenshots in test-artifacts/."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import PROJECT_ROOT

from api.routers import web

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
SLOW_MACHINE_MS = 90_000  # a loaded 2-core machine: wait long, never assert on time


def skip(reason: str) -> None:
    print(f"SKIPPED web end-to-end test: {reason}")
    pytest.skip(reason)


def ensure_chromium() -> None:
    """Debian's chromium, installed with apt-get when missing and we may (root); else a skip."""
    if CHROMIUM.exists():
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        skip("/usr/bin/chromium is missing and apt-get cannot install it here (not root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            skip(f"`{' '.join(cmd)}` failed: {done.stderr.strip()[-300:]}")
    if not CHROMIUM.exists():
        skip("apt-get install chromium did not provide /usr/bin/chromium")


def ensure_graph_library() -> None:
    """The page's graph library, as `make setup` installs it (npm ci --prefix web)."""
    if (web.WEB_ROOT / web.VENDOR_FILES["cytoscape.min.js"]).is_file():
        return
    if not shutil.which("npm"):
        skip("web/node_modules is missing and npm is not installed: run `make setup`")
    subprocess.run(
        ["npm", "ci", "--prefix", str(web.WEB_ROOT), "--no-audit", "--no-fund"],
        check=True,
        timeout=600,
    )


CSP_WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));"""


def watch_errors(page) -> list[str]:
    """Script errors and Content-Security-Policy refusals, as the page reports them."""
    errors: list[str] = []
    page.add_init_script(CSP_WATCH)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return errors


def csp_violations(page) -> list[str]:
    return [f"CSP refused: {v}" for v in page.evaluate("window.__csp || []")]


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path
