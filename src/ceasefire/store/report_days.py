"""Day-level queries of the daily report: the trend series, the latest covered day, the
busiest day. Split from ``store/queries.py``; same "current report" and releasability scope
(``ReportScope``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

import numpy as np
from sqlalchemy import ColumnElement, Connection, case, func, select

from ceasefire.monitoring.columns import DailySeries
from ceasefire.monitoring.daily import MISSION_TZ, day_window
from ceasefire.store import schema
from ceasefire.store.queries import FIRE_VALUES, HOUR_S, ReportScope, current_report


def _local_day(hour: float, tz: tzinfo) -> date:
    """The local date of an hour bucket (``floor(epoch / 3600)``); Kyiv's offsets are whole
    hours, so every bucket lies within one local day."""
    return datetime.fromtimestamp(float(hour) * HOUR_S, UTC).astimezone(tz).date()


def fetch_daily_series(
    conn: Connection,
    last_day: date,
    days: int = 30,
    *,
    tz: tzinfo = MISSION_TZ,
    visible_reports: ColumnElement[bool] | None = None,
    with_violations: bool = True,
) -> DailySeries:
    """Per-day totals of the ``days`` local days ending with ``last_day``, for the trend.

    Grouped in SQL by hour (``floor(observed_at / 3600)``, at most 24 × ``days`` groups) and
    folded into local days here, so the trend costs one indexed scan whatever the volume, and
    clock changes are right. Same "current report" and "active violation" rules as the day,
    and the same ``visible_reports`` scope (``ReportScope``). Without ``with_violations``
    the violations come back as zeros (a reader's are counted as shown to them instead).
    """
    scope = ReportScope(visible_reports)
    r, v, i = schema.reports, schema.violations, schema.incidents
    first = last_day - timedelta(days=days - 1)
    s0 = day_window(first, tz)[0].timestamp()
    s1 = day_window(last_day, tz)[1].timestamp()
    hour_r = func.floor(r.c.observed_at / HOUR_S)
    fire = func.sum(case((r.c.category.in_(FIRE_VALUES), r.c["count"]), else_=0))
    rrows = conn.execute(
        select(hour_r, func.count(), fire)
        .where(r.c.observed_at >= s0, r.c.observed_at < s1, scope.reports())
        .group_by(hour_r)
    ).all()
    hour_v = func.floor(v.c.observed_at / HOUR_S)
    vrows = (
        conn.execute(
            select(hour_v, v.c.severity, func.count())
            .join(i, i.c.pk == v.c.incident_pk)
            .where(v.c.observed_at >= s0, v.c.observed_at < s1, scope.violations())
            .group_by(hour_v, v.c.severity)
        ).all()
        if with_violations
        else []
    )
    index = {first + timedelta(days=k): k for k in range(days)}
    reports = np.zeros(days, dtype=np.int64)
    fire_sum = np.zeros(days, dtype=np.int64)
    by_sev = np.zeros((days, 5), dtype=np.int64)
    for hour, n, f in rrows:
        k = index[_local_day(hour, tz)]
        reports[k] += int(n)
        fire_sum[k] += int(f or 0)
    for hour, sev, n in vrows:
        by_sev[index[_local_day(hour, tz)], min(max(int(sev), 1), 5) - 1] += int(n)
    return DailySeries(
        days=tuple(index),
        fire=fire_sum,
        reports=reports,
        violations_by_severity=by_sev,
    )


def latest_observation_day(
    conn: Connection,
    *,
    tz: tzinfo = MISSION_TZ,
    visible_reports: ColumnElement[bool] | None = None,
) -> date | None:
    """The latest local day with observations, if the data cover it to its end; ``None`` if
    the store is empty.

    The candidate is the day of the latest ``observed_at``. It counts as covered when some
    report of it lasts (``observed_until``, else ``observed_at``) to within an hour of the
    day's end: a dated UCDP event covers its whole day. Otherwise (a feed still running, a
    simulation run in UTC days) the day before is taken, as long as it has any report.
    Only the reports in ``visible_reports`` (``ReportScope``) are looked at.
    """
    r = schema.reports
    current = ReportScope(visible_reports).reports()
    latest = conn.execute(select(func.max(r.c.observed_at)).where(current)).scalar()
    if latest is None:
        return None
    day = datetime.fromtimestamp(float(latest), UTC).astimezone(tz).date()
    start, stop = (t.timestamp() for t in day_window(day, tz))
    end = func.coalesce(r.c.observed_until, r.c.observed_at)
    last_end = conn.execute(
        select(func.max(end)).where(current, r.c.observed_at >= start, r.c.observed_at < stop)
    ).scalar()
    if last_end is not None and float(last_end) >= stop - HOUR_S:
        return day
    b0, b1 = (t.timestamp() for t in day_window(day - timedelta(days=1), tz))
    n = conn.execute(
        select(func.count()).where(current, r.c.observed_at >= b0, r.c.observed_at < b1)
    ).scalar()
    return day - timedelta(days=1) if n else day


def busiest_day(
    conn: Connection, *, since: datetime | None = None, tz: tzinfo = MISSION_TZ
) -> date | None:
    """The local day with the most ceasefire violations observed (sum of the fire categories'
    counts, as the SMM ranked days); ties go to the day with more reports, then the earliest.
    ``None`` for an empty store.

    ``since`` (e.g. the ceasefire's entry into force) leaves out earlier observations.
    """
    r = schema.reports
    hour = func.floor(r.c.observed_at / HOUR_S)
    fire = func.sum(case((r.c.category.in_(FIRE_VALUES), r.c["count"]), else_=0))
    after = r.c.observed_at >= (since.timestamp() if since else float("-inf"))
    totals: dict[date, tuple[int, int]] = {}
    for h, f, n in conn.execute(
        select(hour, fire, func.count()).where(current_report(r), after).group_by(hour)
    ).all():
        day = _local_day(h, tz)
        f0, n0 = totals.get(day, (0, 0))
        totals[day] = (f0 + int(f or 0), n0 + int(n))
    if not totals:
        return None
    return min(totals, key=lambda d: (-totals[d][0], -totals[d][1], d))
