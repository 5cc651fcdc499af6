"""Who saw what: true events × observers → detections, all as array operations.

Ground observers (posts, patrol stops, cameras, acoustic arrays) are found near each event
with an STRtree ``dwithin`` query in local metres, then kept when their window overlaps the
event, the event is within the range for its category (and the camera's field of view), and
a draw beats the detection probability ``p0 * (1 - (d / R) ** 2)``. UAV sorties and
satellite passes detect what lies in their circle while they watch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from ceasefire.reports.model import Category
from ceasefire.simulation.events import CATEGORIES, EventTable, cat_code
from ceasefire.simulation.lines import FloatArray, bearing_distance
from ceasefire.simulation.observers import OBSERVER_KINDS, Areas, ObserverKind, Stations
from ceasefire.simulation.params import ObserverParams
from ceasefire.simulation.table import Table
from ceasefire.simulation.world import World

FIRE = [
    Category.EXPLOSION,
    Category.PROJECTILE_IN_FLIGHT,
    Category.MUZZLE_FLASH,
    Category.ILLUMINATION_FLARE,
    Category.BURST_OF_FIRE,
    Category.SHOTS,
]
PRESENCE = [Category.HEAVY_WEAPON, Category.ARMOUR, Category.TROOP_MOVEMENT]
AFTERMATH = [Category.INFRASTRUCTURE_DAMAGE, Category.CIVILIAN_CASUALTY]


@dataclass(frozen=True)
class Detections(Table):
    """One row per (event, observer) detection, before any reporting error.

    ``distance_m``/``bearing_deg`` are exact, from the observer (NaN for area sensors);
    ``seen_s`` is when the observer saw it (the later of the event's start and the window's).
    """

    event: NDArray[np.int64]
    source: NDArray[np.int64]
    kind: NDArray[np.int8]
    seen_s: FloatArray
    obs_lon: FloatArray
    obs_lat: FloatArray
    distance_m: FloatArray
    bearing_deg: FloatArray
    range_m: FloatArray


def range_table(params: ObserverParams, fire_audible_km: dict[Category, float]) -> FloatArray:
    """Maximum detection range (m) per observer kind (rows) and category (columns); 0 = never."""
    table = np.zeros((len(OBSERVER_KINDS), len(CATEGORIES)))
    post, patrol = (
        OBSERVER_KINDS.index(ObserverKind.POST),
        OBSERVER_KINDS.index(ObserverKind.PATROL),
    )
    cam, aco = (
        OBSERVER_KINDS.index(ObserverKind.CAMERA),
        OBSERVER_KINDS.index(ObserverKind.ACOUSTIC),
    )
    for category, km in fire_audible_km.items():
        c = cat_code(category)
        table[post, c] = table[patrol, c] = km * params.posts.range_factor * 1e3
        table[cam, c] = min(km, params.cameras.range_km) * 1e3
    for category in (Category.EXPLOSION, Category.PROJECTILE_IN_FLIGHT, Category.MUZZLE_FLASH):
        table[aco, cat_code(category)] = params.acoustic.range_km * 1e3
    for category in PRESENCE:
        c = cat_code(category)
        table[post, c] = table[patrol, c] = params.patrols.sighting_km * 1e3
        table[cam, c] = params.cameras.range_km * 1e3
    for category in AFTERMATH:
        table[patrol, cat_code(category)] = params.patrols.sighting_km * 1e3
    return table


def probability_table(params: ObserverParams) -> FloatArray:
    """Detection probability at zero range per observer kind and category."""
    table = np.zeros((len(OBSERVER_KINDS), len(CATEGORIES)))
    table[OBSERVER_KINDS.index(ObserverKind.POST), :] = params.posts.detect_probability
    table[OBSERVER_KINDS.index(ObserverKind.PATROL), :] = params.posts.detect_probability
    table[OBSERVER_KINDS.index(ObserverKind.CAMERA), :] = params.cameras.detect_probability
    table[OBSERVER_KINDS.index(ObserverKind.ACOUSTIC), :] = params.acoustic.detect_probability
    uav = OBSERVER_KINDS.index(ObserverKind.UAV)
    for category in [*FIRE, *PRESENCE, Category.INFRASTRUCTURE_DAMAGE]:
        table[uav, cat_code(category)] = params.uav.detect_probability
    sat = OBSERVER_KINDS.index(ObserverKind.SATELLITE)
    for category in [Category.HEAVY_WEAPON, Category.ARMOUR, Category.INFRASTRUCTURE_DAMAGE]:
        table[sat, cat_code(category)] = 0.9
    return table


def _overlap(
    events: EventTable, e: NDArray[np.intp], t0: FloatArray, t1: FloatArray
) -> tuple[NDArray[np.bool_], FloatArray]:
    """Whether each pair's windows overlap, and the first moment they both hold."""
    ok = (events.t_s[e] <= t1) & (events.until_s[e] >= t0)
    return ok, np.maximum(events.t_s[e], t0)


def detect_ground(
    rng: np.random.Generator,
    world: World,
    events: EventTable,
    stations: Stations,
    *,
    ranges: FloatArray,
    probability: FloatArray,
) -> Detections:
    """Detections by posts, patrol stops, cameras and acoustic arrays."""
    ex, ey = world.metres.xy(events.lon, events.lat)
    sx, sy = world.metres.xy(stations.lon, stations.lat)
    tree = shapely.STRtree(shapely.points(sx, sy))
    e, s = tree.query(shapely.points(ex, ey), predicate="dwithin", distance=float(ranges.max()))
    ok, seen = _overlap(events, e, stations.t0_s[s], stations.t1_s[s])
    e, s, seen = e[ok], s[ok], seen[ok]
    kind = stations.kind[s]
    cat = events.category[e]
    limit = ranges[kind, cat]
    bearing, dist = bearing_distance(stations.lon[s], stations.lat[s], events.lon[e], events.lat[e])
    off_axis = np.abs((bearing - stations.fov_az[s] + 180.0) % 360.0 - 180.0)
    p = probability[kind, cat] * (1.0 - np.square(dist / np.maximum(limit, 1.0)))
    hit = (
        (limit > 0)
        & (dist <= limit)
        & (off_axis <= stations.fov_half_deg[s])
        & (rng.random(e.size) < p)
    )
    e, s = e[hit], s[hit]
    return Detections(
        event=e.astype(np.int64),
        source=stations.source[s],
        kind=stations.kind[s],
        seen_s=seen[hit],
        obs_lon=stations.lon[s],
        obs_lat=stations.lat[s],
        distance_m=dist[hit],
        bearing_deg=bearing[hit],
        range_m=limit[hit],
    )


def detect_areas(
    rng: np.random.Generator,
    world: World,
    events: EventTable,
    areas: Areas,
    probability: FloatArray,
) -> Detections:
    """Detections by UAV sorties and satellite passes (no observer position: they give points)."""
    ex, ey = world.metres.xy(events.lon, events.lat)
    ax, ay = world.metres.xy(areas.lon, areas.lat)
    tree = shapely.STRtree(shapely.points(ax, ay))
    radius = float(areas.radius_m.max()) if len(areas) else 0.0
    e, a = tree.query(shapely.points(ex, ey), predicate="dwithin", distance=radius)
    ok, seen = _overlap(events, e, areas.t0_s[a], areas.t1_s[a])
    inside = np.hypot(ex[e] - ax[a], ey[e] - ay[a]) <= areas.radius_m[a]
    p = probability[areas.kind[a], events.category[e]]
    hit = ok & inside & (rng.random(e.size) < p)
    e, a = e[hit], a[hit]
    nan = np.full(e.size, np.nan)
    return Detections(
        event=e.astype(np.int64),
        source=areas.source[a],
        kind=areas.kind[a],
        seen_s=seen[hit],
        obs_lon=nan,
        obs_lat=nan.copy(),
        distance_m=nan.copy(),
        bearing_deg=nan.copy(),
        range_m=nan.copy(),
    )
