"""The observation report (spec: ``docs/spec/observation-report.md``), as one frozen domain type.

A report is one sighting by one source. It is never edited after receipt: corrections arrive
as new reports naming the report they amend. Incidents are derived from reports, never the
other way round. Field names and vocabularies follow the interchange spec exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SourceType(StrEnum):
    """Who or what observed: people on the ground, sensors, feeds, or a party."""

    PATROL = "patrol"
    OBSERVATION_POST = "observation_post"
    UAV = "uav"
    CAMERA = "camera"
    SATELLITE = "satellite"
    ACOUSTIC = "acoustic"
    RADAR = "radar"
    INTELLIGENCE = "intelligence"
    OSINT = "osint"
    TAK = "tak"
    PARTY_NOTIFICATION = "party_notification"


class Category(StrEnum):
    """What was observed; the first six are what missions counted as ceasefire violations."""

    EXPLOSION = "explosion"
    PROJECTILE_IN_FLIGHT = "projectile_in_flight"
    MUZZLE_FLASH = "muzzle_flash"
    ILLUMINATION_FLARE = "illumination_flare"
    BURST_OF_FIRE = "burst_of_fire"
    SHOTS = "shots"
    HEAVY_WEAPON = "heavy_weapon"
    ARMOUR = "armour"
    TROOP_MOVEMENT = "troop_movement"
    AIRCRAFT = "aircraft"
    UAV = "uav"
    VESSEL = "vessel"
    MINE = "mine"
    CIVILIAN_CASUALTY = "civilian_casualty"
    INFRASTRUCTURE_DAMAGE = "infrastructure_damage"
    MOVEMENT_RESTRICTION = "movement_restriction"
    SENSOR_IMPEDED = "sensor_impeded"
    ATTACK_ON_MONITORS = "attack_on_monitors"
    ATTACK_ON_FORCE = "attack_on_force"
    OTHER = "other"


#: The SMM's ceasefire-violation categories: fire and explosions.
FIRE_CATEGORIES: frozenset[Category] = frozenset(
    {
        Category.EXPLOSION,
        Category.PROJECTILE_IN_FLIGHT,
        Category.MUZZLE_FLASH,
        Category.ILLUMINATION_FLARE,
        Category.BURST_OF_FIRE,
        Category.SHOTS,
    }
)


class WeaponClass(StrEnum):
    """Weapon classes as the withdrawal rules distinguish them (calibre, MLRS, missiles)."""

    SMALL_ARMS = "small_arms"
    LIGHT_WEAPON = "light_weapon"
    MORTAR = "mortar"
    MORTAR_120 = "mortar_120"
    ARTILLERY_LT_100 = "artillery_lt_100"
    ARTILLERY_GE_100 = "artillery_ge_100"
    TANK = "tank"
    APC_IFV = "apc_ifv"
    MLRS = "mlrs"
    HEAVY_MLRS = "heavy_mlrs"
    TACTICAL_MISSILE = "tactical_missile"
    AIR_DEFENCE = "air_defence"
    COMBAT_AIRCRAFT = "combat_aircraft"
    ATTACK_UAV = "attack_uav"
    UNKNOWN = "unknown"


class FireDirection(StrEnum):
    """How missions recorded explosions and fire."""

    IMPACT = "impact"
    AIRBURST = "airburst"
    OUTGOING = "outgoing"
    UNDETERMINED = "undetermined"


class Classification(StrEnum):
    """Protective marking, lowest first; ``rank`` orders them for clearance checks."""

    UNCLASSIFIED = "UNCLASSIFIED"
    RESTRICTED = "RESTRICTED"
    CONFIDENTIAL = "CONFIDENTIAL"
    SECRET = "SECRET"

    @property
    def rank(self) -> int:
        """0 for UNCLASSIFIED up to 3 for SECRET."""
        return list(Classification).index(self)


class Reliability(StrEnum):
    """Admiralty source reliability: A completely reliable ... E unreliable, F cannot be judged."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"


class LocationForm(StrEnum):
    """Which of the spec's three location forms placed the report (the most precise one wins)."""

    POINT = "point"
    BEARING = "bearing"
    PLACE = "place"


#: Default bearing half-width when the source gives none: an 8-point compass direction.
DEFAULT_BEARING_ERROR_DEG = 22.5


@dataclass(frozen=True, slots=True)
class Attachment:
    """Evidence identified by content hash, never by a mutable URL."""

    sha256: str
    media_type: str
    name: str


@dataclass(frozen=True)
class ObservationReport:
    """One validated report, exactly the spec's fields; optional fields are ``None`` when absent.

    Times are timezone-aware UTC. ``credibility`` is the Admiralty digit 1-6.

    Not ``slots``, and every optional field has a class-level default: the validated ingest
    path (``ceasefire.reports.fastpath``) builds an instance by handing it a ``__dict__`` that
    holds only the fields the input gave, in one C call — about 10x faster than the frozen
    ``__init__``'s per-field ``object.__setattr__``, and half the memory. Attribute access,
    ``==``, ``hash`` and ``dataclasses.fields``/``replace`` are unaffected (absent fields read
    their class defaults); use ``getattr``, never ``vars()``/``__dict__``, to read a report.
    """

    id: str
    source: str
    source_type: SourceType
    observed_at: datetime
    category: Category
    reliability: Reliability = Reliability.F
    credibility: int = 6
    observed_until: datetime | None = None
    lat: float | None = None
    lon: float | None = None
    uncertainty_m: float | None = None
    observer_lat: float | None = None
    observer_lon: float | None = None
    bearing_deg: float | None = None
    bearing_error_deg: float | None = None
    distance_min_m: float | None = None
    distance_max_m: float | None = None
    place: str | None = None
    weapon_class: WeaponClass | None = None
    count: int = 1
    fire_direction: FireDirection | None = None
    heading_deg: float | None = None
    attributed_to: str | None = None
    description: str | None = None
    amends: str | None = None
    withdrawn: bool = False
    classification: Classification = Classification.UNCLASSIFIED
    releasable_to: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """``(source, id)``: unique, and what makes re-delivery idempotent."""
        return (self.source, self.id)
