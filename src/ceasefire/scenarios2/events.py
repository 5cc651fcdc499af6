"""The ground truth: physical events (fire) along the contact line, in hot sectors and bursts.

Fire along a front is not uniform: the SMM's counts came from a few hot spots (Avdiivka-
Yasynuvata held 9,250 of 10,330 explosions on 31 Jan 2017, research/anchors-monitoring.md §5)
and arrived in exchanges: several impacts within a kilometre or two and a few minutes. So
events are drawn in ``n_sectors`` stretches of the line, and a share of them in *bursts*
(3-6 events within ``burst_radius_m`` and ``burst_window_s`` of a seed event), which is
where associating reports to events is hardest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ceasefire.scenarios2.geometry import F64, Polyline, destination

#: Categories of the generated fire and their weights (explosions dominate, as in SMM counts).
CATEGORIES = ("explosion", "burst_of_fire")
CATEGORY_WEIGHTS = (0.85, 0.15)
#: Weapon classes behind explosions, with weights.
EXPLOSIVE_WEAPONS = ("mortar", "mortar_120", "artillery_lt_100", "artillery_ge_100", "mlrs")
EXPLOSIVE_WEIGHTS = (0.3, 0.25, 0.15, 0.2, 0.1)


@dataclass(frozen=True)
class EventSpec:
    """How many events, where and when; times in epoch seconds, lengths in metres."""

    n_events: int = 400
    start_s: float = 1_796_860_800.0  # 2026-12-10T00:00:00Z, after the paris-2026 entry into force
    span_s: float = 24 * 3600.0
    n_sectors: int = 6
    sector_length_m: float = 40_000.0
    #: standard deviation of an event's distance from the line, m (clipped to 3 sigma)
    depth_sigma_m: float = 4_000.0
    burst_fraction: float = 0.2
    burst_radius_m: float = 1_500.0
    burst_window_s: float = 600.0
    #: share of events that are barrages lasting minutes with many rounds (for streams)
    barrage_fraction: float = 0.05


@dataclass(frozen=True)
class TruthEvents:
    """Events as columns. ``count`` is how many rounds/explosions really happened.

    ``burst`` numbers the burst an event belongs to (``-1``: none); ``sector`` its stretch of
    line; ``duration_s`` how long the fire lasted (0 for a single impact).
    """

    t_s: F64
    duration_s: F64
    lon: F64
    lat: F64
    count: NDArray[np.int64]
    category: NDArray[np.object_]
    weapon_class: NDArray[np.object_]
    sector: NDArray[np.int64]
    burst: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.t_s)


@dataclass(frozen=True)
class Sectors:
    """Hot stretches of the line: arc-length start of each, m, and their common length."""

    start_m: F64
    length_m: float


def draw_sectors(line: Polyline, spec: EventSpec, rng: np.random.Generator) -> Sectors:
    """``spec.n_sectors`` non-overlapping stretches of the line, in random places."""
    slots = int(line.length_m // spec.sector_length_m)
    if slots < spec.n_sectors:
        raise ValueError(f"the line holds {slots} sectors, {spec.n_sectors} asked")
    chosen = np.sort(rng.choice(slots, size=spec.n_sectors, replace=False))
    return Sectors(
        start_m=chosen.astype(np.float64) * spec.sector_length_m, length_m=spec.sector_length_m
    )


def draw_events(
    line: Polyline, sectors: Sectors, spec: EventSpec, rng: np.random.Generator
) -> TruthEvents:
    """Draw ``spec.n_events`` events: seeds uniform in the sectors, the rest of a burst nearby."""
    n = spec.n_events
    n_burst_members = round(n * spec.burst_fraction)
    sizes = _burst_sizes(n_burst_members, rng)
    n_seeds_single = n - int(sizes.sum()) + len(sizes)  # singles plus one seed per burst
    sector = rng.integers(0, len(sectors.start_m), size=n_seeds_single)
    s_m = sectors.start_m[sector] + rng.uniform(0.0, sectors.length_m, size=n_seeds_single)
    lon0, lat0, heading = line.at(s_m)
    depth = np.clip(rng.normal(0.0, spec.depth_sigma_m, size=n_seeds_single), -12e3, 12e3)
    lon_s, lat_s = destination(lon0, lat0, heading + 90.0, depth)
    t_s = spec.start_s + rng.uniform(0.0, spec.span_s - spec.burst_window_s, size=n_seeds_single)
    burst_of_seed = np.full(n_seeds_single, -1, dtype=np.int64)
    burst_of_seed[: len(sizes)] = np.arange(len(sizes))
    # the other members of each burst: near the seed in space and time
    extra = np.repeat(np.arange(len(sizes)), sizes - 1)
    r = spec.burst_radius_m * np.sqrt(rng.uniform(0.0, 1.0, size=len(extra)))
    lon_m, lat_m = destination(
        lon_s[extra], lat_s[extra], rng.uniform(0.0, 360.0, size=len(extra)), r
    )
    t_m = t_s[extra] + rng.uniform(30.0, spec.burst_window_s, size=len(extra))
    lon = np.concatenate([lon_s, lon_m])
    lat = np.concatenate([lat_s, lat_m])
    t = np.concatenate([t_s, t_m])
    burst = np.concatenate([burst_of_seed, extra])
    sector_all = np.concatenate([sector, sector[extra]])
    order = np.argsort(t, kind="stable")
    category = rng.choice(np.array(CATEGORIES, dtype=object), size=n, p=CATEGORY_WEIGHTS)
    weapon = np.where(
        category == "explosion",
        rng.choice(np.array(EXPLOSIVE_WEAPONS, dtype=object), size=n, p=EXPLOSIVE_WEIGHTS),
        "small_arms",
    ).astype(object)
    barrage = (rng.uniform(size=n) < spec.barrage_fraction) & (category == "explosion")
    count = np.where(
        barrage,
        rng.integers(40, 200, size=n),
        np.minimum(rng.geometric(0.2, size=n), 60),
    ).astype(np.int64)
    duration = np.where(
        barrage, rng.uniform(120.0, 480.0, size=n), rng.uniform(0.0, 60.0, size=n) * (count > 1)
    )
    return TruthEvents(
        t_s=t[order],
        duration_s=duration,
        lon=lon[order],
        lat=lat[order],
        count=count,
        category=category,
        weapon_class=weapon,
        sector=sector_all[order],
        burst=burst[order],
    )


def _burst_sizes(members: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Sizes (3-6) of bursts that together hold about ``members`` events."""
    sizes: list[int] = []
    left = members
    while left >= 3:
        k = min(int(rng.integers(3, 7)), left)
        sizes.append(k)
        left -= k
    return np.asarray(sizes, dtype=np.int64)
