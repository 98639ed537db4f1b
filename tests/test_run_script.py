"""`make run` stops the API and the local Neo4j it started on SIGTERM to make, as on Ctrl-C.

The real target runs (`make -o setup run`: the venv step skipped, the test interpreter's
`rightsgraph` used) on a spare port pair and its own RIGHTSGRAPH_HOME; once the API answers,
the signal is sent the way each case arrives: SIGTERM to make alone (a service manager, `kill`),
SIGINT to the whole process group (Ctrl-C in a terminal). Then nothing may be left: no process
of the group, no Neo4j for that home, neither port listened on.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import PROJECT_ROOT, free_port, wait_for_http

from core import neo4j_local
from core.settings import Settings


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture()
def home() -> Iterator[Path]:
    """Our own folder, not pytest's numbered one (another pytest session may prune those)."""
    path = Path(tempfile.mkdtemp(prefix="rightsgraph-run-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize(  # each start-and-stop takes about a minute: TERM behind --run-slow
    "how",
    [pytest.param("sigterm-to-make", marks=pytest.mark.slow), "ctrl-c-to-the-group"],
    ids=["sigterm", "ctrl-c"],
)
def test_make_run_stops_api_and_neo4j(how: str, home: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("no `make` on this machine")
    api_port = free_port()
    neo4j_port = int(os.environ.get("RIGHTSGRAPH_TEST_RUN_NEO4J_PORT") or free_port())
    settings = Settings(home=home, neo4j_port=neo4j_port, neo4j_uri_env=None)
    env = {k: v for k, v in os.environ.items() if k not in ("NEO4J_URI", "NEO4J_PASSWORD")}
    env.update(RIGHTSGRAPH_HOME=str(home), RIGHTSGRAPH_NEO4J_PORT=str(neo4j_port))
    command = ["make", "--no-print-directory", "-o", "setup", "run", f"PORT={api_port}"]
    command.append(f"BIN={Path(sys.executable).parent}")
    log = (home / "make-run.log").open("wb")
    make = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{api_port}/health", 240, alive=lambda: make.poll() is None)
        assert neo4j_local.running_pid(settings) is not None
        if how == "sigterm-to-make":
            make.send_signal(signal.SIGTERM)
        else:
            os.killpg(make.pid, signal.SIGINT)
        make.wait(timeout=90)
        deadline = time.monotonic() + 10
        while _group_alive(make.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        output = (home / "make-run.log").read_text(errors="replace")
        assert not _group_alive(make.pid), f"processes of make run are left:\n{output[-2000:]}"
        assert neo4j_local.running_pid(settings) is None, output[-2000:]
        assert not neo4j_local.port_in_use(neo4j_port), output[-2000:]
        assert not neo4j_local.port_in_use(api_port), output[-2000:]
        assert "stopped" in output, output[-2000:]
    finally:
        if _group_alive(make.pid):
            os.killpg(make.pid, signal.SIGKILL)
        if neo4j_local.running_pid(settings) is not None:
            neo4j_local.stop(settings)
        log.close()
