"""Daily counts for the HQ's chart, and violations, each from what the caller may see."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select, tuple_

from ceasefire.access.model import Role, User
from ceasefire.api.auth import CurrentUser, hq, require
from ceasefire.api.params import Page, RowId, parse_time
from ceasefire.api.schemas import DailyCountsOut, DecisionIn, ProposalIn
from ceasefire.api.state import HQState
from ceasefire.api.views import encode_cursor, iso_s, json_response
from ceasefire.errors import InputError, NotFoundError
from ceasefire.store import schema
from ceasefire.store.guarantee_cases import link_attribution_records
from ceasefire.store.hq_queries import daily_counts, fully_visible_violation

router = APIRouter(prefix="/api", tags=["counts"])
HQ = Annotated[HQState, Depends(hq)]
#: At most this many days are returned (the latest ones).
MAX_DAYS = 800
FAR_FUTURE_S = 4.0e9
#: Days a daily report is built for: its baseline weeks before must be dates too (not year 1).
REPORT_DAYS = (date(1900, 1, 1), date(9998, 12, 31))


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


@router.get("/violations")
def violations(state: HQ, user: CurrentUser, query: Page) -> Response:
    """Violations of incidents whose every report the caller may see (partially visible
    incidents show their re-judged rules in the incident list instead)."""
    v = schema.violations
    stmt = select(v).where(v.c.active.is_(True), fully_visible_violation(state.visible(user)))
    if query.since_s is not None:
        stmt = stmt.where(v.c.observed_at >= query.since_s)
    if query.until_s is not None:
        stmt = stmt.where(v.c.observed_at <= query.until_s)
    if query.rule is not None:
        stmt = stmt.where(v.c.rule_id == query.rule)
    if query.after is not None:
        stmt = stmt.where(tuple_(v.c.observed_at, v.c.pk) > tuple_(*query.after))
    stmt = stmt.order_by(v.c.observed_at, v.c.pk).limit(query.limit)
    with state.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    items = [
        {
            "id": int(r["pk"]),
            "incident_id": int(r["incident_pk"]),
            "rule_id": r["rule_id"],
            "article": r["article"],
            "severity": int(r["severity"]),
            "certainty": r["certainty"],
            "zone_id": r["zone_id"],
            "observed_at": iso_s(float(r["observed_at"])),
        }
        for r in rows
    ]
    cursor = None
    if len(rows) == query.limit:
        cursor = encode_cursor(float(rows[-1]["observed_at"]), int(rows[-1]["pk"]))
    return json_response({"items": items, "next_cursor": cursor})


def _violation_visible(state: HQState, user: User, violation_pk: int) -> None:
    v = schema.violations
    with state.engine.connect() as conn:
        found = conn.execute(
            select(v.c.pk).where(
                v.c.pk == violation_pk, fully_visible_violation(state.visible(user))
            )
        ).first()
    if found is None:
        raise NotFoundError(f"no violation {violation_pk}")


Analyst = Annotated[User, Depends(require(Role.ANALYST, Role.COMMISSION))]
Commission = Annotated[User, Depends(require(Role.COMMISSION))]


@router.post("/violations/{violation_id}/attribution")
def propose(violation_id: RowId, body: ProposalIn, state: HQ, user: Analyst) -> dict[str, int]:
    """Propose an attribution of a violation to a party (the Special Commission decides)."""
    from ceasefire.store.attribution_sql import add_attribution  # noqa: PLC0415
    from ceasefire.store.sqlite import iso  # noqa: PLC0415

    _violation_visible(state, user, violation_id)
    parties = sorted({p.id for v in state.book().versions for p in v.agreement.parties})
    if body.party not in parties:
        raise InputError("party", "enum", f"{body.party!r} is not a party: {', '.join(parties)}")
    with state.write_lock:
        pk = add_attribution(
            state.engine,
            {
                "violation_pk": violation_id,
                "party": body.party,
                "basis": f"analyst: {body.basis}",
                "confidence": body.confidence,
                "proposed_by": f"{user.name} ({user.principal})",
                "proposed_at": iso(state.clock.now()),
            },
        )
        link_attribution_records(state.engine, clock=state.clock)
    return {"id": pk}


@router.post("/attributions/{attribution_id}/decision")
def decide(attribution_id: RowId, body: DecisionIn, state: HQ, user: Commission) -> dict[str, int]:
    """A Special Commission member upholds or rejects a proposed attribution."""
    from ceasefire.store.attribution_sql import add_decision  # noqa: PLC0415
    from ceasefire.store.fusion import attributions  # noqa: PLC0415
    from ceasefire.store.sqlite import iso  # noqa: PLC0415

    with state.engine.connect() as conn:
        row = conn.execute(
            select(attributions.c.violation_pk).where(attributions.c.pk == attribution_id)
        ).first()
    if row is None:
        raise NotFoundError(f"no attribution {attribution_id}")
    _violation_visible(state, user, int(row[0]))
    with state.write_lock:
        pk = add_decision(
            state.engine,
            {
                "attribution_pk": attribution_id,
                "decision": body.decision,
                "decided_by": f"{user.name} ({user.principal})",
                "decided_at": iso(state.clock.now()),
                "note": body.note,
            },
        )
        link_attribution_records(state.engine, clock=state.clock)
    return {"id": pk}


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
    """The SMM-style daily report for a day (default: the latest), from the caller's view."""
    from ceasefire.reporting.daily import build_daily_report, latest_day  # noqa: PLC0415

    visible = state.visible(user)
    wanted = _report_day(day) if day else latest_day(state.store, visible_reports=visible)
    with tempfile.TemporaryDirectory(prefix="cf-daily-") as tmp:
        files = build_daily_report(
            state.store,
            wanted,
            Path(tmp),
            book=state.book(),
            now=state.clock.now(),
            visible_reports=visible,
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
    Impediment reports and incidents the caller may not see do not count."""
    from dataclasses import asdict  # noqa: PLC0415

    from ceasefire.assessment.coverage import coverage_on, days_before  # noqa: PLC0415
    from ceasefire.monitoring.coverage_input import coverage_input  # noqa: PLC0415
    from ceasefire.monitoring.oblasts import Oblasts  # noqa: PLC0415
    from ceasefire.store.coverage_sql import coverage_rows  # noqa: PLC0415

    when = _report_day(day)
    start_s, end_s = days_before(when)
    rows = coverage_rows(state.engine, start_s, end_s, visible_reports=state.visible(user))
    result = coverage_on(coverage_input(rows, Oblasts.default()), when)
    return json_response({"sectors": [asdict(r) | {"day": r.day.isoformat()} for r in result]})
