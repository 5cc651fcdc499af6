"""From detections to reports: what each observer writes, with realistic errors.

Ground observers write a bearing (stated half-width drawn from their range, true error of
half that as 1-sigma), often a range band ("3-5 km") and a count that thins with distance.
UAVs and satellites write a point with a CEP of tens of metres. Open sources write a vague
point hours later; parties notify the other side's fire, naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from ceasefire.reports.model import Category, FireDirection, WeaponClass
from ceasefire.simulation.detect import FIRE, PRESENCE, Detections
from ceasefire.simulation.events import EventTable, cat_code, weapon_code
from ceasefire.simulation.lines import FloatArray, step
from ceasefire.simulation.observers import OBSERVER_KINDS, ObserverKind
from ceasefire.simulation.params import ObserverParams, SourceGrade
from ceasefire.simulation.table import Table, filled

DIRECTIONS = list(FireDirection)
#: CEP (median radial error) of a circular normal error, in units of its per-axis sigma.
CEP_PER_SIGMA = 1.1774
#: ``attributed`` code for a report that names the culprit as "unknown".
ATTRIBUTED_UNKNOWN = -2
#: Weapon classes an observer may confuse (one for the other), as seen from afar.
CONFUSABLE = {
    WeaponClass.ARTILLERY_GE_100: WeaponClass.ARTILLERY_LT_100,
    WeaponClass.ARTILLERY_LT_100: WeaponClass.ARTILLERY_GE_100,
    WeaponClass.MLRS: WeaponClass.HEAVY_MLRS,
    WeaponClass.HEAVY_MLRS: WeaponClass.MLRS,
    WeaponClass.TANK: WeaponClass.APC_IFV,
    WeaponClass.APC_IFV: WeaponClass.TANK,
    WeaponClass.MORTAR: WeaponClass.MORTAR_120,
    WeaponClass.MORTAR_120: WeaponClass.MORTAR,
}


class Role(StrEnum):
    """Why a report row exists (kept in the truth so fusion can be scored by case)."""

    ORIGINAL = "original"
    REPEAT = "repeat"
    AMENDMENT = "amendment"
    WITHDRAWAL = "withdrawal"
    REDELIVERY = "redelivery"
    FALSE = "false"


ROLES = list(Role)


@dataclass(frozen=True)
class ReportTable(Table):
    """Reports as columns. NaN / -1 mean "field absent"; times are seconds from the start.

    ``event`` links to the true event (-1 false); ``amends_row``/``copy_of`` index rows of
    this same table; ``grade`` is reliability letter index (A=0) * 10 + credibility.
    """

    event: NDArray[np.int64]
    source: NDArray[np.int64]
    kind: NDArray[np.int8]
    observed_s: FloatArray
    until_s: FloatArray
    lon: FloatArray
    lat: FloatArray
    uncertainty_m: FloatArray
    obs_lon: FloatArray
    obs_lat: FloatArray
    bearing_deg: FloatArray
    bearing_error_deg: FloatArray
    dmin_m: FloatArray
    dmax_m: FloatArray
    category: NDArray[np.int16]
    weapon: NDArray[np.int16]
    count: NDArray[np.int64]
    direction: NDArray[np.int8]
    heading_deg: FloatArray
    attributed: NDArray[np.int8]
    grade: NDArray[np.int16]
    arrival_s: FloatArray
    role: NDArray[np.int8]
    amends_row: NDArray[np.int64]
    copy_of: NDArray[np.int64]
    withdrawn: NDArray[np.bool_]


def grade_code(grade: SourceGrade) -> int:
    """Pack an Admiralty grade into one small integer (see ``ReportTable``)."""
    return "ABCDEF".index(str(grade.reliability)) * 10 + grade.credibility


def blank(n: int) -> dict[str, NDArray[np.generic]]:
    """Columns for ``n`` reports with every optional field absent."""

    def nan() -> NDArray[np.float64]:
        return np.full(n, np.nan)

    return {
        "until_s": nan(),
        "lon": nan(),
        "lat": nan(),
        "uncertainty_m": nan(),
        "obs_lon": nan(),
        "obs_lat": nan(),
        "bearing_deg": nan(),
        "bearing_error_deg": nan(),
        "dmin_m": nan(),
        "dmax_m": nan(),
        "heading_deg": nan(),
        "weapon": filled(n, -1, np.int16),
        "direction": filled(n, -1, np.int8),
        "attributed": filled(n, -1, np.int8),
        "role": filled(n, ROLES.index(Role.ORIGINAL), np.int8),
        "amends_row": filled(n, -1, np.int64),
        "copy_of": filled(n, -1, np.int64),
        "withdrawn": np.zeros(n, dtype=bool),
    }


def _weapon_seen(
    rng: np.random.Generator,
    true_weapon: NDArray[np.int16],
    category: NDArray[np.int16],
    say_probability: FloatArray,
    confusion: float,
) -> NDArray[np.int16]:
    """Fire: the class is stated sometimes; presence: always, sometimes confused."""
    presence = np.isin(category, [cat_code(c) for c in PRESENCE])
    said = presence | (rng.random(true_weapon.size) < say_probability)
    out = np.where(said, true_weapon, -1).astype(np.int16)
    confuse = presence & (rng.random(out.size) < confusion)
    for a, b in CONFUSABLE.items():
        out[confuse & (true_weapon == weapon_code(a))] = weapon_code(b)
    return out


def _fire_direction(
    rng: np.random.Generator, category: NDArray[np.int16], mix: dict[FireDirection, float]
) -> NDArray[np.int8]:
    out = filled(category.size, -1, np.int8)
    boom = category == cat_code(Category.EXPLOSION)
    kinds = sorted(mix)  # never depend on YAML key order
    weights = np.asarray([mix[d] for d in kinds], dtype=np.float64)
    draw = rng.choice(
        [DIRECTIONS.index(d) for d in kinds], size=category.size, p=weights / weights.sum()
    )
    out[boom] = draw[boom]
    out[category == cat_code(Category.MUZZLE_FLASH)] = DIRECTIONS.index(FireDirection.OUTGOING)
    return out


def grade_table(params: ObserverParams) -> NDArray[np.int16]:
    """Packed Admiralty grade per observer kind code."""
    grades = np.zeros(len(OBSERVER_KINDS), dtype=np.int16)
    for o, g in (
        (ObserverKind.POST, params.posts.grade),
        (ObserverKind.PATROL, params.patrols.grade),
        (ObserverKind.CAMERA, params.cameras.grade),
        (ObserverKind.ACOUSTIC, params.acoustic.grade),
        (ObserverKind.UAV, params.uav.grade),
        (ObserverKind.SATELLITE, params.satellite.grade),
        (ObserverKind.OSINT, params.osint.grade),
        (ObserverKind.PARTY, params.parties.grade),
        (ObserverKind.FORCE, params.force.grade),
    ):
        grades[OBSERVER_KINDS.index(o)] = grade_code(g)
    return grades


def from_detections(
    rng: np.random.Generator, events: EventTable, det: Detections, params: ObserverParams
) -> ReportTable:
    """Reports of every detection, with bearing, range, count, time and weapon errors."""
    n = len(det)
    cols = blank(n)
    kind = det.kind
    k = {o: OBSERVER_KINDS.index(o) for o in ObserverKind}
    ground = np.isin(
        kind,
        [
            k[ObserverKind.POST],
            k[ObserverKind.PATROL],
            k[ObserverKind.CAMERA],
            k[ObserverKind.ACOUSTIC],
        ],
    )
    cat = events.category[det.event]
    presence = np.isin(cat, [cat_code(c) for c in PRESENCE])
    aftermath = ~np.isin(cat, [cat_code(c) for c in [*FIRE, *PRESENCE]])
    patrol_point = (kind == k[ObserverKind.PATROL]) & ~np.isin(cat, [cat_code(c) for c in FIRE])
    bearing_form = ground & ~patrol_point

    # Bearings: stated half-width per observer kind; true error 1-sigma = half of it.
    err_lo = np.select(
        [kind == k[ObserverKind.CAMERA], kind == k[ObserverKind.ACOUSTIC]],
        [params.cameras.bearing_error_deg[0], params.acoustic.bearing_error_deg[0]],
        params.posts.bearing_error_deg[0],
    )
    err_hi = np.select(
        [kind == k[ObserverKind.CAMERA], kind == k[ObserverKind.ACOUSTIC]],
        [params.cameras.bearing_error_deg[1], params.acoustic.bearing_error_deg[1]],
        params.posts.bearing_error_deg[1],
    )
    half = np.round(err_lo + rng.random(n) * (err_hi - err_lo))
    bearing = np.mod(np.round(det.bearing_deg + rng.normal(0.0, 1.0, n) * half / 2.0), 360.0)
    cols["obs_lon"] = np.where(bearing_form, det.obs_lon, np.nan)
    cols["obs_lat"] = np.where(bearing_form, det.obs_lat, np.nan)
    cols["bearing_deg"] = np.where(bearing_form, bearing, np.nan)
    cols["bearing_error_deg"] = np.where(bearing_form, half, np.nan)

    # Range bands ("3-5 km"): posts and patrols sometimes, cameras always, acoustic never.
    width = params.posts.range_band_km * 1e3
    errors = params.errors
    judged = det.distance_m * rng.lognormal(0.0, errors.range_sigma, n)
    low = np.floor(judged / width) * width
    banded = (
        bearing_form
        & (kind != k[ObserverKind.ACOUSTIC])
        & ((kind == k[ObserverKind.CAMERA]) | (rng.random(n) < params.posts.range_share))
    )
    cols["dmin_m"] = np.where(banded, low, np.nan)
    cols["dmax_m"] = np.where(banded, low + width, np.nan)

    # Points: UAV/satellite CEP, patrol sightings of weapons and damage.
    cep = np.select(
        [kind == k[ObserverKind.UAV], kind == k[ObserverKind.SATELLITE]],
        [rng.uniform(*params.uav.cep_m, n), rng.uniform(*params.satellite.cep_m, n)],
        params.patrols.sighting_uncertainty_m,
    )
    pointed = ~bearing_form
    p_lon, p_lat = step(
        events.lon[det.event],
        events.lat[det.event],
        rng.uniform(0, 360, n),
        rng.rayleigh(cep / CEP_PER_SIGMA, n),
    )
    cols["lon"] = np.where(pointed, np.round(p_lon, 6), np.nan)
    cols["lat"] = np.where(pointed, np.round(p_lat, 6), np.nan)
    cols["uncertainty_m"] = np.where(pointed, np.round(cep), np.nan)

    # Counts thin with distance for what is heard; sensors count well.
    true_count = events.count[det.event]
    ratio = np.divide(
        det.distance_m, det.range_m, out=np.zeros(n), where=ground & (det.range_m > 0)
    )
    frac = np.where(ground & ~presence, 1.0 - 0.5 * np.square(ratio), 1.0)
    heard = np.maximum(
        rng.binomial(true_count, np.clip(np.nan_to_num(frac, nan=1.0), 0.05, 1.0)), 1
    )
    sigma = np.where(ground & ~presence, params.posts.count_sigma, 0.05)
    count = np.maximum(np.round(heard * rng.lognormal(0.0, sigma)), 1).astype(np.int64)
    cols["count"] = np.where(aftermath, true_count, count)

    # Times: people write minutes in local time with some error; windows for long episodes.
    human = np.isin(kind, [k[ObserverKind.POST], k[ObserverKind.PATROL]])
    jitter = np.where(human, rng.normal(0.0, params.posts.time_sigma_min * 60.0, n), 0.0)
    observed = np.where(human, np.round((det.seen_s + jitter) / 60.0) * 60.0, np.round(det.seen_s))
    lasting = events.until_s[det.event] - det.seen_s
    windowed = ground & ~presence & ~aftermath & (lasting > 300.0)
    cols["until_s"] = np.where(windowed, observed + np.round(lasting / 60.0) * 60.0, np.nan)

    # Category: bursts and shots are often confused; weapons named sometimes.
    burst, shots = cat_code(Category.BURST_OF_FIRE), cat_code(Category.SHOTS)
    swap = rng.random(n) < errors.burst_shots_confusion
    category = np.where(swap & (cat == burst), shots, np.where(swap & (cat == shots), burst, cat))
    say = np.select(
        [kind == k[ObserverKind.UAV], kind == k[ObserverKind.SATELLITE]],
        [errors.weapon_stated_uav, errors.weapon_stated_satellite],
        errors.weapon_stated_ground,
    )
    cols["weapon"] = _weapon_seen(rng, events.weapon[det.event], cat, say, errors.weapon_confusion)
    cols["direction"] = _fire_direction(rng, category.astype(np.int16), errors.explosion_direction)
    in_flight = category == cat_code(Category.PROJECTILE_IN_FLIGHT)
    heading = np.mod(
        np.round(
            (events.heading_deg[det.event] + rng.normal(0, errors.heading_sigma_deg, n)) / 45.0
        )
        * 45.0,
        360,
    )
    cols["heading_deg"] = np.where(in_flight & ground, heading, np.nan)

    grades = grade_table(params)
    delay = np.select(
        [kind == k[ObserverKind.UAV], kind == k[ObserverKind.SATELLITE]],
        [
            rng.uniform(*params.uav.delay_h, n) * 3600.0,
            rng.uniform(*params.satellite.delay_h, n) * 3600.0,
        ],
        rng.uniform(*params.posts.delay_min, n) * 60.0,
    )
    return ReportTable(
        event=det.event,
        source=det.source,
        kind=kind,
        observed_s=observed,
        category=category.astype(np.int16),
        grade=grades[kind],
        arrival_s=observed + delay,
        **cols,  # type: ignore[arg-type]
    )
