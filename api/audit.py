"""The audit log: every write, every Cypher query and every refused attempt at either — who,
when, what, with which parameters, and how it ended. It lives beside the keys in the shared Neo4j
(api/system_store.py), so every API process appends to one log, numbered by one counter.

- Stored text is capped: what (the query, the file names) at 4,000 characters, parameters at
  4,000, the reason at 1,000, each with its full length noted.
- Refusals of callers without a valid key (anonymous, unknown or revoked keys) are aggregated:
  one entry per endpoint, refusal and minute, counting how often, holding none of the
  caller's text (a flood of refusals costs a few hundred bytes a minute, not kilobytes each).
- Texts are stored as sent; `printable` escapes control characters for display, so a query
  holding `\\r` or terminal escapes cannot rewrite the lines `rightsgraph keys audit` prints.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from api.auth import ANONYMOUS, Caller, now
from api.system_store import AUDIT, AUDIT_FIELDS, SystemStore, fields

MAX_TEXT = 4000
MAX_REASON = 1000
MAX_AGGREGATED_REASON = 200
OUTCOMES = ("ok", "refused", "timeout", "error")


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    key_id: str | None
    caller: str
    endpoint: str
    what: str
    parameters: str | None
    outcome: str
    reason: str | None
    count: int = 1  # > 1: an aggregated refusal, seen this often from `at` to `last_at`
    last_at: str | None = None
    instance: str | None = None  # host:pid of the API process (or CLI) that wrote it


def clip(text: str, limit: int = MAX_TEXT) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters in all)"


def printable(text: str) -> str:
    """The text with every control, format or separator character (and the backslash) escaped
    as `\\xNN`/`\\uNNNN`/`\\\\`, line feeds kept: safe to print on a terminal."""
    out = []
    for ch in text:
        if ch == "\n":
            out.append(ch)
        elif ch == "\\":
            out.append("\\\\")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


class AuditLog:
    def __init__(self, store: SystemStore):
        self.store = store

    def record(
        self,
        caller: Caller,
        endpoint: str,
        what: str,
        outcome: str,
        reason: str | None = None,
        parameters: Any = None,
    ) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"audit outcome {outcome!r} is not one of {OUTCOMES}")
        at = now()
        if caller.role == ANONYMOUS and outcome == "refused":
            cut = clip(reason or "", MAX_AGGREGATED_REASON)
            bucket = hashlib.sha256(f"{endpoint}\n{cut}\n{at[:16]}".encode()).hexdigest()
            self.store.count_audit(
                bucket,
                {
                    "at": at,
                    "caller": ANONYMOUS if caller.key_id is None else caller.name,
                    "endpoint": endpoint,
                    "what": endpoint,  # never the caller's text
                    "outcome": outcome,
                    "reason": cut,
                },
            )
            return
        params = (
            None
            if parameters is None
            else clip(json.dumps(parameters, ensure_ascii=False, sort_keys=True, default=str))
        )
        self.store.next_audit(
            {
                "at": at,
                "keyId": caller.key_id,
                "caller": caller.name,
                "endpoint": endpoint,
                "what": clip(what),
                "parameters": params,
                "outcome": outcome,
                "reason": clip(reason, MAX_REASON) if reason else None,
            }
        )

    def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The latest entries, oldest first."""
        rows = self.store.run(
            f"MATCH (a:{AUDIT}) RETURN {fields('a', AUDIT_FIELDS)} ORDER BY seq DESC LIMIT $limit",
            limit=limit,
        )
        return [
            AuditEntry(
                seq=r["seq"],
                at=r["at"],
                key_id=r["keyId"],
                caller=r["caller"],
                endpoint=r["endpoint"],
                what=r["what"],
                parameters=r["parameters"],
                outcome=r["outcome"],
                reason=r["reason"],
                count=r["count"] or 1,
                last_at=r["lastAt"],
                instance=r["instance"],
            )
            for r in reversed(rows)
        ]
