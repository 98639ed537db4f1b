"""A cypher-shell-like console on the project's Neo4j: statements end with `;`, `:param` sets
parameters as cypher-shell does, results come back as tables.

Reads go through the API's read path (`api.cypher.run_read_query`: Neo4j's EXPLAIN must say the
query reads, then it runs in a READ transaction that is rolled back), so the console cannot change
the graph unless it was started with `--write`, which only the local database accepts.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import neo4j
from neo4j import Driver
from rich.console import Console
from rich.table import Table

import queries
from api.cypher import QueryRefused, plain, run_read_query

HELP = """\
Statements end with ';' and may span lines. Commands:
  :param name => value   set a parameter; value is any Cypher expression ($other allowed)
  :param {a: 1, b: 'x'}  set several parameters from a map
  :params                list the parameters
  :param clear           forget every parameter
  :source FILE           run the statements of a file (e.g. queries/exposure.cypher)
  :history               the statements of this and earlier sessions
  :help                  this text
  :exit                  leave (also Ctrl-D)"""

_PARAM_ARROW = re.compile(r"^:params?\s+([A-Za-z_][A-Za-z0-9_]*|`[^`]+`)\s*=>\s*(.+)$", re.S)


@dataclass
class Outcome:
    """One statement's answer: its columns and rows (JSON-ready values), or a write's counters."""

    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool = False
    counters: dict[str, int] = field(default_factory=dict)
    ms: float = 0.0


class Runner:
    """Runs statements on one database: reads through the read-only path, writes (only when
    `write` is true) in an ordinary write transaction that commits."""

    def __init__(
        self,
        driver: Driver,
        database: str,
        *,
        write: bool = False,
        timeout: float = 60.0,
        max_rows: int = 1000,
    ):
        self.driver = driver
        self.database = database
        self.write = write
        self.timeout = timeout
        self.max_rows = max_rows

    def run(self, query: str, parameters: dict[str, Any]) -> Outcome:
        began = time.monotonic()
        if self.write:
            outcome = self._write(query, parameters)
        else:
            result = run_read_query(
                self.driver,
                self.database,
                query,
                parameters,
                timeout=self.timeout,
                max_rows=self.max_rows,
                metadata={"app": "rightsgraph-cli"},
            )
            outcome = Outcome(result.columns, result.rows, result.truncated)
        outcome.ms = (time.monotonic() - began) * 1000
        return outcome

    def _write(self, query: str, parameters: dict[str, Any]) -> Outcome:
        with self.driver.session(database=self.database) as session:
            result = session.run(neo4j.Query(query, timeout=self.timeout), parameters)  # type: ignore[arg-type]
            columns = list(result.keys())
            rows = []
            for record in result:
                if len(rows) >= self.max_rows:
                    break
                rows.append({k: plain(v) for k, v in record.items()})
            counters = result.consume().counters
        changed = {
            name: getattr(counters, name)
            for name in dir(counters)
            if not name.startswith("_")
            and isinstance(getattr(counters, name), int)
            and getattr(counters, name)
        }
        return Outcome(columns, rows, counters=changed)

    def evaluate(self, expression: str, parameters: dict[str, Any]) -> Any:
        """The value of a Cypher expression (a literal without asking Neo4j)."""
        try:
            return queries.parse_literal(expression)
        except ValueError:
            pass
        outcome = Runner(self.driver, self.database, timeout=self.timeout, max_rows=1).run(
            f"RETURN {expression} AS value", parameters
        )
        return outcome.rows[0]["value"]


# ---------------------------------------------------------------- rendering


def cypher_text(value: Any) -> str:
    """A JSON-ready value written as cypher-shell shows it: strings quoted, nodes as
    (:Label {…}), relationships as [:TYPE {…}], lists and maps in Cypher syntax."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(cypher_text(v) for v in value) + "]"
    if isinstance(value, dict):
        if set(value) == {"id", "labels", "properties"}:
            labels = "".join(f":{label}" for label in value["labels"])
            return f"({labels} {cypher_text(value['properties'])})"
        if set(value) == {"type", "start", "end", "properties"}:
            return f"[:{value['type']} {cypher_text(value['properties'])}]"
        return "{" + ", ".join(f"{k}: {cypher_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def table(outcome: Outcome) -> Table:
    """The rows as a rich table (cypher-shell's layout: one column per returned name)."""
    grid = Table(show_header=True, header_style="bold", show_lines=False)
    for column in outcome.columns:
        grid.add_column(column, overflow="fold")
    for row in outcome.rows:
        grid.add_row(*(cypher_text(row.get(c)) for c in outcome.columns))
    return grid


def csv_text(outcome: Outcome) -> str:
    """The rows as CSV: strings as they are, other values as JSON."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(outcome.columns)
    for row in outcome.rows:
        writer.writerow(
            [
                v if isinstance(v := row.get(c), str) else json.dumps(v, ensure_ascii=False)
                for c in outcome.columns
            ]
        )
    return out.getvalue()


def summary_line(outcome: Outcome) -> str:
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in outcome.counters.items())
    rows = f"{len(outcome.rows)} row{'s' if len(outcome.rows) != 1 else ''}"
    more = " (more rows than the cap: truncated)" if outcome.truncated else ""
    return f"{rows}{more}{'; ' + counts if counts else ''} ({outcome.ms:.0f} ms)"


# ---------------------------------------------------------------- statements


def split_statements(text: str) -> tuple[list[str], str]:
    """Complete statements (each ended by a `;` outside strings, quoted names and comments) and
    the unfinished rest."""
    statements: list[str] = []
    start, i, n = 0, 0, len(text)
    quote: str | None = None
    while i < n:
        c = text[i]
        if quote:
            if c == "\\" and quote != "`":
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"`":
            quote = c
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        elif c == ";":
            statement = text[start:i].strip()
            if statement:
                statements.append(statement)
            start = i + 1
        i += 1
    return statements, text[start:]


class Shell:
    """The console's state (parameters, history) and its commands; input and output are
    passed in, so a test can drive it without a terminal."""

    def __init__(
        self,
        runner: Runner,
        console: Console,
        history: Callable[[], list[str]] = list,
    ):
        self.runner = runner
        self.console = console
        self.parameters: dict[str, Any] = {}
        self.history = history
        self.buffer = ""
        self.done = False

    @property
    def waiting(self) -> bool:
        """True when a statement has begun and waits for its `;`."""
        return bool(self.buffer.strip())

    def feed(self, line: str) -> list[str]:
        """One line of input; the complete statements and commands it ended (for history)."""
        if not self.waiting and line.strip().startswith(":"):
            self.command(line.strip())
            return [line.strip()]
        self.buffer += line + "\n"
        statements, self.buffer = split_statements(self.buffer)
        for statement in statements:
            self.execute(statement)
        return statements

    def execute(self, statement: str) -> None:
        try:
            outcome = self.runner.run(statement, self.parameters)
        except QueryRefused as exc:
            self.error(exc.detail)
            return
        except neo4j.exceptions.Neo4jError as exc:
            self.error(exc.message or exc.code or str(exc))
            return
        if outcome.columns:
            self.console.print(table(outcome))
        self.console.print(summary_line(outcome), style="dim", highlight=False)

    def error(self, text: str) -> None:
        self.console.print(f"[red]{text}[/red]", highlight=False)

    def command(self, text: str) -> None:
        word = text.split(maxsplit=1)[0].lower()
        if word in (":exit", ":quit"):
            self.done = True
        elif word == ":help":
            self.console.print(HELP, highlight=False, markup=False)
        elif word == ":history":
            for number, entry in enumerate(self.history(), 1):
                self.console.print(f"{number:>4}  {entry}", highlight=False, markup=False)
        elif word == ":source":
            self.source(text.split(maxsplit=1)[1] if " " in text else "")
        elif word in (":param", ":params"):
            self.param(text)
        else:
            self.error(f"unknown command {word}: :help lists the commands")

    def source(self, name: str) -> None:
        path = Path(name.strip())
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            self.error(f"cannot read {path}: {exc.strerror}")
            return
        statements, rest = split_statements(text)
        for statement in [*statements, rest.strip()]:
            if statement and not all(
                line.strip().startswith("//") for line in statement.splitlines() if line.strip()
            ):
                self.execute(statement)

    def param(self, text: str) -> None:
        rest = text.split(maxsplit=1)[1].strip() if " " in text.strip() else ""
        try:
            if not rest:
                for name, value in sorted(self.parameters.items()):
                    self.console.print(f":param {name} => {cypher_text(value)}", highlight=False)
            elif rest.lower() == "clear":
                self.parameters.clear()
            elif match := _PARAM_ARROW.match(text):
                name = match.group(1).strip("`")
                value = self.runner.evaluate(match.group(2).rstrip(";").strip(), self.parameters)
                self.parameters[name] = value
                self.console.print(f":param {name} => {cypher_text(value)}", highlight=False)
            elif rest.startswith("{"):
                value = self.runner.evaluate(rest.rstrip(";"), self.parameters)
                if not isinstance(value, dict):
                    raise ValueError("a map is needed")
                self.parameters.update(value)
            else:
                self.error("usage: :param name => value, :param {map}, :params, :param clear")
        except (QueryRefused, neo4j.exceptions.Neo4jError, ValueError, IndexError) as exc:
            detail = getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc)
            self.error(f"the value could not be evaluated: {detail}")


def parse_params(pairs: Iterable[str]) -> dict[str, Any]:
    """`k=v` pairs: v as JSON when it is JSON (numbers, true/false/null, lists, "strings"), else
    as a plain string (so `as_of=2019-12-31` and `fund=gpfg` are text)."""
    parameters: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--param wants name=value, not {pair!r}")
        try:
            parameters[name.strip()] = json.loads(value)
        except json.JSONDecodeError:
            parameters[name.strip()] = value
    return parameters
