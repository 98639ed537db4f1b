"""Regions named in a text: ISO 3166 countries and subdivisions (pycountry) plus common names.

`regions.yaml` gives the names articles actually use ("Uyghur region", "East Turkestan" →
Xinjiang, CN-XJ) and the ids the bundled reports share. Subdivisions are looked for only in a
text that names their country (or one of the curated regions), which keeps the thousands of
ISO 3166-2 names from matching ordinary words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pycountry
import yaml

from ingest.normalize import slug

REGIONS_FILE = Path(__file__).with_name("regions.yaml")
GENERIC_SUFFIXES = {
    "sheng",
    "shi",
    "zizhiqu",
    "huizu",
    "zhuangzu",
    "uygur",
    "sar",
    "province",
    "oblast",
    "region",
    "prefecture",
    "state",
    "county",
    "governorate",
    "department",
    "district",
}


@dataclass(frozen=True)
class RegionInfo:
    id: str
    iso3166: str
    name: str
    alias: tuple[str, ...] = ()
    region_type: str | None = None
    wikidata_id: str | None = None

    @property
    def country_code(self) -> str:
        return self.iso3166.split("-", 1)[0]

    @property
    def is_country(self) -> bool:
        return "-" not in self.iso3166


@dataclass(frozen=True)
class RegionMention:
    region: RegionInfo
    start: int
    end: int
    text: str


def _common_name(name: str) -> str:
    words = name.split()
    while len(words) > 1 and words[-1].lower() in GENERIC_SUFFIXES:
        words.pop()
    return " ".join(words)


@cache
def curated() -> dict[str, RegionInfo]:
    """iso3166 -> region, from regions.yaml."""
    entries = yaml.safe_load(REGIONS_FILE.read_text(encoding="utf-8")) or []
    return {
        str(e["iso3166"]): RegionInfo(
            id=e["id"],
            iso3166=str(e["iso3166"]),
            name=e["name"],
            alias=tuple(e.get("alias") or ()),
            region_type=e.get("regionType"),
            wikidata_id=e.get("wikidataId"),
        )
        for e in entries
    }


@cache
def countries() -> dict[str, RegionInfo]:
    out: dict[str, RegionInfo] = {}
    for c in pycountry.countries:
        known = curated().get(c.alpha_2)
        names = {c.name, getattr(c, "common_name", c.name), getattr(c, "official_name", c.name)}
        if known:
            out[c.alpha_2] = RegionInfo(
                known.id,
                c.alpha_2,
                known.name,
                tuple(sorted(set(known.alias) | names - {known.name})),
                "country",
                known.wikidata_id,
            )
        else:
            common = getattr(c, "common_name", None) or c.name
            out[c.alpha_2] = RegionInfo(
                slug(common), c.alpha_2, common, tuple(sorted(names - {common})), "country"
            )
    return out


@cache
def subdivisions(country_code: str) -> dict[str, RegionInfo]:
    out: dict[str, RegionInfo] = {}
    for s in pycountry.subdivisions.get(country_code=country_code) or []:
        known = curated().get(s.code)
        if known:
            out[s.code] = RegionInfo(
                known.id,
                s.code,
                known.name,
                tuple(sorted(set(known.alias) | {s.name} - {known.name})),
                known.region_type,
                known.wikidata_id,
            )
        else:
            common = _common_name(s.name)
            alias = (s.name,) if common != s.name else ()
            out[s.code] = RegionInfo(slug(common), s.code, common, alias, s.type.lower())
    return out


def region_by_iso(code: str) -> RegionInfo | None:
    if "-" in code:
        return subdivisions(code.split("-", 1)[0]).get(code)
    return countries().get(code)


def _pattern(regions: list[RegionInfo]) -> tuple[re.Pattern[str], dict[str, RegionInfo]]:
    by_name: dict[str, RegionInfo] = {}
    for r in regions:
        for name in (r.name, *r.alias):
            if len(name) >= 2:
                by_name.setdefault(name, r)
    names = sorted(by_name, key=len, reverse=True)
    alternation = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names)
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])"), by_name


def _scan(text: str, regions: list[RegionInfo], end: int) -> list[RegionMention]:
    if not regions:
        return []
    pattern, by_name = _pattern(regions)
    out = []
    for m in pattern.finditer(text, 0, end):
        info = by_name.get(m.group(0)) or by_name.get(re.sub(r"\s+", " ", m.group(0)))
        if info is not None:
            out.append(RegionMention(info, m.start(), m.end(), m.group(0)))
    return out


def find_regions(text: str, end: int | None = None) -> list[RegionMention]:
    """Every mention of a country or a subdivision (of a country the text names) before `end`."""
    end = len(text) if end is None else end
    found = _scan(
        text, list(countries().values()) + [r for r in curated().values() if not r.is_country], end
    )
    codes = {m.region.country_code for m in found}
    subs = [
        r
        for code in sorted(codes)
        for r in subdivisions(code).values()
        if r.iso3166 not in curated()
    ]
    found += _scan(text, subs, end)
    return sorted(found, key=lambda m: (m.start, -m.end))


@cache
def country_names() -> frozenset[str]:
    """Country names (casefolded) in the extractor's languages: ISO 3166-1 names and their
    translations shipped with pycountry ("Norway", "Norge", "Noreg", "Schweden")."""
    import gettext

    names = {n.casefold() for c in pycountry.countries for n in (c.name, _common(c)) if n}
    for code in ("nb", "nn", "da", "sv", "de"):
        try:
            tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[code])
        except OSError:
            continue
        names.update(tr.gettext(c.name).casefold() for c in pycountry.countries)
    return frozenset(names | {"uk", "usa", "us"})


def _common(country: object) -> str | None:
    return getattr(country, "common_name", None)
