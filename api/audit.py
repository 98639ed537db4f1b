"""The audit log: every write, every Cypher query and every refused attempt at either — who,
when, what, with which parameters, and how it ended. It lives beside the keys in auth.sqlite,
so every worker appends to one log; long texts are cut, with their full length noted."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.auth import Caller, connect, now

MAX_TEXT = 4000
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


def clip(text: str, limit: int = MAX_TEXT) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters in all)"


class AuditLog:
    def __init__(self, path: Path):
        self.path = path

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
        params = (
            None
            if parameters is None
            else clip(json.dumps(parameters, ensure_ascii=False, sort_keys=True, default=str))
        )
        with connect(self.path) as conn:
            conn.execute(
                "INSERT INTO audit (at, key_id, caller, endpoint, what, parameters, outcome,"
                " reason) VALUES (?,?,?,?,?,?,?,?)",
                (
                    now(),
                    caller.key_id,
                    caller.name,
                    endpoint,
                    clip(what),
                    params,
                    outcome,
                    clip(reason, 1000) if reason else None,
                ),
            )

    def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The latest entries, oldest first."""
        with connect(self.path) as conn:
            rows = conn.execute(
                "SELECT seq, at, key_id, caller, endpoint, what, parameters, outcome, reason"
                " FROM audit ORDER BY seq DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [AuditEntry(*row) for row in reversed(rows)]
