"""Dates and periods in text, as the partial ISO dates the ontology stores ("2016", "2017-04").

Candidates are found with patterns built from dateparser's own month names for English,
Norwegian (bokmål and nynorsk), Danish, Swedish and German, and read by dateparser:
"18. sep. 2020", "11. september", "i januar", "March 11, 2020", "3 mars 2021". A date without a
year ("11. september", "i januar") takes the year of `base` (the article's date, else the
latest year written before it), preferring the past. "since 2016" / "siden 2016" / "seit 2016"
start a period; "until 2020" / "til 2020" / "bis 2020" end one; "from 2016 to 2019", "mellom
2018 og 2020", "2016-2019" give both ends.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

Kind = Literal["date", "start", "end", "period"]
LANGUAGES = ("en", "nb", "nn", "da", "sv", "de")
MONTH_KEYS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_YEAR = r"(?:19|20)\d{2}"
# words before a date that make it the start or the end of a period, per language
START_WORDS = re.compile(
    r"\b(?:since|starting(?:\s+in)?|beginning(?:\s+in)?|as\s+of|from|siden|sidan|sedan|"
    r"fra|frå|från|f\.o\.m\.|seit|ab|started\s+in|had\s+started\s+in|began\s+in|"
    r"startet\s+i|begynte\s+i|började|begyndte)\s+(?:(?:early|late|mid-?|i|in|im)\s+)?$",
    re.I,
)
END_WORDS = re.compile(
    r"\b(?:until|till|through|up\s+to|by\s+the\s+end\s+of|before|end\s+in|ending\s+in|"
    r"run\s+until|til|inntil|fram\s+til|indtil|frem\s+til|fram\s+till|bis|ut|"
    r"expire(?:s|d)?\s+in|expiring\s+in|utløper\s+i|udløber\s+i|löper\s+ut|läuft\s+\w+\s+aus)\s+"
    r"(?:(?:early|late|mid-?|i|in|im|utgangen\s+av)\s+)?$",
    re.I,
)
_AND = r"(?:to|and|until|through|til|og|till|och|bis|und|-|–)"


@cache
def month_names() -> dict[str, int]:
    """Month name or abbreviation (lower case) -> month number, from dateparser's locales."""
    from dateparser.languages.loader import default_loader

    out: dict[str, int] = {}
    for code in LANGUAGES:
        info = default_loader.get_locale(code).info
        for number, key in enumerate(MONTH_KEYS, 1):
            for name in info.get(key, []):
                if name.isalpha() and len(name) >= 3:
                    out.setdefault(name.casefold(), number)
    return out


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    month = "(?:" + "|".join(sorted(month_names(), key=len, reverse=True)) + r")(?![^\W\d_])"
    point = (
        rf"(?P<iso>{_YEAR}-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)"
        rf"|(?P<mdy>(?P<mdy_m>{month})\.?\s+[0-3]?\d(?:st|nd|rd|th)?,?\s+{_YEAR})"
        rf"|(?P<dmy>[0-3]?\d(?:\.|st|nd|rd|th)?\s+(?:of\s+)?(?P<dmy_m>{month})\.?(?:,?\s+{_YEAR})?)"
        rf"|(?P<my>(?P<my_m>{month})\.?\s+(?:of\s+)?{_YEAR})"
        rf"|(?P<m>(?<=\b[iI]\s)(?P<m_m>{month})|(?<=\b[iI]n\s)(?P<m_e>{month})|(?<=\b[iI]m\s)(?P<m_d>{month}))"
        rf"|(?P<y>{_YEAR})(?![\d-]|\s*[-–]\s*\d)"
    )
    points = re.compile(rf"(?<![\w$€£¥.,])(?:{point})(?![\d%])", re.I)
    periods = re.compile(
        rf"(?:\b(?:from|between|fra|frå|mellom|fr[åa]n|mellan|von|zwischen)\s+(?P<a>{_YEAR})"
        rf"\s+{_AND}\s+(?P<b>{_YEAR})"
        rf"|(?<![\w$€£¥.])(?P<c>{_YEAR})\s*[-–]\s*(?P<d>{_YEAR}|\d{{2}})(?!\d))",
        re.I,
    )
    return points, periods


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


@cache
def _parser(languages: tuple[str, ...]):
    from dateparser.date import DateDataParser

    return DateDataParser(languages=list(languages), settings={"PREFER_DATES_FROM": "past"})


def _read(phrase: str, base: dt.date | None, languages: tuple[str, ...]) -> str | None:
    """A partial ISO date, via dateparser; None when it cannot be read or has no year to take."""
    has_year = re.search(_YEAR, phrase) is not None
    if not has_year and base is None:
        return None
    phrase = re.sub(r"(?<=\d)(?:st|nd|rd|th)\b", "", phrase)
    phrase = re.sub(r"\bof\b", " ", phrase)
    parser = _parser(languages)
    if base is not None:
        relative = dt.datetime(base.year, base.month, base.day) + dt.timedelta(days=1)
        parser._settings.RELATIVE_BASE = relative  # noqa: SLF001 - per-call base, same parser
    else:
        parser._settings.RELATIVE_BASE = None  # noqa: SLF001
    data = parser.get_date_data(phrase)
    value = data.date_obj if data is not None else None
    if value is None:
        return None
    period = data.period or "day"
    if period == "year":
        return f"{value.year:04d}"
    if period == "month":
        return f"{value.year:04d}-{value.month:02d}"
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def find_dates(
    text: str,
    start: int = 0,
    end: int | None = None,
    base: dt.date | None = None,
    languages: tuple[str, ...] = LANGUAGES,
) -> list[DateMention]:
    """Dates and periods between `start` and `end`; `base` dates phrases that give no year."""
    end = len(text) if end is None else end
    points, periods = _patterns()
    out: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for m in periods.finditer(text, start, end):
        a, b = (m.group("a"), m.group("b")) if m.group("a") else (m.group("c"), m.group("d"))
        if len(b) == 2:
            b = a[:2] + b
        if int(b) < int(a):
            continue
        out.append(DateMention("period", m.start(), m.end(), m.group(0), a, b))
        taken.append((m.start(), m.end()))
    for m in points.finditer(text, start, end):
        if any(s <= m.start() < e for s, e in taken):
            continue
        phrase = m.group(0)
        month = m.group("mdy_m") or m.group("dmy_m") or m.group("my_m")
        if month and month.lower() == "may" and not phrase[0].isupper() and m.group("my"):
            continue  # "may 2020" in lower case is more likely the verb
        if m.group("m_e") and m.group("m_e").lower() == "may":
            continue
        year_before = _last_year(text, start, m.start())
        context = base or (dt.date(year_before, 12, 31) if year_before else None)
        if m.group("y"):
            iso = m.group("y")
        elif m.group("iso"):
            iso = m.group("iso")
        else:
            iso = _read(phrase, context, languages)
        if iso is None:
            continue
        before = text[max(start, m.start() - 40) : m.start()]
        lead = START_WORDS.search(before) or END_WORDS.search(before)
        kind: Kind = "date"
        s = m.start()
        if lead is not None:
            kind = "start" if START_WORDS.search(before) else "end"
            s = m.start() - (len(before) - lead.start())
        out.append(DateMention(kind, s, m.end(), text[s : m.end()], iso))
    return sorted(out, key=lambda d: d.start)


def _last_year(text: str, start: int, pos: int) -> int | None:
    years = re.findall(rf"(?<!\d){_YEAR}(?!\d)", text[max(0, start - 2000) : pos])
    return int(years[-1]) if years else None
