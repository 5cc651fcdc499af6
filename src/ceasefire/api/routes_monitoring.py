"""The daily report and coverage per sector, each built from what the caller may see."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import HTMLResponse

from ceasefire.api.auth import CurrentUser, hq
from ceasefire.api.state import HQState
from ceasefire.api.views import json_response
from ceasefire.errors import InputError

router = APIRouter(prefix="/api", tags=["reports"])
HQ = Annotated[HQState, Depends(hq)]
#: Days a daily report is built for: its baseline weeks before must be dates too (not year 1).
REPORT_DAYS = (date(1900, 1, 1), date(9998, 12, 31))


def _report_day(day: str) -> date:
    """A ``YYYY-MM-DD`` query value, or ``InputError`` naming ``date``."""
    try:
        wanted = date.fromisoformat(day)
    except ValueError as exc:
        raise InputError("date", "iso8601", f"{day!r} is not a YYYY-MM-DD date") from exc
    if not REPORT_DAYS[0] <= wanted <= REPORT_DAYS[1]:
        first, last = REPORT_DAYS
        raise InputError("date", "range", f"a day in {first}..{last}")
    return wanted


@router.get("/report/daily", response_class=HTMLResponse)
def daily_report(
    state: HQ,
    user: CurrentUser,
    day: Annotated[str | None, Query(alias="date", description="YYYY-MM-DD (Kyiv day)")] = None,
) -> HTMLResponse:
    """The SMM-style daily report for a day (default: the latest), from the caller's view:
    visible reports, and incidents and violations as shown to the caller (``api.shown``)."""
    from ceasefire.api.shown import ReaderView  # noqa: PLC0415
    from ceasefire.reporting.daily import build_daily_report, latest_day  # noqa: PLC0415

    reads = state.stores.report_reads(state.visible(user))
    wanted = _report_day(day) if day else latest_day(reads)
    with tempfile.TemporaryDirectory(prefix="cf-daily-") as tmp:
        files = build_daily_report(
            reads,
            wanted,
            Path(tmp),
            book=state.book(),
            now=state.clock.now(),
            shown=ReaderView(state, user),
        )
        html = files.html.read_text(encoding="utf-8")
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.get("/coverage")
def coverage(
    state: HQ,
    user: CurrentUser,
    day: Annotated[str, Query(alias="date", description="UTC day, YYYY-MM-DD")],
) -> Response:
    """Coverage per sector (oblast) on a day, from the caller's view: observer-hours,
    impediments and incidents, and whether a quiet sector was quiet because nobody could see.
    Impediment reports the caller may not see do not count; incidents count as shown to the
    caller (a tearline at its own time and position), and not at all when none of their
    reports is visible."""
    from dataclasses import asdict  # noqa: PLC0415

    from ceasefire.api.shown import reader_incidents  # noqa: PLC0415
    from ceasefire.assessment.coverage import coverage_on, days_before  # noqa: PLC0415
    from ceasefire.monitoring.coverage_input import coverage_input  # noqa: PLC0415
    from ceasefire.monitoring.oblasts import Oblasts  # noqa: PLC0415

    when = _report_day(day)
    start_s, end_s = days_before(when)
    rows = state.stores.read_model.coverage_rows(
        start_s, end_s, visible_reports=state.visible(user), with_incidents=False
    )
    shown = reader_incidents(state, user, start_s, end_s, detail=False).incidents
    rows["incidents"] = (shown.observed_at_s, shown.lon, shown.lat)
    result = coverage_on(coverage_input(rows, Oblasts.default()), when)
    return json_response({"sectors": [asdict(r) | {"day": r.day.isoformat()} for r in result]})
