"""Triggers: named, typed conditions over monitored facts, with parameters and no free code.

A trigger is one of the frozen dataclasses below (a tagged union on ``kind``). Each fires
*alerts*; an alert fires at most once per key (the fact for fact triggers, the sector-day for
rate triggers, an episode for combinators), so a trigger can never fire twice on the same
evidence. Defaults follow ``docs/guarantees.md`` and the research notes (FT report of
3 Feb 2026 for the tiers; OSCE counts of February 2022 for the surge factors).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum

from ceasefire.guarantees.facts import VerificationState
from ceasefire.reports.model import FIRE_CATEGORIES, Category, FireDirection, WeaponClass


class TriggerKind(StrEnum):
    """The closed vocabulary of trigger kinds an instrument may use."""

    BREACH = "breach"
    PERSISTENT_BREACH = "persistent_breach"
    SURGE = "surge"
    HEAVY_WEAPONS_USE = "heavy_weapons_use"
    GROUND_ADVANCE = "ground_advance"
    ATTACK_ON_FORCE = "attack_on_force"
    VERIFICATION_DENIAL = "verification_denial"
    AIRSPACE_INCURSION = "airspace_incursion"
    ALL = "all"
    ANY = "any"


class AlertLevel(StrEnum):
    """How loud an alert is: ``info`` for the record, ``amber`` warning, ``red`` act now."""

    INFO = "info"
    AMBER = "amber"
    RED = "red"


class Attribution(StrEnum):
    """Whether a breach trigger needs the breach attributed (Special Commission) or not."""

    ANY = "any"
    ATTRIBUTED = "attributed"
    UNATTRIBUTED = "unattributed"


class SectorBy(StrEnum):
    """How rate triggers group facts into sectors.

    ``fact``: the fact's own ``sector`` (the oblast, or agreement-defined sectors); facts
    without one share the sector ``""``. ``theatre``: one sector for everything.
    ``grid``: square cells of ``grid_deg`` degrees of longitude and latitude (unlocated facts
    share one cell).
    """

    FACT = "fact"
    THEATRE = "theatre"
    GRID = "grid"


#: Withdrawal-zone weapon classes (Minsk II: artillery of 100 mm and more, MLRS, heavy MLRS
#: and tactical missiles).
HEAVY_CLASSES: frozenset[WeaponClass] = frozenset(
    {
        WeaponClass.ARTILLERY_GE_100,
        WeaponClass.MLRS,
        WeaponClass.HEAVY_MLRS,
        WeaponClass.TACTICAL_MISSILE,
    }
)


@dataclass(frozen=True, slots=True)
class Breach:
    """A violation of ``severity >= min_severity`` at ``min_verification`` or better.

    ``attribution`` selects attributed or unattributed breaches; ``against`` (a party id)
    restricts to breaches attributed to that party.
    """

    id: str
    min_severity: int = 1
    min_verification: VerificationState = VerificationState.VERIFIED
    attribution: Attribution = Attribution.ANY
    against: str | None = None
    level: AlertLevel = AlertLevel.RED
    kind: TriggerKind = TriggerKind.BREACH


@dataclass(frozen=True, slots=True)
class PersistentBreach:
    """A breach (as :class:`Breach`) not remedied within ``hours`` of becoming one.

    Fires at exactly ``breach time + hours`` unless a revision recorded by then carries a
    ``remedied_at`` at or before that instant.
    """

    id: str
    hours: float = 24.0
    min_severity: int = 1
    min_verification: VerificationState = VerificationState.VERIFIED
    attribution: Attribution = Attribution.ANY
    against: str | None = None
    level: AlertLevel = AlertLevel.RED
    kind: TriggerKind = TriggerKind.PERSISTENT_BREACH


@dataclass(frozen=True, slots=True)
class Surge:
    """The day's count in a sector exceeds ``k`` times the median of the previous days.

    Counts sum the facts' ``count`` per UTC day of observation. The baseline is the median of
    the ``baseline_days`` days before, *as known at the start of the day* (frozen then, so a
    threshold never moves during its day and a replay sees the same one). A zero median is
    raised to ``baseline_floor`` (a dead-quiet sector would otherwise fire on one shot), and
    no alert fires below ``min_count``. Silent until ``baseline_days`` days of monitoring exist.
    ``first_hand_only`` counts only facts a first-hand source reported (the mission's own
    posts, patrols, cameras, sensors, UAVs), as the OSCE SMM counted its own observations:
    open-source stories and party claims then neither inflate the baseline nor the day.
    """

    id: str
    k: float = 3.0
    baseline_days: int = 14
    baseline_floor: float = 1.0
    min_count: int = 1
    categories: frozenset[Category] = FIRE_CATEGORIES
    min_verification: VerificationState = VerificationState.REPORTED
    sector_by: SectorBy = SectorBy.FACT
    grid_deg: float = 0.5
    level: AlertLevel = AlertLevel.AMBER
    kind: TriggerKind = TriggerKind.SURGE
    first_hand_only: bool = False


@dataclass(frozen=True, slots=True)
class VerificationDenial:
    """Movement restrictions and impeded sensors per day above ``k`` times their baseline.

    The same counting as :class:`Surge` (per sector, per UTC day, frozen 14-day median),
    over the access categories; each denial counts once (OSCE SMM, Korea's NNSC).
    """

    id: str
    k: float = 2.0
    baseline_days: int = 14
    baseline_floor: float = 1.0
    min_count: int = 3
    categories: frozenset[Category] = frozenset(
        {Category.MOVEMENT_RESTRICTION, Category.SENSOR_IMPEDED}
    )
    min_verification: VerificationState = VerificationState.REPORTED
    sector_by: SectorBy = SectorBy.THEATRE
    grid_deg: float = 0.5
    level: AlertLevel = AlertLevel.AMBER
    kind: TriggerKind = TriggerKind.VERIFICATION_DENIAL


@dataclass(frozen=True, slots=True)
class HeavyWeaponsUse:
    """A heavy weapon seen, or firing (``outgoing`` or undetermined), inside withdrawal zones.

    Impacts are excluded: where a shell lands says nothing about where it was fired from.
    """

    id: str
    zones: frozenset[str]
    weapon_classes: frozenset[WeaponClass] = HEAVY_CLASSES
    min_verification: VerificationState = VerificationState.CORROBORATED
    level: AlertLevel = AlertLevel.RED
    kind: TriggerKind = TriggerKind.HEAVY_WEAPONS_USE


@dataclass(frozen=True, slots=True)
class GroundAdvance:
    """Troops or armour of one party on the other party's side, beyond ``min_distance_km``.

    Needs both the side (from the party areas) and whose forces they are (attribution);
    a fact missing either cannot fire it.
    """

    id: str
    min_distance_km: float = 1.0
    categories: frozenset[Category] = frozenset(
        {Category.TROOP_MOVEMENT, Category.ARMOUR, Category.HEAVY_WEAPON}
    )
    min_verification: VerificationState = VerificationState.VERIFIED
    level: AlertLevel = AlertLevel.RED
    kind: TriggerKind = TriggerKind.GROUND_ADVANCE


@dataclass(frozen=True, slots=True)
class AttackOnForce:
    """An attack on the multinational force or its facilities (``targets`` empty: any)."""

    id: str
    targets: frozenset[str] = frozenset()
    include_monitors: bool = False
    min_verification: VerificationState = VerificationState.CORROBORATED
    level: AlertLevel = AlertLevel.RED
    kind: TriggerKind = TriggerKind.ATTACK_ON_FORCE


@dataclass(frozen=True, slots=True)
class AirspaceIncursion:
    """Aircraft or drones, ``min_count`` or more in one fact, inside named airspace polygons."""

    id: str
    airspaces: frozenset[str]
    min_count: int = 1
    categories: frozenset[Category] = frozenset({Category.AIRCRAFT, Category.UAV})
    min_verification: VerificationState = VerificationState.CORROBORATED
    level: AlertLevel = AlertLevel.AMBER
    kind: TriggerKind = TriggerKind.AIRSPACE_INCURSION


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every child trigger has fired within the last ``window_h`` hours.

    Fires when the last of them fires; then not again until ``window_h`` has passed.
    """

    id: str
    of: tuple[str, ...]
    window_h: float = 24.0
    level: AlertLevel = AlertLevel.RED
    kind: TriggerKind = TriggerKind.ALL


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Any child trigger fires (one alert per child alert)."""

    id: str
    of: tuple[str, ...]
    level: AlertLevel = AlertLevel.RED
    kind: TriggerKind = TriggerKind.ANY


Trigger = (
    Breach
    | PersistentBreach
    | Surge
    | VerificationDenial
    | HeavyWeaponsUse
    | GroundAdvance
    | AttackOnForce
    | AirspaceIncursion
    | AllOf
    | AnyOf
)
RateTrigger = Surge | VerificationDenial
FactTrigger = Breach | HeavyWeaponsUse | GroundAdvance | AttackOnForce | AirspaceIncursion
Combinator = AllOf | AnyOf

#: Fire directions that place a weapon where the fact is.
FIRING_FROM = frozenset({FireDirection.OUTGOING, FireDirection.UNDETERMINED, None})


def clause_of(trigger: Trigger) -> dict[str, object]:
    """The trigger's clause as plain values (sets sorted), for explanations and the record."""
    out: dict[str, object] = {}
    for field in fields(trigger):
        value = getattr(trigger, field.name)
        if isinstance(value, frozenset):
            out[field.name] = sorted(str(v) for v in value)
        elif isinstance(value, tuple):
            out[field.name] = list(value)
        elif isinstance(value, StrEnum):
            out[field.name] = str(value)
        else:
            out[field.name] = value
    return out
