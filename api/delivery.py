"""Webhook delivery: a worker thread in every API process posts queued alerts to their watch's URL.

The queue is in Neo4j (`:RgSystemDelivery`, one per alert of a watch with a webhook, made by the
transaction that raised the alert), so the API stays stateless: any instance's worker takes any
due delivery. A worker claims a few due deliveries with a lease (a crashed worker's lease runs
out and another takes them over), POSTs each, and records the attempt in the delivery's log: a
2xx answer marks it delivered; anything else (refused, timed out, 5xx, 4xx) schedules a retry
after a back-off that doubles per attempt up to a cap, until the attempts run out (`failed`).
So every alert is delivered at least once while the receiver comes back within the attempts;
receivers drop repeats by the `X-RightsGraph-Delivery` id.

Each POST is signed: `X-RightsGraph-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`
with the watch's webhook secret, the timestamp in `X-RightsGraph-Timestamp` (Unix seconds).

These are the only outbound connections the API makes, and only to the hosts listed in
RIGHTSGRAPH_WEBHOOK_HOSTS (checked when a watch is made and again before every attempt); no
redirect is followed. Parsers of uploads stay under `core.offline.offline()`; the worker thread
never is (docs/security.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from neo4j import Driver, ManagedTransaction
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

from api.settings import ApiSettings
from core.names import ALERT_LABEL, DELIVERY_LABEL, SYSTEM_LABEL, WATCH_LABEL
from ingest.watches import now

log = logging.getLogger("rightsgraph.delivery")
DELIVERY = f"`{SYSTEM_LABEL}`:`{DELIVERY_LABEL}`"
ALERT = f"`{SYSTEM_LABEL}`:`{ALERT_LABEL}`"
WATCH = f"`{SYSTEM_LABEL}`:`{WATCH_LABEL}`"
BATCH = 20  # deliveries a worker claims at a time
USER_AGENT = "RightsGraph-Webhook/1"
SIGNATURE_HEADER = "X-RightsGraph-Signature"
TIMESTAMP_HEADER = "X-RightsGraph-Timestamp"
DELIVERY_HEADER = "X-RightsGraph-Delivery"


class WebhookRefused(ValueError):
    """A webhook URL this server may not post to."""


def check_url(url: str, allowed: tuple[str, ...]) -> str:
    """The URL when it is http(s) to an allowed host (name, or name:port), else WebhookRefused."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:  # a bad port or IPv6 literal
        raise WebhookRefused(f"not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("a webhook is an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise WebhookRefused("a webhook URL carries no user name or password")
    if any(ord(c) < 33 for c in url.strip()):
        raise WebhookRefused("a webhook URL holds no spaces or control characters")
    host = parts.hostname.lower()
    if not allowed:
        raise WebhookRefused("webhooks are off on this server (RIGHTSGRAPH_WEBHOOK_HOSTS is empty)")
    if host not in allowed and f"{host}:{port}" not in allowed:
        raise WebhookRefused(f"the host {host}:{port} is not in RIGHTSGRAPH_WEBHOOK_HOSTS")
    return url.strip()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: `sha256=` and the hex HMAC of `<timestamp>.<body>`."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body`; the HTTP status (redirects are answers, not followed)."""
    parts = urlsplit(url)
    conn_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = conn_type(parts.hostname or "", parts.port, timeout=timeout)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(65536)
        return response.status
    finally:
        conn.close()


def _later(seconds: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).isoformat(
        timespec="microseconds"
    )


@dataclass
class Claimed:
    id: str
    url: str
    attempts: int
    body: str
    secret: str | None
    log: list[dict[str, Any]]


class DeliveryWorker:
    """Works through the due deliveries every `webhook_poll` seconds, in a daemon thread."""

    def __init__(self, driver: Driver, database: str | None, settings: ApiSettings):
        self.driver = driver
        self.database = database
        self.settings = settings
        self.instance = f"{os.uname().nodename}:{os.getpid()}:{secrets.token_hex(3)}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="rightsgraph-delivery", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.webhook_timeout + 5)

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.webhook_poll):
            try:
                while self.run_once() and not self._stop.is_set():
                    pass
            except (ServiceUnavailable, SessionExpired) as exc:  # Neo4j away: next round
                log.warning("delivery worker: the graph does not answer: %s", exc)
            except Neo4jError as exc:
                log.warning("delivery worker: %s", exc)
            except Exception:  # the worker must outlive any one bad round
                log.exception("delivery worker round failed")

    def _claim(self, tx: ManagedTransaction) -> list[Claimed]:
        at = now()
        lease = _later(self.settings.webhook_timeout * BATCH + 30)
        rows = tx.run(
            f"MATCH (d:{DELIVERY}) WHERE d.rgsystemStatus = 'pending' AND d.rgsystemNextAt <= $now "
            "AND coalesce(d.rgsystemLeaseUntil, '') < $now "
            "WITH d ORDER BY d.rgsystemNextAt, d.rgsystemId LIMIT $batch "
            # take the write lock first, then read again: two workers never claim one delivery
            "SET d.rgsystemLock = true REMOVE d.rgsystemLock "
            "WITH d WHERE d.rgsystemStatus = 'pending' AND coalesce(d.rgsystemLeaseUntil, '') < $now "
            "SET d.rgsystemLeaseUntil = $lease, d.rgsystemLeaseBy = $by "
            f"WITH d OPTIONAL MATCH (a:{ALERT} {{rgsystemId: d.rgsystemAlert}}) "
            f"OPTIONAL MATCH (w:{WATCH} {{rgsystemId: d.rgsystemWatch}}) "
            "RETURN d.rgsystemId AS id, d.rgsystemUrl AS url, d.rgsystemAttempts AS attempts, "
            "a.rgsystemBody AS body, w.rgsystemWebhookSecret AS secret, d.rgsystemLog AS log",
            now=at,
            lease=lease,
            by=self.instance,
            batch=BATCH,
        )
        return [
            Claimed(
                r["id"],
                r["url"],
                int(r["attempts"] or 0),
                r["body"] or "",
                r["secret"],
                json.loads(r["log"] or "[]"),
            )
            for r in rows
        ]

    def run_once(self) -> int:
        """Claim and attempt the due deliveries; how many were attempted."""
        with self.driver.session(database=self.database) as session:
            claimed = session.execute_write(self._claim)
        for item in claimed:
            self._attempt(item)
        return len(claimed)

    def _attempt(self, item: Claimed) -> None:
        s = self.settings
        started = now()
        entry: dict[str, Any] = {"at": started, "attempt": item.attempts + 1}
        ok = False
        final = False
        try:
            if not item.body or not item.secret:
                raise WebhookRefused("the alert or its watch is gone")
            check_url(item.url, s.webhook_hosts)
            body = item.body.encode("utf-8")
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                DELIVERY_HEADER: item.id,
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(item.secret, timestamp, body),
            }
            status = post(item.url, body, headers, s.webhook_timeout)
            entry["status"] = status
            ok = 200 <= status < 300
        except WebhookRefused as exc:
            entry["error"] = str(exc)
            final = True
        except (OSError, http.client.HTTPException) as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
        attempts = item.attempts + 1
        history = [*item.log, entry][-50:]  # the last 50 attempts
        if ok:
            status_text, next_at = "delivered", None
        elif final or attempts >= s.webhook_max_attempts:
            status_text, next_at = "failed", None
        else:
            wait = min(s.webhook_backoff * 2 ** (attempts - 1), s.webhook_backoff_max)
            status_text, next_at = "pending", _later(wait)
        self.driver.execute_query(
            f"MATCH (d:{DELIVERY} {{rgsystemId: $id}}) "
            "SET d.rgsystemStatus = $status, d.rgsystemAttempts = $attempts, d.rgsystemLog = $log, "
            "d.rgsystemNextAt = coalesce($next, d.rgsystemNextAt), d.rgsystemLeaseUntil = null, "
            "d.rgsystemDeliveredAt = CASE WHEN $ok THEN $at ELSE d.rgsystemDeliveredAt END",
            id=item.id,
            status=status_text,
            attempts=attempts,
            log=json.dumps(history, ensure_ascii=False),
            next=next_at,
            ok=ok,
            at=started,
            database_=self.database,
        )
