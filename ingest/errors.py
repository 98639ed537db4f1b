"""Ingest failures: each names the file, the record (and line where known) and the rule broken."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    file: str
    record: str
    rule: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        line = f":{self.line}" if self.line else ""
        return f"{self.file}{line}: record {self.record}: {self.message} [rule {self.rule}]"

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class IngestError(Exception):
    """Input that cannot be ingested; nothing of its batch was written."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
