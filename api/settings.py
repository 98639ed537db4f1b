"""All API configuration, read from environment variables in one place.

Neo4j connection settings come from `core.settings` (NEO4J_URI, RIGHTSGRAPH_NEO4J_PORT, …);
this adds what only the API needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from core.settings import Settings, get_settings
from ontology.types import sharing

TLP_LEVELS: tuple[str, ...] = sharing.levels()


ANONYMOUS_MODES = ("clear", "closed")


def _anonymous(text: str | None) -> str:
    """RIGHTSGRAPH_ANONYMOUS: `clear` (callers without a key read CLEAR data) or `closed`."""
    mode = (text or "clear").strip().lower()
    if mode not in ANONYMOUS_MODES:
        raise ValueError(f"RIGHTSGRAPH_ANONYMOUS: {text!r}; use one of {list(ANONYMOUS_MODES)}")
    return mode


levels_up_to = sharing.levels_up_to


def _path(text: str | None) -> Path | None:
    return Path(text) if text else None


def _origins(text: str | None) -> tuple[str, ...]:
    return tuple(o.strip() for o in (text or "").split(",") if o.strip())


def _hosts(text: str | None) -> tuple[str, ...]:
    """RIGHTSGRAPH_WEBHOOK_HOSTS: host names or host:port, comma-separated (lower-cased)."""
    return tuple(h.strip().lower() for h in (text or "").split(",") if h.strip())


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True)
class ApiSettings:
    """`query_timeout` bounds each query in seconds, so a slow query fails instead of holding a
    worker. The security settings are explained in docs/security.md."""

    neo4j: Settings = field(default_factory=get_settings)
    anonymous: str = field(
        default_factory=lambda: _anonymous(os.environ.get("RIGHTSGRAPH_ANONYMOUS"))
    )
    auth_db: Path | None = field(
        default_factory=lambda: _path(os.environ.get("RIGHTSGRAPH_AUTH_DB"))
    )
    query_timeout: float = field(
        default_factory=lambda: _float("RIGHTSGRAPH_API_QUERY_TIMEOUT", 10.0)
    )
    retry_time: float = field(
        default_factory=lambda: _float("RIGHTSGRAPH_API_RETRY_TIME", 2.0)
    )  # managed transactions (POST /ingest) retry this long, so a lost Neo4j is a 503 in time
    cypher_timeout: float = field(
        default_factory=lambda: _float("RIGHTSGRAPH_CYPHER_TIMEOUT", 10.0)
    )
    cypher_max_rows: int = field(default_factory=lambda: _int("RIGHTSGRAPH_CYPHER_MAX_ROWS", 1000))
    cypher_max_bytes: int = field(
        default_factory=lambda: _int("RIGHTSGRAPH_CYPHER_MAX_BYTES", 8 * 1024 * 1024)
    )
    cypher_max_running: int = field(
        default_factory=lambda: _int("RIGHTSGRAPH_CYPHER_MAX_RUNNING", 4)
    )  # /cypher queries at once, per process and on the server (keys: one each)
    sparql_max_age: float = field(
        default_factory=lambda: _float("RIGHTSGRAPH_SPARQL_MAX_AGE", 300.0)
    )  # seconds a /sparql level store serves before it is rebuilt from Neo4j even if unchanged
    rate_limit: int = field(default_factory=lambda: _int("RIGHTSGRAPH_RATE_LIMIT", 600))
    rate_limit_anonymous: int = field(
        default_factory=lambda: _int("RIGHTSGRAPH_RATE_LIMIT_ANONYMOUS", 120)
    )
    rate_limit_address: int = field(
        default_factory=lambda: _int("RIGHTSGRAPH_RATE_LIMIT_ADDRESS", 1200)
    )  # keyed requests a minute per client address, whatever the key
    rate_limit_anonymous_total: int = field(
        default_factory=lambda: _int("RIGHTSGRAPH_RATE_LIMIT_ANONYMOUS_TOTAL", 1200)
    )  # requests a minute without a valid key, every address together
    forwarded_allow_ips: str = field(
        default_factory=lambda: os.environ.get("RIGHTSGRAPH_FORWARDED_ALLOW_IPS", "").strip()
    )  # the proxies whose X-Forwarded-For uvicorn may trust (rightsgraph serve passes it on)
    screening_max_rows: int = field(
        default_factory=lambda: _int("RIGHTSGRAPH_SCREENING_MAX_ROWS", 5000)
    )
    screening_max_rows_anonymous: int = field(
        default_factory=lambda: _int("RIGHTSGRAPH_SCREENING_MAX_ROWS_ANONYMOUS", 500)
    )
    screening_rows_per_minute: int = field(
        default_factory=lambda: _int("RIGHTSGRAPH_SCREENING_ROWS_PER_MINUTE", 20000)
    )
    screening_rows_anonymous: int = field(
        default_factory=lambda: _int("RIGHTSGRAPH_SCREENING_ROWS_ANONYMOUS", 1000)
    )
    screening_budget: float = field(
        default_factory=lambda: _float("RIGHTSGRAPH_SCREENING_BUDGET", 20.0)
    )  # seconds of candidate queries a screening request may take
    max_body_bytes: int = field(
        default_factory=lambda: _int("RIGHTSGRAPH_MAX_BODY_BYTES", 2 * 1024 * 1024)
    )
    max_upload_bytes: int = field(
        default_factory=lambda: _int("RIGHTSGRAPH_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
    )
    cors_origins: tuple[str, ...] = field(
        default_factory=lambda: _origins(os.environ.get("RIGHTSGRAPH_CORS_ORIGINS"))
    )
    warm_up_wait: float = field(
        default_factory=lambda: _float("RIGHTSGRAPH_API_WARM_UP_WAIT", 30.0)
    )  # seconds the start waits for the plans to be warmed (api/warmup.py); 0: no warm-up
    # webhooks (docs/watches.md): the only outbound connections the API makes, to these hosts
    webhook_hosts: tuple[str, ...] = field(
        default_factory=lambda: _hosts(os.environ.get("RIGHTSGRAPH_WEBHOOK_HOSTS"))
    )
    delivery_worker: bool = field(
        default_factory=lambda: (
            os.environ.get("RIGHTSGRAPH_DELIVERY_WORKER", "on").strip().lower()
            not in ("off", "0", "false", "no")
        )
    )
    webhook_poll: float = field(default_factory=lambda: _float("RIGHTSGRAPH_WEBHOOK_POLL", 5.0))
    webhook_backoff: float = field(
        default_factory=lambda: _float("RIGHTSGRAPH_WEBHOOK_BACKOFF", 10.0)
    )  # seconds before the first retry; doubled after each failed attempt
    webhook_backoff_max: float = field(
        default_factory=lambda: _float("RIGHTSGRAPH_WEBHOOK_BACKOFF_MAX", 3600.0)
    )
    webhook_max_attempts: int = field(
        default_factory=lambda: _int("RIGHTSGRAPH_WEBHOOK_MAX_ATTEMPTS", 20)
    )
    webhook_timeout: float = field(
        default_factory=lambda: _float("RIGHTSGRAPH_WEBHOOK_TIMEOUT", 10.0)
    )
    title: str = "RightsGraph API"

    @property
    def default_tlp(self) -> tuple[str, ...]:
        """The sharing levels a caller without a key may read: CLEAR, or none when closed."""
        return levels_up_to("CLEAR") if self.anonymous == "clear" else ()

    @property
    def auth_path(self) -> Path:
        """Where a SQLite key database of earlier versions would be: migrated into Neo4j once
        (api/system_store.py), never used otherwise."""
        return self.auth_db or self.neo4j.home / "auth.sqlite"


# Page sizes: defaults and caps for every paginated list.
DEFAULT_LIMIT = 20
MAX_LIMIT = 200
MAX_OFFSET = 10_000
MAX_SCREENING_ROWS = 5_000
MAX_OWNERSHIP_HOPS = 4
MAX_PATH_HOPS = 6


def get_api_settings() -> ApiSettings:
    return ApiSettings()
