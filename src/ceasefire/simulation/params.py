"""Simulation parameters: one frozen tree, loaded from a scenario's ``simulation.yaml``.

Every number that shapes the simulated mission lives here, with its unit in its name, so that
a scenario file (commented) and ``docs/simulation.md`` are the whole story. The YAML is
validated with pydantic dataclasses; a bad key raises :class:`InputError` naming its path
(``observers.uav.jam_probability``) and the rule it broke.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Annotated

import orjson
import yaml
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass

from ceasefire.errors import InputError
from ceasefire.reports.model import Category, FireDirection, Reliability, WeaponClass

_STRICT = ConfigDict(extra="forbid", frozen=True)

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Range = tuple[NonNegative, NonNegative]
"""A ``[low, high]`` pair; values are drawn uniformly between them."""


@dataclass(config=_STRICT)
class FireKind:
    """One category of fire as missions counted it.

    ``audible_km`` is how far a post hears or sees it; ``duration_min`` how long one episode
    lasts (an ``observed_until`` window); ``count_mean`` the mean number of explosions, bursts or
    rounds per episode (geometric distribution, >= 1).
    """

    share: Share
    weapons: dict[WeaponClass, NonNegative]
    count_mean: Annotated[float, Field(ge=1.0)]
    audible_km: Positive
    duration_min: Range = (1.0, 10.0)


@dataclass(config=_STRICT)
class FireParams:
    """Exchanges of fire along the line: a quiet baseline with a daily and nightly rhythm.

    ``day_factors`` (optional) multiplies the baseline rate of simulated day *i* by its
    *i*-th entry (days past the list: 1): a surge written as a schedule, e.g. February 2022's
    rise from about 100 to 1,566 counted violations a day.
    """

    baseline_per_day: NonNegative
    daily_variation: NonNegative
    night_share: Share
    kinds: dict[Category, FireKind]
    origin_depth_km: dict[WeaponClass, Range]
    impact_depth_km: dict[WeaponClass, Range]
    day_factors: tuple[NonNegative, ...] = ()


@dataclass(config=_STRICT)
class FlareUpParams:
    """Local escalations: many fire events packed in a small area and a few hours."""

    per_day: NonNegative
    events: Range
    radius_km: Range
    duration_h: Range
    count_factor: Annotated[float, Field(ge=1.0)] = 1.0


@dataclass(config=_STRICT)
class PresenceParams:
    """Weapons or units standing somewhere for a while (heavy weapons, armour, troops).

    ``depth_km`` per weapon class is how far behind the line they stand; the real zone
    placement decides whether that breaks a withdrawal rule. ``at_storage_share`` of heavy
    weapons are put at a storage site of their party instead (not a violation).
    """

    per_day: NonNegative
    classes: dict[WeaponClass, NonNegative]
    depth_km: dict[WeaponClass, Range]
    count: tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]]
    duration_h: Range
    at_storage_share: Share = 0.0


@dataclass(config=_STRICT)
class ConsequenceParams:
    """What explosions do: damage and casualties, reported later by patrols and feeds."""

    damage_share: Share
    casualty_share: Share
    casualties: tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]]


@dataclass(config=_STRICT)
class Facility:
    """A coalition facility that can be attacked (``attack_on_force``)."""

    id: str
    lon: Annotated[float, Field(ge=-180.0, le=180.0)]
    lat: Annotated[float, Field(ge=-90.0, le=90.0)]


@dataclass(config=_STRICT)
class AttackOnForceParams:
    """Rare strikes on the force's facilities, each filmed by the facility's own camera."""

    per_day: NonNegative
    facilities: tuple[Facility, ...] = ()


@dataclass(config=_STRICT)
class EventParams:
    """All true events."""

    fire: FireParams
    flare_ups: FlareUpParams
    heavy_weapons: PresenceParams
    armour: PresenceParams
    troop_movement: PresenceParams
    consequences: ConsequenceParams
    attack_on_force: AttackOnForceParams


@dataclass(config=_STRICT)
class SourceGrade:
    """Admiralty grade a source puts on its own reports."""

    reliability: Reliability
    credibility: Annotated[int, Field(ge=1, le=6)]


@dataclass(config=_STRICT)
class PostParams:
    """Fixed observation posts along the line, on the sides listed, staffed around the clock.

    A post hears an event at distance ``d`` with probability
    ``detect_probability * (1 - (d / audible_km) ** 2)``. The bearing it writes has a stated
    half-width drawn from ``bearing_error_deg`` and a true error of half that as 1-sigma.
    ``range_band_km`` is the width of the written band ("3-5 km"); ``range_share`` of reports
    give one. ``count_sigma`` is the log-normal error on counts (far posts also hear fewer).
    """

    spacing_km: Positive
    offset_km: NonNegative
    sides: tuple[str, ...]
    detect_probability: Share
    range_factor: Positive
    bearing_error_deg: Range
    range_band_km: Positive
    range_share: Share
    count_sigma: NonNegative
    time_sigma_min: NonNegative
    delay_min: Range
    grade: SourceGrade


@dataclass(config=_STRICT)
class PatrolParams:
    """Day patrols: a few stops each near the line, hearing like a post; they see weapons
    and armour within ``sighting_km`` and meet movement restrictions."""

    per_day: NonNegative
    stops: tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]]
    stop_h: Range
    day_hours: Range
    offset_km: Range
    sighting_km: Positive
    sighting_uncertainty_m: Positive
    restriction_probability: Share
    grade: SourceGrade


@dataclass(config=_STRICT)
class UavParams:
    """UAV sorties over a circle of the line; jammed sorties end early (``sensor_impeded``)."""

    sorties_per_day: NonNegative
    radius_km: Positive
    duration_h: Range
    jam_probability: Share
    detect_probability: Share
    cep_m: Range
    delay_h: Range
    grade: SourceGrade


@dataclass(config=_STRICT)
class SatelliteParams:
    """Imagery passes: a snapshot of a rectangle; clouds hide some; analysed hours later."""

    passes_per_day: NonNegative
    footprint_km: Positive
    cloud_probability: Share
    cep_m: Range
    delay_h: Range
    grade: SourceGrade


@dataclass(config=_STRICT)
class CameraParams:
    """Fixed cameras with a field of view; outages are ``sensor_impeded`` events."""

    spacing_km: Positive
    range_km: Positive
    fov_deg: Annotated[float, Field(gt=0.0, le=360.0)]
    bearing_error_deg: Range
    detect_probability: Share
    outage_per_day: Share
    outage_h: Range
    grade: SourceGrade


@dataclass(config=_STRICT)
class AcousticParams:
    """Acoustic arrays: bearings to explosions and launches, night and day, no range."""

    spacing_km: Positive
    range_km: Positive
    bearing_error_deg: Range
    detect_probability: Share
    grade: SourceGrade


@dataclass(config=_STRICT)
class OsintParams:
    """Open-source feeds: bigger events, vaguer places, hours later, sometimes repeating."""

    feeds: tuple[str, ...]
    min_count: Annotated[int, Field(ge=1)]
    probability: Share
    consequence_probability: Share
    location_error_km: Positive
    delay_h: Range
    repeat_probability: Share
    grade: SourceGrade


@dataclass(config=_STRICT)
class ForceParams:
    """The multinational force's operations centre: reports attacks on its own facilities."""

    delay_min: Range
    uncertainty_m: Positive
    grade: SourceGrade


@dataclass(config=_STRICT)
class PartyParams:
    """Party notifications: claims against the other side, some true, many not."""

    true_probability: Share
    false_per_day: NonNegative
    location_error_km: Positive
    delay_h: Range
    grade: SourceGrade


@dataclass(config=_STRICT)
class ObservationErrorParams:
    """How observers misjudge what they saw (shared by every kind of observer).

    ``*_stated`` is the chance a report names the weapon class of fire (presence sightings
    always name it); ``weapon_confusion`` the chance a sighting names a neighbouring class
    (artillery >= 100 vs < 100 mm, MLRS vs heavy MLRS, tank vs APC, mortar vs 120 mm mortar);
    ``range_sigma`` the log-normal error of a judged distance; ``heading_sigma_deg`` the error
    of a projectile's direction before rounding to 45 degrees; ``explosion_direction`` the
    mix of impact / airburst / undetermined written for explosions.
    """

    burst_shots_confusion: Share
    weapon_stated_ground: Share
    weapon_stated_uav: Share
    weapon_stated_satellite: Share
    weapon_confusion: Share
    range_sigma: NonNegative
    heading_sigma_deg: NonNegative
    explosion_direction: dict[FireDirection, NonNegative]


@dataclass(config=_STRICT)
class ObserverParams:
    """Every kind of observer."""

    posts: PostParams
    patrols: PatrolParams
    uav: UavParams
    satellite: SatelliteParams
    cameras: CameraParams
    acoustic: AcousticParams
    osint: OsintParams
    parties: PartyParams
    force: ForceParams
    errors: ObservationErrorParams


@dataclass(config=_STRICT)
class ReportingParams:
    """How reports go wrong: late, amended, false, withdrawn, delivered twice."""

    late_share: Share
    late_delay_h: Range
    amend_share: Share
    amend_delay_h: Range
    false_share: Share
    withdraw_false_share: Share
    redelivery_share: Share


@dataclass(config=_STRICT)
class SimulationParams:
    """The whole parameter tree of one scenario's simulation."""

    start: datetime | None
    timezone: str
    events: EventParams
    observers: ObserverParams
    reporting: ReportingParams


_ADAPTER: TypeAdapter[SimulationParams] = TypeAdapter(SimulationParams)


def parse_params(data: object) -> SimulationParams:
    """Validate a parsed YAML tree; raise :class:`InputError` naming the first bad key path."""
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(part) for part in first["loc"]) or "<root>"
        raise InputError(path, first["type"], first["msg"]) from exc


def load_params(path: Path) -> SimulationParams:
    """Read and validate ``simulation.yaml``; unreadable YAML is an :class:`InputError` too."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(str(path), "readable-yaml", str(exc)) from exc
    return parse_params(data)


def params_hash(params: SimulationParams) -> str:
    """SHA-256 of the canonical JSON of the validated parameters (key order does not matter)."""
    canonical = orjson.dumps(_ADAPTER.dump_python(params, mode="json"), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()
