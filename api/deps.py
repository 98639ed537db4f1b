"""Request dependencies shared by the routers: the graph, the caller and their sharing levels,
the audit log, paging."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from api.audit import AuditLog
from api.auth import Caller, anonymous
from api.errors import BadParameter
from api.graph import Graph
from api.settings import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, ApiSettings


def get_graph(request: Request) -> Graph:
    return request.app.state.graph


def get_caller(request: Request) -> Caller:
    """Who calls: set by api.security.SecurityMiddleware from the API key (anonymous without)."""
    caller = getattr(request.state, "caller", None)
    if caller is None:  # an app built without the middleware: anonymous, at the anonymous level
        default = request.app.state.settings.default_tlp
        caller = anonymous(default[-1] if default else None)
    return caller


def caller_tlp(request: Request) -> list[str]:
    """The sharing levels (TLP) the caller may read: every level at or below their key's (CLEAR
    without a key)."""
    return get_caller(request).levels


def get_audit(request: Request) -> AuditLog:
    return request.app.state.audit


def get_api_settings(request: Request) -> ApiSettings:
    return request.app.state.settings


GraphDep = Annotated[Graph, Depends(get_graph)]
TlpDep = Annotated[list[str], Depends(caller_tlp)]
CallerDep = Annotated[Caller, Depends(get_caller)]
AuditDep = Annotated[AuditLog, Depends(get_audit)]
SettingsDep = Annotated[ApiSettings, Depends(get_api_settings)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"page size (at most {MAX_LIMIT})")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="number of items to skip")]
NodeId = Annotated[
    str, Path(min_length=1, max_length=300, description="a node id, e.g. `hikvision`")
]
AsKnownOn = Annotated[
    dt.date | None,
    Query(
        description="answer with what the graph held on this day (ISO date YYYY-MM-DD): "
        "statements first stated on or before it and not yet retracted then"
    ),
]
DEFAULT_PAGE = DEFAULT_LIMIT
FundId = Annotated[
    str, Path(min_length=1, max_length=300, description="a fund id, e.g. `gpfg`", examples=["gpfg"])
]
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_FORMS = "a calendar date written YYYY-MM-DD, e.g. 2019-12-31"


def iso_day(name: str, value: str | None) -> str | None:
    """`value` as an ISO calendar day (YYYY-MM-DD), or a 422 in our words naming the form."""
    if value is None:
        return None
    try:
        if not ISO_DAY.fullmatch(value):
            raise ValueError
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadParameter(
            f"{name}: {value[:40]!r} is not a date; give {DATE_FORMS} "
            "(a year or a month alone is not accepted: say which day)",
            errors=[{"loc": ["query", name], "msg": f"expected {DATE_FORMS}", "type": "date"}],
        ) from None


def as_of_param(
    as_of: Annotated[
        str | None,
        Query(
            max_length=40,
            description="the date of the holdings, YYYY-MM-DD (per fund and company the latest "
            "holding on or before it); default: the latest holdings",
            examples=["2019-12-31"],
        ),
    ] = None,
) -> str | None:
    return iso_day("as_of", as_of)


AsOf = Annotated[str | None, Depends(as_of_param)]


def day_of(as_known_on: dt.date | None) -> str | None:
    """The ISO text of an `as_known_on` parameter (None: today)."""
    return as_known_on.isoformat() if as_known_on else None
