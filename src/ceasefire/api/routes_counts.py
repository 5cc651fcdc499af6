"""Daily counts for the HQ's chart, from what the caller may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ceasefire.api.auth import CurrentUser, hq
from ceasefire.api.params import parse_time
from ceasefire.api.schemas import DailyCountsOut
from ceasefire.api.state import HQState
from ceasefire.api.views import json_response
from ceasefire.store.hq_queries import daily_counts

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
    """Reports, incidents and violations per UTC day (the latest 800 days with data)."""
    until_s = parse_time(until, "until")
    since_s = parse_time(since, "since")
    per_day = daily_counts(
        state.engine,
        state.visible(user),
        0.0 if since_s is None else since_s,
        FAR_FUTURE_S if until_s is None else until_s,
    )
    days = [{"date": d, **c} for d, c in per_day.items()][-MAX_DAYS:]
    return json_response({"days": days})
