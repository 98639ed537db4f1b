"""A deterministic synthetic graph as case-report records: companies, funds, regions, sources,
holdings, contracts and allegations, every literal tagged with its record id.

Used by the export tests (a few hundred records, ingested for real) and by the export benchmark
(about a million triples). Same arguments, same records.
"""

from __future__ import annotations

import random
from typing import Any

from ontology.identifiers import isin_check_digit, lei_check_digits

Record = dict[str, Any]
HARMS = ("mass-surveillance", "forced-labour", "arbitrary-detention", "privacy", "discrimination")
STATUSES = ("alleged", "responded", "disputed")


def lei(n: int) -> str:
    prefix = f"5493{n:014d}"
    return prefix + lei_check_digits(prefix)


def isin(n: int) -> str:
    prefix = f"CN{n:09d}"
    return prefix + isin_check_digit(prefix)


def generate_records(
    units: int, seed: int = 0, prefix: str = "g", levels: tuple[str, ...] | None = None
) -> list[Record]:
    """About 7 records per unit; `levels` draws a sharing level for each source and fact."""
    rng = random.Random(seed)
    base = int.from_bytes(prefix.encode(), "big") % 97 * 10_000_000  # identifiers per prefix

    def tlp() -> dict[str, str]:
        return {"tlp": rng.choice(levels)} if levels else {}

    country = f"{prefix}-country"
    records: list[Record] = [
        {"id": country, "type": "Region", "name": f"Country {prefix}", "regionType": "country"}
    ]
    sources: list[str] = []
    for i in range(units):
        p = f"{prefix}-{i}"
        if i % 5 == 0:
            records.append(
                {
                    "id": f"{p}-region",
                    "type": "Region",
                    "name": f"Province {p}",
                    "partOf": country,
                    "alias": [f"Prov {p}", f"Alias {p}"],
                }
            )
            records.append(
                {
                    "id": f"{p}-bureau",
                    "type": "GovernmentBody",
                    "name": f"Public Security Bureau {p}",
                    "jurisdiction": f"{p}-region",
                }
            )
        if i % 10 == 0:
            records.append(
                {
                    "id": f"{p}-fund",
                    "type": "Fund",
                    "name": f"Pension Fund {p}",
                    "lei": lei(base + i + 1),
                }
            )
        region = f"{prefix}-{i - i % 5}-region"
        bureau = f"{prefix}-{i - i % 5}-bureau"
        fund = f"{prefix}-{i - i % 10}-fund"
        source = f"{p}-src"
        sources.append(source)
        records.append(
            {
                "id": source,
                "type": "Source",
                "name": f"Report on company {p}",
                "sourceType": "report",
                "url": f"https://example.org/{p}",
                "published": f"{2015 + i % 9}",
                "language": "en",
                **tlp(),
            }
        )
        records.append(
            {
                "id": f"{p}-co",
                "type": "Company",
                "name": f"Surveillance Company {p}",
                "lei": lei(base + 5_000_000 + i),
                "isin": [isin(base + i + 1)],
                "wikidataId": f"Q{base + 1000 + i}",
                "headquarters": region,
                "alias": [f"SC {p}"],
            }
        )

        def evidence(tag: str, p: str = p, source: str = source) -> list[Record]:
            return _evidence(rng, tag, p, source, sources)

        records.append(
            {
                "id": f"{p}-holding",
                "type": "Holding",
                "fund": fund,
                "company": f"{p}-co",
                "asOf": f"{2016 + i % 8}-12-31",
                "marketValue": round(rng.uniform(1e5, 1e9), 2),
                "currency": "NOK",
                "ownershipShare": round(rng.random() / 100, 6),
                "held": i % 7 != 0,
                "evidence": evidence("holding"),
                **tlp(),
            }
        )
        records.append(
            {
                "id": f"{p}-contract",
                "type": "Contract",
                "name": f"Surveillance contract {p}",
                "supplier": [f"{p}-co"],
                "buyer": bureau,
                "performedIn": [region],
                "amount": rng.randrange(10_000, 10_000_000),
                "currency": "CNY",
                "date": f"{2016 + i % 8}-{1 + i % 12:02d}",
                "item": [f"cameras {p}", f"platform {p}"],
                "evidence": evidence("contract"),
                **tlp(),
            }
        )
        records.append(
            {
                "id": f"{p}-allegation",
                "type": "Allegation",
                "name": f"Allegation {p}",
                "description": f"Company {p} supplies surveillance in Province {p}.",
                "against": [f"{p}-co"],
                "concerns": [region],
                "concernsContract": [f"{p}-contract"],
                "harmCategory": sorted(rng.sample(HARMS, 2)),
                "status": rng.choice(STATUSES),
                "startDate": f"{2017 + i % 7}",
                "evidence": evidence("allegation"),
                **tlp(),
            }
        )
    return records


def _evidence(
    rng: random.Random, tag: str, p: str, source: str, sources: list[str]
) -> list[Record]:
    """The unit's own source, and sometimes an earlier one (so facts rest on several levels)."""
    cited = [source] + ([rng.choice(sources)] if rng.random() < 0.4 else [])
    return [
        {"source": s, "quote": f'quote {tag} from {s}: "{p}"\n', "locator": f"p. {n + 1}"}
        for n, s in enumerate(dict.fromkeys(cited))
    ]


def generate_report(
    units: int,
    seed: int = 0,
    prefix: str = "g",
    levels: tuple[str, ...] | None = None,
    tlp: str = "CLEAR",
) -> dict[str, Any]:
    """A case report (JSON-LD document) holding the generated records."""
    return {
        "@context": "https://w3id.org/rightsgraph/context.jsonld",
        "id": f"report-{prefix}",
        "type": "Report",
        "name": f"Generated report {prefix}",
        "reviewStatus": "reviewed",
        "tlp": tlp,
        "@graph": generate_records(units, seed, prefix, levels),
    }
