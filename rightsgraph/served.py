"""A server in a child process on a free loopback port: started, awaited until it answers, and
stopped. The tests, the benchmarks and smoke checks of `rightsgraph serve` start the API this
way (standard library only: the installed package needs nothing more)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def child_server(
    command: Callable[[int], list[str]],
    env: Mapping[str, str],
    cwd: Path | None = None,
    ready_path: str = "/openapi.json",
    timeout: float = 60,
) -> Iterator[tuple[str, int]]:
    """Run `command(port)` and yield (base url, pid) once `ready_path` answers 200; terminate it
    at the end (killed if it does not stop within 15 s). Its output goes to a file, not a pipe,
    so a chatty server never blocks; the end of it is in the error when the server fails."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = command(port)
    with tempfile.TemporaryFile("w+b") as log:
        proc = subprocess.Popen(argv, cwd=cwd, env=dict(env), stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + timeout
            while not _answers(url + ready_path):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    said = log.read().decode("utf-8", "replace")[-2000:]
                    state = "exited" if proc.returncode is not None else "did not answer"
                    raise RuntimeError(f"{' '.join(argv[:4])}… {state} at {url}: {said}")
                time.sleep(0.2)
            yield url, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, ValueError):  # refused, reset, an HTTP error status, a half-read answer
        return False
