"""How each kind of observer turns true events into reports, one vectorised block per kind.

Modelled on how the OSCE SMM and its technical means observed (research/anchors-monitoring.md
§3): posts hear and see fire and record a count, a compass bearing and a distance band
("42 undetermined explosions 8-10 km north"), never a position; UAVs arrive after the fact and
fix impacts to tens of metres; satellite imagery shows craters hours later; open sources name
a settlement; an acoustic array reports every few seconds while fire lasts.

Every function takes the events, the observers' positions and a generator, and returns a
``columns.block`` whose ``event`` column says which event each report is about.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ceasefire.scenarios2.columns import Columns, block
from ceasefire.scenarios2.events import TruthEvents
from ceasefire.scenarios2.geometry import F64, bearing_deg, destination, distance_m

#: Speed of sound near the ground, m/s: a post 6 km away hears an impact 17 s late.
SOUND_M_S = 343.0
#: How far a post hears each category, m (explosions carry; small-arms bursts do not).
HEARING_M = {"explosion": 15_000.0, "burst_of_fire": 5_000.0}


@dataclass(frozen=True)
class Stations:
    """Fixed observers (posts, acoustic sensors): names and positions."""

    name: NDArray[np.object_]
    lon: F64
    lat: F64

    def __len__(self) -> int:
        return len(self.name)


@dataclass(frozen=True)
class PostStyle:
    """How posts state what they heard.

    ``bracket``: ``tight`` ("3-5 km": a 2 km band around a noisy estimate), ``wide`` (a band
    from 0.3-0.6 to 1.6-2.5 times the estimate) or ``none``; ``no_range_share`` of reports
    give no distance at all. ``compass_points``: 8 or 16 (bearing rounded to a compass point,
    half-width 22.5 or 11.25 degrees), 0 for whole degrees with ``bearing_sigma_deg``.
    """

    bracket: str = "tight"
    no_range_share: float = 0.1
    compass_points: int = 16
    bearing_sigma_deg: float = 6.0
    detect_p: float = 0.85


def _pairs_in_range(
    events: TruthEvents, stations: Stations, max_m: F64
) -> tuple[NDArray[np.intp], NDArray[np.intp], F64]:
    """``(event, station, distance_m)`` of every pair closer than the event's ``max_m``."""
    d = distance_m(
        events.lon[:, None], events.lat[:, None], stations.lon[None, :], stations.lat[None, :]
    )
    ev, st = np.nonzero(d < max_m[:, None])
    return ev, st, d[ev, st]


def post_reports(
    events: TruthEvents, posts: Stations, style: PostStyle, rng: np.random.Generator
) -> Columns:
    """What observation posts report of the events they hear: bearing, band, count, minute."""
    reach = np.array([HEARING_M.get(str(c), 5_000.0) for c in events.category])
    ev, st, d = _pairs_in_range(events, posts, reach)
    # fainter further away: detection falls off towards the edge of hearing
    p = style.detect_p * (1.0 - 0.6 * (d / reach[ev]) ** 2)
    keep = rng.uniform(size=len(ev)) < p
    ev, st, d = ev[keep], st[keep], d[keep]
    n = len(ev)
    true_bearing = bearing_deg(posts.lon[st], posts.lat[st], events.lon[ev], events.lat[ev])
    noisy = true_bearing + rng.normal(0.0, style.bearing_sigma_deg, size=n)
    if style.compass_points:
        step = 360.0 / style.compass_points
        said = np.mod(np.round(noisy / step) * step, 360.0)
        half_width = np.full(n, step / 2.0)
    else:
        said = np.mod(np.round(noisy), 360.0)
        half_width = np.full(n, max(10.0, 2.0 * style.bearing_sigma_deg))
    d_min, d_max = _bands(d, style, rng)
    heard = events.t_s[ev] + rng.uniform(0.0, 1.0, size=n) * events.duration_s[ev]
    observed_at = np.floor((heard + d / SOUND_M_S) / 60.0) * 60.0
    end = events.t_s[ev] + events.duration_s[ev]
    until = np.where(events.duration_s[ev] > 90.0, np.ceil(end / 60.0) * 60.0, np.nan)
    until = np.where(until > observed_at, until, np.nan)
    count = np.maximum(1, rng.binomial(events.count[ev], rng.uniform(0.5, 1.0, size=n)))
    return block(
        n,
        {
            "source": posts.name[st],
            "source_type": "observation_post",
            "reliability": "B",
            "credibility": rng.choice([2, 3], size=n),
            "observed_at": observed_at,
            "observed_until": until,
            "observer_lon": np.round(posts.lon[st], 5),
            "observer_lat": np.round(posts.lat[st], 5),
            "bearing_deg": said,
            "bearing_error_deg": half_width,
            "distance_min_m": d_min,
            "distance_max_m": d_max,
            "category": events.category[ev],
            "weapon_class": _stated_weapon(events.weapon_class[ev], rng, share=0.3),
            "fire_direction": _where(events.category[ev] == "explosion", "undetermined"),
            "count": count,
            "event": ev,
            "kind": "first",
            "arrival": observed_at + rng.uniform(60.0, 1800.0, size=n),
        },
    )


def _bands(d: F64, style: PostStyle, rng: np.random.Generator) -> tuple[F64, F64]:
    """Distance bands as posts give them, in whole kilometres; NaN where none is given."""
    n = len(d)
    # a distance by ear: about 15 % off (1 sigma) when a post commits to a 2 km band, 25 %
    # when it gives a wide one
    estimate = d * rng.lognormal(0.0, 0.15 if style.bracket == "tight" else 0.25, size=n)
    if style.bracket == "tight":
        low = np.floor(estimate / 1000.0) * 1000.0
        high = low + 2000.0
    elif style.bracket == "wide":
        low = np.floor(estimate * rng.uniform(0.3, 0.6, size=n) / 1000.0) * 1000.0
        high = np.ceil(estimate * rng.uniform(1.6, 2.5, size=n) / 1000.0) * 1000.0
    else:
        return np.full(n, np.nan), np.full(n, np.nan)
    silent = rng.uniform(size=n) < style.no_range_share
    return np.where(silent, np.nan, low), np.where(silent, np.nan, np.maximum(high, low + 1000.0))


def _stated_weapon(
    truth: NDArray[np.object_], rng: np.random.Generator, *, share: float
) -> NDArray[np.object_]:
    """The weapon class a source states: for ``share`` of reports the true one, else none."""
    said = rng.uniform(size=len(truth)) < share
    return _where(said, truth)


def _where(condition: NDArray[np.bool_], value: object) -> NDArray[np.object_]:
    """``value`` (a scalar or an array) where ``condition`` holds, else ``None``."""
    out: NDArray[np.object_] = np.full(len(condition), None, dtype=object)
    out[condition] = value[condition] if isinstance(value, np.ndarray) else value
    return out


def uav_reports(
    events: TruthEvents,
    rng: np.random.Generator,
    *,
    share: float,
    delay_s: tuple[float, float],
    n_uavs: int = 4,
) -> Columns:
    """UAV fixes of impacts: a point to tens of metres, seen minutes after the fire."""
    ev = np.flatnonzero((events.category == "explosion") & (rng.uniform(size=len(events)) < share))
    n = len(ev)
    sigma = rng.uniform(20.0, 120.0, size=n)
    lon, lat = _jitter(events.lon[ev], events.lat[ev], sigma, rng)
    observed_at = events.t_s[ev] + events.duration_s[ev] + rng.uniform(*delay_s, size=n)
    return block(
        n,
        {
            "source": np.array([f"uav-lr-{k:02d}" for k in rng.integers(1, n_uavs + 1, size=n)]),
            "source_type": "uav",
            "reliability": "A",
            "credibility": 2,
            "observed_at": np.round(observed_at),
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
            "uncertainty_m": np.round(1.5 * sigma),
            "category": "explosion",
            "weapon_class": _stated_weapon(events.weapon_class[ev], rng, share=0.5),
            "fire_direction": "impact",
            "count": np.maximum(1, rng.binomial(events.count[ev], 0.8)),
            "event": ev,
            "kind": "first",
            "arrival": observed_at + rng.uniform(300.0, 3600.0, size=n),
        },
    )


def satellite_reports(
    events: TruthEvents, rng: np.random.Generator, *, share: float, delay_s: tuple[float, float]
) -> Columns:
    """Craters on imagery: metres-accurate points, hours late; half give the pass window."""
    ev = np.flatnonzero((events.category == "explosion") & (rng.uniform(size=len(events)) < share))
    n = len(ev)
    lon, lat = _jitter(events.lon[ev], events.lat[ev], np.full(n, 10.0), rng)
    image = np.round(events.t_s[ev] + rng.uniform(*delay_s, size=n))
    windowed = rng.uniform(size=n) < 0.5
    revisit = rng.uniform(6.0, 24.0, size=n) * 3600.0
    previous = np.maximum(image - revisit, events.t_s[ev] - rng.uniform(0, 3600.0, size=n))
    return block(
        n,
        {
            "source": "sat-eo-1",
            "source_type": "satellite",
            "reliability": "A",
            "credibility": 2,
            "observed_at": np.where(windowed, np.round(previous), image),
            "observed_until": np.where(windowed, image, np.nan),
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
            "uncertainty_m": 15.0,
            "category": "explosion",
            "fire_direction": "impact",
            "count": np.maximum(1, rng.binomial(events.count[ev], 0.9)),
            "description": "new craters on imagery",
            "event": ev,
            "kind": "first",
            "arrival": image + rng.uniform(1800.0, 7200.0, size=n),
        },
    )


def _jitter(lon: F64, lat: F64, sigma_m: F64, rng: np.random.Generator) -> tuple[F64, F64]:
    """Points displaced by a circular normal error of ``sigma_m`` (per axis), m."""
    r = sigma_m * np.sqrt(rng.chisquare(2, size=len(lon)))
    return destination(lon, lat, rng.uniform(0.0, 360.0, size=len(lon)), r)


def acoustic_reports(
    events: TruthEvents,
    sensors: Stations,
    rng: np.random.Generator,
    *,
    every_s: tuple[float, float] = (2.0, 6.0),
    reach_m: float = 20_000.0,
) -> Columns:
    """An acoustic array's stream: a bearing every few seconds while it hears explosions.

    The array splits what it hears of an event over ticks of 2-6 s; a tick with nothing
    heard sends nothing, so the counts of one event's reports add up to what the array heard.
    """
    reach = np.where(events.category == "explosion", reach_m, 0.0)
    ev, st, d = _pairs_in_range(events, sensors, reach)
    step = rng.uniform(*every_s, size=len(ev))
    ticks = (np.floor(np.maximum(events.duration_s[ev], 1.0) / step) + 1).astype(np.int64)
    heard = np.maximum(1, rng.binomial(events.count[ev], 0.9))
    pair = np.repeat(np.arange(len(ev)), ticks)
    tick = np.arange(len(pair)) - np.repeat(np.cumsum(ticks) - ticks, ticks)
    # each heard round falls in one tick of its pair: counts per tick by bincount
    rounds_pair = np.repeat(np.arange(len(ev)), heard)
    rounds_tick = (rng.uniform(size=len(rounds_pair)) * ticks[rounds_pair]).astype(np.int64)
    first_row = np.cumsum(ticks) - ticks
    per_tick = np.bincount(first_row[rounds_pair] + rounds_tick, minlength=len(pair))
    sent = per_tick > 0
    pair, tick, per_tick = pair[sent], tick[sent], per_tick[sent]
    e, s = ev[pair], st[pair]
    n = len(pair)
    true_bearing = bearing_deg(sensors.lon[s], sensors.lat[s], events.lon[e], events.lat[e])
    observed_at = events.t_s[e] + tick * step[pair] + d[pair] / SOUND_M_S
    return block(
        n,
        {
            "source": sensors.name[s],
            "source_type": "acoustic",
            "reliability": "B",
            "credibility": 3,
            "observed_at": np.round(observed_at, 1),
            "observer_lon": np.round(sensors.lon[s], 5),
            "observer_lat": np.round(sensors.lat[s], 5),
            "bearing_deg": np.round(np.mod(true_bearing + rng.normal(0, 3.0, size=n), 360.0), 1),
            "bearing_error_deg": 5.0,
            "category": "explosion",
            "fire_direction": "undetermined",
            "count": per_tick,
            "event": e,
            "kind": "first",
            "arrival": observed_at + 2.0,
        },
    )
