"""Open-source reports placed only by a settlement's name, as news and channels report fire.

"Shelling reported in Avdiivka": the report names the nearest settlement that a reader would
know, not where the shells fell, and is published late or with a rounded time. The names
come from the shipped gazetteer; only names that the project's own geocoder
(``Gazetteer.lookup_many``, its public loader) resolves back to the same settlement are used,
so a report's ``place`` means what the generator meant (the dozens of ``Oleksandrivka`` would
otherwise resolve to the most populous one, far away: a different test).
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from ceasefire.reports.gazetteer import DEFAULT_PATH, Gazetteer
from ceasefire.scenarios2.columns import Columns, block
from ceasefire.scenarios2.events import TruthEvents
from ceasefire.scenarios2.geometry import F64, distance_m

#: A name is usable when the geocoder puts it within this of the settlement itself, m.
RESOLVES_WITHIN_M = 500.0
#: Open sources name the settlement that was hit: an event this close to one (its edge, for a
#: village of 1 km radius, plus 2 km of fields), m; fire further from any settlement is not
#: in the news.
NAMED_WITHIN_M = 3_000.0


@dataclass(frozen=True)
class Settlements:
    """Unambiguous Ukrainian settlements: names and positions (degrees)."""

    name: NDArray[np.object_]
    lon: F64
    lat: F64


def settlements_near(lon: F64, lat: F64, *, margin_deg: float = 0.3) -> Settlements:
    """Settlements of the bundled gazetteer in the box around the points, that geocode back.

    Read from the gazetteer's TSV (``gazetteer.DEFAULT_PATH``); checked with
    ``Gazetteer.default().lookup_many``.
    """
    west, east = float(lon.min()) - margin_deg, float(lon.max()) + margin_deg
    south, north = float(lat.min()) - margin_deg, float(lat.max()) + margin_deg
    text = gzip.decompress(DEFAULT_PATH.read_bytes()).decode("utf-8")
    names: list[str] = []
    lons: list[float] = []
    lats: list[float] = []
    for row in csv.DictReader(io.StringIO(text), delimiter="\t"):
        if row["country_code"] != "UA":
            continue
        x, y = float(row["longitude"]), float(row["latitude"])
        if west <= x <= east and south <= y <= north:
            names.append(row["name"])
            lons.append(x)
            lats.append(y)
    got_lon, got_lat, _ = Gazetteer.default().lookup_many(names)
    own_lon, own_lat = np.asarray(lons), np.asarray(lats)
    ok = np.isfinite(got_lon) & (
        distance_m(own_lon, own_lat, np.nan_to_num(got_lon), np.nan_to_num(got_lat))
        < RESOLVES_WITHIN_M
    )
    return Settlements(name=np.asarray(names, dtype=object)[ok], lon=own_lon[ok], lat=own_lat[ok])


def osint_place_reports(
    events: TruthEvents,
    settlements: Settlements,
    rng: np.random.Generator,
    *,
    share: float,
    n_channels: int = 8,
) -> Columns:
    """Place-only reports of a share of events: nearest settlement, late or rounded time."""
    chosen = np.flatnonzero(rng.uniform(size=len(events)) < share)
    scale = np.cos(np.radians(float(np.mean(events.lat)))) if len(events) else 1.0
    tree = cKDTree(np.column_stack([settlements.lon * scale, settlements.lat]))
    _, nearest = tree.query(np.column_stack([events.lon[chosen] * scale, events.lat[chosen]]))
    nearest = np.asarray(nearest, dtype=np.intp)
    gap = distance_m(
        events.lon[chosen], events.lat[chosen], settlements.lon[nearest], settlements.lat[nearest]
    )
    named = gap < NAMED_WITHIN_M
    ev, place = chosen[named], settlements.name[nearest[named]]
    n = len(ev)
    t = events.t_s[ev]
    rounded = rng.uniform(size=n) < 0.5
    # half give the hour (or half-hour) the fire began; the rest the time they posted it
    observed_at = np.where(
        rounded,
        np.floor(t / 1800.0) * 1800.0,
        np.floor((t + rng.uniform(300.0, 5400.0, size=n)) / 60.0) * 60.0,
    )
    vague = np.maximum(1, np.round(events.count[ev] * rng.uniform(0.5, 2.0, size=n)))
    channel = rng.integers(1, n_channels + 1, size=n)
    return block(
        n,
        {
            "source": np.array([f"osint:tg-{k:02d}" for k in channel], dtype=object),
            "source_type": "osint",
            "reliability": rng.choice(np.array(["D", "E", "F"], dtype=object), size=n),
            "credibility": rng.choice([3, 4, 5], size=n),
            "observed_at": observed_at,
            "place": place,
            "category": events.category[ev],
            "count": vague.astype(np.int64),
            "description": np.array([f"fire reported near {p}" for p in place], dtype=object),
            "event": ev,
            "kind": "first",
            "arrival": np.maximum(observed_at, t) + rng.uniform(600.0, 7200.0, size=n),
        },
    )
