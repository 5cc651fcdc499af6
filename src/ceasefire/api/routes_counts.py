"""Daily counts for the HQ's chart, from what the caller may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ceasefire.api.auth import CurrentUser, hq
from ceasefire.api.params import parse_time
from ceasefire.api.schemas import DailyCountsOut
from ceasefire.api.shown import reader_daily_counts
from ceasefire.api.state import HQState
from ceasefire.api.views import json_response

router = APIRouter(prefix="/api", tags=["counts"])
HQ = Annotated[HQState, Depends(hq)]
#: At most this many days are returned (the latest ones).
MAX_DAYS = 800
FAR_FUTURE_S = 4.0e9


@router.get("/counts/daily", response_model=DailyCountsOut)
def counts(
    state: HQ,
    user: CurrentUser,
    since: Annotated[str | None, Query()] = None,
    until: Annotated[str | None, Query()] = None,
) -> Response:
    """Reports, incidents and violations per UTC day (the latest 800 days with data), as
    the caller is shown them: visible reports; incidents on the day of their shown time
    (a tearline's: its earliest visible report's) with the violations shown with them."""
    until_s = parse_time(until, "until")
    since_s = parse_time(since, "since")
    lo = 0.0 if since_s is None else since_s
    hi = FAR_FUTURE_S if until_s is None else until_s
    reports = state.stores.read_model.daily_report_counts(state.visible(user), lo, hi)
    shown = reader_daily_counts(state, user, lo, hi)
    days = [
        {
            "date": d,
            "reports": reports.get(d, 0),
            "incidents": shown.get(d, (0, 0))[0],
            "violations": shown.get(d, (0, 0))[1],
        }
        for d in sorted(reports.keys() | shown.keys())
    ][-MAX_DAYS:]
    return json_response({"days": days})
