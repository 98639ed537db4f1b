"""`offline()`: a block of code in which this thread opens no network connection.

Parsers of uploaded data must fetch nothing the data names (a JSON-LD `@context` URL, an
`@import`): the server fetching a URL of the caller's choice is request forgery. Checking the
data first is the first lock (ingest/reports.py); this is the second, below every library: a
Python audit hook (PEP 578), installed once, that refuses `socket.connect`, `socket.getaddrinfo`,
`socket.sendto`, `socket.sendmsg` and `urllib.Request` while the current context is offline.
Other threads (the Neo4j driver's, other requests') are not affected.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

NETWORK_EVENTS = frozenset(
    {"socket.connect", "socket.getaddrinfo", "socket.sendto", "socket.sendmsg", "urllib.Request"}
)
_offline: ContextVar[str | None] = ContextVar("rightsgraph_offline", default=None)
_installed = False
_lock = threading.Lock()


class NetworkRefused(PermissionError):
    """Something tried to reach the network inside `offline()`."""


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event in NETWORK_EVENTS:
        why = _offline.get()
        if why is not None:
            raise NetworkRefused(f"no network access while {why} ({event})")


@contextmanager
def offline(why: str) -> Iterator[None]:
    """Within the block, any network access of this thread raises NetworkRefused."""
    global _installed
    if not _installed:
        with _lock:
            if not _installed:
                sys.addaudithook(_hook)  # cannot be removed: it is idle outside offline()
                _installed = True
    token = _offline.set(why)
    try:
        yield
    finally:
        _offline.reset(token)
