"""The daily report's numbers: a pure function of one day's columns (and the day before).

Modelled on the OSCE SMM daily report (``docs/reports.md``): ceasefire violations per oblast
and category with the change against the previous day; violations by rule and zone; weapons in
violation of withdrawal lines, weapons beyond them outside storage sites, weapons at storage
sites; military presence; restrictions of movement and impeded sensors; civilian casualties
and damage; a 30-day trend. Every count sums the reports' ``count`` ("42 explosions" is one
report that adds 42); withdrawn and superseded reports never reach this module. Beside these
raw counts, ``ceasefire.monitoring.sectors`` counts the fused incidents per oblast with the
oblast's coverage and flags quiet oblasts whose coverage was degraded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import NDArray

from ceasefire.assessment.coverage import SectorDay
from ceasefire.monitoring.columns import (
    DailySeries,
    ViolationColumns,
    WindowReports,
    WithdrawalPolicy,
    category_code,
)
from ceasefire.monitoring.narrative import RegionNotes, region_notes
from ceasefire.monitoring.sectors import SectorTable, summarise_sectors
from ceasefire.monitoring.shown import ShownIncidents
from ceasefire.monitoring.sightings import (
    Sighting,
    listed_events,
    weapon_sightings,
)
from ceasefire.monitoring.tables import (
    ACCESS_ORDER,
    CIVILIAN_ORDER,
    FIRE_ORDER,
    PRESENCE_ORDER,
    CountTable,
    count_table,
)
from ceasefire.reports.model import Category


@dataclass(frozen=True, slots=True)
class RuleZoneRow:
    """Violations of one rule in one zone (``zone`` is ``None`` for a rule valid anywhere).

    ``certain``/``possible`` count violation records (incident × rule, so also incidents):
    the same records as ``ceasefire violations`` lists for the day.
    """

    rule_id: str
    article: str
    severity: int
    zone: str | None
    certain: int
    possible: int


@dataclass(frozen=True, eq=False)
class MapPoints:
    """Located reports for the map; ``severity`` is the most severe violation, 0 for none."""

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    severity: NDArray[np.int8]
    certain: NDArray[np.bool_]
    count: NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class DayTotals:
    """The day's headline figures, computed once; every section of the report quotes these.

    ``fire`` sums the counts of the fire categories' reports (the SMM's "ceasefire
    violations"); ``violations`` are violation records (incident × rule) of the incidents of
    the day (by their own, or shown, time); ``by_severity[k]`` those of severity ``k + 1``.
    """

    reports: int
    reports_previous: int
    fire: int
    fire_previous: int
    incidents: int
    fire_incidents: int
    incidents_in_violation: int
    violations: int
    certain: int
    by_severity: tuple[int, int, int, int, int]
    weapons_in_violation: int
    restrictions: int
    civilian: int


@dataclass(frozen=True, eq=False)
class DailySummary:
    """Everything the daily report shows, computed; renderers only lay it out."""

    day: date
    window_start: datetime
    window_end: datetime
    regions: tuple[str, ...]
    n_reports: int
    n_reports_previous: int
    fire: CountTable
    fire_previous: CountTable
    presence: CountTable
    access: CountTable
    civilian: CountTable
    rules: tuple[RuleZoneRow, ...]
    weapons_in_violation: tuple[Sighting, ...]
    weapons_outside_storage: tuple[Sighting, ...]
    weapons_at_storage: dict[str, int]
    access_events: tuple[Sighting, ...]
    civilian_events: tuple[Sighting, ...]
    truncated: dict[str, int]
    points: MapPoints
    trend: DailySeries
    sectors: SectorTable
    totals: DayTotals
    regions_notes: tuple[RegionNotes, ...]


def _kyiv() -> ZoneInfo:
    for key in ("Europe/Kyiv", "Europe/Kiev"):
        try:
            return ZoneInfo(key)
        except ZoneInfoNotFoundError:
            continue
    raise ZoneInfoNotFoundError("neither Europe/Kyiv nor Europe/Kiev is known (install tzdata)")


#: The mission's calendar: a report's day is a day in Kyiv, as the SMM's days were local.
MISSION_TZ: tzinfo = _kyiv()


def day_window(day: date, tz: tzinfo = MISSION_TZ) -> tuple[datetime, datetime]:
    """The reporting window of ``day``: [00:00, 24:00) local time in ``tz``, as UTC datetimes.

    The SMM's cut-off was 19:30 local time; a whole local calendar day is used instead so that
    days never overlap and a dataset of dated events (UCDP, ACLED: whole Kyiv days) falls on
    the day it names. A day with a clock change lasts 23 or 25 hours.

    >>> [t.isoformat() for t in day_window(date(2015, 2, 15))]
    ['2015-02-14T22:00:00+00:00', '2015-02-15T22:00:00+00:00']
    """
    start = datetime.combine(day, time(0), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    return start, end


def summarise_day(
    day: date,
    today: WindowReports,
    violations: ViolationColumns,
    previous: WindowReports,
    trend: DailySeries,
    *,
    oblast_names: tuple[str, ...],
    policy: WithdrawalPolicy,
    region_codes: NDArray[np.int16] | None = None,
    region_labels: tuple[str, ...] = (),
    shown: ShownIncidents | None = None,
    coverage: Sequence[SectorDay] = (),
    oblast_iso: tuple[str, ...] = (),
    tz: tzinfo = MISSION_TZ,
) -> DailySummary:
    """Aggregate one day's reports and violations into the daily report's tables.

    ``previous`` is the day before (only its fire counts are used, for the change column).
    With ``region_codes`` only reports located in those oblasts count; unlocated reports are
    then left out, since they cannot be shown to lie in the region. ``shown`` (the day's
    incidents, placed in oblasts, with their rule judgments) and ``coverage`` (per sector,
    keyed by the ISO codes ``oblast_iso``) feed the per-sector table of incidents and
    coverage (``ceasefire.monitoring.sectors``), the rules table and every violation total;
    ``violations`` (the same judgments tied to the window's reports) only colour the map and
    name the weapons in violation. The last day of ``trend`` is overwritten with the
    judgments' severities, so the trend cannot disagree with the tables.
    """
    shown = shown if shown is not None else ShownIncidents.empty()
    if region_codes is not None:
        keep = np.isin(today.oblast, region_codes)
        violations = violations.for_reports(keep)
        today = today.take(keep)
        previous = previous.take(np.isin(previous.oblast, region_codes))
        shown = shown.take(np.isin(shown.incidents.oblast, region_codes))
        wanted = {oblast_iso[int(c)] for c in region_codes if int(c) < len(oblast_iso)}
        coverage = [c for c in coverage if c.sector in wanted]

    def table(reports: WindowReports, columns: tuple[Category, ...]) -> CountTable:
        return count_table(
            reports.oblast,
            reports.category,
            reports.count,
            oblast_names=oblast_names,
            columns=columns,
        )

    start, end = day_window(day, tz)
    worst, worst_certain = _worst_violation(len(today), violations)
    in_violation, beyond, at_storage, weapons_more = weapon_sightings(
        today, violations, policy, oblast_names
    )
    access_events, access_more = listed_events(today, ACCESS_ORDER, oblast_names)
    civilian_events, civilian_more = listed_events(today, CIVILIAN_ORDER, oblast_names)
    located = np.isfinite(today.lon) & np.isfinite(today.lat)
    incidents, judged = shown.incidents, shown.judged
    sectors = summarise_sectors(
        today,
        incidents,
        coverage,
        oblast_names=oblast_names,
        oblast_iso=oblast_iso or oblast_names,
    )
    by_sev = np.bincount(np.clip(judged.severity.astype(np.int64), 1, 5) - 1, minlength=5).astype(
        np.int64
    )
    trend = _with_last_day(trend, day, by_sev)
    fire, fire_previous = table(today, FIRE_ORDER), table(previous, FIRE_ORDER)
    access, civilian = table(today, ACCESS_ORDER), table(today, CIVILIAN_ORDER)
    totals = DayTotals(
        reports=len(today),
        reports_previous=len(previous),
        fire=fire.total,
        fire_previous=fire_previous.total,
        incidents=sectors.total.incidents,
        fire_incidents=sectors.total.fire_incidents,
        incidents_in_violation=sectors.total.incidents_in_violation,
        violations=len(judged),
        certain=int(judged.certain.sum()),
        by_severity=(
            int(by_sev[0]),
            int(by_sev[1]),
            int(by_sev[2]),
            int(by_sev[3]),
            int(by_sev[4]),
        ),
        weapons_in_violation=len(in_violation) + weapons_more["weapons_in_violation"],
        restrictions=access.total,
        civilian=civilian.total,
    )
    return DailySummary(
        day=day,
        window_start=start,
        window_end=end,
        regions=region_labels,
        n_reports=len(today),
        n_reports_previous=len(previous),
        fire=fire,
        fire_previous=fire_previous,
        presence=table(today, PRESENCE_ORDER),
        access=access,
        civilian=civilian,
        rules=_rule_zone_rows(judged),
        weapons_in_violation=in_violation,
        weapons_outside_storage=beyond,
        weapons_at_storage=at_storage,
        access_events=access_events,
        civilian_events=civilian_events,
        truncated={
            **weapons_more,
            "access_events": access_more,
            "civilian_events": civilian_more,
        },
        points=MapPoints(
            lon=today.lon[located],
            lat=today.lat[located],
            severity=worst[located],
            certain=worst_certain[located],
            count=today.count[located],
        ),
        trend=trend,
        sectors=sectors,
        totals=totals,
        regions_notes=region_notes(
            today,
            shown,
            oblast_names=oblast_names,
            fire=fire,
            fire_previous=fire_previous,
            weapons=in_violation,
        ),
    )


def _with_last_day(trend: DailySeries, day: date, by_sev: NDArray[np.int64]) -> DailySeries:
    """``trend`` with the violations of ``day`` (its last day) replaced by ``by_sev``."""
    if not trend.days or trend.days[-1] != day:
        return trend
    rows = trend.violations_by_severity.copy()
    rows[-1] = by_sev
    return DailySeries(trend.days, trend.fire, trend.reports, rows)


def _worst_violation(
    n: int, violations: ViolationColumns
) -> tuple[NDArray[np.int8], NDArray[np.bool_]]:
    """Per report: the highest severity violated (0 for none), and whether it is certain."""
    # A certain violation outranks a possible one of the same severity: rank = 2*sev + certain.
    rank = np.zeros(n, dtype=np.int16)
    np.maximum.at(
        rank,
        violations.report_row,
        violations.severity.astype(np.int16) * 2 + violations.certain.astype(np.int16),
    )
    return (rank // 2).astype(np.int8), (rank % 2 == 1) | (rank == 0)


def _natural(text: str) -> tuple[tuple[int, str], ...]:
    """Sort key putting R2 before R11: digit runs compare as numbers."""
    return tuple(
        (int(part), "") if part.isdigit() else (0, part) for part in re.split(r"(\d+)", text)
    )


def _rule_zone_rows(violations: ViolationColumns) -> tuple[RuleZoneRow, ...]:
    """One row per (rule, zone) pair present, most severe first, then by rule id."""
    if not len(violations):
        return ()
    n_zones = len(violations.zone_ids) + 1
    key = violations.rule.astype(np.int64) * n_zones + (violations.zone.astype(np.int64) + 1)
    uniq, inverse = np.unique(key, return_inverse=True)
    certain = np.bincount(inverse, weights=violations.certain, minlength=uniq.size)
    total = np.bincount(inverse, minlength=uniq.size)
    severity = np.zeros(uniq.size, dtype=np.int64)
    np.maximum.at(severity, inverse, violations.severity.astype(np.int64))
    rows = []
    for i, k in enumerate(uniq):
        rule, zone = divmod(int(k), n_zones)
        rows.append(
            RuleZoneRow(
                rule_id=violations.rule_ids[rule],
                article=violations.rule_articles[rule],
                severity=int(severity[i]),
                zone=violations.zone_ids[zone - 1] if zone > 0 else None,
                certain=round(certain[i]),
                possible=int(total[i]) - round(certain[i]),
            )
        )
    rows.sort(key=lambda r: (-r.severity, _natural(r.rule_id), r.zone or ""))
    return tuple(rows)


def series_from_window(
    days: tuple[date, ...],
    reports: WindowReports,
    violations: ViolationColumns,
    *,
    tz: tzinfo = MISSION_TZ,
) -> DailySeries:
    """The trend's per-day totals binned from loaded columns (the regional trend).

    The store groups the all-oblast trend in SQL; a trend limited to some oblasts needs each
    report's oblast, so it is binned here from the window's columns instead. Reports outside
    ``days`` are ignored. Same totals as ``ceasefire.store.report_days.fetch_daily_series``.
    """
    edges = np.asarray(
        [day_window(d, tz)[0].timestamp() for d in days] + [day_window(days[-1], tz)[1].timestamp()]
    )
    k = np.searchsorted(edges, reports.observed_at_s, side="right") - 1
    inside = (k >= 0) & (k < len(days))
    fire = np.isin(reports.category, [category_code(c) for c in FIRE_ORDER]) & inside
    n = len(days)
    by_sev = np.zeros((n, 5), dtype=np.int64)
    if len(violations):
        vk = k[violations.report_row]
        ok = inside[violations.report_row]
        sev = np.clip(violations.severity.astype(np.int64), 1, 5) - 1
        np.add.at(by_sev, (vk[ok], sev[ok]), 1)
    return DailySeries(
        days=days,
        fire=np.bincount(k[fire], weights=reports.count[fire], minlength=n)
        .round()
        .astype(np.int64),
        reports=np.bincount(k[inside], minlength=n).astype(np.int64),
        violations_by_severity=by_sev,
    )
