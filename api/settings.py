"""All API configuration, read from environment variables in one place.

Neo4j connection settings come from `rightsgraph.settings` (NEO4J_URI, RIGHTSGRAPH_NEO4J_PORT, …);
this adds what only the API needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ingest.writer import TLP_ORDER
from rightsgraph.settings import Settings, get_settings

TLP_LEVELS: tuple[str, ...] = tuple(sorted(TLP_ORDER, key=TLP_ORDER.__getitem__))


def _levels(text: str | None) -> tuple[str, ...]:
    """RIGHTSGRAPH_API_TLP: comma-separated sharing levels; unknown names are an error."""
    if not text:
        return TLP_LEVELS
    levels = tuple(p.strip().upper() for p in text.split(",") if p.strip())
    unknown = [lvl for lvl in levels if lvl not in TLP_ORDER]
    if unknown:
        raise ValueError(
            f"RIGHTSGRAPH_API_TLP: unknown sharing level(s) {unknown}; use {list(TLP_LEVELS)}"
        )
    return levels


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


@dataclass(frozen=True)
class ApiSettings:
    """`default_tlp` is what every caller may read until API keys exist (issue 8 narrows it per
    key); `query_timeout` bounds each query in seconds, so a slow query fails instead of
    holding a worker."""

    neo4j: Settings = field(default_factory=get_settings)
    default_tlp: tuple[str, ...] = field(
        default_factory=lambda: _levels(os.environ.get("RIGHTSGRAPH_API_TLP"))
    )
    query_timeout: float = field(
        default_factory=lambda: _float("RIGHTSGRAPH_API_QUERY_TIMEOUT", 10.0)
    )
    title: str = "RightsGraph API"


# Page sizes: defaults and caps for every paginated list.
DEFAULT_LIMIT = 20
MAX_LIMIT = 200
MAX_OFFSET = 10_000
MAX_SCREENING_ROWS = 5_000
MAX_OWNERSHIP_HOPS = 4
MAX_PATH_HOPS = 6


def get_api_settings() -> ApiSettings:
    return ApiSettings()
