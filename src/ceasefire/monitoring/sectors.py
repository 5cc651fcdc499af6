"""Incidents, violations and raw report counts per sector (oblast), each with its coverage.

The daily report's raw counts sum observation reports, as the SMM's did: two posts hearing the
same four explosions both count. Fusion (``docs/fusion.md``) turns reports into *incidents*, one
per physical event, and the rules judge incidents. A mission reader needs both, and needs to
know how well each sector was watched: a sector that reports nothing while its cameras were
blinded or its patrols turned back is not calm, it is unobserved. This module lays the three
side by side, per sector and in total, from plain columns (no store):

* raw reports (number) and fire observed (sum of the fire reports' ``count``);
* incidents (active fused events of the day), incidents with at least one active violation,
  and violation records (incident × rule);
* coverage (``ceasefire.assessment.coverage``): observer-hours, observers, impediment
  reports, the sector's baseline, and whether coverage was *degraded*.

A sector is **quiet but degraded** when its coverage was degraded and it had at most
``FEW_INCIDENTS`` fire incidents (explosions, projectiles, flashes, flares, bursts, shots: the
SMM's ceasefire violations): the absence of reports there is not an absence of fire. Other
incidents do not make a sector loud: the impeded sensors that degrade its coverage are
incidents themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, tzinfo

import numpy as np
from numpy.typing import NDArray

from ceasefire.assessment.coverage import CoverageInput, SectorDay, coverage_on
from ceasefire.monitoring.columns import WindowReports, category_code
from ceasefire.monitoring.tables import FIRE_ORDER, UNLOCATED
from ceasefire.reports.model import Category

#: At most this many fire incidents in a sector with degraded coverage reads as "quiet".
FEW_INCIDENTS = 2

#: Reports that say the mission could not see: they degrade their sector's coverage.
IMPEDIMENT_CATEGORIES = (Category.SENSOR_IMPEDED, Category.MOVEMENT_RESTRICTION)

#: What the report prints beside a quiet sector whose coverage was degraded.
QUIET_BUT_DEGRADED = "quiet but degraded coverage — absence of reports is not absence of fire"


@dataclass(frozen=True, eq=False)
class IncidentColumns:
    """The day's active incidents, one entry per incident, as the store returns them.

    ``oblast`` indexes the oblast names (``-1``: unlocated or outside Ukraine), filled by the
    caller from ``lon``/``lat`` (the fused location). ``violations`` counts the incident's
    active violation records (one per rule broken), ``certain`` those of them judged certain.
    """

    incident_id: NDArray[np.int64]
    observed_at_s: NDArray[np.float64]
    category: NDArray[np.int16]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    oblast: NDArray[np.int16]
    violations: NDArray[np.int64]
    certain: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.incident_id.shape[0])

    def take(self, mask: NDArray[np.bool_]) -> IncidentColumns:
        """The incidents where ``mask`` is true."""
        return IncidentColumns(
            incident_id=self.incident_id[mask],
            observed_at_s=self.observed_at_s[mask],
            category=self.category[mask],
            lon=self.lon[mask],
            lat=self.lat[mask],
            oblast=self.oblast[mask],
            violations=self.violations[mask],
            certain=self.certain[mask],
        )

    @classmethod
    def empty(cls) -> IncidentColumns:
        """No incidents (a store without fusion, or a day without any)."""
        f, i = np.empty(0, np.float64), np.empty(0, np.int64)
        return cls(i, f, np.empty(0, np.int16), f, f, np.empty(0, np.int16), i, i)


@dataclass(frozen=True, slots=True)
class SectorRow:
    """One sector's counts and coverage; ``observer_hours``, ``baseline_hours`` and
    ``observers`` are ``None`` when no observer window was declared there that day or in the
    baseline days (real event data such as UCDP): coverage unknown, not zero."""

    sector: str
    reports: int
    fire_observed: int
    incidents: int
    fire_incidents: int
    incidents_in_violation: int
    violations: int
    observer_hours: float | None
    baseline_hours: float | None
    observers: int | None
    impediments: int
    degraded: bool
    quiet_but_degraded: bool


@dataclass(frozen=True, eq=False)
class SectorTable:
    """Per-sector rows (oblasts with anything to show, then ``UNLOCATED``) and their total.

    The total's ``degraded`` is true when any sector's is; its ``quiet_but_degraded`` is never
    set (a whole front is not "quiet" because one sector is).
    """

    rows: tuple[SectorRow, ...]
    total: SectorRow

    def row(self, sector: str) -> SectorRow | None:
        """The row of ``sector`` (an oblast name), ``None`` when it is not shown."""
        return next((r for r in self.rows if r.sector == sector), None)

    @property
    def quiet_but_degraded(self) -> tuple[str, ...]:
        """Names of the sectors flagged quiet but degraded, in table order."""
        return tuple(r.sector for r in self.rows if r.quiet_but_degraded)


def local_day_coverage(data: CoverageInput, day: date, tz: tzinfo) -> tuple[SectorDay, ...]:
    """Coverage of ``day`` as a local calendar day in ``tz`` (the report's Kyiv day).

    ``coverage_on`` works in UTC days; the report's day is a Kyiv day. Every time is shifted
    by the local UTC offset at noon of ``day`` so that local midnight falls on UTC midnight,
    and the shifted data are handed to ``coverage_on`` unchanged (one definition of coverage,
    baseline and degradation). On the two days a year with a clock change the window is
    24 hours from local midnight, one hour off the 23- or 25-hour local day.
    """
    offset = datetime.combine(day, time(12), tz).utcoffset()
    shift_s = offset.total_seconds() if offset is not None else 0.0
    shifted = replace(
        data,
        window_start_s=data.window_start_s + shift_s,
        window_end_s=data.window_end_s + shift_s,
        impediment_s=data.impediment_s + shift_s,
        incident_s=data.incident_s + shift_s,
    )
    return tuple(coverage_on(shifted, day))


def _per_row(
    index: NDArray[np.int64], n: int, weights: NDArray[np.int64] | None = None
) -> NDArray[np.int64]:
    if weights is None:
        return np.bincount(index, minlength=n).astype(np.int64)
    return np.rint(np.bincount(index, weights=weights.astype(np.float64), minlength=n)).astype(
        np.int64
    )


def summarise_sectors(
    reports: WindowReports,
    incidents: IncidentColumns,
    coverage: Sequence[SectorDay],
    *,
    oblast_names: tuple[str, ...],
    oblast_iso: tuple[str, ...],
) -> SectorTable:
    """Counts per sector next to its coverage (``coverage`` is keyed by ISO 3166-2 code).

    A sector is shown when it has a report, an incident or any coverage record; unlocated
    reports and incidents get the ``UNLOCATED`` row, which has no coverage. ``coverage``'s own
    incident counts are not used: the incidents given here (those a reader may see) decide
    whether a degraded sector was quiet.
    """
    n = len(oblast_names) + 1

    def row_of(oblast: NDArray[np.int16]) -> NDArray[np.int64]:
        return np.where(oblast < 0, n - 1, oblast).astype(np.int64)

    r_row = row_of(reports.oblast)
    fire = np.isin(reports.category, [category_code(c) for c in FIRE_ORDER])
    n_reports = _per_row(r_row, n)
    fire_observed = _per_row(r_row[fire], n, reports.count[fire])
    i_row = row_of(incidents.oblast)
    i_fire = np.isin(incidents.category, [category_code(c) for c in FIRE_ORDER])
    n_incidents = _per_row(i_row, n)
    fire_incidents = _per_row(i_row[i_fire], n)
    in_violation = _per_row(i_row[incidents.violations > 0], n)
    n_violations = _per_row(i_row, n, incidents.violations)
    impeded = np.isin(reports.category, [category_code(c) for c in IMPEDIMENT_CATEGORIES])
    n_impediments = _per_row(r_row[impeded], n)
    by_iso = {c.sector: c for c in coverage}
    rows: list[SectorRow] = []
    for k in range(n):
        cov = by_iso.get(oblast_iso[k]) if k < n - 1 else None
        if cov is None and not n_reports[k] and not n_incidents[k]:
            continue
        # an impediment degrades a sector's coverage (``assessment.coverage``); the unlocated
        # row is no sector and has no coverage to degrade
        degraded = k < n - 1 and (n_impediments[k] > 0 or (cov is not None and cov.degraded))
        # no window that day and none in the baseline days: coverage unknown, not zero
        declared = cov is not None and (cov.observer_hours > 0 or cov.baseline_hours is not None)
        rows.append(
            SectorRow(
                sector=oblast_names[k] if k < n - 1 else UNLOCATED,
                reports=int(n_reports[k]),
                fire_observed=int(fire_observed[k]),
                incidents=int(n_incidents[k]),
                fire_incidents=int(fire_incidents[k]),
                incidents_in_violation=int(in_violation[k]),
                violations=int(n_violations[k]),
                observer_hours=cov.observer_hours if cov and declared else None,
                baseline_hours=cov.baseline_hours if cov and declared else None,
                observers=cov.observers if cov and declared else None,
                impediments=int(n_impediments[k]),
                degraded=bool(degraded),
                quiet_but_degraded=bool(degraded) and int(fire_incidents[k]) <= FEW_INCIDENTS,
            )
        )
    covered = [r for r in rows if r.observer_hours is not None]
    total = SectorRow(
        sector="Total",
        reports=int(n_reports.sum()),
        fire_observed=int(fire_observed.sum()),
        incidents=int(n_incidents.sum()),
        fire_incidents=int(fire_incidents.sum()),
        incidents_in_violation=int(in_violation.sum()),
        violations=int(n_violations.sum()),
        observer_hours=round(sum(r.observer_hours or 0.0 for r in covered), 2) if covered else None,
        baseline_hours=None,
        observers=None,  # one observer may watch two sectors: not a sum
        impediments=sum(r.impediments for r in rows),
        degraded=any(r.degraded for r in rows),
        quiet_but_degraded=False,
    )
    return SectorTable(rows=tuple(rows), total=total)
