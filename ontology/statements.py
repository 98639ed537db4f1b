"""Statements: every value of a node or relationship with who states it, and what a caller sees.

A *statement* is one property value as one report states it: the report, the sources the record
cites, its standing (`reviewed`, `published`, `unreviewed`), its sharing level, the day it was
first stated and, once the report no longer states it, the day it was retracted. The property
`""` states the existence of the node or relationship itself; every record yields one.

The graph keeps a node's statements beside its properties as one compact JSON text (the system
property `statements`); the properties are a *projection* of the statements: for a set of
sharing levels and a day, only the statements at those levels, live on that day, count.

Choosing among the values of a single-valued property (`choose`): the higher standing wins
(reviewed and published outrank unreviewed), then the newest source date (a source's
`published`), then the latest day first stated, then the value more reports state, then the
smallest value (as JSON text). Multiple-valued properties (aliases, identifiers, …) project to
the union of their visible values. No database here: the writer, the API and export all call it.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

EXISTS = ""
"""The property of the statement that a node or relationship exists."""
STANDINGS = ("reviewed", "published", "unreviewed")
"""A report's review status, as its statements' standing."""
_RANK = {"reviewed": 1, "published": 1, "unreviewed": 0}


def standing_rank(standing: str | None) -> int:
    """1 for reviewed and published statements, 0 for unreviewed (or unknown) ones."""
    return _RANK.get(standing or "", 0)


def value_key(value: Any) -> str:
    """The comparable text of a value: numbers as floats, so 5 and 5.0 are one value."""
    if isinstance(value, str):  # the common case, as json.dumps writes it
        return _json_text(value)
    if value is True or value is False or value is None:
        return _JSON_CONSTANTS[value]
    if type(value) is float or type(value) is int:
        number = float(value)
        return repr(number) if math.isfinite(number) else json.dumps(number)

    def norm(v: Any) -> Any:
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return v
        if isinstance(v, int | float):
            return float(v)
        if isinstance(v, list):
            return [norm(x) for x in v]
        return str(v)

    return json.dumps(norm(value), sort_keys=True, ensure_ascii=False)


_json_text = json.encoder.encode_basestring  # json.dumps(text, ensure_ascii=False)
_JSON_CONSTANTS = {True: "true", False: "false", None: "null"}


@dataclass(frozen=True)
class Statement:
    """One value of one property as one report states it."""

    prop: str
    value: Any
    report: str | None
    level: str
    standing: str
    first: str
    retracted: str | None = None
    sources: tuple[str, ...] = ()
    date: str | None = None  # the newest publication date of its sources
    multi: bool = False  # the property holds several values (a set)

    @property
    def key(self) -> tuple[str, str]:
        return self.prop, value_key(self.value)

    def live(self, on: str | None = None) -> bool:
        """Stated and not retracted (today, or on the day `on`, YYYY-MM-DD)."""
        if on is None:
            return self.retracted is None
        return self.first[:10] <= on and (self.retracted is None or self.retracted[:10] > on)


@dataclass(frozen=True)
class Claim:
    """How one report states a record: level, standing, sources (shared by its statements)."""

    report: str | None
    level: str
    standing: str
    sources: tuple[str, ...] = ()
    date: str | None = None


# ---------------------------------------------------------------------- the stored text


def encode(statements: Iterable[Statement]) -> str:
    """The compact, canonical JSON text of statements: one object per report and shared
    meta-data, its values under "v" (a list for a multiple-valued property)."""
    groups: dict[tuple, dict[str, Any]] = {}
    for s in statements:
        meta = (s.report, s.level, s.standing, s.first, s.retracted, s.sources, s.date)
        values = groups.setdefault(meta, {})
        if s.prop == EXISTS:
            continue
        if s.multi:
            values.setdefault(s.prop, [])
            if s.value not in values[s.prop]:
                values[s.prop].append(s.value)
        else:
            values[s.prop] = s.value
    out = []
    for (report, level, standing, first, retracted, sources, date), values in groups.items():
        item: dict[str, Any] = {"r": report, "l": level, "k": standing, "f": first}
        if retracted:
            item["x"] = retracted
        if sources:
            item["s"] = list(sources)
        if date:
            item["d"] = date
        item["v"] = {
            p: sorted(v, key=value_key) if isinstance(v, list) else v
            for p, v in sorted(values.items())
        }
        out.append(item)
    if len(out) > 1:  # most texts hold one report's group
        out.sort(key=lambda i: json.dumps(i, sort_keys=True, ensure_ascii=False))
    return json.dumps(out, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def decode(text: str | None) -> list[Statement]:
    """The statements of a stored text (none for None or empty)."""
    if not text:
        return []
    out: list[Statement] = []
    for item in json.loads(text):
        meta = {
            "report": item.get("r"),
            "level": item["l"],
            "standing": item["k"],
            "first": item["f"],
            "retracted": item.get("x"),
            "sources": tuple(item.get("s") or ()),
            "date": item.get("d"),
        }
        out.append(Statement(EXISTS, True, **meta))
        for prop, value in (item.get("v") or {}).items():
            if isinstance(value, list):
                out.extend(Statement(prop, v, multi=True, **meta) for v in value)
            else:
                out.append(Statement(prop, value, **meta))
    return out


def canonical(statements: Iterable[Statement]) -> str:
    """The stored text of statements, after a round trip (so equal sets compare equal)."""
    return encode(decode(encode(statements)))


# ---------------------------------------------------------------------- changes


def restate(
    old: Iterable[Statement],
    claim: Claim,
    values: dict[str, Any],
    multi: Collection[str],
    today: str,
) -> list[Statement]:
    """The statements after `claim.report` states `values` (property -> value, a list for the
    properties in `multi`) today: its statements of values it still states keep their first
    day (taking the claim's current level, standing and sources), those it no longer states are
    retracted today, new values are first stated today; other reports' statements stay as they
    are."""
    old = list(old)
    wanted: dict[tuple[str, str], Statement] = {}
    for prop, value in [(EXISTS, True), *values.items()]:
        many = prop in multi and isinstance(value, list)
        for v in value if many else [value]:
            s = Statement(
                prop,
                v,
                claim.report,
                claim.level,
                claim.standing,
                today,
                sources=claim.sources,
                date=claim.date,
                multi=prop in multi,
            )
            # a value's text only where it is compared: among a set's values, or with old ones
            wanted[s.key if many or old else (prop, "")] = s
    out: list[Statement] = []
    new = dict(wanted)
    for s in old:
        if s.report != claim.report or s.retracted is not None:
            out.append(s)
        elif s.key in wanted:  # (several live ones of a key: one per first day, each kept)
            out.append(replace(wanted[s.key], first=s.first))
            new.pop(s.key, None)
        else:
            out.append(replace(s, retracted=today))
    out.extend(new.values())
    return out


def retract(old: Iterable[Statement], report: str | None, today: str) -> list[Statement]:
    """The statements after `report` stops stating the record at all."""
    return [
        replace(s, retracted=today) if s.report == report and s.retracted is None else s
        for s in old
    ]


FOREVER = "9999-12-31"
"""The retraction day a live statement's span ends on (after every real day)."""


def spans(statements: Iterable[Statement]) -> list[str]:
    """When and at which level a node or relationship was known: one text per distinct
    (first day, retraction day, level) of its statements (a statement group, as stored),
    `"<first day> <retraction day or FOREVER> <level>"` (fixed-width days), distinct, sorted.
    Stored beside the statements (`knownSpans`) so a Cypher query can ask whether a caller
    cleared for some levels could see it on a day: some span with first <= day < retracted
    and its level among theirs, which is `visible(..., as_known_on=day)` being non-empty."""
    return sorted(
        {
            f"{s.first[:10]} {(s.retracted or FOREVER)[:10]} {s.level}"
            for s in statements  # every value's days: a group's, as stored, and in memory
        }
    )


def live_reports(statements: Iterable[Statement]) -> list[str]:
    """Every report with a live statement, whatever its level (bookkeeping, never shown)."""
    return sorted({s.report for s in statements if s.retracted is None and s.report})


# ---------------------------------------------------------------------- projection


@dataclass
class Alternative:
    """A value of a property that was not chosen, and who states it."""

    value: Any
    reports: list[str]
    sources: list[str]
    standing: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Projection:
    """What a caller cleared for some levels sees of a node or relationship on some day."""

    visible: bool = False
    level: str | None = None  # the most open level among the statements that count
    properties: dict[str, Any] = field(default_factory=dict)
    others: dict[str, list[Alternative]] = field(default_factory=dict)
    report_ids: list[str] = field(default_factory=list)
    source_ids: list[str] = field(default_factory=list)


def visible(
    statements: Iterable[Statement],
    levels: Collection[str] | None = None,
    as_known_on: str | None = None,
) -> list[Statement]:
    """The statements that count for a caller cleared for `levels` (None: every level), live
    today or on the day `as_known_on`."""
    return [s for s in statements if (levels is None or s.level in levels) and s.live(as_known_on)]


def _score(statements: list[Statement]) -> tuple:
    best = max(statements, key=lambda s: (standing_rank(s.standing), s.date or "", s.first))
    reports = {s.report for s in statements}
    return (
        standing_rank(best.standing),
        best.date or "",
        best.first,
        len(reports),
    )


def choose(candidates: dict[str, list[Statement]]) -> str:
    """The value key chosen among `candidates` (value key -> its statements): see the module.
    max() keeps the first of equal scores, so among equals the smallest value text wins."""
    return max(sorted(candidates), key=lambda k: _score(candidates[k]))


def project(
    statements: Iterable[Statement],
    levels: Collection[str] | None = None,
    as_known_on: str | None = None,
    order: Collection[str] = (),
) -> Projection:
    """The properties a caller cleared for `levels` sees (today, or as known on a day), the
    values not chosen with their sources, and the reports and sources behind what they see.
    `order` lists the levels most open first, to name the projection's own level."""
    seen = visible(statements, levels, as_known_on)
    out = Projection()
    if not seen:
        return out
    out.visible = True
    ranks = {lvl: i for i, lvl in enumerate(order)}
    out.level = min((s.level for s in seen), key=lambda lvl: ranks.get(lvl, len(ranks)))
    by_prop: dict[str, list[Statement]] = defaultdict(list)
    for s in seen:
        if s.prop != EXISTS:
            by_prop[s.prop].append(s)
    for prop, stated in sorted(by_prop.items()):
        if len(stated) == 1:  # one statement (the common case): its value, nothing to choose
            out.properties[prop] = [stated[0].value] if stated[0].multi else stated[0].value
            continue
        candidates: dict[str, list[Statement]] = defaultdict(list)
        for s in stated:
            candidates[value_key(s.value)].append(s)
        first = stated[0]
        if first.multi:
            out.properties[prop] = sorted(
                (c[0].value for c in candidates.values()), key=lambda v: str(v)
            )
            continue
        if len(candidates) == 1:  # one value: nothing to choose, no alternatives
            out.properties[prop] = first.value
            continue
        chosen = choose(candidates)
        out.properties[prop] = candidates[chosen][0].value
        rest = [
            Alternative(
                c[0].value,
                sorted({s.report for s in c if s.report}),
                sorted({x for s in c for x in s.sources}),
                max((s.standing for s in c), key=standing_rank),
            )
            for k, c in sorted(candidates.items())
            if k != chosen
        ]
        if rest:
            out.others[prop] = rest
    out.report_ids = sorted({s.report for s in seen if s.report})
    out.source_ids = sorted({x for s in seen for x in s.sources})
    return out


def existence_level(statements: Iterable[Statement], order: Collection[str]) -> str | None:
    """The node's own level: the most open level of any live statement (None: none is live)."""
    ranks = {lvl: i for i, lvl in enumerate(order)}
    live = {s.level for s in statements if s.retracted is None}
    return min(live, key=lambda lvl: ranks.get(lvl, len(ranks))) if live else None


@dataclass
class Conflict:
    """A value stated by this ingest that differs from a reviewed or published value of
    another report."""

    id: str
    property: str
    value: Any
    report: str | None
    standing: str
    against: Any
    against_reports: list[str]
    against_standing: str
    chosen: Any

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def conflicts(node_id: str, statements: Iterable[Statement], report: str | None) -> list[Conflict]:
    """Live single-valued statements of `report` whose value differs from a live reviewed or
    published value of another report (at any level: the ingest summary is for its editor)."""
    live = [s for s in statements if s.live() and s.prop != EXISTS and not s.multi]
    if all(s.report == report for s in live):  # no other report states a value
        return []
    by_prop: dict[str, dict[str, list[Statement]]] = defaultdict(lambda: defaultdict(list))
    for s in live:
        by_prop[s.prop][value_key(s.value)].append(s)
    out: list[Conflict] = []
    for prop, candidates in sorted(by_prop.items()):
        if len(candidates) < 2:
            continue
        chosen = candidates[choose(candidates)][0].value
        mine = [s for c in candidates.values() for s in c if s.report == report]
        for s in mine:
            for key, others in sorted(candidates.items()):
                if key == value_key(s.value):
                    continue
                strong = [o for o in others if o.report != report and standing_rank(o.standing)]
                if strong:
                    out.append(
                        Conflict(
                            node_id,
                            prop,
                            s.value,
                            report,
                            s.standing,
                            strong[0].value,
                            sorted({o.report for o in strong if o.report}),
                            strong[0].standing,
                            chosen,
                        )
                    )
    return out
