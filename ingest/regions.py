"""Places named in source data → Region records (ISO 3166 via pycountry, GeoNames, Wikidata).

A country becomes `iso-<cc>`, a subdivision `iso-<cc>-<code>` part of its country; a gazetteer
place the address does not resolve becomes `geonames-<id>` / `wikidata-<qid>`. The resolver then
attaches them to the regions already in the graph by their iso3166 / geonamesId / wikidataId.
"""

from __future__ import annotations

from functools import cache

import pycountry

from ingest.normalize import normalise_name
from ontology.records import Record


@cache
def country_code(value: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code of a country given by code (CN, CHN, cn) or name; None if unknown."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        country = pycountry.countries.lookup(text)
    except LookupError:
        matches = [
            c
            for c in pycountry.countries
            if normalise_name(getattr(c, "common_name", c.name)) == normalise_name(text)
        ]
        if len(matches) != 1:
            return None
        country = matches[0]
    return country.alpha_2


def country_region(code: str) -> Record:
    country = pycountry.countries.get(alpha_2=code)
    name = getattr(country, "common_name", None) or country.name
    return {
        "id": f"iso-{code.lower()}",
        "type": "Region",
        "name": name,
        "iso3166": code,
        "regionType": "country",
    }


@cache
def _subdivisions(code: str) -> list:
    return list(pycountry.subdivisions.get(country_code=code) or [])


@cache
def subdivision(country: str, value: str) -> tuple[str, str, str] | None:
    """(code, name, type) of a subdivision given by code ("CN-XJ", "XJ") or name ("Xinjiang").

    Names compare normalised, exactly, then without designator words ("Xinjiang" and "Xinjiang
    Uyghur Autonomous Region" both find "Xinjiang Uygur Zizhiqu"), and only when that is unique.
    """
    text = value.strip()
    if not text:
        return None
    upper = text.upper()
    code = upper if upper.startswith(country + "-") else f"{country}-{upper}"
    found = pycountry.subdivisions.get(code=code)
    if found is not None:
        return found.code, found.name, found.type
    key = _core(text)
    if not key:
        return None
    options = _subdivisions(country)
    for words_of in (lambda name: normalise_name(name).split(), _core):
        hits = [
            s
            for s in options
            if words_of(s.name) == (key if words_of is _core else normalise_name(text).split())
        ]
        if len(hits) == 1:
            return hits[0].code, hits[0].name, hits[0].type
    return None


# Words that say what kind of subdivision a name is, not which one ("Xinjiang Uygur Zizhiqu",
# "Xinjiang Uyghur Autonomous Region" and "Xinjiang" all come down to "xinjiang").
_DESIGNATORS = {
    "sheng",
    "shi",
    "zizhiqu",
    "province",
    "provincia",
    "autonomous",
    "region",
    "municipality",
    "state",
    "oblast",
    "krai",
    "kray",
    "prefecture",
    "sar",
    "special",
    "administrative",
    "uygur",
    "uyghur",
    "huizu",
    "zhuangzu",
    "governorate",
    "department",
    "departement",
}


def _core(name: str) -> list[str]:
    return [w for w in normalise_name(name).split() if w not in _DESIGNATORS]


def place_regions(
    country: str | None = None,
    region: str | None = None,
    geonames: str | None = None,
    wikidata: str | None = None,
    description: str | None = None,
) -> list[Record]:
    """Region records for one place, most specific first (empty when nothing resolves)."""
    cc = country_code(country) if country else None
    out: list[Record] = []
    parent = country_region(cc) if cc else None
    sub = subdivision(cc, region) if cc and region else None
    if sub is not None:
        code, name, kind = sub
        out.append(
            {
                "id": f"iso-{code.lower()}",
                "type": "Region",
                "name": name,
                "iso3166": code,
                "regionType": kind.lower(),
                "partOf": parent["id"],
            }
        )  # type: ignore[index]
    if geonames or wikidata:  # the gazetteer names the place itself, inside the subdivision
        rid = f"geonames-{geonames}" if geonames else f"wikidata-{wikidata}"
        name = description or (f"GeoNames {geonames}" if geonames else f"Wikidata {wikidata}")
        place = {
            "id": rid,
            "type": "Region",
            "name": name,
            "geonamesId": geonames,
            "wikidataId": wikidata,
        }
        container = out[0] if out else parent
        if container is not None:
            place["partOf"] = container["id"]
        out.insert(0, {k: v for k, v in place.items() if v})
    if parent is not None:
        out.append(parent)
    return out
