"""Scoring fused incidents against the simulator's ground truth: counted violations per
oblast and UTC day.

The early-warning surge trigger sums the counts of fire incidents per sector (the oblast) and
UTC day of observation, as the OSCE SMM counted explosions, bursts and shots, not reports.
When fusion merges reports of separate events, or takes a count too low, those totals fall
short of what happened; this module measures by how much, against the truth of the same
simulation.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ceasefire.fusion.model import Incident
from ceasefire.monitoring.oblasts import Oblasts
from ceasefire.reports.model import FIRE_CATEGORIES, Category
from ceasefire.simulation.observers import OBSERVER_KINDS, ObserverKind
from ceasefire.simulation.run import Simulation

DAY_S = 86_400.0
_FIRE_CODES = [list(Category).index(c) for c in FIRE_CATEGORIES]


@dataclass(frozen=True, slots=True)
class DailyTotals:
    """Counted fire violations per (oblast ISO code, UTC day as epoch day number)."""

    totals: dict[tuple[str, int], int]

    def day_total(self, day: int) -> int:
        """The whole line's total on one day."""
        return sum(v for (_, d), v in self.totals.items() if d == day)


@dataclass(frozen=True, slots=True)
class CellError:
    """One oblast-day: the true total, the fused total and the relative error."""

    oblast: str
    day: int
    true: int
    fused: int

    @property
    def error(self) -> float:
        """(fused - true) / true; negative when fusion lost violations."""
        return (self.fused - self.true) / self.true if self.true else float("inf")


def _totals(
    oblasts: Oblasts,
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    t_s: NDArray[np.float64],
    count: NDArray[np.int64],
) -> DailyTotals:
    sector = oblasts.assign(lon, lat)
    day = np.floor(t_s / DAY_S).astype(np.int64)
    out: dict[tuple[str, int], int] = {}
    for s, d, c in zip(sector.tolist(), day.tolist(), count.tolist(), strict=True):
        key = (oblasts.iso[s] if s >= 0 else "", d)
        out[key] = out.get(key, 0) + int(c)
    return DailyTotals(out)


def true_daily_totals(
    sim: Simulation, oblasts: Oblasts | None = None, *, seen_only: bool = False
) -> DailyTotals:
    """The true counted fire violations per oblast and UTC day: every fire event's true count,
    or with ``seen_only`` only those of events at least one first-hand observer (not an open
    source or a party) reported — what a mission could have counted, as the OSCE SMM's
    published counts were its own observations."""
    oblasts = oblasts or Oblasts.default()
    e = sim.events
    fire = np.isin(e.category, _FIRE_CODES)
    if seen_only:
        second_hand = [
            OBSERVER_KINDS.index(ObserverKind.OSINT),
            OBSERVER_KINDS.index(ObserverKind.PARTY),
        ]
        r = sim.reports
        first = (r.event >= 0) & ~np.isin(r.kind, second_hand)
        seen = np.zeros(len(e), dtype=bool)
        seen[r.event[first]] = True
        fire &= seen
    return _totals(
        oblasts, e.lon[fire], e.lat[fire], sim.start_epoch_s + e.t_s[fire], e.count[fire]
    )


def fused_daily_totals(
    incidents: Sequence[Incident],
    oblasts: Oblasts | None = None,
    *,
    first_hand: Collection[tuple[str, str]] | None = None,
) -> DailyTotals:
    """The fused counts (``count_best``) of fire incidents per oblast and UTC day.

    With ``first_hand`` (the ``(source, id)`` keys of first-hand reports) only incidents a
    first-hand observer reported count, as a surge trigger with ``first_hand_only`` counts
    them (the minsk-2015 guarantees) and as ``true_daily_totals(seen_only=True)`` defines
    the truth: an incident known only from open sources or a party is not in that truth
    (in the simulation mostly invented party claims), so counting it measures nothing the
    mission or the trigger uses."""
    oblasts = oblasts or Oblasts.default()
    fire = [
        i
        for i in incidents
        if i.category in FIRE_CATEGORIES
        and (first_hand is None or any(k in first_hand for k in i.report_keys))
    ]
    return _totals(
        oblasts,
        np.array([i.lon for i in fire], dtype=np.float64),
        np.array([i.lat for i in fire], dtype=np.float64),
        np.array([i.observed_at_s for i in fire], dtype=np.float64),
        np.array([i.count_best for i in fire], dtype=np.int64),
    )


def cell_errors(true: DailyTotals, fused: DailyTotals, *, min_true: int = 0) -> list[CellError]:
    """Every oblast-day with at least ``min_true`` true violations, in (day, oblast) order."""
    return [
        CellError(oblast, day, count, fused.totals.get((oblast, day), 0))
        for (oblast, day), count in sorted(true.totals.items(), key=lambda kv: kv[0][::-1])
        if count >= min_true
    ]
