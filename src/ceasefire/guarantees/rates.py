"""Per-sector daily counts in numpy, and the crossing test of the rate triggers.

One :class:`RateCounter` serves every rate trigger that counts the same facts the same way
(categories, verification, sectoring). ``counts[s, d]`` sums the ``count`` of first revisions
observed in sector ``s`` on UTC day ``day0 + d``. The baseline median of day ``d`` is frozen
when the evaluator's clock enters day ``d`` (from what was known then), so a threshold never
moves during its day and a replay computes the same one. Crossings inside a batch are found
vectorised: stable sort by (sector, day), cumulative sums within groups, first index above
the threshold; only a crossing (rare) costs Python time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ceasefire.guarantees.facts import DAY_S
from ceasefire.guarantees.triggers import RateTrigger, SectorBy


@dataclass(frozen=True, slots=True)
class RateHit:
    """A rate trigger crossed its threshold at batch position ``position``.

    ``day`` is the UTC epoch day observed; ``count`` the day's count including that fact.
    """

    trigger_key: str
    trigger: RateTrigger
    sector: str
    day: int
    position: int
    count: int
    median: float
    threshold: float


class RateCounter:
    """Counts for one way of counting; see the module docstring."""

    def __init__(
        self,
        category_mask: NDArray[np.bool_],
        min_rank: int,
        sector_by: SectorBy,
        grid_deg: float,
        day0: int,
    ) -> None:
        self.category_mask = category_mask
        self.min_rank = min_rank
        self.sector_by = sector_by
        self.grid_deg = grid_deg
        self.day0 = day0
        self.current_day = day0 - 1
        self.sectors: dict[str, int] = {}
        self.sector_names: list[str] = []
        self.counts = np.zeros((4, 32), dtype=np.int64)
        self.medians: dict[int, NDArray[np.float64]] = {}
        self.fired: dict[str, set[tuple[int, int]]] = {}

    def _grow(self, n_sectors: int, n_days: int) -> None:
        rows, cols = self.counts.shape
        if n_sectors <= rows and n_days <= cols:
            return
        shape = (max(rows, 2 * n_sectors), max(cols, 2 * n_days))
        counts = np.zeros(shape, dtype=np.int64)
        counts[:rows, :cols] = self.counts
        self.counts = counts
        for days, old in self.medians.items():
            new = np.full(shape, np.nan)
            new[:rows, :cols] = old
            # Rows of sectors not seen yet had only zeros before: their frozen median is 0
            # wherever the baseline window lies inside the monitored history.
            frozen = np.arange(shape[1]) <= self.current_day - self.day0
            usable = np.arange(shape[1]) >= days
            new[rows:, frozen & usable] = 0.0
            self.medians[days] = new

    def sector_codes(
        self, sector: NDArray[np.str_], lon: NDArray[np.float64], lat: NDArray[np.float64]
    ) -> NDArray[np.int64]:
        """Sector indices for the facts, registering new sectors (one dict call per unique)."""
        if self.sector_by is SectorBy.THEATRE:
            names: NDArray[np.str_] = np.full(sector.shape, "theatre")
        elif self.sector_by is SectorBy.GRID:
            col = np.floor(np.nan_to_num(lon, nan=1e6) / self.grid_deg).astype(np.int64)
            row = np.floor(np.nan_to_num(lat, nan=1e6) / self.grid_deg).astype(np.int64)
            names = np.char.add(np.char.add(col.astype(np.str_), ":"), row.astype(np.str_))
        else:
            names = sector
        uniques, inverse = np.unique(names, return_inverse=True)
        codes = np.empty(len(uniques), dtype=np.int64)
        for i, name in enumerate(uniques.tolist()):
            code = self.sectors.get(name)
            if code is None:
                code = self.sectors[name] = len(self.sector_names)
                self.sector_names.append(name)
            codes[i] = code
        return codes[inverse.reshape(-1)]

    def roll_to(self, day: int, baseline_days: set[int]) -> None:
        """Freeze the baselines of every day up to ``day`` from the counts known now."""
        self._grow(len(self.sector_names), day - self.day0 + 1)
        for days in baseline_days:
            if days not in self.medians:
                self.medians[days] = np.full(self.counts.shape, np.nan)
        first = self.current_day + 1
        for d in range(max(first, self.day0), day + 1):
            rel = d - self.day0
            for days, medians in self.medians.items():
                if rel >= days:
                    medians[:, rel] = np.median(self.counts[:, rel - days : rel], axis=1)
        self.current_day = max(self.current_day, day)

    def count(
        self,
        *,
        triggers: list[tuple[str, RateTrigger]],
        sector: NDArray[np.int64],
        day: NDArray[np.int64],
        weight: NDArray[np.int64],
        positions: NDArray[np.int64],
        allowed: dict[str, NDArray[np.bool_]],
    ) -> list[RateHit]:
        """Add one batch (all recorded on ``current_day``) and return the threshold crossings.

        ``day`` holds UTC epoch days (observed, <= current_day, >= day0); ``positions`` the
        facts' indices in the caller's batch; ``triggers`` pairs a unique key with each
        trigger; ``allowed[key]`` masks facts observed and
        recorded while the trigger's instrument is in force.
        """
        self._grow(len(self.sector_names), self.current_day - self.day0 + 1)
        if len(day) == 0:
            return []
        rel = day - self.day0
        key = sector * self.counts.shape[1] + rel
        order = np.argsort(key, kind="stable")
        ks, ws = key[order], weight[order]
        starts = np.ones(len(ks), dtype=np.bool_)
        starts[1:] = ks[1:] != ks[:-1]
        cumulative = np.cumsum(ws)
        before = (cumulative - ws)[starts]
        within = cumulative - before[np.cumsum(starts) - 1]
        s_o, d_o = sector[order], rel[order]
        totals = self.counts[s_o, d_o] + within
        hits: list[RateHit] = []
        for trigger_key, trigger in triggers:
            medians = self.medians[trigger.baseline_days][s_o, d_o]
            threshold = trigger.k * np.maximum(medians, trigger.baseline_floor)
            cross = (totals > threshold) & (totals >= trigger.min_count) & ~np.isnan(medians)
            cross &= allowed[trigger_key][order]
            idx = np.flatnonzero(cross)
            if idx.size == 0:
                continue
            _, first = np.unique(ks[idx], return_index=True)
            fired = self.fired.setdefault(trigger_key, set())
            for i in idx[first].tolist():
                cell = (int(s_o[i]), int(d_o[i]))
                if cell in fired:
                    continue
                fired.add(cell)
                hits.append(
                    RateHit(
                        trigger_key=trigger_key,
                        trigger=trigger,
                        sector=self.sector_names[cell[0]],
                        day=cell[1] + self.day0,
                        position=int(positions[order[i]]),
                        count=int(totals[i]),
                        median=float(medians[i]),
                        threshold=float(threshold[i]),
                    )
                )
        ends = np.ones(len(ks), dtype=np.bool_)
        ends[:-1] = starts[1:]
        flat = self.counts.reshape(-1)
        flat[ks[starts]] += cumulative[ends] - before
        return hits


def epoch_day(seconds: NDArray[np.float64]) -> NDArray[np.int64]:
    """UTC epoch day of each time (day 0 = 1970-01-01)."""
    return np.floor(seconds / DAY_S).astype(np.int64)
