"""Exposure answers that explain themselves: one fund's paths and totals (exposure.cypher), why
there are none at the date asked, and the dated history behind it (exposure_history.cypher).
Shared by `/funds/{id}/exposure` and the region-first `/exposure`."""

from __future__ import annotations

from typing import Any

from api.graph import Graph

Row = dict[str, Any]


def fund_exposure(
    graph: Graph,
    *,
    fund: str,
    region: str | None,
    as_of: str | None,
    ownership_hops: int,
    tlp: list[str],
    offset: int,
    limit: int,
    history: bool = False,
    as_known_on: str | None = None,
) -> Row | None:
    """The exposure row of one fund, with `explanation` when it has no path and `history` when
    asked; None when the query returns nothing. `as_known_on`: what the graph held that day."""
    row = graph.row(
        "exposure",
        fund=fund,
        region=region,
        as_of=as_of,
        ownership_hops=ownership_hops,
        tlp=tlp,
        as_known_on=as_known_on,
        offset=offset,
        limit=limit,
    )
    if row is None or row["fund"] is None or (region is not None and row["region"] is None):
        return row
    past = None
    if history or row["pathCount"] == 0:
        past = history_of(
            graph,
            fund=fund,
            region=region,
            ownership_hops=ownership_hops,
            tlp=tlp,
            as_known_on=as_known_on,
        )
    return {
        **row,
        "explanation": explain(past, as_of) if past and row["pathCount"] == 0 else None,
        "history": timeline(past) if past and history else None,
    }


def history_of(
    graph: Graph,
    *,
    fund: str,
    region: str | None,
    ownership_hops: int,
    tlp: list[str],
    as_known_on: str | None = None,
) -> Row | None:
    """The exposure_history row of one fund (None when it returns nothing)."""
    return graph.row(
        "exposure_history",
        fund=fund,
        region=region,
        ownership_hops=ownership_hops,
        tlp=tlp,
        as_known_on=as_known_on,
    )


def _in_force(holdings: list[Row], day: str | None) -> Row | None:
    """The latest holding on or before `day` (the latest of all when `day` is None)."""
    dated = [h for h in holdings if day is None or (h["asOf"] or "") <= day]
    return dated[-1] if dated else None


def _usd(holding: Row) -> float | None:
    if holding.get("marketValueUsd") is not None:
        return holding["marketValueUsd"]
    return holding.get("marketValue") if holding.get("currency") == "USD" else None


def _money(amount: float, currency: str | None) -> str:
    return f"{currency or '(no currency)'} {amount:,.0f}"


def _company_state(entry: Row, day: str | None) -> Row:
    """Where one exposed company stands at `day`: held, exited (and when, per which source),
    or not yet held; with the last holding that held it."""
    holdings: list[Row] = entry["holdings"]
    current = _in_force(holdings, day)
    upto = [h for h in holdings if day is None or (h["asOf"] or "") <= day]
    held = [h for h in upto if h["held"]]
    last_held = held[-1] if held else None
    state: Row = {"company": entry["company"], "holding": current, "lastHeld": last_held}
    if current is None:
        return {**state, "state": "not-yet"}
    if current["held"]:
        return {**state, "state": "held"}
    # the first record of the sale: the earliest held=false after the last held=true
    after = [
        h for h in upto if not h["held"] and (last_held is None or h["asOf"] > last_held["asOf"])
    ]
    exit_record = after[0] if after else current
    return {
        **state,
        "state": "exited",
        "exitedOn": exit_record["asOf"],
        "exitSources": exit_record["sources"],
    }


def _exposure_on(companies: list[Row], day: str) -> Row:
    """The holdings in force (and held) on `day`, totalled per currency and in USD."""
    held = [h for c in companies if (h := _in_force(c["holdings"], day)) and h["held"]]
    names = [c["company"] for c in companies if (h := _in_force(c["holdings"], day)) and h["held"]]
    totals: dict[str | None, float] = {}
    for h in held:
        if h["marketValue"] is not None:
            totals[h["currency"]] = totals.get(h["currency"], 0) + h["marketValue"]
    usd = [u for h in held if (u := _usd(h)) is not None]
    return {
        "asOf": day,
        "holdingTotals": [
            {"currency": c, "amount": a}
            for c, a in sorted(totals.items(), key=lambda x: x[0] or "")
        ],
        "holdingValueUsd": sum(usd) if usd else None,
        "companies": names,
    }


def explain(past: Row, as_of: str | None) -> Row:
    """Why a fund has no exposure at `as_of`: no holdings of an exposed company, every such
    holding sold (on which date, per which source), or none held yet; and when it was last
    exposed, with what value."""
    fund = past["fund"]["name"] or past["fund"]["id"]
    where = f" in {past['region']['name'] or past['region']['id']}" if past["region"] else ""
    at = f"on {as_of}" if as_of else "in its latest holdings"
    companies = past["companies"]
    if not companies:
        held = past["holdings"]
        detail = (
            f"{fund} holds no company with a government contract{where}"
            + (f" ({held} holdings on record)" if held else " (no holdings on record)")
            + "."
        )
        return {"reason": "no-holdings", "detail": detail, "companies": []}
    states = [_company_state(c, as_of) for c in companies]
    exited = [s for s in states if s["state"] == "exited"]
    last_days = [s["lastHeld"]["asOf"] for s in states if s["lastHeld"]]
    last = _exposure_on(companies, max(last_days)) if last_days else None
    parts = []
    for s in exited:
        sources = ", ".join(x["name"] or x["id"] for x in s["exitSources"]) or "no source"
        parts.append(
            f"{s['company']['name'] or s['company']['id']} on {s['exitedOn']} per {sources}"
        )
    if exited:
        detail = f"No exposure{where} {at}: {fund} had exited " + "; ".join(parts) + "."
    else:
        first = min(h["asOf"] for c in companies for h in c["holdings"])
        detail = (
            f"No exposure{where} {at}: {fund}'s first holding of these companies is of {first}."
        )
    if last:
        value = " + ".join(_money(t["amount"], t["currency"]) for t in last["holdingTotals"])
        if last["holdingValueUsd"] is not None:
            value += f" (USD {last['holdingValueUsd']:,.0f})"
        detail += f" Last exposed on {last['asOf']} with {value or 'no value given'}."
    return {
        "reason": "exited" if exited else "not-yet",
        "detail": detail,
        "companies": [
            {
                "company": s["company"],
                "state": s["state"],
                "holding": s["holding"],
                "exitedOn": s.get("exitedOn"),
                "exitSources": s.get("exitSources", []),
                "lastHeld": s["lastHeld"],
            }
            for s in states
        ],
        "lastExposed": last,
    }


def timeline(past: Row) -> Row:
    """Every dated holding of the exposed companies beside the dated allegations, demands,
    measures and contracts about them, oldest first."""
    events = list(past["events"])
    for entry in past["companies"]:
        for h in entry["holdings"]:
            if h["asOf"]:
                events.append(
                    {
                        "date": h["asOf"],
                        "kind": "holding",
                        "id": h["id"],
                        "name": entry["company"]["name"],
                        "companies": [entry["company"]["id"]],
                        "held": h["held"],
                        "marketValue": h["marketValue"],
                        "currency": h["currency"],
                    }
                )
    events.sort(key=lambda e: (e["date"], e["kind"], e["id"]))
    return {"holdings": past["companies"], "events": events}
