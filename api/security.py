"""Who may call, how often and how much: one ASGI middleware in front of every route.

For each HTTP request it
- reads the API key (`X-API-Key: rg_…` or `Authorization: Bearer rg_…`) and looks it up; an
  unknown, malformed or revoked key is a 401 wherever it is sent;
- without a key, lets the caller read CLEAR data, or, with RIGHTSGRAPH_ANONYMOUS=closed, only
  `/health` and the web page shell (`/`, `/static/…`);
- takes a token from the caller's buckets and answers 429 with Retry-After when one is empty:
  per key and per client address for keyed callers; per address, and from one bucket shared by
  every anonymous caller, without a key; requests that carry proxy headers no trusted proxy set
  (`X-Forwarded-For`, `Forwarded`) share one more bucket, so forged addresses gain nothing;
- uses the client address the server resolved (`scope["client"]`: uvicorn rewrites it from
  proxy headers only for the proxies `--forwarded-allow-ips` names), never a header itself;
- refuses bodies above the size limit (413), by Content-Length and while streaming;
- puts the Caller in `request.state.caller` for the routers (api.deps.get_caller).

`SecurityHeaders`, outermost, adds the browser hardening headers (CSP, X-Frame-Options,
X-Content-Type-Options, Referrer-Policy) to every response, refusals and errors included.

Refusals of the audited endpoints (POST /cypher, POST /ingest) are written to the audit log.
Role checks are the routers' business (`require`), since only they know what they do.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from typing import Any

from fastapi import HTTPException
from neo4j.exceptions import (
    ConnectionAcquisitionTimeoutError,
    DatabaseUnavailable,
    ServiceUnavailable,
    SessionExpired,
    TransientError,
)
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.audit import AuditLog
from api.auth import Caller, KeyStore, anonymous
from api.errors import (
    Forbidden,
    GraphUnavailable,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    problem,
)
from api.settings import ApiSettings

UNAVAILABLE = (
    ServiceUnavailable,
    SessionExpired,
    DatabaseUnavailable,
    TransientError,
    ConnectionAcquisitionTimeoutError,
)
log = logging.getLogger("rightsgraph.api")
PUBLIC_PATHS = frozenset({"/health", "/"})
PUBLIC_PREFIXES = ("/static/",)
UPLOAD_PATHS = frozenset({"/ingest"})
AUDITED = frozenset({("POST", "/cypher"), ("POST", "/ingest")})
MAX_BUCKETS = 10_000
FEED_PATH = re.compile(r"/watches/[^/]+/feed")


# Scripts, styles and images only from the API itself (the page and /docs load everything from
# /static; Swagger UI draws some icons as data: images); no framing, no plugins, no <base>.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = tuple(
    (name.encode(), value.encode())
    for name, value in (
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    )
)


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response (replacing any a route set itself)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        names = {name for name, _ in SECURITY_HEADERS}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + list(SECURITY_HEADERS)}
            await send(message)

        await self.app(scope, receive, send_with_headers)


FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def client_address(scope: Scope) -> str:
    """The caller's address as the server resolved it; never read from a header here."""
    return (scope.get("client") or ("unknown", 0))[0]


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def opens_by_token(path: str) -> bool:
    """A watch's Atom feed: its route checks the feed token (feed readers send no key), so a
    closed server lets it through without one; it is rate limited like any other request."""
    return FEED_PATH.fullmatch(path) is not None


def presented_token(headers: Headers) -> str | None:
    """The key sent with the request, or None; an Authorization header that is not a Bearer
    token is returned as it is (and fails verification)."""
    key = headers.get("x-api-key", "").strip()
    if key:
        return key
    auth = headers.get("authorization", "").strip()
    if not auth:
        return None
    scheme, _, value = auth.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else auth


class RateLimiter:
    """Token buckets in this worker's memory: `per_minute` tokens, refilled continuously. With N
    workers a caller gets up to N times the rate (docs/security.md)."""

    def __init__(self) -> None:
        self.buckets: dict[str, tuple[float, float, int]] = {}  # tokens, last, size
        self.lock = threading.Lock()

    def take(self, key: str, per_minute: int, now: float | None = None, cost: float = 1.0) -> float:
        """0 when `cost` tokens were taken, else the seconds until they are there (a cost above
        the bucket's size waits for a full bucket). per_minute <= 0: off."""
        if per_minute <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        rate = per_minute / 60.0
        cost = min(cost, float(per_minute))
        with self.lock:
            if len(self.buckets) > MAX_BUCKETS:
                self._prune(now)
            tokens, last, _ = self.buckets.get(key, (float(per_minute), now, per_minute))
            tokens = min(float(per_minute), tokens + (now - last) * rate)
            if tokens >= cost:
                self.buckets[key] = (tokens - cost, now, per_minute)
                return 0.0
            self.buckets[key] = (tokens, now, per_minute)
            return (cost - tokens) / rate

    def _prune(self, now: float) -> None:
        """Forget the buckets that are full again (each by its own rate): forgetting one is
        the same as keeping it."""
        self.buckets = {
            k: (t, last, size)
            for k, (t, last, size) in self.buckets.items()
            if t + (now - last) * size / 60.0 < size
        }


class SecurityMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        settings: ApiSettings,
        keys: KeyStore,
        audit: AuditLog,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.keys = keys
        self.audit = audit
        self.limiter = limiter or RateLimiter()

    def _buckets(self, caller: Caller, client: str, headers: Headers) -> list[tuple[str, int]]:
        """Every bucket a request takes a token from, with its rate a minute."""
        s = self.settings
        if caller.key_id:
            buckets = [
                (f"key:{caller.key_id}", s.rate_limit),
                (f"addr:{client}", s.rate_limit_address),
            ]
        else:
            buckets = [
                (f"ip:{client}", s.rate_limit_anonymous),
                ("anonymous", s.rate_limit_anonymous_total),
            ]
        if not s.forwarded_allow_ips and any(h in headers for h in FORWARDING_HEADERS):
            buckets.append(("forwarded", s.rate_limit_anonymous))  # no proxy is trusted
        return buckets

    def _take(self, buckets: list[tuple[str, int]]) -> tuple[int, float]:
        """(rate, seconds to wait) of the first empty bucket, or (0, 0.0) when all gave one."""
        for name, rate in buckets:
            wait = self.limiter.take(name, rate)
            if wait:
                return rate, wait
        return 0, 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        headers = Headers(scope=scope)
        client = client_address(scope)
        token = presented_token(headers)
        audited = (method, path) in AUDITED

        caller: Caller | None
        if token is None:
            if self.settings.anonymous == "closed" and not (
                is_public(path) or opens_by_token(path)
            ):
                needed = Unauthorized(
                    "this server needs an API key (X-API-Key or Authorization: Bearer)"
                )
                return await self._refuse(scope, receive, send, anonymous(None), audited, needed)
            default = self.settings.default_tlp
            caller = anonymous(default[-1] if default else None)
        else:
            try:
                caller = self.keys.verify(token)
            except UNAVAILABLE as exc:  # keys live in Neo4j: no answer, no key check
                response = problem(
                    503,
                    GraphUnavailable.title,
                    f"the graph database does not answer: {type(exc).__name__}",
                    GraphUnavailable.kind,
                )
                return await response(scope, receive, send)
            if caller is None:  # guessing keys costs the anonymous budgets
                rate, wait = self._take(self._buckets(anonymous(None), client, headers))
                exc: Unauthorized | TooManyRequests = (
                    rate_limited(rate, wait)
                    if wait
                    else Unauthorized("the API key is unknown, malformed or revoked")
                )
                return await self._refuse(scope, receive, send, _unknown_key(token), audited, exc)

        if not is_public(path):  # /health (polled by balancers) and the page's static files
            rate, wait = self._take(self._buckets(caller, client, headers))
            if wait:
                return await self._refuse(
                    scope, receive, send, caller, audited, rate_limited(rate, wait)
                )

        limit = (
            self.settings.max_upload_bytes if path in UPLOAD_PATHS else self.settings.max_body_bytes
        )
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return await self._refuse(
                scope, receive, send, caller, audited, PayloadTooLarge(_too_large(limit))
            )

        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, _limited(receive, limit), send)

    async def _refuse(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        caller: Caller,
        audited: bool,
        exc: Unauthorized | Forbidden | TooManyRequests | PayloadTooLarge,
    ) -> None:
        if audited:
            try:
                self.audit.record(
                    caller,
                    f"{scope['method']} {scope['path']}",
                    f"{scope['method']} {scope['path']}",
                    "refused",
                    f"{exc.status} {exc.detail}",
                )
            except UNAVAILABLE:  # refused all the same; nothing ran that needs the record
                log.warning("audit log unavailable; refusal not recorded: %s", exc.detail)
        response = problem(exc.status, exc.title, exc.detail, exc.kind, exc.headers)
        await response(scope, receive, send)


def _unknown_key(token: str) -> Caller:
    """For the audit log: the key's public id when the token has one, never its secret."""
    parts = token.split("_")
    key_id = parts[1][:12] if len(parts) >= 3 and parts[0] == "rg" else None
    return Caller(key_id, "unknown or revoked key", "anonymous", "")


def rate_limited(rate: int, wait: float, what: str = "requests") -> TooManyRequests:
    seconds = max(1, math.ceil(wait))
    return TooManyRequests(
        f"more than {rate} {what} a minute; try again in {seconds} s",
        headers={"Retry-After": str(seconds)},
    )


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit:,} bytes"


def _limited(receive: Receive, limit: int) -> Receive:
    """`receive` that stops a body (chunked or lying about its length) once it passes `limit`."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message: dict[str, Any] = dict(await receive())
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413, _too_large(limit))
        return message

    return wrapped


def require(
    caller: Caller,
    role: str,
    *,
    audit: AuditLog,
    endpoint: str,
    what: str,
    parameters: Any = None,
    every_level: bool = True,
) -> None:
    """Refuse (and audit) a caller below `role`, or, with `every_level`, not cleared for RED:
    401 without a key, 403 with one."""
    exc: Unauthorized | Forbidden
    if caller.key_id is None:
        exc = Unauthorized(f"{endpoint} needs an API key with the role {role} or above")
    elif not caller.has_role(role):
        exc = Forbidden(f"{endpoint} needs the role {role} or above; this key is a {caller.role}")
    elif every_level and not caller.cleared_for_all:
        exc = Forbidden(
            f"{endpoint} needs a key cleared for every sharing level (RED); this key reads up to "
            f"{caller.tlp} (see docs/security.md)"
        )
    else:
        return
    audit.record(caller, endpoint, what, "refused", f"{exc.status} {exc.detail}", parameters)
    raise exc
