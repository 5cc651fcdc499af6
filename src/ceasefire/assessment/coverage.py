"""Coverage per sector and day: how well the mission could see, so a quiet day can be read.

A sector with no incidents is only quiet if someone was watching. For each sector (oblast,
ISO 3166-2, as the guarantees read them) and UTC day this counts the **observer-hours**
declared there (UAV sorties, camera and post windows, patrol stops: each window clipped to the
day, counted where its centre lies), the distinct observers, and the **impediments** reported
there (``sensor_impeded``, ``movement_restriction``). Coverage is *degraded* when impediments
were reported or the observer-hours fell below ``DEGRADED_BELOW`` of the sector's baseline
(the median over those of the preceding ``BASELINE_DAYS`` days on which the mission declared
any coverage; none before: no baseline); a sector-day with no
incidents and degraded coverage is flagged ``quiet_but_degraded``: silence, not calm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

import numpy as np
from numpy.typing import NDArray

DAY_S: Final = 86_400.0
DEGRADED_BELOW: Final = 0.75
BASELINE_DAYS: Final = 7


@dataclass(frozen=True)
class SectorDay:
    """Coverage of one sector on one UTC day."""

    sector: str
    day: date
    observer_hours: float
    observers: int
    impediments: int
    incidents: int
    baseline_hours: float | None
    degraded: bool
    quiet_but_degraded: bool


@dataclass(frozen=True)
class CoverageInput:
    """Columns: declared windows, impediment reports and incidents, each with a sector index
    into ``sectors`` (-1: outside every sector, ignored); times epoch seconds UTC."""

    sectors: tuple[str, ...]
    window_sector: NDArray[np.int64]
    window_source: NDArray[np.int64]
    window_start_s: NDArray[np.float64]
    window_end_s: NDArray[np.float64]
    impediment_sector: NDArray[np.int64]
    impediment_s: NDArray[np.float64]
    incident_sector: NDArray[np.int64]
    incident_s: NDArray[np.float64]


def _day_start(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def _hours(data: CoverageInput, start_s: float) -> NDArray[np.float64]:
    """Observer-hours per sector within [start_s, start_s + 1 day)."""
    overlap = np.clip(
        np.minimum(data.window_end_s, start_s + DAY_S) - np.maximum(data.window_start_s, start_s),
        0.0,
        None,
    )
    ok = data.window_sector >= 0
    return np.bincount(
        data.window_sector[ok], weights=overlap[ok] / 3600.0, minlength=len(data.sectors)
    ).astype(np.float64)


def coverage_on(data: CoverageInput, day: date) -> list[SectorDay]:
    """Coverage of every sector on ``day`` (UTC), with the baseline of the days before.

    >>> empty = np.empty(0, dtype=np.int64); t = np.empty(0)
    >>> data = CoverageInput(("UA-14",), np.array([0]), np.array([1]), np.array([0.0]),
    ...     np.array([7200.0]), empty, t, empty, t)
    >>> coverage_on(data, date(1970, 1, 1))[0].observer_hours
    2.0
    """
    start = _day_start(day)
    hours = _hours(data, start)
    previous = np.array([_hours(data, start - k * DAY_S) for k in range(1, BASELINE_DAYS + 1)])
    monitored = previous.sum(axis=1) > 0  # days the mission declared any coverage at all
    seen_before = previous[monitored].sum(axis=0) > 0
    baseline = (
        np.median(previous[monitored], axis=0) if monitored.any() else np.zeros(previous.shape[1])
    )
    n = len(data.sectors)

    def count(sector: NDArray[np.int64], t: NDArray[np.float64]) -> NDArray[np.int64]:
        inside = (sector >= 0) & (t >= start) & (t < start + DAY_S)
        return np.bincount(sector[inside], minlength=n).astype(np.int64)

    impediments = count(data.impediment_sector, data.impediment_s)
    incidents = count(data.incident_sector, data.incident_s)
    live = (data.window_sector >= 0) & (data.window_end_s > start)
    live &= data.window_start_s < start + DAY_S
    pairs = np.unique(np.stack([data.window_sector[live], data.window_source[live]]), axis=1)
    observers = np.bincount(pairs[0], minlength=n) if pairs.size else np.zeros(n, np.int64)
    out = []
    for k, sector in enumerate(data.sectors):
        has_base = bool(seen_before[k])
        degraded = impediments[k] > 0 or (
            has_base and hours[k] < DEGRADED_BELOW * float(baseline[k])
        )
        if hours[k] == 0 and not has_base and impediments[k] == 0 and incidents[k] == 0:
            continue  # never watched, nothing reported: not a monitored sector
        out.append(
            SectorDay(
                sector=sector,
                day=day,
                observer_hours=round(float(hours[k]), 2),
                observers=int(observers[k]),
                impediments=int(impediments[k]),
                incidents=int(incidents[k]),
                baseline_hours=round(float(baseline[k]), 2) if has_base else None,
                degraded=bool(degraded),
                quiet_but_degraded=bool(degraded and incidents[k] == 0),
            )
        )
    return out


def days_before(day: date) -> tuple[float, float]:
    """The epoch-second range a ``coverage_on(day)`` call reads (baseline days included)."""
    start = _day_start(day - timedelta(days=BASELINE_DAYS))
    return start, _day_start(day) + DAY_S
