"""The one generator of synthetic data: realistic graphs written in the formats ingest reads,
and small graphs as records in memory, both with their vocabularies from the ontology.

Benchmarks must exercise the real ingest path, so the generator writes files, not records:
case reports (YAML) for regions, companies and civil-society organisations, ownership and
allegations; one holdings table in the generic CSV layout of the holdings adapter; and OCDS
releases as JSON lines. Same configuration and seed, byte-identical files.

What makes the graphs realistic:
- holdings follow power laws: fund sizes are Zipf-distributed, and each fund holds the most
  widely held companies plus a random tail, so a few funds and companies carry most holdings;
- ownership trees: unlisted companies are subsidiaries of earlier companies, at most 4 levels
  below a listed parent, with preferential attachment to the large groups;
- contracts are concentrated: most go to a few "hot" provinces, and a few suppliers win many;
- allegations touch a few per cent of companies, with harm categories and statuses from the
  ontology's vocabularies, concerning counties and prefectures of the hot provinces;
- regions form hierarchies: countries and provinces are real (ISO 3166, the same records the
  OCDS adapter makes), prefectures and counties below them are synthetic;
- LEIs and ISINs carry valid check digits. They are synthetic (LEIs start with "SYNT"): never
  load a synthetic graph into a database that holds real data.

Each entity's attributes come from its own seeded random stream, so any part of the output can
be produced without the rest in memory: holdings are streamed row by row (memory does not grow
with their number), and only per-company and per-region arrays are kept.

Tests and the export benchmark want small graphs in memory instead: `generate_records` and
`generate_report` give a deterministic case report of about seven records per unit (regions,
bureaus, funds, sources, companies, holdings, contracts, allegations), with sharing levels drawn
per source and fact; `write_fund_holdings` writes a holdings table of one made-up fund. Harm
categories, allegation statuses and sharing levels always come from the ontology
(`ontology.model`, `ontology.types.sharing`), never from a list here.
"""

from __future__ import annotations

import csv
import json
import math
import random
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pycountry
import yaml

from ingest.regions import country_region, place_regions
from ontology.identifiers import isin_check_digit, lei_check_digits
from ontology.model import CONTEXT_URL, load_model
from ontology.records import Record
from ontology.types import sharing

# (ISO 3166-1 code, currency, weight): where companies are incorporated and contracts awarded
COUNTRIES = (
    ("CN", "CNY", 30),
    ("US", "USD", 20),
    ("JP", "JPY", 8),
    ("DE", "EUR", 6),
    ("IN", "INR", 6),
    ("KR", "KRW", 5),
    ("BR", "BRL", 4),
    ("VN", "VND", 3),
    ("MX", "MXN", 3),
    ("ZA", "ZAR", 2),
    ("NO", "NOK", 2),
)
FUND_CURRENCIES = ("USD", "NOK", "EUR", "GBP", "JPY")
COMPANY_WORDS = {
    "Technology": ("Technology", "Digital", "Vision", "Software", "Electronics"),
    "Industrials": ("Engineering", "Machinery", "Construction", "Logistics"),
    "Financials": ("Capital", "Bank", "Insurance"),
    "Health Care": ("Pharma", "Medical", "Biotech"),
    "Consumer Goods": ("Apparel", "Foods", "Textiles", "Brands"),
    "Energy": ("Energy", "Petroleum", "Solar"),
    "Utilities": ("Power", "Water"),
    "Telecommunications": ("Telecom", "Networks"),
    "Basic Materials": ("Mining", "Chemicals", "Steel", "Cotton"),
    "Real Estate": ("Properties", "Land"),
}
INDUSTRIES = tuple(COMPANY_WORDS)  # each with the words its company names draw from
LEGAL_SUFFIXES = ("Co., Ltd.", "Group", "Holdings", "Inc.", "AG", "S.A.", "Corporation")
FUND_KINDS = ("Pension Fund", "Equity Fund", "Sovereign Fund", "Index Fund", "Growth Fund")
DEPARTMENTS = (
    "Public Security Bureau",
    "Education Department",
    "Transport Commission",
    "Health Commission",
    "Water Authority",
    "Procurement Centre",
)
CONTRACT_ITEMS = (
    "video surveillance cameras",
    "facial recognition platform",
    "data centre equipment",
    "school uniforms",
    "road construction",
    "medical equipment",
    "network switches",
    "cotton procurement",
    "security checkpoints",
    "solar panels",
)
# how common each allegation status is (the statuses themselves are the ontology's; one not
# listed here weighs 1)
STATUS_WEIGHTS = {"alleged": 6, "responded": 2, "substantiated": 2, "disputed": 1, "withdrawn": 1}
LISTED_SHARE = 0.6  # of companies: listed (ISIN, in holdings); the rest are subsidiaries
MAX_OWNERSHIP_DEPTH = 4
HOT_CONTRACT_SHARE = 0.7  # of contracts: in the hot provinces (a tenth of them)
SOURCE_URL = "https://example.org/rightsgraph-synthetic"
COMPANY_CACHE = 1 << 16  # companies kept in memory at most

_SYLLABLES = [c + v for c in "bdfghklmnprstvz" for v in "aeiou"]
_WORD_SPACE = len(_SYLLABLES) ** 4
_SCRAMBLE = 2654435761  # coprime to the word space: i -> word is one-to-one


@dataclass(frozen=True)
class SynthConfig:
    funds: int = 10
    companies: int = 1000
    holdings: int = 10_000
    contracts: int = 1000
    regions: int = 200
    allegations_pct: float = 3.0
    seed: int = 0
    chunk: int = 5000  # records per case-report file

    def check(self) -> None:
        if self.funds < 1 or self.companies < 1 or self.regions < 2:
            raise ValueError("synth needs at least 1 fund, 1 company and 2 regions")
        if min(self.holdings, self.contracts, self.chunk - 1) < 0 or self.chunk < 1:
            raise ValueError("counts must not be negative, chunk at least 1")
        if not 0 <= self.allegations_pct <= 100:
            raise ValueError("--allegations-pct is a percentage between 0 and 100")
        if self.companies >= _WORD_SPACE:
            raise ValueError(f"at most {_WORD_SPACE - 1} companies")


@dataclass
class SynthSummary:
    records: Counter = field(default_factory=Counter)  # record type (or "holding rows") -> count
    files: list[Path] = field(default_factory=list)


def vocabulary(prop: str) -> list[str]:
    """The values a property takes: the notations of its ontology vocabulary, sorted."""
    model = load_model()
    return sorted(model.vocabulary(model.properties[prop].vocabulary or "").concepts)


def allegation_statuses() -> list[str]:
    """The ontology's allegation statuses, the commonest first."""
    known = vocabulary("status")
    return [s for s in STATUS_WEIGHTS if s in known] + [s for s in known if s not in STATUS_WEIGHTS]


def status_weights(statuses: list[str]) -> list[int]:
    return [STATUS_WEIGHTS.get(s, 1) for s in statuses]


def word(kind: int, i: int) -> str:
    """A pronounceable made-up word, different for every (kind, i): names that never collide
    and that look alike to no fuzzy matcher more than chance says."""
    x = (i * _SCRAMBLE + kind * 7_919_113) % _WORD_SPACE
    syllables = []
    for _ in range(4):
        x, r = divmod(x, len(_SYLLABLES))
        syllables.append(_SYLLABLES[r])
    return "".join(syllables).capitalize()


def _base36(n: int, width: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out.rjust(width, "0")[-width:]


def _scrambled(seed: int, i: int, width: int) -> str:
    """`width` base-36 characters, one-to-one in i (the multiplier is coprime to 36)."""
    return _base36((i * _SCRAMBLE + seed * 1_000_003 + 17) % 36**width, width)


def synthetic_lei(seed: int, i: int) -> str:
    prefix = "SYNT00" + _scrambled(seed, i, 12)
    return prefix + lei_check_digits(prefix)


def synthetic_isin(country: str, seed: int, i: int) -> str:
    prefix = country + _scrambled(seed, i, 9)
    return prefix + isin_check_digit(prefix)


@dataclass(frozen=True)
class Company:
    index: int
    id: str
    name: str
    lei: str
    isin: str | None
    country: str
    industry: str
    market_cap: int
    alleged: bool


@dataclass(frozen=True)
class Region:
    id: str
    record: Record
    level: int  # 0 country, 1 province, 2 prefecture, 3 county
    province: int  # index into Synth.provinces


class Synth:
    """The synthetic graph of one configuration; write() puts it into a folder."""

    def __init__(self, config: SynthConfig):
        config.check()
        self.config = config
        self.seed = config.seed
        self.n_listed = max(1, round(config.companies * LISTED_SHARE))
        self._companies: dict[int, Company] = {}
        self.harms = vocabulary("harmCategory")
        self.statuses = allegation_statuses()

    def rng(self, *key: object) -> random.Random:
        """The random stream of one entity or one part: independent of everything else."""
        return random.Random("/".join(map(str, (self.seed, *key))))

    # ------------------------------------------------------------------ entities

    def company(self, i: int) -> Company:
        """Company i; recent ones are cached (holdings repeat the widely held companies)."""
        found = self._companies.get(i)
        if found is None:
            if len(self._companies) >= COMPANY_CACHE:
                self._companies.clear()
            found = self._companies[i] = self._company(i)
        return found

    def _company(self, i: int) -> Company:
        rng = self.rng("company", i)
        country = rng.choices([c for c, _, _ in COUNTRIES], [w for _, _, w in COUNTRIES])[0]
        industry = rng.choice(INDUSTRIES)
        name = f"{word(1, i)} {rng.choice(COMPANY_WORDS[industry])} {rng.choice(LEGAL_SUFFIXES)}"
        lei = synthetic_lei(self.seed, i)
        listed = i < self.n_listed
        cap = int(min(5e12, 2e8 * rng.paretovariate(1.1) * (3 if listed else 0.2)))
        return Company(
            index=i,
            id=f"lei-{lei}",
            name=name,
            lei=lei,
            isin=synthetic_isin(country, self.seed, i) if listed else None,
            country=country,
            industry=industry,
            market_cap=cap,
            alleged=rng.random() * 100 < self.config.allegations_pct,
        )

    def fund_name(self, f: int) -> str:
        return f"{word(2, f)} {FUND_KINDS[f % len(FUND_KINDS)]}"

    def fund_currency(self, f: int) -> str:
        return self.rng("fund", f).choice(FUND_CURRENCIES)

    def cso(self, k: int) -> Record:
        return {
            "id": f"cso-synth-{k}",
            "type": "CivilSocietyOrganization",
            "name": f"{word(3, k)} Rights Monitor",
        }

    @cached_property
    def n_csos(self) -> int:
        return max(1, self.config.companies // 2000)

    # ------------------------------------------------------------------ regions

    @cached_property
    def regions(self) -> list[Region]:
        """Countries, their ISO 3166-2 provinces, then synthetic prefectures and counties."""
        total = self.config.regions
        n_countries = min(len(COUNTRIES), max(1, total // 40))
        countries = [c for c, _, _ in COUNTRIES[:n_countries]]
        subdivisions = {
            c: sorted(
                s.code
                for s in pycountry.subdivisions.get(country_code=c) or []
                if s.parent_code is None
            )
            for c in countries
        }
        available = sum(len(v) for v in subdivisions.values())
        n_provinces = min(available, max(1, (total - n_countries) // 5))
        out: list[Region] = [
            Region(f"iso-{c.lower()}", country_region(c), 0, -1) for c in countries
        ]
        # provinces round-robin over the countries, so each country gets its share
        queues = [list(subdivisions[c]) for c in countries]
        while len(out) < n_countries + n_provinces:
            for queue, country in zip(queues, countries, strict=True):
                if queue and len(out) < n_countries + n_provinces:
                    record = place_regions(country, queue.pop(0))[0]
                    out.append(Region(record["id"], record, 1, len(out) - n_countries))
        rest = total - len(out)
        n_prefectures = rest // 3
        rng = self.rng("regions")
        prefectures: list[Region] = []
        for k in range(n_prefectures):
            parent = out[n_countries + rng.randrange(n_provinces)]
            prefectures.append(self._synthetic_region(k, "prefecture", parent, 2))
        out += prefectures
        for k in range(rest - n_prefectures):
            parent = (
                rng.choice(prefectures)
                if prefectures
                else out[n_countries + rng.randrange(n_provinces)]
            )
            out.append(self._synthetic_region(n_prefectures + k, "county", parent, 3))
        return out

    def _synthetic_region(self, k: int, kind: str, parent: Region, level: int) -> Region:
        record = {
            "id": f"region-synth-{k}",
            "type": "Region",
            "name": f"{word(4, k)} {kind.capitalize()}",
            "regionType": kind,
            "partOf": parent.id,
        }
        return Region(record["id"], record, level, parent.province)

    @cached_property
    def provinces(self) -> list[Region]:
        return [r for r in self.regions if r.level == 1]

    @cached_property
    def hot_provinces(self) -> list[int]:
        order = list(range(len(self.provinces)))
        self.rng("hot").shuffle(order)
        return sorted(order[: max(1, len(order) // 10)])

    @cached_property
    def regions_in_hot_provinces(self) -> list[Region]:
        hot = set(self.hot_provinces)
        return [r for r in self.regions if r.level >= 1 and r.province in hot]

    # ------------------------------------------------------------------ holdings

    def holding_dates(self) -> list[str]:
        """Quarter ends, newest first, as many as the holdings need (half-full portfolios)."""
        capacity = self.config.funds * self.n_listed
        count = max(1, math.ceil(self.config.holdings / max(1, capacity // 2)))
        ends = ("12-31", "09-30", "06-30", "03-31")
        return [f"{2024 - q // 4}-{ends[q % 4]}" for q in range(count)]

    def fund_sizes(self, rows: int) -> list[int]:
        """Zipf-distributed portfolio sizes summing to `rows`, none above the listed companies."""
        weights = [1 / (f + 1) ** 1.1 for f in range(self.config.funds)]
        sizes = [0] * self.config.funds
        left = rows
        while left > 0:
            open_funds = [f for f in range(self.config.funds) if sizes[f] < self.n_listed]
            total = sum(weights[f] for f in open_funds)
            given = 0
            for f in open_funds:
                share = min(self.n_listed - sizes[f], max(1, int(left * weights[f] / total)))
                share = min(share, left - given)
                sizes[f] += share
                given += share
                if given == left:
                    break
            left -= given
        return sizes

    def holding_rows(self) -> Iterator[list[str]]:
        """Rows of the holdings table, one per (date, fund, company), streamed."""
        dates = self.holding_dates()
        per_date, extra = divmod(self.config.holdings, len(dates))
        for d, as_of in enumerate(dates):
            sizes = self.fund_sizes(per_date + (1 if d < extra else 0))
            for f, size in enumerate(sizes):
                if not size:
                    continue
                rng = self.rng("holdings", as_of, f)
                core = size // 2  # the most widely held companies, then a random tail
                tail = rng.sample(range(core, self.n_listed), size - core)
                name, currency = self.fund_name(f), self.fund_currency(f)
                stake = 0.02 / (f + 1) ** 0.5
                for i in [*range(core), *sorted(tail)]:
                    company = self.company(i)
                    ownership = stake * rng.uniform(0.2, 1.0)
                    yield [
                        name,
                        company.name,
                        company.isin or "",
                        company.lei,
                        company.country,
                        company.industry,
                        as_of,
                        str(int(company.market_cap * ownership)),
                        currency,
                        f"{ownership * 100:.4f}",
                    ]

    # ------------------------------------------------------------------ facts

    def ownership_records(self) -> Iterator[Record]:
        """Each unlisted company owned by an earlier one, at most MAX_OWNERSHIP_DEPTH deep."""
        depth = bytearray(self.config.companies)
        for i in range(self.n_listed, self.config.companies):
            rng = self.rng("owner", i)
            if rng.random() < 0.5 or i == self.n_listed:
                parent = int(self.n_listed * rng.random() ** 3)  # big groups own most
            else:
                parent = self.n_listed + int((i - self.n_listed) * rng.random())
                if depth[parent] >= MAX_OWNERSHIP_DEPTH:
                    parent = int(self.n_listed * rng.random() ** 3)
            depth[i] = depth[parent] + 1
            owner, owned = self.company(parent), self.company(i)
            share = round(rng.uniform(0.5, 1.0), 4)
            yield {
                "id": f"ownership-synth-{i}",
                "type": "Ownership",
                "name": f"{owner.name} owns {share:.2%} of {owned.name}",
                "owner": owner.id,
                "owned": owned.id,
                "share": share,
                "direct": True,
                "interestType": ["shareholding"],
                "evidence": [{"quote": f"{owner.name} holds {share:.2%} of {owned.name}"}],
            }

    def allegation_records(self) -> Iterator[Record]:
        places = self.regions_in_hot_provinces
        for i in range(self.config.companies):
            company = self.company(i)
            if not company.alleged:
                continue
            rng = self.rng("allegation", i)
            harms = sorted(rng.sample(self.harms, rng.choice((1, 1, 2))))
            region = rng.choice(places)
            place = region.record["name"]
            description = (
                f"{company.name} is alleged to contribute to {', '.join(harms)} in {place}."
            )
            yield {
                "id": f"allegation-synth-{i}",
                "type": "Allegation",
                "description": description,
                "against": [company.id],
                "concerns": [region.id],
                "harmCategory": harms,
                "status": rng.choices(self.statuses, status_weights(self.statuses))[0],
                "claimant": [f"cso-synth-{rng.randrange(self.n_csos)}"],
                "date": f"{rng.randint(2016, 2024)}-{rng.randint(1, 12):02d}",
                "evidence": [{"quote": description}],
            }

    def ocds_releases(self) -> Iterator[dict[str, Any]]:
        """One OCDS award release per contract."""
        currencies = {c: cur for c, cur, _ in COUNTRIES}
        for j in range(self.config.contracts):
            rng = self.rng("contract", j)
            if rng.random() < HOT_CONTRACT_SHARE:
                province = self.provinces[rng.choice(self.hot_provinces)].record
            else:
                province = rng.choice(self.provinces).record
            country = province["iso3166"].split("-")[0]
            supplier = self.company(int(self.config.companies * rng.random() ** 2.5))
            dept = rng.randrange(len(DEPARTMENTS))
            item = rng.choice(CONTRACT_ITEMS)
            year = rng.randint(2015, 2024)
            start = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            ocid = f"ocds-synth{self.seed}-{j:08d}"
            value = {"amount": int(rng.lognormvariate(15, 1.5)), "currency": currencies[country]}
            title = f"{item.capitalize()} for {province['name']}"
            yield {
                "ocid": ocid,
                "id": f"{ocid}-award",
                "date": f"{start}T00:00:00Z",
                "tag": ["award", "contract"],
                "initiationType": "tender",
                "parties": [
                    {
                        "id": "buyer",
                        "name": f"{province['name']} {DEPARTMENTS[dept]}",
                        "identifier": {
                            "scheme": "X-SYNTH-GOV",
                            "id": f"{province['iso3166']}-{dept}",
                        },
                        "roles": ["buyer"],
                    },
                    {
                        "id": "supplier",
                        "name": supplier.name,
                        "identifier": {"scheme": "XI-LEI", "id": supplier.lei},
                        "address": {"countryName": supplier.country},
                        "roles": ["supplier"],
                    },
                ],
                "buyer": {"id": "buyer", "name": f"{province['name']} {DEPARTMENTS[dept]}"},
                "awards": [
                    {
                        "id": "1",
                        "title": title,
                        "status": "active",
                        "date": start,
                        "value": value,
                        "suppliers": [{"id": "supplier", "name": supplier.name}],
                        "items": [
                            {
                                "id": "1",
                                "description": item,
                                "deliveryAddresses": [
                                    {"countryName": country, "region": province["iso3166"]}
                                ],
                            }
                        ],
                    }
                ],
                "contracts": [
                    {
                        "id": "1",
                        "awardID": "1",
                        "title": title,
                        "status": rng.choice(("active", "active", "terminated"))
                        if year > 2020
                        else "terminated",
                        "dateSigned": start,
                        "period": {
                            "startDate": start,
                            "endDate": f"{year + rng.randint(1, 5)}-12-31",
                        },
                        "value": value,
                    }
                ],
            }

    # ------------------------------------------------------------------ entity records

    def company_record(self, company: Company) -> Record:
        return {
            "id": company.id,
            "type": "Company",
            "name": company.name,
            "lei": company.lei,
            **({"isin": [company.isin]} if company.isin else {}),
            "country": company.country,
            "evidence": [{"quote": company.name}],
        }

    def entity_records(self) -> Iterator[Record]:
        for k in range(self.n_csos):
            yield self.cso(k)
        for i in range(self.config.companies):
            yield self.company_record(self.company(i))

    # ------------------------------------------------------------------ writing

    def write(self, out: Path) -> SynthSummary:
        out.mkdir(parents=True, exist_ok=True)
        summary = SynthSummary()
        parts = (
            ("1-regions", "Regions", lambda: (r.record for r in self.regions)),
            ("2-entities", "Companies and organisations", self.entity_records),
        )
        for stem, title, records in parts:
            self._write_reports(out, stem, title, records, summary)
        self._write_holdings(out / "3-holdings.csv", summary)
        self._write_ocds(out / "4-contracts.jsonl", summary)
        self._write_reports(out, "5-ownership", "Ownership", self.ownership_records, summary)
        self._write_reports(out, "6-allegations", "Allegations", self.allegation_records, summary)
        return summary

    def _write_reports(
        self,
        out: Path,
        stem: str,
        title: str,
        records: Callable[[], Iterable[Record]],
        summary: SynthSummary,
    ) -> None:
        """Case reports of at most `chunk` records; every evidence entry cites the report's own
        synthetic Source."""
        chunk: list[Record] = []
        number = 0

        def flush() -> None:
            path = out / f"{stem}-{number:04d}.yaml"
            source = self._source(stem, number)
            for record in chunk:
                for entry in record.get("evidence", ()):
                    entry["source"] = source["id"]
            report = {
                "@context": CONTEXT_URL,
                "id": f"report-synth-{self.seed}-{stem}-{number:04d}",
                "type": "Report",
                "name": f"Synthetic graph (seed {self.seed}): {title}, part {number}",
                "reviewStatus": "unreviewed",
                "tlp": "GREEN",  # what the adapters give the holdings and OCDS files
                "description": "Generated by `rightsgraph synth` for benchmarks; names and"
                " identifiers are made up.",
                "@graph": [source, *chunk],
            }
            with path.open("w", encoding="utf-8") as fh:
                yaml.dump(
                    report, fh, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120
                )
            summary.files.append(path)
            summary.records.update(r["type"] for r in chunk)

        for record in records():
            if len(chunk) == self.config.chunk:
                number += 1
                flush()
                chunk = []
            chunk.append(record)
        if chunk:
            number += 1
            flush()

    def _source(self, stem: str, number: int) -> Record:
        return {
            "id": f"src-synth-{self.seed}-{stem}-{number:04d}",
            "type": "Source",
            "name": f"Synthetic {stem.split('-', 1)[1]} data, part {number} (seed {self.seed})",
            "url": f"{SOURCE_URL}/{self.seed}/{stem}-{number:04d}",
            "publisher": "RightsGraph synthetic data",
            "sourceType": "dataset",
        }

    def write_holdings(self, path: Path) -> int:
        """The holdings table alone (the generic CSV layout of the holdings adapter), streamed;
        the number of rows."""
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(HOLDINGS_COLUMNS)
            rows = 0
            for row in self.holding_rows():
                writer.writerow(row)
                rows += 1
        return rows

    def _write_holdings(self, path: Path, summary: SynthSummary) -> None:
        summary.records["holding rows"] = self.write_holdings(path)
        summary.files.append(path)

    def _write_ocds(self, path: Path, summary: SynthSummary) -> None:
        with path.open("w", encoding="utf-8") as fh:
            for release in self.ocds_releases():
                fh.write(json.dumps(release, ensure_ascii=False, separators=(",", ":")) + "\n")
        summary.files.append(path)
        summary.records["OCDS releases"] = self.config.contracts


HOLDINGS_COLUMNS = (
    "fund",
    "company",
    "isin",
    "lei",
    "country",
    "industry",
    "as_of",
    "value",
    "currency",
    "ownership",
)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Block-style YAML (libyaml when available); the same data always gives the same bytes."""


def write_synth(config: SynthConfig, out: Path) -> SynthSummary:
    return Synth(config).write(out)


# ---------------------------------------------------------------------- a one-fund holdings table


def fund_holdings_company(i: int) -> str:
    """Company i of `write_fund_holdings`: distinct made-up names, so no two rows resolve to one
    company by accident."""
    return f"{word(5, i)} Test Holdings {i:05d} ASA"


def write_fund_holdings(
    path: Path, companies: int, dates: int, fund: str = "Test Fund", first_year: int = 2001
) -> Path:
    """A holdings CSV of `companies` × `dates` year-end rows of one fund, in the generic layout
    of the holdings adapter (companies in Norway, values in NOK)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["Fund", "As of", "Name", "Country", "Market Value(NOK)", "Ownership"])
        for year in range(first_year, first_year + dates):
            for i in range(companies):
                out.writerow(
                    [fund, f"{year}-12-31", fund_holdings_company(i), "Norway", 1000 + i, "0.25"]
                )
    return path


# ---------------------------------------------------------------------- case records in memory


def generate_records(
    units: int, seed: int = 0, prefix: str = "g", levels: Iterable[str] | None = None
) -> list[Record]:
    """About 7 records per unit, every id and literal tagged with `prefix` and the unit number
    (`g-3-co`, `g-3-src`, …). `levels` (sharing levels of the ontology) draws a level for each
    source and fact. Same arguments, same records; identifiers differ between prefixes."""
    chosen = tuple(levels or ())
    unknown = [lvl for lvl in chosen if not sharing.is_level(lvl)]
    if unknown:
        raise ValueError(f"not sharing levels: {unknown}; known: {', '.join(sharing.levels())}")
    return _RecordStream(units, seed, prefix, chosen).records()


def generate_report(
    units: int,
    seed: int = 0,
    prefix: str = "g",
    levels: Iterable[str] | None = None,
    tlp: str | None = None,
) -> dict[str, Any]:
    """A reviewed case report (JSON-LD document) of `generate_records`, at sharing level `tlp`
    (default: the most open)."""
    return {
        "@context": CONTEXT_URL,
        "id": f"report-{prefix}",
        "type": "Report",
        "name": f"Generated report {prefix}",
        "reviewStatus": "reviewed",
        "tlp": tlp or sharing.most_open(),
        "@graph": generate_records(units, seed, prefix, levels),
    }


class _RecordStream:
    """The records of `generate_records`, drawn from one seeded random stream in order."""

    def __init__(self, units: int, seed: int, prefix: str, levels: tuple[str, ...]):
        self.units, self.prefix, self.levels = units, prefix, levels
        self.rng = random.Random(seed)
        self.key = zlib.crc32(prefix.encode())  # identifiers per prefix
        self.harms = vocabulary("harmCategory")
        self.statuses = allegation_statuses()
        self.sources: list[str] = []

    def tlp(self) -> dict[str, str]:
        return {"tlp": self.rng.choice(self.levels)} if self.levels else {}

    def evidence(self, tag: str, p: str, source: str) -> list[Record]:
        """The unit's own source, and sometimes an earlier one (so facts rest on several levels)."""
        cited = [source] + ([self.rng.choice(self.sources)] if self.rng.random() < 0.4 else [])
        return [
            {"source": s, "quote": f'quote {tag} from {s}: "{p}"\n', "locator": f"p. {n + 1}"}
            for n, s in enumerate(dict.fromkeys(cited))
        ]

    def records(self) -> list[Record]:
        country = f"{self.prefix}-country"
        out: list[Record] = [
            {
                "id": country,
                "type": "Region",
                "name": f"Country {self.prefix}",
                "regionType": "country",
            }
        ]
        for i in range(self.units):
            out += self.unit(i, country)
        return out

    def unit(self, i: int, country: str) -> list[Record]:
        """Unit i: a province and its bureau every 5 units, a fund every 10, then the unit's
        source, company, holding, contract and allegation."""
        p = f"{self.prefix}-{i}"
        out = self.province(p, country) if i % 5 == 0 else []
        if i % 10 == 0:
            lei = synthetic_lei(self.key, 2 * i + 1)
            out.append({"id": f"{p}-fund", "type": "Fund", "name": f"Pension Fund {p}", "lei": lei})
        region = f"{self.prefix}-{i - i % 5}-region"
        source = self.source(i, p)
        return [
            *out,
            source,
            self.company(i, p, region),
            self.holding(i, p, source["id"]),
            self.contract(i, p, source["id"], region),
            self.allegation(i, p, source["id"], region),
        ]

    def province(self, p: str, country: str) -> list[Record]:
        region = {
            "id": f"{p}-region",
            "type": "Region",
            "name": f"Province {p}",
            "partOf": country,
            "alias": [f"Prov {p}", f"Alias {p}"],
        }
        bureau = {
            "id": f"{p}-bureau",
            "type": "GovernmentBody",
            "name": f"Public Security Bureau {p}",
            "jurisdiction": region["id"],
        }
        return [region, bureau]

    def source(self, i: int, p: str) -> Record:
        self.sources.append(f"{p}-src")
        return {
            "id": f"{p}-src",
            "type": "Source",
            "name": f"Report on company {p}",
            "sourceType": "report",
            "url": f"https://example.org/{p}",
            "published": f"{2015 + i % 9}",
            "language": "en",
            **self.tlp(),
        }

    def company(self, i: int, p: str, region: str) -> Record:
        return {
            "id": f"{p}-co",
            "type": "Company",
            "name": f"Surveillance Company {p}",
            "lei": synthetic_lei(self.key, 2 * i),
            "isin": [synthetic_isin("CN", self.key, i)],
            "wikidataId": f"Q{self.key}{i:06d}",
            "headquarters": region,
            "alias": [f"SC {p}"],
        }

    def fact(self, kind: str, p: str, source: str, fields: Record) -> Record:
        """A fact of unit p (`p-holding` …) resting on the unit's source (and maybe an earlier
        one), at a drawn sharing level."""
        return {
            "id": f"{p}-{kind}",
            "type": kind.capitalize(),
            **fields,
            "evidence": self.evidence(kind, p, source),
            **self.tlp(),
        }

    def holding(self, i: int, p: str, source: str) -> Record:
        fields = {
            "fund": f"{self.prefix}-{i - i % 10}-fund",
            "company": f"{p}-co",
            "asOf": f"{2016 + i % 8}-12-31",
            "marketValue": round(self.rng.uniform(1e5, 1e9), 2),
            "currency": "NOK",
            "ownershipShare": round(self.rng.random() / 100, 6),
            "held": i % 7 != 0,
        }
        return self.fact("holding", p, source, fields)

    def contract(self, i: int, p: str, source: str, region: str) -> Record:
        fields = {
            "name": f"Surveillance contract {p}",
            "supplier": [f"{p}-co"],
            "buyer": f"{self.prefix}-{i - i % 5}-bureau",
            "performedIn": [region],
            "amount": self.rng.randrange(10_000, 10_000_000),
            "currency": "CNY",
            "date": f"{2016 + i % 8}-{1 + i % 12:02d}",
            "item": [f"cameras {p}", f"platform {p}"],
        }
        return self.fact("contract", p, source, fields)

    def allegation(self, i: int, p: str, source: str, region: str) -> Record:
        fields = {
            "name": f"Allegation {p}",
            "description": f"Company {p} supplies surveillance in Province {p}.",
            "against": [f"{p}-co"],
            "concerns": [region],
            "concernsContract": [f"{p}-contract"],
            "harmCategory": sorted(self.rng.sample(self.harms, 2)),
            "status": self.rng.choices(self.statuses, status_weights(self.statuses))[0],
            "startDate": f"{2017 + i % 7}",
        }
        return self.fact("allegation", p, source, fields)
