"""Dates and periods in text, as the partial ISO dates the ontology stores ("2016", "2017-04").

"since 2016" starts a period; "until 2020" ends one; "from 2016 to 2019", "between 2016 and
2019" and "2016-2019" give both ends; "in April 2017", "March 11, 2020", "11 March 2020" and
"2020-03-11" are points in time. Written with the standard library alone: fast and offline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["date", "start", "end", "period"]

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEAR = r"(?:19|20)\d{2}"
_POINT = (
    rf"(?P<iso>{_YEAR}-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)"
    rf"|(?P<mdy_m>{_MONTH})\.?\s+(?P<mdy_d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<mdy_y>{_YEAR})"
    rf"|(?P<dmy_d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?P<dmy_m>{_MONTH})\.?,?\s+(?P<dmy_y>{_YEAR})"
    rf"|(?P<my_m>{_MONTH})\.?\s+(?:of\s+)?(?P<my_y>{_YEAR})"
    rf"|(?P<y>{_YEAR})(?![\d-]|\s*[-–]\s*\d)"
)
POINT = re.compile(rf"(?<![\w$€£¥.,])(?:{_POINT})(?![\d%])", re.I)
PERIOD = re.compile(
    rf"(?:\b(?:from|between)\s+(?P<a>{_YEAR})\s+(?:to|and|until|through)\s+(?P<b>{_YEAR})"
    rf"|(?<![\w$€£¥.])(?P<c>{_YEAR})\s*[-–]\s*(?P<d>{_YEAR}|\d{{2}})(?!\d))",
    re.I,
)
START_WORDS = re.compile(
    r"\b(?:since|starting(?:\s+in)?|beginning(?:\s+in)?|as\s+of|from)\s+(?:(?:early|late|mid-?)\s*)?$",
    re.I,
)
END_WORDS = re.compile(
    r"\b(?:until|till|through|up\s+to|by\s+the\s+end\s+of|before)\s+(?:(?:early|late|mid-?)\s*)?$",
    re.I,
)


@dataclass(frozen=True)
class DateMention:
    kind: Kind
    start: int
    end: int
    text: str
    date: str | None = None  # for kind date, start or end
    until: str | None = None  # the end of a period

    def properties(self) -> dict[str, str]:
        """Record properties: date, startDate and/or endDate."""
        if self.kind == "period":
            return {"startDate": self.date or "", "endDate": self.until or ""}
        key = {"date": "date", "start": "startDate", "end": "endDate"}[self.kind]
        return {key: self.date or ""}


def _iso(m: re.Match[str]) -> str:
    g = m.groupdict()
    if g["iso"]:
        return g["iso"]
    if g["mdy_y"]:
        return f"{g['mdy_y']}-{MONTHS[g['mdy_m'].lower()]:02d}-{int(g['mdy_d']):02d}"
    if g["dmy_y"]:
        return f"{g['dmy_y']}-{MONTHS[g['dmy_m'].lower()]:02d}-{int(g['dmy_d']):02d}"
    if g["my_y"]:
        return f"{g['my_y']}-{MONTHS[g['my_m'].lower()]:02d}"
    return g["y"]


def find_dates(text: str, start: int = 0, end: int | None = None) -> list[DateMention]:
    end = len(text) if end is None else end
    out: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for m in PERIOD.finditer(text, start, end):
        a, b = (m.group("a"), m.group("b")) if m.group("a") else (m.group("c"), m.group("d"))
        if len(b) == 2:
            b = a[:2] + b
        if int(b) < int(a):
            continue
        out.append(DateMention("period", m.start(), m.end(), m.group(0), a, b))
        taken.append((m.start(), m.end()))
    for m in POINT.finditer(text, start, end):
        if any(s <= m.start() < e for s, e in taken):
            continue
        if m.group("my_m") and m.group("my_m").lower() == "may" and not m.group(0)[0].isupper():
            continue  # "may 2020" in lower case is more likely the verb
        before = text[max(start, m.start() - 40) : m.start()]
        lead = START_WORDS.search(before) or END_WORDS.search(before)
        kind: Kind = "date"
        s = m.start()
        if lead is not None:
            kind = "start" if START_WORDS.search(before) else "end"
            s = m.start() - (len(before) - lead.start())
        out.append(DateMention(kind, s, m.end(), text[s : m.end()], _iso(m)))
    return sorted(out, key=lambda d: d.start)
