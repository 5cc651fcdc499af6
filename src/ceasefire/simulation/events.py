"""True events: what really happened along the line, before anyone observed it.

Fire has an *origin* (where the weapon stood, on the firing party's side: that party is the
ground-truth attribution) and an observed *location* (where the explosion, the flash or the
burst was: for explosions the impact, across the line). Presence events (heavy weapons,
armour, troops) stand somewhere for hours. Consequences follow explosions. Everything is
drawn with numpy from one ``Generator``, so a seed fixes the whole history.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from ceasefire.reports.model import Category, WeaponClass
from ceasefire.simulation.lines import FloatArray, bearing_distance, step
from ceasefire.simulation.params import (
    AttackOnForceParams,
    ConsequenceParams,
    FireParams,
    FlareUpParams,
    PresenceParams,
)
from ceasefire.simulation.table import Table, filled
from ceasefire.simulation.world import World

DAY_S = 86_400.0
CATEGORIES = list(Category)
WEAPONS = list(WeaponClass)


class EventKind(StrEnum):
    """Why a true event exists; the code stored in ``EventTable.kind`` is the list index."""

    BASELINE = "baseline"
    FLARE_UP = "flare_up"
    HEAVY_WEAPON = "heavy_weapon"
    AT_STORAGE = "at_storage"
    ARMOUR = "armour"
    TROOPS = "troops"
    DAMAGE = "damage"
    CASUALTY = "casualty"
    ATTACK_ON_FORCE = "attack_on_force"
    RESTRICTION = "restriction"
    OUTAGE = "outage"


KINDS = list(EventKind)


def cat_code(category: Category) -> int:
    """Index of a category in ``list(Category)`` (the ReportColumns convention)."""
    return CATEGORIES.index(category)


def weapon_code(weapon: WeaponClass) -> int:
    """Index of a weapon class in ``list(WeaponClass)``."""
    return WEAPONS.index(weapon)


@dataclass(frozen=True)
class EventTable(Table):
    """True events as columns; times are seconds from the simulation start.

    ``until_s`` ends the time the event can be observed (a burst's last minute, a battery's
    departure). ``origin_*`` is where fire came from (NaN for other events); ``party`` indexes
    ``World.party_ids`` (-1 unknown); ``caused_by`` links a consequence to its explosion and
    ``cluster`` a flare-up's events (both -1 when none).
    """

    t_s: FloatArray
    until_s: FloatArray
    lon: FloatArray
    lat: FloatArray
    origin_lon: FloatArray
    origin_lat: FloatArray
    heading_deg: FloatArray
    category: NDArray[np.int16]
    weapon: NDArray[np.int16]
    count: NDArray[np.int64]
    party: NDArray[np.int8]
    kind: NDArray[np.int8]
    caused_by: NDArray[np.int64]
    cluster: NDArray[np.int64]


def make_events(
    *,
    t_s: FloatArray,
    until_s: FloatArray,
    lon: FloatArray,
    lat: FloatArray,
    category: NDArray[np.int16],
    weapon: NDArray[np.int16],
    count: NDArray[np.int64],
    party: NDArray[np.int8],
    kind: EventKind,
) -> EventTable:
    """Events without fire origin, cause or cluster (presence, access, outages)."""
    n = t_s.shape[0]
    nan = filled(n, np.nan, np.float64)
    return EventTable(
        t_s=t_s,
        until_s=until_s,
        lon=lon,
        lat=lat,
        origin_lon=nan,
        origin_lat=nan.copy(),
        heading_deg=nan.copy(),
        category=category.astype(np.int16),
        weapon=weapon.astype(np.int16),
        count=count.astype(np.int64),
        party=party.astype(np.int8),
        kind=filled(n, KINDS.index(kind), np.int8),
        caused_by=filled(n, -1, np.int64),
        cluster=filled(n, -1, np.int64),
    )


def _choose_weighted(rng: np.random.Generator, weights: dict[str, float], n: int) -> list[str]:
    keys = sorted(weights)  # sorted: never depend on YAML key order
    p = np.asarray([weights[k] for k in keys], dtype=np.float64)
    p = p / p.sum()
    return [keys[i] for i in rng.choice(len(keys), size=n, p=p)]


def _uniform(rng: np.random.Generator, bounds: tuple[float, float], n: int) -> FloatArray:
    return rng.uniform(bounds[0], bounds[1], n)


def _depths(
    rng: np.random.Generator, by_class: dict[WeaponClass, tuple[float, float]], weapons: list[str]
) -> FloatArray:
    """Draw a depth (km) per row from the range given for its weapon class."""
    low = np.asarray([by_class[WeaponClass(w)][0] for w in weapons], dtype=np.float64)
    high = np.asarray([by_class[WeaponClass(w)][1] for w in weapons], dtype=np.float64)
    return low + rng.random(len(weapons)) * (high - low)


def fire_at(
    rng: np.random.Generator,
    world: World,
    params: FireParams,
    along_m: FloatArray,
    t_s: FloatArray,
    *,
    kind: EventKind,
    cluster: NDArray[np.int64],
    count_factor: float = 1.0,
) -> EventTable:
    """Fire events at the given distances along the line and times.

    Rows whose origin or observed location falls outside every party area (sea, foreign
    territory) are dropped, so a call may return fewer events than asked for.
    """
    n = along_m.shape[0]
    kinds = _choose_weighted(rng, {str(k): v.share for k, v in params.kinds.items()}, n)
    weapons = [""] * n
    for name in sorted(set(kinds)):
        rows = [i for i, k in enumerate(kinds) if k == name]
        spec = params.kinds[Category(name)]
        picked = _choose_weighted(rng, {str(w): s for w, s in spec.weapons.items()}, len(rows))
        for i, w in zip(rows, picked, strict=True):
            weapons[i] = w
    spec_of = [params.kinds[Category(k)] for k in kinds]
    count_mean = np.asarray([s.count_mean for s in spec_of]) * count_factor
    count = rng.geometric(1.0 / np.maximum(count_mean, 1.0)).astype(np.int64)
    dur_lo = np.asarray([s.duration_min[0] for s in spec_of])
    dur_hi = np.asarray([s.duration_min[1] for s in spec_of])
    duration_s = (dur_lo + rng.random(n) * (dur_hi - dur_lo)) * 60.0

    line_lon, line_lat, line_az = world.line.at(along_m)
    side = rng.choice(np.asarray([-90.0, 90.0]), size=n)
    origin_km = _depths(rng, params.origin_depth_km, weapons)
    impact_km = _depths(rng, params.impact_depth_km, weapons)
    o_lon, o_lat = step(line_lon, line_lat, line_az + side, origin_km * 1000.0)
    aim = line_az - side + rng.normal(0.0, 15.0, n)
    i_lon, i_lat = step(o_lon, o_lat, aim, (origin_km + impact_km) * 1000.0)
    heading, span_m = bearing_distance(o_lon, o_lat, i_lon, i_lat)
    m_lon, m_lat = step(o_lon, o_lat, heading, span_m / 2.0)

    cats = np.asarray([cat_code(Category(k)) for k in kinds], dtype=np.int16)
    at_impact = cats == cat_code(Category.EXPLOSION)
    in_flight = cats == cat_code(Category.PROJECTILE_IN_FLIGHT)
    lon = np.where(at_impact, i_lon, np.where(in_flight, m_lon, o_lon))
    lat = np.where(at_impact, i_lat, np.where(in_flight, m_lat, o_lat))

    party = world.party_of(o_lon, o_lat)
    keep = (party >= 0) & (world.party_of(lon, lat) >= 0)
    table = EventTable(
        t_s=t_s,
        until_s=t_s + duration_s,
        lon=lon,
        lat=lat,
        origin_lon=o_lon,
        origin_lat=o_lat,
        heading_deg=heading,
        category=cats,
        weapon=np.asarray([weapon_code(WeaponClass(w)) for w in weapons], dtype=np.int16),
        count=count,
        party=party,
        kind=filled(n, KINDS.index(kind), np.int8),
        caused_by=filled(n, -1, np.int64),
        cluster=cluster,
    )
    return table.take(keep)


def diurnal_times(
    rng: np.random.Generator,
    day: NDArray[np.int64],
    days: int,
    *,
    night_share: float,
    utc_offset_h: float,
) -> FloatArray:
    """Times (s from start) on the given days: ``night_share`` between 18:00 and 06:00 local.

    Times wrap around the simulated period, so the small hours of the first day get the
    night that spills past the last one and every time lies in ``[0, days)``.
    """
    n = day.shape[0]
    night = rng.random(n) < night_share
    local_h = np.where(night, 18.0 + rng.random(n) * 12.0, 6.0 + rng.random(n) * 12.0)
    return np.mod(day * DAY_S + (local_h - utc_offset_h) * 3600.0, days * DAY_S)


def baseline_fire(
    rng: np.random.Generator, world: World, params: FireParams, days: int, utc_offset_h: float
) -> EventTable:
    """The quiet baseline: a Poisson number a day (log-normal day factor), night-heavy."""
    factor = rng.lognormal(0.0, params.daily_variation, days)
    if params.day_factors:
        schedule = np.ones(days)
        given = np.asarray(params.day_factors[:days], dtype=np.float64)
        schedule[: given.shape[0]] = given
        factor = factor * schedule
    per_day = rng.poisson(params.baseline_per_day * factor)
    day = np.repeat(np.arange(days, dtype=np.int64), per_day)
    t_s = diurnal_times(rng, day, days, night_share=params.night_share, utc_offset_h=utc_offset_h)
    along = rng.uniform(0.0, world.line.length_m, day.shape[0])
    cluster = filled(day.shape[0], -1, np.int64)
    return fire_at(rng, world, params, along, t_s, kind=EventKind.BASELINE, cluster=cluster)


def flare_ups(
    rng: np.random.Generator, world: World, fire: FireParams, params: FlareUpParams, days: int
) -> EventTable:
    """Escalations: clusters of fire within ``radius_km`` along the line and a few hours."""
    n = int(rng.poisson(params.per_day * days))
    centre = rng.uniform(0.0, world.line.length_m, n)
    start = rng.uniform(0.0, days * DAY_S, n)
    duration = _uniform(rng, params.duration_h, n) * 3600.0
    radius = _uniform(rng, params.radius_km, n) * 1000.0
    size = np.round(_uniform(rng, params.events, n)).astype(np.int64)
    cluster = np.repeat(np.arange(n, dtype=np.int64), size)
    along = centre[cluster] + rng.uniform(-1.0, 1.0, cluster.shape[0]) * radius[cluster]
    t_s = start[cluster] + rng.random(cluster.shape[0]) * duration[cluster]
    return fire_at(
        rng,
        world,
        fire,
        along,
        t_s,
        kind=EventKind.FLARE_UP,
        cluster=cluster,
        count_factor=params.count_factor,
    )


def presence(
    rng: np.random.Generator,
    world: World,
    params: PresenceParams,
    days: int,
    *,
    category: Category,
    kind: EventKind,
) -> EventTable:
    """Weapons or units standing behind the line for hours; some at storage sites."""
    n = int(rng.poisson(params.per_day * days))
    weapons = _choose_weighted(rng, {str(k): v for k, v in params.classes.items()}, n)
    depth_km = _depths(rng, params.depth_km, weapons)
    line_lon, line_lat, line_az = world.line.sample(rng, n)
    side = rng.choice(np.asarray([-90.0, 90.0]), size=n)
    lon, lat = step(line_lon, line_lat, line_az + side, depth_km * 1000.0)
    t_s = rng.uniform(0.0, days * DAY_S, n)
    until_s = t_s + _uniform(rng, params.duration_h, n) * 3600.0
    count = rng.integers(params.count[0], params.count[1] + 1, n)
    codes = np.asarray([weapon_code(WeaponClass(w)) for w in weapons], dtype=np.int16)
    if category is Category.TROOP_MOVEMENT:
        codes = filled(n, -1, np.int16)
    stored = np.zeros(n, dtype=bool)
    if params.at_storage_share > 0 and world.site_lon.size:
        stored = rng.random(n) < params.at_storage_share
        site = rng.integers(0, world.site_lon.size, int(stored.sum()))
        jitter_az = np.asarray(rng.uniform(0.0, 360.0, site.size), dtype=np.float64)
        s_lon, s_lat = step(
            world.site_lon[site],
            world.site_lat[site],
            jitter_az,
            np.asarray(rng.uniform(0.0, 40.0, site.size), dtype=np.float64),
        )
        lon[stored], lat[stored] = s_lon, s_lat
    party = world.party_of(lon, lat)
    table = make_events(
        t_s=t_s,
        until_s=until_s,
        lon=lon,
        lat=lat,
        category=filled(n, cat_code(category), np.int16),
        weapon=codes,
        count=count,
        party=party,
        kind=kind,
    )
    table = table.replace(kind=np.where(stored, KINDS.index(EventKind.AT_STORAGE), table.kind))
    return table.take(party >= 0)


def consequences(
    rng: np.random.Generator, fire: EventTable, params: ConsequenceParams, offset: int
) -> EventTable:
    """Damage and casualties where explosions landed; ``caused_by`` = ``offset`` + fire row.

    Damage stays visible (to UAVs and satellites) for two days after the explosion.
    """
    explosion = np.flatnonzero(fire.category == cat_code(Category.EXPLOSION))
    tables = []
    for share, category, kind in (
        (params.damage_share, Category.INFRASTRUCTURE_DAMAGE, EventKind.DAMAGE),
        (params.casualty_share, Category.CIVILIAN_CASUALTY, EventKind.CASUALTY),
    ):
        rows = explosion[rng.random(explosion.size) < share]
        n = rows.size
        count = (
            rng.integers(params.casualties[0], params.casualties[1] + 1, n)
            if category is Category.CIVILIAN_CASUALTY
            else np.ones(n, dtype=np.int64)
        )
        t_s = fire.until_s[rows]
        table = make_events(
            t_s=t_s,
            until_s=t_s + 2 * DAY_S,
            lon=fire.lon[rows],
            lat=fire.lat[rows],
            category=filled(n, cat_code(category), np.int16),
            weapon=fire.weapon[rows],
            count=count,
            party=fire.party[rows],
            kind=kind,
        )
        tables.append(table.replace(caused_by=rows.astype(np.int64) + offset))
    return EventTable.concat(tables)


def attacks_on_force(
    rng: np.random.Generator, world: World, params: AttackOnForceParams, days: int
) -> EventTable:
    """Strikes on coalition facilities; the attacker is the party on the other side."""
    n = int(rng.poisson(params.per_day * days)) if params.facilities else 0
    which = rng.integers(0, max(len(params.facilities), 1), n)
    lon = np.asarray([params.facilities[i].lon for i in which], dtype=np.float64)
    lat = np.asarray([params.facilities[i].lat for i in which], dtype=np.float64)
    lon, lat = step(lon, lat, rng.uniform(0, 360, n), rng.uniform(0, 300.0, n))
    host = world.party_of(lon, lat)
    parties = len(world.party_ids)
    attacker = np.where((host >= 0) & (parties == 2), 1 - host, -1).astype(np.int8)
    t_s = rng.uniform(0.0, days * DAY_S, n)
    return make_events(
        t_s=t_s,
        until_s=t_s + 600.0,
        lon=lon,
        lat=lat,
        category=filled(n, cat_code(Category.ATTACK_ON_FORCE), np.int16),
        weapon=filled(n, weapon_code(WeaponClass.ATTACK_UAV), np.int16),
        count=rng.integers(1, 4, n),
        party=attacker,
        kind=EventKind.ATTACK_ON_FORCE,
    )
