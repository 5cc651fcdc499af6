"""Fusion's vocabulary: the report columns it reads, its parameters, and what it produces.

Fusion works on numpy columns, never on report objects, so that a million reports fuse in
seconds. A :class:`FusionBatch` carries, for ``n`` reports in arrival order, every field the
gate, the localiser and the grader need (NaN / -1 = absent). Category families and the
time precision of each source type are the domain knowledge that decides what may fuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import numpy as np
from numpy.typing import NDArray

from ceasefire.reports.model import Category, SourceType, WeaponClass

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

CATEGORIES: Final = list(Category)
WEAPONS: Final = list(WeaponClass)
SOURCE_TYPES: Final = list(SourceType)


class Family(StrEnum):
    """Which categories may describe one physical event (reports fuse only within a family).

    An explosion, a projectile in flight and a muzzle flash are three views of one firing of
    an indirect-fire weapon; bursts and shots are confused by ear (the SMM counted both as
    small-arms fire); presence sightings (heavy weapon, armour, troops) fuse with sightings of
    the same thing. Every other category is its own family.
    """

    INDIRECT_FIRE = "indirect_fire"
    SMALL_ARMS_FIRE = "small_arms_fire"
    PRESENCE = "presence"
    OTHER = "other"


FAMILY_OF: Final[dict[Category, Family]] = {
    Category.EXPLOSION: Family.INDIRECT_FIRE,
    Category.PROJECTILE_IN_FLIGHT: Family.INDIRECT_FIRE,
    Category.MUZZLE_FLASH: Family.INDIRECT_FIRE,
    Category.BURST_OF_FIRE: Family.SMALL_ARMS_FIRE,
    Category.SHOTS: Family.SMALL_ARMS_FIRE,
    Category.HEAVY_WEAPON: Family.PRESENCE,
    Category.ARMOUR: Family.PRESENCE,
    Category.TROOP_MOVEMENT: Family.PRESENCE,
}

#: Weapon classes an observer misjudges one for the other (calibre seen or heard from afar):
#: reports naming classes of the same group are compatible; the incident keeps the class of
#: its best-graded report.
WEAPON_GROUPS: Final[tuple[frozenset[WeaponClass], ...]] = (
    frozenset({WeaponClass.MORTAR, WeaponClass.MORTAR_120}),
    frozenset({WeaponClass.ARTILLERY_LT_100, WeaponClass.ARTILLERY_GE_100}),
    frozenset({WeaponClass.MLRS, WeaponClass.HEAVY_MLRS}),
    frozenset({WeaponClass.TANK, WeaponClass.APC_IFV}),
)

#: Precision of a stated time, seconds, per source type (about 2 sigma): people write minutes
#: from a watch (and round), sensors time-stamp, feeds and parties give the hour or ten minutes.
TIME_PRECISION_S: Final[dict[SourceType, float]] = {
    SourceType.PATROL: 240.0,
    SourceType.OBSERVATION_POST: 240.0,
    SourceType.UAV: 60.0,
    SourceType.CAMERA: 30.0,
    SourceType.SATELLITE: 30.0,
    SourceType.ACOUSTIC: 30.0,
    SourceType.RADAR: 30.0,
    SourceType.INTELLIGENCE: 1800.0,
    SourceType.OSINT: 1800.0,
    SourceType.TAK: 120.0,
    SourceType.PARTY_NOTIFICATION: 600.0,
}

#: Source types that may report as a stream: by machine, once per detection, every few seconds
#: while a fire lasts (an acoustic array's bearing per tick). Consecutive ticks of one stream
#: are one event, where two reports of one post or patrol are two events (a person writes one
#: line per event, and so does a sensor that sums a fire up in one report with an
#: ``observed_until``, as on the paris-2026 simulator). What tells a stream of one event from a
#: sensor's reports of two events: both are ticks (an instant: no ``observed_until``), each
#: gates in space with the tick before it and follows it within ``STREAM_GAP_S``
#: (``gating.gate``). Acoustic arrays only so far: no scenario has a camera's or radar's stream
#: to measure the rule on.
STREAM_SOURCE_TYPES: Final = frozenset({SourceType.ACOUSTIC})
#: Longest silence, seconds, between two ticks of one stream about one event (a stream reports
#: every few seconds while the fire lasts; a minute without a tick starts a new event).
STREAM_GAP_S: Final = 60.0

#: Extra time over which reports of one family may still be one event, seconds: a heavy
#: weapon stands for hours (a patrol at noon and a UAV at dusk see the same battery); damage
#: and casualties are found hours after the fire that caused them.
FAMILY_PERSISTENCE_S: Final[dict[Family, float]] = {
    Family.INDIRECT_FIRE: 0.0,
    Family.SMALL_ARMS_FIRE: 0.0,
    Family.PRESENCE: 12 * 3600.0,
    Family.OTHER: 0.0,
}
AFTERMATH_PERSISTENCE_S: Final = 6 * 3600.0

#: How long before its ``observed_at`` an imagery fix of fire can show it, seconds. The spec's
#: ``observed_at`` is when the source observed, and imagery observes the crater, the smoke
#: and the damage, not the firing: a UAV sent to a reported impact fixes it minutes to half an
#: hour later, a satellite pass images craters half a day old. Their spans reach back this
#: far (``gating.time_spans``), so a late fix still gates with the posts that heard the fire.
IMAGERY_LOOKBACK_S: Final[dict[SourceType, float]] = {
    SourceType.UAV: 1800.0,
    SourceType.SATELLITE: 12 * 3600.0,
}
AFTERMATH: Final = frozenset({Category.INFRASTRUCTURE_DAMAGE, Category.CIVILIAN_CASUALTY})


@dataclass(frozen=True)
class FusionParams:
    """Tunables of the gate and the localiser (defaults tuned on the paris-2026 simulator).

    ``gate_chi2``: squared Mahalanobis distance of two positions under their combined
    covariance above which they are two events (13.8 = chi-square, 2 dof, 99.9 %).
    ``time_sigmas``: each report's span is widened by this many times its source type's
    ``TIME_PRECISION_S`` on each side, so two spans overlap when their times differ by at most
    the sum (two posts: 8 min, about 3 sigma of the difference of two watches read to the
    minute). Tuned on the simulator: 1.0 gave pairwise F1 0.958 against 0.944 at 3.0 — wider
    windows chain nearby events of a flare-up into components that must then be split.
    ``max_uncertainty_m``: reports vaguer than this (an oblast centroid) never fuse spatially.
    ``cell_deg``: side of the grid cells of the candidate search; must exceed the largest
    gate distance, which ``max_uncertainty_m`` bounds.
    ``refine_passes``: passes that move single reports between the groups of a component the
    greedy had to split, while that lowers their cost (``cluster._refine``; 0: off). Issue
    18: pairwise F1 0.966 -> 0.975 on paris-2026, 0.80 -> 0.88 on the minsk-2015 surge.
    ``time_weight``: weight of the time term in the split's cost of a report against a group
    (greedy and refinement; the gate is unchanged). In a dense burst two groups are often
    about as close in space, and the time difference decides: 1 (until issue 18 point 2)
    let a few hundred metres outweigh minutes. 10 chosen on scenarios2 seeds 1001-1003
    (bursts F1 0.710 -> 0.746, paris-2026 5 days unchanged); held-out in docs/fusion.md.
    ``refine_swaps``: the refinement also exchanges two reports of one source between
    groups (``cluster._refine``). Off: it helped bursts but cost uav_satellite F1 on the
    tuning seeds (docs/fusion.md).
    """

    gate_chi2: float = 13.8
    time_sigmas: float = 1.0
    max_uncertainty_m: float = 12_000.0
    cell_deg: float = 0.3
    range_sigma: float = 0.2
    locate_iterations: int = 8
    refine_passes: int = 3
    time_weight: float = 10.0
    refine_swaps: bool = False


@dataclass(frozen=True)
class FusionBatch:
    """``n`` reports as columns, in arrival order (see the module docstring).

    ``keys`` are ``(source, id)``; ``amends`` the key's id this report amends (``None``);
    ``withdrawn`` marks a withdrawal notice. Positions are degrees WGS84; ``lon``/``lat``/
    ``uncertainty_m`` the resolved location (``ReportColumns``), the observer and bearing
    fields as given (NaN when absent). ``reliability`` 0-5 = A-F; ``credibility`` 1-6.
    """

    keys: list[tuple[str, str]]
    amends: list[str | None]
    withdrawn: NDArray[np.bool_]
    source_type: NDArray[np.int8]
    observed_at_s: FloatArray
    until_s: FloatArray
    category: NDArray[np.int16]
    weapon_class: NDArray[np.int16]
    count: IntArray
    reliability: NDArray[np.int8]
    credibility: NDArray[np.int8]
    lon: FloatArray
    lat: FloatArray
    uncertainty_m: FloatArray
    observer_lon: FloatArray
    observer_lat: FloatArray
    bearing_deg: FloatArray
    bearing_error_deg: FloatArray
    distance_min_m: FloatArray
    distance_max_m: FloatArray
    location_form: NDArray[np.int8]
    heading_deg: FloatArray = field(default_factory=lambda: np.empty(0))

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(frozen=True)
class Ellipse:
    """A location's uncertainty: semi-axes in metres at ~95 % (2-sigma), major axis
    orientation in degrees clockwise from north (0-180)."""

    semi_major_m: float
    semi_minor_m: float
    orientation_deg: float


@dataclass(frozen=True)
class Incident:
    """One physical event as fused from its reports (the observation side, never attribution).

    ``id`` is stable: derived from the canonically first report (earliest ``observed_at``,
    then ``(source, id)``), so re-fusing the same reports in any order gives the same id.
    ``count_low``/``count_best``/``count_high`` follow UCDP: counts of sources that saw the same
    thing are never summed. ``uncertainty_m`` is the ellipse's semi-major axis.
    """

    id: str
    report_keys: tuple[tuple[str, str], ...]
    observed_at_s: float
    observed_until_s: float
    category: Category
    weapon_class: WeaponClass | None
    lon: float
    lat: float
    uncertainty_m: float
    ellipse: Ellipse
    count_low: int
    count_best: int
    count_high: int
    sources: int
    independent_sources: int
    bearing_observers: int
    confidence: float
