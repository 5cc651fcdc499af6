"""Reports that do not come from a sensor's own detection: access problems reported by the
observer they happened to, open-source feeds, and the parties' own notifications.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ceasefire.reports.model import Category
from ceasefire.simulation.detect import FIRE
from ceasefire.simulation.events import DAY_S, EventTable, cat_code
from ceasefire.simulation.lines import FloatArray, step
from ceasefire.simulation.observers import OBSERVER_KINDS, Network, ObserverKind
from ceasefire.simulation.params import ObserverParams
from ceasefire.simulation.reports import ROLES, ReportTable, Role, blank
from ceasefire.simulation.table import filled
from ceasefire.simulation.world import World

#: How well an observer knows where its own access problem happened, metres (GPS fix).
ACCESS_UNCERTAINTY_M = {
    ObserverKind.PATROL: 50.0,
    ObserverKind.UAV: 500.0,
    ObserverKind.CAMERA: 10.0,
}


def _sources_of(network: Network, kind: ObserverKind) -> NDArray[np.int64]:
    return np.asarray([i for i, (_, k) in enumerate(network.sources) if k is kind], dtype=np.int64)


def _vague(
    rng: np.random.Generator, lon: FloatArray, lat: FloatArray, error_km: float
) -> tuple[FloatArray, FloatArray]:
    """A point ~``error_km`` (1-sigma per axis) from the truth, rounded to 0.01 degrees."""
    n = lon.size
    d = np.hypot(rng.normal(0, error_km, n), rng.normal(0, error_km, n)) * 1e3
    v_lon, v_lat = step(lon, lat, rng.uniform(0, 360, n), d)
    return np.round(v_lon, 2), np.round(v_lat, 2)


def access_reports(
    rng: np.random.Generator,
    network: Network,
    event_rows: NDArray[np.int64],
    params: ObserverParams,
    grades: NDArray[np.int16],
) -> ReportTable:
    """One report per access event, by the observer it happened to.

    ``event_rows[i]`` is the row of ``network.access_events[i]`` in the final event table.
    """
    ev = network.access_events
    n = len(ev)
    cols = blank(n)
    kind = network.source_kind()[network.access_source]
    unc = np.full(n, 100.0)
    for o, u in ACCESS_UNCERTAINTY_M.items():
        unc[kind == OBSERVER_KINDS.index(o)] = u
    cols["lon"], cols["lat"], cols["uncertainty_m"] = np.round(ev.lon, 5), np.round(ev.lat, 5), unc
    observed = np.round(ev.t_s / 60.0) * 60.0
    return ReportTable(
        event=event_rows,
        source=network.access_source,
        kind=kind,
        observed_s=observed,
        category=ev.category,
        count=ev.count,
        grade=grades[kind],
        arrival_s=observed + rng.uniform(*params.posts.delay_min, n) * 60.0,
        **cols,  # type: ignore[arg-type]
    )


def osint_reports(
    rng: np.random.Generator,
    events: EventTable,
    network: Network,
    params: ObserverParams,
    grades: NDArray[np.int16],
) -> ReportTable:
    """Open-source reports of big fire and of its consequences; some repeated by a 2nd feed.

    Times are known to the hour (``observed_at`` .. ``observed_until``); the place to within
    kilometres. A repeat copies the first feed's report, hours later, under another feed.
    """
    osint = params.osint
    feeds = _sources_of(network, ObserverKind.OSINT)
    fire = np.isin(events.category, [cat_code(c) for c in FIRE])
    big = fire & (events.count >= osint.min_count) & (rng.random(len(events)) < osint.probability)
    after = np.isin(
        events.category,
        [
            cat_code(Category.INFRASTRUCTURE_DAMAGE),
            cat_code(Category.CIVILIAN_CASUALTY),
            cat_code(Category.ATTACK_ON_FORCE),
        ],
    ) & (rng.random(len(events)) < osint.consequence_probability)
    rows = np.flatnonzero(big | after)
    n = rows.size
    if feeds.size == 0:
        rows, n = rows[:0], 0
    cols = blank(n)
    cols["lon"], cols["lat"] = _vague(
        rng, events.lon[rows], events.lat[rows], osint.location_error_km
    )
    cols["uncertainty_m"] = np.full(n, osint.location_error_km * 2000.0)
    hour = np.floor(events.t_s[rows] / 3600.0) * 3600.0
    cols["until_s"] = hour + 3600.0
    cols["weapon"] = events.weapon[rows]
    kind = np.full(n, OBSERVER_KINDS.index(ObserverKind.OSINT), dtype=np.int8)
    first = ReportTable(
        event=rows.astype(np.int64),
        source=feeds[rng.integers(0, max(feeds.size, 1), n)] if n else feeds[:0],
        kind=kind,
        observed_s=hour,
        category=events.category[rows],
        count=events.count[rows],
        grade=grades[kind],
        arrival_s=events.t_s[rows] + rng.uniform(*osint.delay_h, n) * 3600.0,
        **cols,  # type: ignore[arg-type]
    )
    if feeds.size < 2 or n == 0:
        return first
    again = np.flatnonzero(rng.random(n) < osint.repeat_probability)
    repeat = first.take(again)
    other = (
        np.searchsorted(feeds, repeat.source) + rng.integers(1, feeds.size, again.size)
    ) % feeds.size
    repeat = repeat.replace(
        source=feeds[other],
        arrival_s=repeat.arrival_s + rng.uniform(1.0, 6.0, again.size) * 3600.0,
        role=filled(again.size, ROLES.index(Role.REPEAT), np.int8),
    )
    return ReportTable.concat([first, repeat])


def party_reports(
    rng: np.random.Generator,
    world: World,
    events: EventTable,
    network: Network,
    params: ObserverParams,
    *,
    grades: NDArray[np.int16],
    days: int,
) -> ReportTable:
    """Each party notifies fire landing on its side and names the other party as culprit.

    ``true_probability`` of such fire is notified (10 % naming "unknown"); ``false_per_day``
    claims per party are invented outright (``event`` = -1).
    """
    pp = params.parties
    senders = _sources_of(network, ObserverKind.PARTY)
    n_parties = len(world.party_ids)
    victim = world.party_of(events.lon, events.lat)
    fire = np.isin(events.category, [cat_code(c) for c in FIRE])
    rows = np.flatnonzero(
        fire
        & (victim >= 0)
        & (victim != events.party)
        & (rng.random(len(events)) < pp.true_probability)
    )
    n_false = rng.poisson(pp.false_per_day * days, n_parties)
    f_party = np.repeat(np.arange(n_parties), n_false)
    f_lon, f_lat, f_az = world.line.sample(rng, f_party.size)
    f_lon, f_lat = step(
        f_lon,
        f_lat,
        f_az + rng.choice([-90.0, 90.0], f_party.size),
        rng.uniform(0.5e3, 10e3, f_party.size),
    )
    f_side = world.party_of(f_lon, f_lat)
    keep = f_side >= 0
    f_party, f_lon, f_lat = f_side[keep].astype(np.int64), f_lon[keep], f_lat[keep]

    notifier = np.concatenate([victim[rows], f_party]).astype(np.int64)
    n = notifier.size
    cols = blank(n)
    lon = np.concatenate([events.lon[rows], f_lon])
    lat = np.concatenate([events.lat[rows], f_lat])
    cols["lon"], cols["lat"] = _vague(rng, lon, lat, pp.location_error_km)
    cols["uncertainty_m"] = np.full(n, pp.location_error_km * 2000.0)
    culprit = (notifier + 1) % max(n_parties, 1)
    unknown = rng.random(n) < 0.1
    cols["attributed"] = np.where(unknown, -2, culprit).astype(np.int8)
    t = np.concatenate([events.t_s[rows], rng.uniform(0.0, days * DAY_S, f_party.size)])
    observed = np.round(t / 600.0) * 600.0
    category = np.concatenate(
        [events.category[rows], np.full(f_party.size, cat_code(Category.EXPLOSION), np.int16)]
    )
    count = np.concatenate([events.count[rows], rng.integers(1, 20, f_party.size)])
    kind = np.full(n, OBSERVER_KINDS.index(ObserverKind.PARTY), dtype=np.int8)
    role = np.concatenate(
        [
            np.full(rows.size, ROLES.index(Role.ORIGINAL)),
            np.full(f_party.size, ROLES.index(Role.FALSE)),
        ]
    ).astype(np.int8)
    cols["role"] = role
    return ReportTable(
        event=np.concatenate([rows, np.full(f_party.size, -1)]).astype(np.int64),
        source=senders[notifier] if senders.size else notifier,
        kind=kind,
        observed_s=observed,
        category=category.astype(np.int16),
        count=count.astype(np.int64),
        grade=grades[kind],
        arrival_s=observed + rng.uniform(*pp.delay_h, n) * 3600.0,
        **cols,  # type: ignore[arg-type]
    )


def force_reports(
    rng: np.random.Generator,
    events: EventTable,
    network: Network,
    params: ObserverParams,
    grades: NDArray[np.int16],
) -> ReportTable:
    """Every attack on a force facility, reported at once by the force itself (TAK, a point)."""
    rows = np.flatnonzero(events.category == cat_code(Category.ATTACK_ON_FORCE))
    sender = _sources_of(network, ObserverKind.FORCE)
    if sender.size == 0:
        rows = rows[:0]
    n = rows.size
    cols = blank(n)
    fp = params.force
    cols["lon"], cols["lat"] = np.round(events.lon[rows], 5), np.round(events.lat[rows], 5)
    cols["uncertainty_m"] = np.full(n, fp.uncertainty_m)
    cols["weapon"] = events.weapon[rows]
    kind = np.full(n, OBSERVER_KINDS.index(ObserverKind.FORCE), dtype=np.int8)
    observed = np.round(events.t_s[rows])
    return ReportTable(
        event=rows.astype(np.int64),
        source=np.full(n, sender[0] if sender.size else 0, dtype=np.int64),
        kind=kind,
        observed_s=observed,
        category=events.category[rows],
        count=events.count[rows],
        grade=grades[kind],
        arrival_s=observed + rng.uniform(*fp.delay_min, n) * 60.0,
        **cols,  # type: ignore[arg-type]
    )
