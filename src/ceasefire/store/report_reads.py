"""The daily report's reads in SQL (``reporting.reads.ReportReads``), for one reader's scope.

``SqlReportReads(engine, visible)`` wraps the report queries (``store.queries``,
``store.report_days``, ``store.coverage_sql``) behind the port, with the reader's
releasability clause (``store.access_sql.visible_reports``; ``None``: the system's view).
``WholeIncidents`` is the system's own ``ShownSource``: incidents as stored, whole, counted
on the day of their own time with their active violations — the rows ``ceasefire
violations`` lists — so the report's totals and that command agree by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Engine, func, select

from ceasefire.monitoring.columns import CATEGORIES, DailySeries, RawWindow
from ceasefire.monitoring.flash import FlashIncident, FlashReportLine, FlashViolation
from ceasefire.monitoring.shown import ShownIncidents, shown_incidents
from ceasefire.store import schema
from ceasefire.store.coverage_sql import FloatColumns, coverage_columns
from ceasefire.store.queries import (
    HOUR_S,
    ReportScope,
    _fetch_all,
    engine_of,
    fetch_incident,
    fetch_window,
)
from ceasefire.store.report_days import fetch_daily_series, latest_observation_day
from ceasefire.store.slices import pk_slices

_CATEGORY_CODE = {c.value: k for k, c in enumerate(CATEGORIES)}


@dataclass(frozen=True)
class WholeIncidents:
    """Active incidents with a visible report, whole (``reporting.reads.ShownSource``)."""

    engine: Engine
    visible: ColumnElement[bool] | None = None

    def incidents(
        self, start_s: float, end_s: float, *, detail: bool = True, first_reports: bool = False
    ) -> ShownIncidents:
        """Incidents whose own time lies in ``[start_s, end_s)``, with their active
        violations (a violation carries its incident's time) when ``detail``."""
        scope = ReportScope(self.visible)
        i, v = schema.incidents, schema.violations
        with self.engine.connect() as conn:
            # plain DBAPI tuples (``_fetch_all``): a 10^5-report day has 10^4 incidents
            items = _fetch_all(
                conn,
                select(i.c.pk, i.c.observed_at, i.c.lon, i.c.lat, i.c.category).where(
                    i.c.observed_at >= start_s, i.c.observed_at < end_s, scope.incidents(i.c.pk)
                ),
            )
            judged = (
                _fetch_all(
                    conn,
                    select(v.c.incident_pk, v.c.rule_id, v.c.article, v.c.severity)
                    .add_columns(v.c.certainty, v.c.zone_id)
                    .where(
                        v.c.active.is_(True), v.c.observed_at >= start_s, v.c.observed_at < end_s
                    ),
                )
                if detail
                else []
            )
            first: dict[int, tuple[float, int]] = {}
            if first_reports:
                ir, r = schema.incident_reports, schema.reports
                for part in pk_slices([int(row[0]) for row in items]):
                    for incident, pk, t in conn.execute(
                        select(ir.c.incident_pk, r.c.pk, r.c.observed_at)
                        .join(r, r.c.pk == ir.c.report_pk)
                        .where(ir.c.incident_pk.in_(part), scope.reports())
                    ):
                        key = (float(t), int(pk))
                        if int(incident) not in first or key < first[int(incident)]:
                            first[int(incident)] = key
        rows = [
            (
                int(pk),
                float(t),
                None if lon is None else float(lon),
                None if lat is None else float(lat),
                _CATEGORY_CODE.get(str(category), -1) if detail else -1,
                first[int(pk)][1] if int(pk) in first else -1,
                False,
            )
            for pk, t, lon, lat, category in items
        ]
        judgments = [
            (int(pk), str(rule), str(article), int(sev), certainty == "certain", zone)
            for pk, rule, article, sev, certainty, zone in judged
        ]
        return shown_incidents(rows, judgments)

    def violations_by_severity(self, edges_s: NDArray[np.float64]) -> NDArray[np.int64]:
        """Active violations of counted incidents per day ``[edges_s[k], edges_s[k + 1])``
        and severity 1..5, grouped by hour in SQL (the edges are local midnights, whole
        hours in Kyiv)."""
        days = len(edges_s) - 1
        out = np.zeros((max(days, 0), 5), dtype=np.int64)
        if days < 1:
            return out
        v, i = schema.violations, schema.incidents
        hour = func.floor(v.c.observed_at / HOUR_S)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(hour, v.c.severity, func.count())
                .join(i, i.c.pk == v.c.incident_pk)
                .where(
                    v.c.observed_at >= float(edges_s[0]),
                    v.c.observed_at < float(edges_s[-1]),
                    ReportScope(self.visible).violations(),
                )
                .group_by(hour, v.c.severity)
            ).all()
        for h, sev, n in rows:
            k = int(np.searchsorted(edges_s, float(h) * HOUR_S, side="right")) - 1
            if 0 <= k < days:
                out[k, min(max(int(sev), 1), 5) - 1] += int(n)
        return out


@dataclass(frozen=True)
class SqlReportReads:
    """``reporting.reads.ReportReads`` on a SQLAlchemy engine, limited to ``visible``."""

    engine: Engine
    visible: ColumnElement[bool] | None = None

    @classmethod
    def of(cls, store: object) -> SqlReportReads:
        """The system's whole view of a store backend (``store.base.open_store``)."""
        return cls(engine_of(store))

    def latest_day(self) -> date | None:
        with self.engine.connect() as conn:
            return latest_observation_day(conn, visible_reports=self.visible)

    def window(self, start: datetime, end: datetime, *, with_notes: bool = True) -> RawWindow:
        with self.engine.connect() as conn:
            return fetch_window(
                conn,
                start,
                end,
                with_violations=False,
                with_notes=with_notes,
                visible_reports=self.visible,
            )

    def daily_series(self, last_day: date, days: int) -> DailySeries:
        with self.engine.connect() as conn:
            return fetch_daily_series(
                conn, last_day, days, visible_reports=self.visible, with_violations=False
            )

    def coverage(self, start_s: float, end_s: float) -> dict[str, FloatColumns]:
        with self.engine.connect() as conn:
            return coverage_columns(
                conn, start_s, end_s, visible_reports=self.visible, with_incidents=False
            )

    def incident_links(self, report_pks: NDArray[np.int64]) -> NDArray[np.int64]:
        if not report_pks.size:
            return np.empty((0, 2), dtype=np.int64)
        ir = schema.incident_reports
        with self.engine.connect() as conn:  # one range scan; the window's pks are a range
            links = conn.execute(
                select(ir.c.incident_pk, ir.c.report_pk).where(
                    ir.c.report_pk >= int(report_pks[0]), ir.c.report_pk <= int(report_pks[-1])
                )
            ).all()
        return np.asarray(links, dtype=np.int64).reshape(-1, 2)

    def incident(
        self, incident_id: int
    ) -> tuple[FlashIncident, tuple[FlashReportLine, ...], tuple[FlashViolation, ...]]:
        with self.engine.connect() as conn:
            return fetch_incident(conn, incident_id)

    def system_view(self) -> WholeIncidents:
        return WholeIncidents(self.engine, self.visible)
