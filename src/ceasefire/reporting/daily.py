"""Write a daily report from the store: query, place, aggregate, draw, lay out, write.

The one service the CLI (``ceasefire report daily``), the demo and later the HQ call. The
steps are separate functions so each can be reused: ``load_day`` (store → columns),
``summarise`` (pure aggregation, ``ceasefire.monitoring.daily``), ``render_daily`` (pictures
and files).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Connection

from ceasefire.assessment.coverage import BASELINE_DAYS, CoverageInput, SectorDay
from ceasefire.errors import StoreError
from ceasefire.geo.placement import place_points
from ceasefire.monitoring.columns import (
    DailySeries,
    WithdrawalPolicy,
    category_code,
    withdrawal_policy,
)
from ceasefire.monitoring.daily import (
    MISSION_TZ,
    WEAPON_CATEGORIES,
    DailySummary,
    day_window,
    series_from_window,
    summarise_day,
)
from ceasefire.monitoring.oblasts import Oblasts
from ceasefire.monitoring.sectors import IncidentColumns, local_day_coverage
from ceasefire.monitoring.shown import ShownIncidents
from ceasefire.pipeline.agreements import AgreementBook, JudgingVersion
from ceasefire.reporting.charts import render_map, render_trend
from ceasefire.reporting.daily_document import build_daily_document
from ceasefire.reporting.layers import map_layers
from ceasefire.reporting.render import write_document
from ceasefire.store.base import Store
from ceasefire.store.coverage_sql import FloatColumns, coverage_columns
from ceasefire.store.queries import RawWindow, engine_of, fetch_incidents, fetch_window
from ceasefire.store.report_days import fetch_daily_series, latest_observation_day

TREND_DAYS = 30


@dataclass(frozen=True, slots=True)
class DailyReportFiles:
    """Where a daily report was written, and the numbers it shows."""

    day: date
    html: Path
    markdown: Path
    summary: DailySummary


def latest_day(store: Store, *, visible_reports: ColumnElement[bool] | None = None) -> date:
    """The (Kyiv) day of the latest stored observation; ``StoreError`` for an empty store
    (or one where ``visible_reports`` hides every report)."""
    with engine_of(store).connect() as conn:
        day = latest_observation_day(conn, visible_reports=visible_reports)
    if day is None:
        raise StoreError("no reports stored yet: run `ceasefire ingest FILE` first")
    return day


class ShownSource(Protocol):
    """One reader's incidents as shown to them (``api.shown.ReaderView``)."""

    def incidents(
        self, start_s: float, end_s: float, *, detail: bool = True, first_reports: bool = False
    ) -> ShownIncidents:
        """Those shown in ``[start_s, end_s)`` (epoch s), with their categories and rule
        judgments unless ``detail`` is false; ``first_reports``: with each one's earliest
        visible report (the day's violations are tied to it)."""
        ...

    def violations_by_severity(self, edges_s: NDArray[np.float64]) -> NDArray[np.int64]:
        """Shown violations per day (``[edges_s[k], edges_s[k + 1])``) and severity 1..5."""
        ...


_BOOKS: dict[tuple[object, ...], AgreementBook] = {}


def agreement_book(store: Store) -> AgreementBook | None:
    """The store's agreement versions, compiled once per process (``None`` when none loaded).

    Compiling a geography (geodesic buffers of every zone) takes seconds; a process writing
    several reports (the demo, the HQ) compiles each stored version once. The key is the
    versions' content, so a newly loaded version is picked up.
    """
    records = store.agreement_versions()
    if not records:
        return None
    key = tuple((r.pk, r.agreement_id, r.version, r.source_text, r.loaded_at) for r in records)
    if key not in _BOOKS:
        _BOOKS.clear()  # one database at a time is the normal case; keep memory flat
        _BOOKS[key] = AgreementBook.from_store(store)
    return _BOOKS[key]


def _version_for(book: AgreementBook, day: date) -> JudgingVersion:
    """The agreement version in force at noon (Kyiv) of ``day`` (the earliest before any)."""
    noon = datetime.combine(day, time(12), MISSION_TZ).timestamp()
    return book.versions[int(book.assign(np.asarray([noon]))[0])]


def _place(raw: RawWindow, oblasts: Oblasts, version: JudgingVersion | None) -> RawWindow:
    """Fill the geometry columns: oblast for every report, storage site for weapon reports."""
    reports = raw.reports
    oblast = oblasts.assign(reports.lon, reports.lat)
    at_site = np.zeros(len(reports), dtype=np.bool_)
    weapons = np.flatnonzero(
        np.isin(reports.category, [category_code(c) for c in WEAPON_CATEGORIES])
        & np.isfinite(reports.lon)
    )
    if version is not None and weapons.size:
        placed = place_points(
            version.geography,
            reports.lon[weapons],
            reports.lat[weapons],
            np.nan_to_num(raw.uncertainty_m[weapons], nan=0.0),
        )
        at_site[weapons] = placed.at_storage_site
    return dataclasses.replace(
        raw, reports=dataclasses.replace(reports, oblast=oblast, at_storage_site=at_site)
    )


def _edges(days: tuple[date, ...]) -> NDArray[np.float64]:
    """The local days' bounds, epoch s: day ``k`` is ``[edges[k], edges[k + 1])``."""
    return np.asarray(
        [day_window(d)[0].timestamp() for d in days] + [day_window(days[-1])[1].timestamp()]
    )


def _series(
    conn: Connection,
    day: date,
    today: RawWindow,
    visible: ColumnElement[bool] | None,
    shown: ShownSource | None,
) -> DailySeries:
    """The 30-day trend: the 29 days before grouped in SQL, the report's own day binned from
    the columns already loaded (it is usually the largest; no need to scan it twice). For a
    reader (``shown``) the violations of the days before are those shown, by shown day."""
    before = fetch_daily_series(
        conn,
        day - timedelta(days=1),
        TREND_DAYS - 1,
        visible_reports=visible,
        with_violations=shown is None,
    )
    if shown is not None:
        by_sev = shown.violations_by_severity(_edges(before.days))
        before = dataclasses.replace(before, violations_by_severity=by_sev)
    own = series_from_window((day,), today.reports, today.violations)
    return DailySeries(
        days=(*before.days, day),
        fire=np.concatenate([before.fire, own.fire]),
        reports=np.concatenate([before.reports, own.reports]),
        violations_by_severity=np.concatenate(
            [before.violations_by_severity, own.violations_by_severity]
        ),
    )


def _regional_series(
    conn: Connection,
    days: tuple[date, ...],
    oblasts: Oblasts,
    region_codes: NDArray[np.int16],
    visible: ColumnElement[bool] | None,
    *,
    shown: ShownSource | None,
) -> DailySeries:
    """The trend of some oblasts: the whole period's columns, placed and binned (slower).
    For a reader (``shown``), the violations shown with the incidents placed in them."""
    raw = fetch_window(
        conn,
        day_window(days[0])[0],
        day_window(days[-1])[1],
        with_notes=False,
        with_violations=shown is None,
        visible_reports=visible,
    )
    keep = np.isin(oblasts.assign(raw.reports.lon, raw.reports.lat), region_codes)
    series = series_from_window(days, raw.reports.take(keep), raw.violations.for_reports(keep))
    if shown is None:
        return series
    edges = _edges(days)
    seen = shown.incidents(edges[0], edges[-1])
    placed = _placed_incidents(seen.incidents, oblasts)
    by_sev = seen.take(np.isin(placed.oblast, region_codes)).violations_by_severity(edges)
    return dataclasses.replace(series, violations_by_severity=by_sev)


def _sector_of(
    oblasts: Oblasts, lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> NDArray[np.int64]:
    if lon.size == 0:
        return np.empty(0, dtype=np.int64)
    return oblasts.assign(lon, lat).astype(np.int64)


def _coverage(
    conn: Connection,
    day: date,
    oblasts: Oblasts,
    visible: ColumnElement[bool] | None,
    shown: ShownSource | None,
) -> tuple[SectorDay, ...]:
    """Coverage of every oblast on ``day`` (Kyiv), with its baseline over the days before.

    Reads declared windows, impediment reports and incidents from a day before the baseline
    period (the local-day shift in ``local_day_coverage`` moves times by up to 3 hours) to the
    end of the day, within the reader's scope, and places them in oblasts. For a reader
    (``shown``) the incidents are those shown to them, at their shown times and positions.
    """
    start = day_window(day - timedelta(days=BASELINE_DAYS + 1))[0].timestamp()
    end = day_window(day)[1].timestamp()
    rows: dict[str, FloatColumns] = coverage_columns(
        conn, start, end, visible_reports=visible, with_incidents=shown is None
    )
    src, w0, w1, wx, wy = rows["windows"]
    it, ix, iy = rows["impediments"]
    ct, cx, cy = rows["incidents"]
    if shown is not None:
        seen = shown.incidents(start, end, detail=False).incidents
        ct, cx, cy = seen.observed_at_s, seen.lon, seen.lat
    data = CoverageInput(
        sectors=oblasts.iso,
        window_sector=_sector_of(oblasts, wx, wy),
        window_source=src.astype(np.int64),
        window_start_s=w0,
        window_end_s=w1,
        impediment_sector=_sector_of(oblasts, ix, iy),
        impediment_s=it,
        incident_sector=_sector_of(oblasts, cx, cy),
        incident_s=ct,
    )
    return local_day_coverage(data, day, MISSION_TZ)


def _placed_incidents(incidents: IncidentColumns, oblasts: Oblasts) -> IncidentColumns:
    if not len(incidents):
        return incidents
    return dataclasses.replace(incidents, oblast=oblasts.assign(incidents.lon, incidents.lat))


def build_daily_report(
    store: Store,
    day: date,
    out_dir: Path,
    *,
    regions: tuple[str, ...] = (),
    oblasts: Oblasts | None = None,
    book: AgreementBook | None = None,
    now: datetime | None = None,
    visible_reports: ColumnElement[bool] | None = None,
    shown: ShownSource | None = None,
) -> DailyReportFiles:
    """Write ``report.html``, ``report.md``, ``map.png`` and ``trend.png`` for ``day`` (a Kyiv day).

    ``regions`` limits the report to oblasts (ISO 3166-2 codes or names; unknown ones raise
    ``InputError``). ``book`` (the stored agreement versions, compiled) may be passed in when
    several reports are written in a row; it is built from the store otherwise.

    ``visible_reports`` is the reader's releasability: a SQLAlchemy boolean clause over
    ``ceasefire.store.schema.reports`` (``None``: every report). Every query of the report
    goes through ``ceasefire.store.queries.ReportScope`` with it: raw counts, lists, map and
    trend use visible reports only; an incident counts when one of its reports is visible,
    and a violation when its incident counts; impediments that flag coverage are visible
    reports too. Nothing of a hidden report (source, text, position) reaches the files.

    ``shown`` (the reader's incidents as shown to them, ``ShownSource``) is what the HQ passes
    for a reader: then every incident and violation figure — the incidents-and-coverage
    table, the rules-and-zones table, the weapons in violation, the map's colours and the
    trend's violations — counts the incidents shown to the reader on the day of their shown
    time, at their shown position, with the rule judgments shown (a tearline's, judged again
    at its position), each judgment tied to the incident's earliest visible report; the
    three violation totals (summary and incidents table, rules table, trend) then agree.
    Without it (the system's own view) incidents are whole, as described above.
    """
    oblasts = oblasts or Oblasts.default()
    region_codes = oblasts.select(regions) if regions else None
    region_labels = (
        tuple(oblasts.names[int(c)] for c in region_codes) if region_codes is not None else ()
    )
    if book is None:
        book = agreement_book(store)
    version = _version_for(book, day) if book is not None else None
    start, end = day_window(day)
    visible = visible_reports
    with engine_of(store).connect() as conn:
        today = _place(
            fetch_window(conn, start, end, with_violations=shown is None, visible_reports=visible),
            oblasts,
            version,
        )
        day_shown: ShownIncidents | None = None
        if shown is not None:
            day_shown = shown.incidents(start.timestamp(), end.timestamp(), first_reports=True)
            tied = day_shown.for_window_reports(today.reports.row_id)
            today = dataclasses.replace(today, violations=tied)
        before = day_window(day - timedelta(days=1))[0]
        previous = _place(
            fetch_window(
                conn,
                before,
                start,
                with_violations=False,
                with_notes=False,
                visible_reports=visible,
            ),
            oblasts,
            None,
        )
        incidents = _placed_incidents(
            day_shown.incidents
            if day_shown is not None
            else fetch_incidents(conn, start, end, visible_reports=visible),
            oblasts,
        )
        coverage = _coverage(conn, day, oblasts, visible, shown)
        if region_codes is not None:
            days = tuple(day - timedelta(days=TREND_DAYS - 1 - k) for k in range(TREND_DAYS))
            series = _regional_series(conn, days, oblasts, region_codes, visible, shown=shown)
        else:
            series = _series(conn, day, today, visible, shown)
    policy = withdrawal_policy(version.agreement.rules) if version else WithdrawalPolicy()
    summary = summarise_day(
        day,
        today.reports,
        today.violations,
        previous.reports,
        series,
        oblast_names=oblasts.names,
        policy=policy,
        region_codes=region_codes,
        region_labels=region_labels,
        incidents=incidents,
        coverage=coverage,
        oblast_iso=oblasts.iso,
    )
    label = (
        f"agreement {version.agreement.id} v{version.agreement.version}"
        if version
        else "no agreement loaded"
    )
    html = render_daily(summary, out_dir, oblasts=oblasts, version=version, label=label, now=now)
    return DailyReportFiles(day=day, html=html, markdown=out_dir / "report.md", summary=summary)


def render_daily(
    summary: DailySummary,
    out_dir: Path,
    *,
    oblasts: Oblasts,
    version: JudgingVersion | None,
    label: str,
    now: datetime | None = None,
) -> Path:
    """Draw the map and the trend, lay the report out and write it; returns the HTML path."""
    scope = ", ".join(summary.regions) if summary.regions else "all oblasts"
    map_png = render_map(
        map_layers(
            oblasts,
            version.geography if version else None,
            east_party_name=version.agreement.parties[-1].name if version else None,
        ),
        summary.points,
        title=f"Ceasefire monitoring — {summary.day:%d %B %Y} (00:00–24:00 Kyiv time)",
        subtitle=f"{summary.n_reports:,} reports, {scope}; {label}",
    )
    trend_png = render_trend(
        summary.trend,
        day=summary.day,
        title=f"Last {len(summary.trend.days)} days to {summary.day:%d %B %Y} — {scope}",
    )
    doc = build_daily_document(
        summary, map_png=map_png, trend_png=trend_png, agreement_label=label, generated_at=now
    )
    return write_document(doc, out_dir)
