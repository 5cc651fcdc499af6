"""Write a daily report from the store: query, place, aggregate, draw, lay out, write.

The one service the CLI (``ceasefire report daily``), the demo and later the HQ call. The
steps are separate functions so each can be reused: ``load_day`` (store → columns),
``summarise`` (pure aggregation, ``ceasefire.monitoring.daily``), ``render_daily`` (pictures
and files).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ceasefire.assessment.coverage import BASELINE_DAYS, CoverageInput, SectorDay
from ceasefire.errors import StoreError
from ceasefire.geo.placement import place_points
from ceasefire.monitoring.columns import (
    DailySeries,
    RawWindow,
    WithdrawalPolicy,
    category_code,
    withdrawal_policy,
)
from ceasefire.monitoring.daily import (
    MISSION_TZ,
    DailySummary,
    day_window,
    series_from_window,
    summarise_day,
)
from ceasefire.monitoring.oblasts import Oblasts
from ceasefire.monitoring.sectors import IncidentColumns, local_day_coverage
from ceasefire.monitoring.shown import tie_to_reports
from ceasefire.monitoring.sightings import WEAPON_CATEGORIES
from ceasefire.pipeline.agreements import AgreementBook, JudgingVersion
from ceasefire.reporting.charts import render_map, render_trend
from ceasefire.reporting.daily_document import build_daily_document
from ceasefire.reporting.layers import map_layers
from ceasefire.reporting.reads import ReportReads, ShownSource
from ceasefire.reporting.render import write_document

if TYPE_CHECKING:
    from ceasefire.store.base import Store

TREND_DAYS = 30


@dataclass(frozen=True, slots=True)
class DailyReportFiles:
    """Where a daily report was written, and the numbers it shows."""

    day: date
    html: Path
    markdown: Path
    summary: DailySummary


def latest_day(reads: ReportReads) -> date:
    """The (Kyiv) day of the latest observation the reader may see; ``StoreError`` for an
    empty store (or one where every report is hidden from the reader)."""
    day = reads.latest_day()
    if day is None:
        raise StoreError("no reports stored yet: run `ceasefire ingest FILE` first")
    return day


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


def _series(reads: ReportReads, day: date, today: RawWindow, shown: ShownSource) -> DailySeries:
    """The 30-day trend: the 29 days before grouped in SQL, the report's own day binned from
    the columns already loaded (it is usually the largest; no need to scan it twice). The
    violations are those of ``shown``, by shown day (the report day's are put in by
    ``summarise_day`` from the same judgments as its tables)."""
    before = reads.daily_series(day - timedelta(days=1), TREND_DAYS - 1)
    by_sev = shown.violations_by_severity(_edges(before.days))
    own = series_from_window((day,), today.reports, today.violations)
    return DailySeries(
        days=(*before.days, day),
        fire=np.concatenate([before.fire, own.fire]),
        reports=np.concatenate([before.reports, own.reports]),
        violations_by_severity=np.concatenate([by_sev, own.violations_by_severity]),
    )


def _regional_series(
    reads: ReportReads,
    days: tuple[date, ...],
    oblasts: Oblasts,
    region_codes: NDArray[np.int16],
    shown: ShownSource,
) -> DailySeries:
    """The trend of some oblasts: the whole period's columns, placed and binned (slower),
    with the violations shown with the incidents placed in them."""
    raw = reads.window(day_window(days[0])[0], day_window(days[-1])[1], with_notes=False)
    keep = np.isin(oblasts.assign(raw.reports.lon, raw.reports.lat), region_codes)
    series = series_from_window(days, raw.reports.take(keep), raw.violations.for_reports(keep))
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
    reads: ReportReads, day: date, oblasts: Oblasts, shown: ShownSource
) -> tuple[SectorDay, ...]:
    """Coverage of every oblast on ``day`` (Kyiv), with its baseline over the days before.

    Reads declared windows, impediment reports and incidents from a day before the baseline
    period (the local-day shift in ``local_day_coverage`` moves times by up to 3 hours) to the
    end of the day, within the reader's scope, and places them in oblasts. The incidents are
    those ``shown``, at their shown times and positions.
    """
    start = day_window(day - timedelta(days=BASELINE_DAYS + 1))[0].timestamp()
    end = day_window(day)[1].timestamp()
    rows = reads.coverage(start, end)
    src, w0, w1, wx, wy = rows["windows"]
    it, ix, iy = rows["impediments"]
    seen = shown.incidents(start, end, detail=False).incidents
    data = CoverageInput(
        sectors=oblasts.iso,
        window_sector=_sector_of(oblasts, wx, wy),
        window_source=src.astype(np.int64),
        window_start_s=w0,
        window_end_s=w1,
        impediment_sector=_sector_of(oblasts, ix, iy),
        impediment_s=it,
        incident_sector=_sector_of(oblasts, seen.lon, seen.lat),
        incident_s=seen.observed_at_s,
    )
    return local_day_coverage(data, day, MISSION_TZ)


def _placed_incidents(incidents: IncidentColumns, oblasts: Oblasts) -> IncidentColumns:
    if not len(incidents):
        return incidents
    return dataclasses.replace(incidents, oblast=oblasts.assign(incidents.lon, incidents.lat))


def build_daily_report(
    reads: ReportReads,
    day: date,
    out_dir: Path,
    *,
    regions: tuple[str, ...] = (),
    oblasts: Oblasts | None = None,
    book: AgreementBook | None = None,
    now: datetime | None = None,
    shown: ShownSource | None = None,
    step: Callable[[str], None] | None = None,
) -> DailyReportFiles:
    """Write ``report.html``, ``report.md``, ``map.png`` and ``trend.png`` for ``day`` (a Kyiv day).

    ``reads`` (``reporting.reads.ReportReads``) is the store as the reader may see it: raw
    counts, lists, map and trend use its visible reports only, and nothing of a hidden report
    (source, text, position) reaches the files. ``regions`` limits the report to oblasts (ISO
    3166-2 codes or names; unknown ones raise ``InputError``). ``book`` (the stored agreement
    versions, compiled: ``agreement_book``) names the rules and zones; without it the report
    says no agreement is loaded.

    Every incident and violation figure (summary, narrative, incidents-and-coverage table,
    rules-and-zones table, the map's colours, the trend's violations) counts the incidents
    of ``shown`` (default ``reads.system_view()``, the stored incidents whole; the HQ passes
    a reader's ``api.shown.ReaderView``) on the day of their shown time, at their shown
    position, with their rule judgments: one set of totals, ``summary.totals``. For the
    system view those are the violations ``ceasefire violations`` lists for the day's
    window. ``step`` is told what is being done (the CLI's progress line).
    """
    tell = step or (lambda _what: None)
    shown = shown if shown is not None else reads.system_view()
    oblasts = oblasts or Oblasts.default()
    region_codes = oblasts.select(regions) if regions else None
    region_labels = (
        tuple(oblasts.names[int(c)] for c in region_codes) if region_codes is not None else ()
    )
    version = _version_for(book, day) if book is not None else None
    start, end = day_window(day)
    tell("reading the day's reports")
    today = _place(reads.window(start, end), oblasts, version)
    tell("reading the day's incidents and violations")
    day_shown = shown.incidents(start.timestamp(), end.timestamp())
    # A report of the day may belong to an incident that began the day before (its rules
    # count there); it still shows as in violation on the map and in the weapons lists.
    before = day_window(day - timedelta(days=1))[0]
    since_before = shown.incidents(before.timestamp(), start.timestamp())
    row_id = today.reports.row_id
    links = reads.incident_links(row_id)
    tied = tie_to_reports(day_shown, row_id, links)
    tied_before = tie_to_reports(since_before, row_id, links)
    today = dataclasses.replace(today, violations=tied.concatenate(tied_before))
    day_shown = dataclasses.replace(
        day_shown, incidents=_placed_incidents(day_shown.incidents, oblasts)
    )
    previous = _place(reads.window(before, start, with_notes=False), oblasts, None)
    tell("coverage of the day and its baseline")
    coverage = _coverage(reads, day, oblasts, shown)
    tell("the 30-day trend")
    if region_codes is not None:
        days = tuple(day - timedelta(days=TREND_DAYS - 1 - k) for k in range(TREND_DAYS))
        series = _regional_series(reads, days, oblasts, region_codes, shown)
    else:
        series = _series(reads, day, today, shown)
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
        shown=day_shown,
        coverage=coverage,
        oblast_iso=oblasts.iso,
    )
    label = (
        f"agreement {version.agreement.id} v{version.agreement.version}"
        if version
        else "no agreement loaded"
    )
    tell("drawing the map and the trend")
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
