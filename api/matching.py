"""Screening: match the rows of an uploaded portfolio to companies in the graph, then rank them.

A row matches, in this order: a company sharing an identifier key (ISIN, LEI), a company whose
normalised name or alias equals the row's normalised name (the same keys the ingest resolver
writes as `resolveKeys`), or the company with the best fuzzy name score at or above the
resolver's cut-off. Candidates come from the full-text index (queries/screening_candidates.cypher),
a query per chunk of rows, not one per company.

Hidden companies count for nothing: each row's Lucene query carries the caller's sharing levels,
the named query filters by level before its limit, and the candidates are re-ranked by their own
texts (api/fulltext.py), so a flood of look-alikes above the caller's level changes no match.

Cost is bounded per request: at most `max_rows` rows (fewer for anonymous callers, see
api/routers/screening.py), and the candidate queries run in chunks of CHUNK_ROWS rows, each with
the API's query timeout, until `budget` seconds have passed: then the request is refused
(ScreeningTooCostly) rather than run on.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from api.data import PortfolioRow, ScreeningRequest
from api.errors import ApiProblem, NotFound
from api.fulltext import FIELDS, escape, lucene_query, rank, sharing_filter
from api.graph import Graph
from core import names as system
from ingest.normalize import normalise_name
from ingest.resolve import FUZZY_CUTOFF, resolution_keys

CANDIDATES_PER_ROW = 10
CHUNK_ROWS = 250


class ScreeningTooCostly(ApiProblem):
    status, title, kind = 422, "Screening too costly", "screening-too-costly"


@dataclass(frozen=True)
class RowMatch:
    company: str
    method: str  # identifier | name | alias | fuzzy
    score: float
    matched_on: str


def row_keys(row: PortfolioRow) -> tuple[list[str], list[str]]:
    """(identifier keys, name keys) in the form of the graph's resolveKeys."""
    return resolution_keys({"name": row.name, "isin": row.isin, "lei": row.lei})


def row_query(row: PortfolioRow, tlp: list[str] | None = None) -> str | None:
    """A Lucene query finding candidates by identifier (boosted) or by any word of the name,
    only at the sharing levels `tlp` when given."""
    parts = [
        f"{field}:{escape(v.strip().casefold())}^10"
        for v in (row.isin, row.lei)
        if v and v.strip()
        for field in FIELDS
    ]
    name = lucene_query(row.name or "", require_all=False)
    if name:
        parts.append(f"({name})")
    query = " OR ".join(parts)
    if not query:
        return None
    return query if tlp is None else f"({query}) AND {sharing_filter(tlp)}"


def best_candidates(row: PortfolioRow, candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The CANDIDATES_PER_ROW best by their own texts (never Lucene's score)."""
    text = " ".join(v for v in (row.name, row.isin, row.lei) if v)
    fields = ("name", "aliases", system.SEARCH_TEXT)
    return rank(text, candidates, False, fields)[:CANDIDATES_PER_ROW]


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


def candidates(
    graph: Graph, asked: list[dict[str, Any]], tlp: list[str], budget: float
) -> dict[int, list[dict[str, Any]]]:
    """Each asked row's candidates, CHUNK_ROWS rows a query, within `budget` seconds."""
    began = time.monotonic()
    found: dict[int, list[dict[str, Any]]] = {}
    for start in range(0, len(asked), CHUNK_ROWS):
        if time.monotonic() - began > budget:
            raise ScreeningTooCostly(
                f"screening {len(asked):,} rows took longer than {budget:g} s after {start:,} "
                "rows; send fewer rows at a time"
            )
        chunk = asked[start : start + CHUNK_ROWS]
        for r in graph.rows("screening_candidates", rows=chunk, tlp=tlp, limit=200):
            found[r["row"]] = r["candidates"]
    return found


def screen(
    graph: Graph,
    request: ScreeningRequest,
    tlp: list[str],
    *,
    max_rows: int | None = None,
    budget: float = 30.0,
) -> dict[str, Any]:
    """The screening response as a dict in the shape of api.data.Screening."""
    if max_rows is not None and len(request.holdings) > max_rows:
        raise ScreeningTooCostly(
            f"{len(request.holdings):,} rows; at most {max_rows:,} a request for this caller"
        )
    queries = {i: row_query(row, tlp) for i, row in enumerate(request.holdings)}
    asked = [{"row": i, "query": q} for i, q in queries.items() if q]
    found = {
        i: best_candidates(request.holdings[i], c)
        for i, c in candidates(graph, asked, tlp, budget).items()
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
