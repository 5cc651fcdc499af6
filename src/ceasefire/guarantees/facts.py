"""What the guarantees evaluate: monitored facts, as plain frozen values.

A :class:`MonitoringFact` is one incident or violation as monitoring knows it at one moment
(``recorded_at``). Facts evolve (reported → verified → attributed → remedied); each change
arrives as a new *revision* of the same ``id``, never as an edit, so a replay at any past
moment sees exactly what was known then. The store's violations and incidents tables are
mapped onto this type by ``ceasefire.store.guarantees``; the simulator and tests build it
directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from ceasefire.reports.model import Category, FireDirection, WeaponClass

#: Seconds in a day: rate triggers count per UTC day, as the mission's daily report did.
DAY_S = 86_400


class VerificationState(StrEnum):
    """Fusion's verification ladder (issue 4); ``rank`` orders the usable states.

    ``disputed`` counts as merely reported, ``rejected`` never counts for anything.
    """

    REPORTED = "reported"
    CORROBORATED = "corroborated"
    VERIFIED = "verified"
    DISPUTED = "disputed"
    REJECTED = "rejected"

    @property
    def rank(self) -> int:
        """-1 rejected, 0 reported/disputed, 1 corroborated, 2 verified."""
        return _RANK[self]


_RANK = {
    VerificationState.REJECTED: -1,
    VerificationState.REPORTED: 0,
    VerificationState.DISPUTED: 0,
    VerificationState.CORROBORATED: 1,
    VerificationState.VERIFIED: 2,
}


@dataclass(frozen=True, slots=True)
class MonitoringFact:
    """One revision of an incident or violation, as the trigger evaluation needs it.

    Times are UTC-aware. ``observed_at`` is when it happened, ``recorded_at`` when this
    revision became known to the system (an observation cannot postdate its recording: the
    evaluator clamps ``observed_at`` to ``recorded_at``). ``count`` is the number of
    explosions, shots, weapons ... the fact stands for (the OSCE counted violations that way).
    ``rule_id``/``severity`` come from the agreement's rules (``None``/0: not a violation).
    ``side_party`` is the party whose side of the line the location lies on,
    ``attributed_to`` the party held responsible (by fusion's attribution or the Special
    Commission), ``distance_to_line_km`` geodesic and >= 0. ``sector`` is the reporting sector
    (the oblast by default). ``target`` names the force facility hit (``attack_on_force``).
    """

    id: str
    observed_at: datetime
    recorded_at: datetime
    category: Category
    count: int = 1
    weapon_class: WeaponClass | None = None
    fire_direction: FireDirection | None = None
    rule_id: str | None = None
    severity: int = 0
    zone_ids: frozenset[str] = frozenset()
    side_party: str | None = None
    distance_to_line_km: float | None = None
    sector: str | None = None
    lon: float | None = None
    lat: float | None = None
    verification: VerificationState = VerificationState.REPORTED
    attributed_to: str | None = None
    attribution_id: str | None = None
    remedied_at: datetime | None = None
    target: str | None = None
    report_ids: tuple[str, ...] = ()
    revision: int = 0
    first_hand: bool = True

    @property
    def observed_s(self) -> float:
        """``observed_at`` in epoch seconds, clamped to ``recorded_at``."""
        return min(self.observed_at.timestamp(), self.recorded_at.timestamp())


_CATEGORIES = list(Category)
CATEGORY_INDEX: dict[Category, int] = {c: i for i, c in enumerate(_CATEGORIES)}
WEAPON_INDEX: dict[WeaponClass, int] = {w: i for i, w in enumerate(WeaponClass)}
_RANKS = np.array([s.rank for s in VerificationState], dtype=np.int8)
_STATE_INDEX = {s: i for i, s in enumerate(VerificationState)}


@dataclass(frozen=True, slots=True)
class FactColumns:
    """Columns of n facts for the vectorised rate triggers, in arrival order.

    ``category``: index into ``list(Category)``; ``weapon``: index into ``list(WeaponClass)``
    (-1 none); ``rank``: verification rank (-1 .. 2);
    ``recorded_s``/``observed_s``: epoch seconds (observed clamped to recorded);
    ``first``: True for a fact's first revision (only first revisions are counted);
    ``first_hand``: a first-hand source reported it (``MonitoringFact.first_hand``).
    """

    recorded_s: NDArray[np.float64]
    observed_s: NDArray[np.float64]
    category: NDArray[np.int16]
    weapon: NDArray[np.int16]
    count: NDArray[np.int64]
    severity: NDArray[np.int16]
    remedied: NDArray[np.bool_]
    rank: NDArray[np.int8]
    first: NDArray[np.bool_]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    sector: NDArray[np.str_]
    first_hand: NDArray[np.bool_]

    @classmethod
    def of(cls, facts: Sequence[MonitoringFact]) -> FactColumns:
        """Build the columns (one pass per field; no per-fact numpy call)."""
        recorded = np.fromiter((f.recorded_at.timestamp() for f in facts), np.float64, len(facts))
        observed = np.fromiter((f.observed_at.timestamp() for f in facts), np.float64, len(facts))
        states = np.fromiter((_STATE_INDEX[f.verification] for f in facts), np.int8, len(facts))
        nan = float("nan")
        return cls(
            recorded_s=recorded,
            observed_s=np.minimum(observed, recorded),
            category=np.fromiter((CATEGORY_INDEX[f.category] for f in facts), np.int16, len(facts)),
            weapon=np.fromiter(
                (-1 if f.weapon_class is None else WEAPON_INDEX[f.weapon_class] for f in facts),
                np.int16,
                len(facts),
            ),
            count=np.fromiter((f.count for f in facts), np.int64, len(facts)),
            severity=np.fromiter((f.severity for f in facts), np.int16, len(facts)),
            remedied=np.fromiter((f.remedied_at is not None for f in facts), np.bool_, len(facts)),
            rank=_RANKS[states],
            first=np.fromiter((f.revision == 0 for f in facts), np.bool_, len(facts)),
            lon=np.fromiter(
                (nan if f.lon is None else f.lon for f in facts), np.float64, len(facts)
            ),
            lat=np.fromiter(
                (nan if f.lat is None else f.lat for f in facts), np.float64, len(facts)
            ),
            sector=np.array([f.sector or "" for f in facts], dtype=np.str_),
            first_hand=np.fromiter((f.first_hand for f in facts), np.bool_, len(facts)),
        )


def category_mask(categories: frozenset[Category]) -> NDArray[np.bool_]:
    """A lookup table: ``mask[category_index]`` is True for the given categories."""
    mask = np.zeros(len(_CATEGORIES), dtype=np.bool_)
    for category in categories:
        mask[CATEGORY_INDEX[category]] = True
    return mask


def weapon_mask(classes: frozenset[WeaponClass]) -> NDArray[np.bool_]:
    """``mask[weapon_index + 1]`` is True for the given classes (index 0 is "no class")."""
    mask = np.zeros(len(WEAPON_INDEX) + 1, dtype=np.bool_)
    for weapon in classes:
        mask[WEAPON_INDEX[weapon] + 1] = True
    return mask


def utc_from_s(seconds: float) -> datetime:
    """Epoch seconds back to an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, UTC)
