"""Screening: match the rows of an uploaded portfolio to companies in the graph, then rank them.

A row matches, in this order: a company sharing an identifier key (ISIN, LEI), a company whose
normalised name or alias equals the row's normalised name (the same keys the ingest resolver
writes as `resolveKeys`), or the company with the best fuzzy name score at or above the
resolver's cut-off. Candidates come from the full-text index (queries/screening_candidates.cypher),
so matching costs one query per request, not one per company.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from api.data import PortfolioRow, ScreeningRequest
from api.errors import NotFound
from api.fulltext import escape, lucene_query
from api.graph import Graph
from core import names as system
from ingest.normalize import normalise_name
from ingest.resolve import FUZZY_CUTOFF, resolution_keys

CANDIDATES_PER_ROW = 10


@dataclass(frozen=True)
class RowMatch:
    company: str
    method: str  # identifier | name | alias | fuzzy
    score: float
    matched_on: str


def row_keys(row: PortfolioRow) -> tuple[list[str], list[str]]:
    """(identifier keys, name keys) in the form of the graph's resolveKeys."""
    return resolution_keys({"name": row.name, "isin": row.isin, "lei": row.lei})


def row_query(row: PortfolioRow) -> str | None:
    """A Lucene query finding candidates by identifier (boosted) or by any word of the name."""
    parts = [f"{escape(v.strip().casefold())}^10" for v in (row.isin, row.lei) if v and v.strip()]
    name = lucene_query(row.name or "", require_all=False)
    if name:
        parts.append(f"({name})")
    return " OR ".join(parts) or None


def choose(row: PortfolioRow, candidates: list[dict[str, Any]]) -> RowMatch | None:
    ids, names = row_keys(row)
    for cand in candidates:
        shared = sorted(set(ids) & set(cand[system.RESOLVE_KEYS] or []))
        if shared:
            return RowMatch(cand["id"], "identifier", 100.0, shared[0])
    for cand in candidates:
        shared = sorted(set(names) & set(cand[system.RESOLVE_KEYS] or []))
        if shared:
            primary = f"name:{normalise_name(cand['name'] or '')}"
            return RowMatch(cand["id"], "name" if primary in shared else "alias", 100.0, shared[0])
    if not row.name or not normalise_name(row.name):
        return None
    wanted = normalise_name(row.name)
    best: RowMatch | None = None
    for cand in candidates:
        for label in [cand["name"], *(cand["aliases"] or [])]:
            if not label:
                continue
            score = fuzz.token_sort_ratio(wanted, normalise_name(label))
            if score >= FUZZY_CUTOFF and (best is None or score > best.score):
                best = RowMatch(cand["id"], "fuzzy", round(score, 1), label)
    return best


def screen(graph: Graph, request: ScreeningRequest, tlp: list[str]) -> dict[str, Any]:
    """The screening response as a dict in the shape of api.data.Screening."""
    queries = {i: row_query(row) for i, row in enumerate(request.holdings)}
    asked = [{"row": i, "query": q} for i, q in queries.items() if q]
    found = {
        r["row"]: r["candidates"]
        for r in (
            graph.rows("screening_candidates", rows=asked, tlp=tlp, limit=CANDIDATES_PER_ROW)
            if asked
            else []
        )
    }
    matched: dict[str, list[dict[str, Any]]] = defaultdict(list)
    unmatched = []
    for i, row in enumerate(request.holdings):
        if not queries[i]:
            unmatched.append({"row": i, "input": row, "reason": "no name, ISIN or LEI to match on"})
            continue
        match = choose(row, found.get(i, []))
        if match is None:
            unmatched.append({"row": i, "input": row, "reason": "no company in the graph matches"})
            continue
        matched[match.company].append(
            {
                "row": i,
                "input": row,
                "method": match.method,
                "score": match.score,
                "matchedOn": match.matched_on,
            }
        )

    profile = graph.row(
        "screening",
        companies=list(matched),
        flagged_regions=request.flagged_regions,
        status_weights=None,
        tlp=tlp,
    ) or {"flaggedRegions": [], "companies": []}
    if request.flagged_regions is not None:
        missing = sorted(
            set(request.flagged_regions) - {r["id"] for r in profile["flaggedRegions"]}
        )
        if missing:
            raise NotFound(f"unknown region id(s) in flagged_regions: {', '.join(missing)}")
    companies = []
    for entry in profile["companies"]:
        rows = matched[entry["company"]["id"]]
        totals: dict[str | None, float] = defaultdict(float)
        for r in rows:
            if r["input"].value is not None:
                totals[r["input"].currency] += r["input"].value
        value = [
            {"currency": c, "amount": a}
            for c, a in sorted(totals.items(), key=lambda kv: kv[0] or "")
        ]
        companies.append({**entry, "rows": rows, "portfolioValue": value})
    return {
        "flaggedRegions": profile["flaggedRegions"],
        "matched": companies,
        "unmatched": unmatched,
    }
