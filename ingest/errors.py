"""Ingest failures: each names the file, the record (and line where known) and the rule broken."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_EXCERPT = 200  # characters of the input a problem may quote (record ids, values)
MAX_MESSAGE = 400  # characters of a whole message


def excerpt(text: str, limit: int = MAX_EXCERPT) -> str:
    """At most `limit` characters of text, saying how long it was when cut."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


@dataclass(frozen=True)
class Problem:
    """One problem; the record and message are cut to a bounded excerpt, so a huge value in the
    input is never copied whole into a report."""

    file: str
    record: str
    rule: str
    message: str
    line: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "record", excerpt(str(self.record)))
        object.__setattr__(self, "message", excerpt(str(self.message), MAX_MESSAGE))

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


MORE_PROBLEMS = "more-problems"


def more_problems(file: str, count: int) -> Problem:
    """The line that stands for problems found but not listed (the list stops at a cap)."""
    return Problem(file, "-", MORE_PROBLEMS, f"{count:,} more problem(s) not listed")


def capped(problems: list[Problem], limit: int) -> list[Problem]:
    """At most `limit` problems per file, then one line per file counting the rest."""
    out: list[Problem] = []
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for problem in problems:
        if problem.rule == MORE_PROBLEMS:
            hidden[problem.file] = hidden.get(problem.file, 0) + int(
                problem.message.split(" ", 1)[0].replace(",", "")
            )
        elif shown.get(problem.file, 0) < limit:
            shown[problem.file] = shown.get(problem.file, 0) + 1
            out.append(problem)
        else:
            hidden[problem.file] = hidden.get(problem.file, 0) + 1
    out.extend(more_problems(file, count) for file, count in hidden.items())
    return out
