"""The mission's eyes and ears: posts, patrols, cameras, acoustic arrays, UAVs, satellites.

Fixed observers and patrol stops become *station windows* (a position, a time window, a field
of view); UAV sorties and satellite passes become *areas* (a circle over a time window). The
access problems the observers meet (a patrol stopped at a checkpoint, a jammed UAV, a camera
down) are true events too, each reported by the observer it happened to.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from ceasefire.reports.model import Category, SourceType
from ceasefire.simulation.events import DAY_S, EventKind, EventTable, cat_code, make_events
from ceasefire.simulation.lines import FloatArray, step
from ceasefire.simulation.params import ObserverParams
from ceasefire.simulation.table import Table, filled
from ceasefire.simulation.world import World


class ObserverKind(StrEnum):
    """Kinds of observer; station windows store the list index."""

    POST = "post"
    PATROL = "patrol"
    CAMERA = "camera"
    ACOUSTIC = "acoustic"
    UAV = "uav"
    SATELLITE = "satellite"
    OSINT = "osint"
    PARTY = "party"
    FORCE = "force"


OBSERVER_KINDS = list(ObserverKind)
SOURCE_TYPE_OF: dict[ObserverKind, SourceType] = {
    ObserverKind.POST: SourceType.OBSERVATION_POST,
    ObserverKind.PATROL: SourceType.PATROL,
    ObserverKind.CAMERA: SourceType.CAMERA,
    ObserverKind.ACOUSTIC: SourceType.ACOUSTIC,
    ObserverKind.UAV: SourceType.UAV,
    ObserverKind.SATELLITE: SourceType.SATELLITE,
    ObserverKind.OSINT: SourceType.OSINT,
    ObserverKind.PARTY: SourceType.PARTY_NOTIFICATION,
    ObserverKind.FORCE: SourceType.TAK,
}


@dataclass(frozen=True)
class Stations(Table):
    """Where and when a ground observer watched: one row per position and time window.

    ``fov_az``/``fov_half_deg`` bound what a camera sees (180 = all round).
    """

    lon: FloatArray
    lat: FloatArray
    t0_s: FloatArray
    t1_s: FloatArray
    kind: NDArray[np.int8]
    source: NDArray[np.int64]
    fov_az: FloatArray
    fov_half_deg: FloatArray


@dataclass(frozen=True)
class Areas(Table):
    """A UAV sortie or satellite pass: a circle watched over ``t0_s..t1_s``."""

    lon: FloatArray
    lat: FloatArray
    radius_m: FloatArray
    t0_s: FloatArray
    t1_s: FloatArray
    kind: NDArray[np.int8]
    source: NDArray[np.int64]


@dataclass(frozen=True)
class Network:
    """Every observer, the source names (index = source code) and the access events.

    ``access_events[i]`` is reported by source ``access_source[i]`` at its true position.
    """

    sources: tuple[tuple[str, ObserverKind], ...]
    stations: Stations
    areas: Areas
    access_events: EventTable
    access_source: NDArray[np.int64]

    def source_kind(self) -> NDArray[np.int8]:
        """Observer kind code of every source."""
        return np.asarray([OBSERVER_KINDS.index(k) for _, k in self.sources], dtype=np.int8)


class _Names:
    def __init__(self) -> None:
        self.items: list[tuple[str, ObserverKind]] = []

    def add(self, names: list[str], kind: ObserverKind) -> NDArray[np.int64]:
        first = len(self.items)
        self.items.extend((name, kind) for name in names)
        return np.arange(first, first + len(names), dtype=np.int64)


def _stations(
    lon: FloatArray,
    lat: FloatArray,
    t0: FloatArray,
    t1: FloatArray,
    *,
    kind: ObserverKind,
    source: NDArray[np.int64],
    fov_az: FloatArray | None = None,
    fov_half: float = 180.0,
) -> Stations:
    n = lon.shape[0]
    return Stations(
        lon=lon,
        lat=lat,
        t0_s=t0,
        t1_s=t1,
        kind=filled(n, OBSERVER_KINDS.index(kind), np.int8),
        source=source,
        fov_az=fov_az if fov_az is not None else filled(n, 0.0, np.float64),
        fov_half_deg=filled(n, fov_half, np.float64),
    )


def _along_line_posts(
    world: World, spacing_km: float, offset_km: float, sides: tuple[str, ...]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Positions every ``spacing_km``, ``offset_km`` off the line, on each listed side."""
    lon, lat, az = world.line.every(spacing_km * 1000.0)
    lon2 = np.concatenate([lon, lon])
    lat2 = np.concatenate([lat, lat])
    side = np.concatenate([np.full(lon.size, 90.0), np.full(lon.size, -90.0)])
    az2 = np.concatenate([az, az]) + side
    p_lon, p_lat = step(lon2, lat2, az2, np.full(lon2.size, offset_km * 1000.0))
    party = world.party_of(p_lon, p_lat)
    wanted = [world.party_ids.index(s) for s in sides if s in world.party_ids]
    keep = np.isin(party, wanted)
    # Interleave both sides in order along the line so post numbers run along the front.
    order = np.argsort(np.tile(np.arange(lon.size), 2)[keep], kind="stable")
    facing = np.mod(az2[keep] + 180.0, 360.0)
    return p_lon[keep][order], p_lat[keep][order], facing[order]


def build_network(
    rng: np.random.Generator,
    world: World,
    params: ObserverParams,
    days: int,
    utc_offset_h: float,
) -> Network:
    """Lay out fixed observers and draw every patrol, sortie, pass and outage for ``days``."""
    names = _Names()
    end_s = days * DAY_S
    tables: list[Stations] = []
    access: list[EventTable] = []
    access_source: list[NDArray[np.int64]] = []

    posts = params.posts
    p_lon, p_lat, _ = _along_line_posts(world, posts.spacing_km, posts.offset_km, posts.sides)
    src = names.add([f"op-{i + 1:03d}" for i in range(p_lon.size)], ObserverKind.POST)
    tables.append(
        _stations(
            p_lon,
            p_lat,
            filled(src.size, 0.0, np.float64),
            filled(src.size, end_s, np.float64),
            kind=ObserverKind.POST,
            source=src,
        )
    )

    cams = params.cameras
    c_lon, c_lat, c_face = _along_line_posts(world, cams.spacing_km, 1.5, posts.sides)
    src = names.add([f"cam-{i + 1:02d}" for i in range(c_lon.size)], ObserverKind.CAMERA)
    # Outages: per camera-day a chance of going dark for a while; windows split around them.
    down = rng.random((src.size, days)) < cams.outage_per_day
    cam_idx, day_idx = np.nonzero(down)
    out_t0 = day_idx * DAY_S + rng.uniform(0.0, DAY_S, cam_idx.size)
    out_t1 = np.minimum(out_t0 + rng.uniform(*cams.outage_h, cam_idx.size) * 3600.0, end_s)
    bounds_t0: list[float] = []
    bounds_t1: list[float] = []
    rows: list[int] = []
    for cam in range(src.size):
        mine = np.flatnonzero(cam_idx == cam)
        cursor = 0.0
        for k in mine[np.argsort(out_t0[mine], kind="stable")]:
            if out_t0[k] > cursor:
                bounds_t0.append(cursor)
                bounds_t1.append(float(out_t0[k]))
                rows.append(cam)
            cursor = max(cursor, float(out_t1[k]))
        if cursor < end_s:
            bounds_t0.append(cursor)
            bounds_t1.append(end_s)
            rows.append(cam)
    r = np.asarray(rows, dtype=np.int64)
    tables.append(
        _stations(
            c_lon[r],
            c_lat[r],
            np.asarray(bounds_t0),
            np.asarray(bounds_t1),
            kind=ObserverKind.CAMERA,
            source=src[r],
            fov_az=c_face[r],
            fov_half=cams.fov_deg / 2.0,
        )
    )
    n_out = cam_idx.size
    access.append(
        make_events(
            t_s=out_t0,
            until_s=out_t1,
            lon=c_lon[cam_idx],
            lat=c_lat[cam_idx],
            category=filled(n_out, cat_code(Category.SENSOR_IMPEDED), np.int16),
            weapon=filled(n_out, -1, np.int16),
            count=np.ones(n_out, dtype=np.int64),
            party=filled(n_out, -1, np.int8),
            kind=EventKind.OUTAGE,
        )
    )
    access_source.append(src[cam_idx])

    aco = params.acoustic
    a_lon, a_lat, _ = _along_line_posts(world, aco.spacing_km, 3.0, posts.sides)
    src = names.add([f"acoustic-{i + 1:02d}" for i in range(a_lon.size)], ObserverKind.ACOUSTIC)
    tables.append(
        _stations(
            a_lon,
            a_lat,
            filled(src.size, 0.0, np.float64),
            filled(src.size, end_s, np.float64),
            kind=ObserverKind.ACOUSTIC,
            source=src,
        )
    )

    # Patrols: teams leave in the morning (local), stop a few times near the line.
    pat = params.patrols
    n_teams = max(int(np.ceil(pat.per_day)), 1)
    teams = names.add([f"team-{i + 1:02d}" for i in range(n_teams)], ObserverKind.PATROL)
    per_day = rng.poisson(pat.per_day, days)
    day = np.repeat(np.arange(days, dtype=np.int64), per_day)
    n_pat = day.size
    team = teams[rng.integers(0, n_teams, n_pat)]
    n_stops = rng.integers(pat.stops[0], pat.stops[1] + 1, n_pat)
    patrol = np.repeat(np.arange(n_pat), n_stops)
    first = np.concatenate([[0], np.cumsum(n_stops)[:-1]]).astype(np.int64)
    stop_no = np.arange(patrol.size) - first[patrol]
    stop_h = rng.uniform(*pat.stop_h, patrol.size)
    leave_h = rng.uniform(pat.day_hours[0], pat.day_hours[0] + 1.5, n_pat)
    # Stops follow one another; a stop's start = departure + earlier stops + 20 min driving each.
    cum_h = np.cumsum(stop_h + 1.0 / 3.0) - (stop_h + 1.0 / 3.0)
    start_h = leave_h[patrol] + cum_h - (cum_h[first[patrol]])
    t0 = day[patrol] * DAY_S + (start_h - utc_offset_h) * 3600.0
    t1 = t0 + stop_h * 3600.0
    in_day = start_h + stop_h <= pat.day_hours[1]
    route = rng.uniform(0.0, world.line.length_m, n_pat)
    along = route[patrol] + stop_no * 4000.0
    l_lon, l_lat, l_az = world.line.at(along)
    side = rng.choice(np.asarray([-90.0, 90.0]), n_pat)[patrol]
    s_lon, s_lat = step(l_lon, l_lat, l_az + side, rng.uniform(*pat.offset_km, patrol.size) * 1e3)
    ok = in_day & (world.party_of(s_lon, s_lat) >= 0)
    restricted = ok & (rng.random(patrol.size) < pat.restriction_probability)
    n_r = int(restricted.sum())
    access.append(
        make_events(
            t_s=t0[restricted],
            until_s=t1[restricted],
            lon=s_lon[restricted],
            lat=s_lat[restricted],
            category=filled(n_r, cat_code(Category.MOVEMENT_RESTRICTION), np.int16),
            weapon=filled(n_r, -1, np.int16),
            count=np.ones(n_r, dtype=np.int64),
            party=world.party_of(s_lon[restricted], s_lat[restricted]),
            kind=EventKind.RESTRICTION,
        )
    )
    access_source.append(team[patrol][restricted])
    watch = ok & ~restricted  # a stopped patrol observes nothing at that stop
    tables.append(
        _stations(
            s_lon[watch],
            s_lat[watch],
            t0[watch],
            t1[watch],
            kind=ObserverKind.PATROL,
            source=team[patrol][watch],
        )
    )

    # UAV sorties over a circle near the line; a jammed sortie ends at the jamming.
    uav = params.uav
    n_s = int(rng.poisson(uav.sorties_per_day * days))
    n_uav = max(int(np.ceil(uav.sorties_per_day / 2.0)), 1)
    vehicles = names.add([f"uav-{i + 1:02d}" for i in range(n_uav)], ObserverKind.UAV)
    u_lon, u_lat, u_az = world.line.sample(rng, n_s)
    u_lon, u_lat = step(u_lon, u_lat, u_az + 90.0, rng.uniform(-5e3, 5e3, n_s))
    u_t0 = rng.uniform(0.0, end_s, n_s)
    u_t1 = np.minimum(u_t0 + rng.uniform(*uav.duration_h, n_s) * 3600.0, end_s)
    jammed = rng.random(n_s) < uav.jam_probability
    jam_t = u_t0 + rng.random(n_s) * (u_t1 - u_t0)
    u_end = np.where(jammed, jam_t, u_t1)
    u_src = vehicles[rng.integers(0, n_uav, n_s)]
    n_j = int(jammed.sum())
    access.append(
        make_events(
            t_s=jam_t[jammed],
            until_s=u_t1[jammed],
            lon=u_lon[jammed],
            lat=u_lat[jammed],
            category=filled(n_j, cat_code(Category.SENSOR_IMPEDED), np.int16),
            weapon=filled(n_j, -1, np.int16),
            count=np.ones(n_j, dtype=np.int64),
            party=world.party_of(u_lon[jammed], u_lat[jammed]),
            kind=EventKind.OUTAGE,
        )
    )
    access_source.append(u_src[jammed])

    sat = params.satellite
    n_p = int(rng.poisson(sat.passes_per_day * days))
    providers = names.add(["sat-1", "sat-2"], ObserverKind.SATELLITE)
    s_lon2, s_lat2, _ = world.line.sample(rng, n_p)
    s_t = rng.integers(0, days, n_p) * DAY_S + (rng.uniform(9.5, 11.5, n_p) - utc_offset_h) * 3600.0
    clear = rng.random(n_p) >= sat.cloud_probability
    areas = Areas.concat(
        [
            Areas(
                lon=u_lon,
                lat=u_lat,
                radius_m=filled(n_s, uav.radius_km * 1e3, np.float64),
                t0_s=u_t0,
                t1_s=u_end,
                kind=filled(n_s, OBSERVER_KINDS.index(ObserverKind.UAV), np.int8),
                source=u_src,
            ),
            Areas(
                lon=s_lon2[clear],
                lat=s_lat2[clear],
                radius_m=filled(int(clear.sum()), sat.footprint_km * 500.0, np.float64),
                t0_s=s_t[clear],
                t1_s=s_t[clear],
                kind=filled(
                    int(clear.sum()), OBSERVER_KINDS.index(ObserverKind.SATELLITE), np.int8
                ),
                source=providers[rng.integers(0, 2, int(clear.sum()))],
            ),
        ]
    )
    names.add(list(params.osint.feeds), ObserverKind.OSINT)
    names.add([f"party:{p}" for p in world.party_ids], ObserverKind.PARTY)
    names.add(["mnf:jocc"], ObserverKind.FORCE)
    return Network(
        sources=tuple(names.items),
        stations=Stations.concat(tables),
        areas=areas,
        access_events=EventTable.concat(access),
        access_source=np.concatenate(access_source),
    )
