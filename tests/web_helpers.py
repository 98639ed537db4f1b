"""Shared by the Chromium tests (Playwright on Debian's chromium): the browser, what a page
reports (script errors, Content-Security-Policy refusals) and screenshots in test-artifacts/."""

from __future__ import annotations

import fcntl
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
    wait = ["-o", "DPkg::Lock::Timeout=900"]  # another apt-get (e.g. the other test worker)
    # one test worker installs at a time; the others find it installed once the lock is theirs
    with open("/tmp/rightsgraph-chromium.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if CHROMIUM.exists():
            return
        for cmd in (
            ["apt-get", *wait, "update", "-q"],
            ["apt-get", *wait, "install", "-y", "-q", "chromium"],
        ):
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


CROSSINGS_JS = """(straight) => {
  // every (link, node) pair where a drawn link's polyline meets a drawn node's box (shape and
  // label, 1 px inside its border) that is neither of the link's ends (Liang-Barsky clipping)
  const meets = (a, b, box) => {
    let t0 = 0, t1 = 1;
    const dx = b.x - a.x, dy = b.y - a.y;
    for (const [p, q] of [[-dx, a.x - box.x1], [dx, box.x2 - a.x], [-dy, a.y - box.y1], [dy, box.y2 - a.y]]) {
      if (p === 0) { if (q < 0) return false; continue; }
      const r = q / p;
      if (p < 0) { if (r > t1) return false; if (r > t0) t0 = r; }
      else { if (r < t0) return false; if (r < t1) t1 = r; }
    }
    return true;
  };
  const cy = window.cy, out = [];
  cy.edges(':visible').forEach((e) => {
    const points = straight
      ? [e.source().position(), e.target().position()] // as if drawn centre to centre
      : [e.sourceEndpoint(), ...(e.segmentPoints() || []), e.targetEndpoint()];
    cy.nodes(':visible').forEach((n) => {
      if (n.same(e.source()) || n.same(e.target())) return;
      const b = n.boundingBox({ includeLabels: true, includeOverlays: false });
      const box = { x1: b.x1 + 1, y1: b.y1 + 1, x2: b.x2 - 1, y2: b.y2 - 1 };
      for (let i = 0; i + 1 < points.length; i++) {
        if (meets(points[i], points[i + 1], box)) { out.push(`${e.id()} through ${n.id()}`); break; }
      }
    });
  });
  return out;
}"""


def edge_crossings(page, straight: bool = False) -> list[str]:
    """The drawn links of `window.cy` that pass through a node they do not join (`straight`:
    had they been drawn as straight lines between the nodes' centres)."""
    return page.evaluate(CROSSINGS_JS, straight)


def csv_caption_and_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """A CSV download of the page: its caption (the rows before the first empty line, "# "
    taken off) and the table after it."""
    import csv
    import io
    import re

    head, table = re.split(r"\r?\n\r?\n", text, maxsplit=1)  # read_text turns CRLF into LF
    caption = [row[0].removeprefix("# ") for row in csv.reader(io.StringIO(head))]
    return caption, list(csv.DictReader(io.StringIO(table)))


NODE_ON_SCREEN_JS = """async ([id, where]) => {
  // scroll the node (or its label, where = 'label') to the middle of the window, wait for the
  // graph to notice, and give its point on the screen
  const n = window.cy.getElementById(id);
  const at = () => {
    const c = window.cy.container().getBoundingClientRect();
    if (where === 'label') {
      const b = n.renderedBoundingBox({ includeNodes: false, includeEdges: false, includeLabels: true });
      return [c.left + (b.x1 + b.x2) / 2, c.top + (b.y1 + b.y2) / 2];
    }
    const p = n.renderedPosition();
    return [c.left + p.x, c.top + p.y];
  };
  window.scrollBy(0, at()[1] - window.innerHeight / 2);
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return at();
}"""


def click_node(page, node_id: str, where: str = "node") -> None:
    """A real mouse click on a node of `window.cy` (its shape, or its label)."""
    x, y = page.evaluate(NODE_ON_SCREEN_JS, [node_id, where])
    page.mouse.click(x, y)
