"""Plans warmed at start: each hot named query runs once, for an id that matches nothing, with
each combination of null and non-null parameters the routers send (Neo4j caches a plan per
query text and parameter types), so the first caller does not pay for planning (seconds for
the exposure queries)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from api.graph import Graph
from api.settings import TLP_LEVELS

log = logging.getLogger("rightsgraph.api")

NOTHING = "\u0000warm-up"  # an id no node has
DAY = "0001-01-01"


def _variants() -> list[tuple[str, dict[str, Any]]]:
    tlp = list(TLP_LEVELS)
    page = {"offset": 0, "limit": 1}
    specs: list[tuple[str, dict[str, Any]]] = []
    for region in (NOTHING, None):
        for as_of in (DAY, None):
            specs.append(("exposure", {"fund": NOTHING, "region": region, "as_of": as_of,
                                       "ownership_hops": 0, "tlp": tlp, "as_known_on": None,
                                       **page}))  # fmt: skip
        specs.append(("exposure_history", {"fund": NOTHING, "region": region,
                                           "ownership_hops": 0, "tlp": tlp,
                                           "as_known_on": None}))  # fmt: skip
    for as_of in (DAY, None):
        for funds in ([NOTHING], None):
            specs.append(("region_exposure", {"region": NOTHING, "as_of": as_of, "funds": funds,
                                              "ownership_hops": 0, "tlp": tlp,
                                              "as_known_on": None, **page}))  # fmt: skip
    specs.append(("allegations_for_company", {"company": NOTHING, "tlp": tlp,
                                              "as_known_on": None, **page}))  # fmt: skip
    return specs


def warm_up(graph: Graph) -> float:
    """Run every variant once; failures (Neo4j down) are logged, not raised. Returns seconds."""
    start = time.monotonic()
    for name, params in _variants():
        try:
            graph.rows(name, **params)
        except Exception as exc:  # noqa: BLE001 - a cold plan is not worth failing the start
            log.warning("warm-up of %s skipped: %s", name, exc)
            break
    return time.monotonic() - start


def warm_up_in_background(graph: Graph, wait: float) -> threading.Thread:
    """Start the warm-up and wait for it up to `wait` seconds (the API serves either way)."""
    thread = threading.Thread(target=warm_up, args=(graph,), name="warm-up", daemon=True)
    thread.start()
    thread.join(wait)
    return thread
