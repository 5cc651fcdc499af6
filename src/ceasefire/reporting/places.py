"""Place names in the reports: one spelling of each place, the gazetteer's.

A sender writes "Zaporozhye", "Zaporizhzhia" or nothing at all; the report names every
located position by the bundled gazetteer (GeoNames, ``data/gazetteer.tsv.gz``), as the SMM
did: distance and direction from the nearest settlement ("3 km NE of Vasylivka"). An oblast's
namesake city is spelt as the oblast is (``monitoring.oblasts.RESPELT``): GeoNames' primary
"Zaporizhzhya" and the oblast's "Zaporizhzhia" are one name in two transliterations, and a
page must not show both. The sender's own words for a place are shown only for an unlocated
report (there is nothing else to say where it was).

Only the primary names and positions are read (0.2 s), not the gazetteer's index of 25,000
places' alternate names (seconds), which the report does not need.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ceasefire.monitoring.oblasts import Oblasts
from ceasefire.reports.gazetteer import DEFAULT_PATH, haversine_m, normalise_name

#: How far from a settlement a position is still described by it, m.
NEAR_M = 25_000.0
#: Settlements smaller than this do not name positions (too many hamlets share names).
MIN_POPULATION = 500
#: Within this distance of a settlement's centre a position is "in" it, m.
IN_PLACE_M = 1_000.0
_COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


@dataclass(frozen=True, eq=False)
class Settlements:
    """Primary names and positions of the gazetteer's places of ``MIN_POPULATION`` or more."""

    names: tuple[str, ...]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    population: NDArray[np.int64]
    oblast_iso: tuple[str, ...]


@functools.cache
def settlements() -> Settlements:
    """The bundled gazetteer's places, read once per process."""
    text = gzip.decompress(DEFAULT_PATH.read_bytes()).decode("utf-8")
    rows = [
        r
        for r in csv.DictReader(io.StringIO(text), delimiter="\t")
        if int(r["population"] or 0) >= MIN_POPULATION
    ]
    return Settlements(
        names=tuple(r["name"] for r in rows),
        lon=np.asarray([float(r["longitude"]) for r in rows]),
        lat=np.asarray([float(r["latitude"]) for r in rows]),
        population=np.asarray([int(r["population"] or 0) for r in rows], dtype=np.int64),
        oblast_iso=tuple(r["ua_oblast_iso"] for r in rows),
    )


def _same_name(x: str, y: str) -> bool:
    """Two transliterations of one name (both ``normalise_name``d): same first six letters,
    lengths within one (``Zaporizhzhya``/``Zaporizhzhia``, ``Mykolayiv``/``Mykolaiv``; not
    ``Dnipro`` for ``Dnipropetrovsk``, a renamed city in an oblast that kept its name, nor the
    town of ``Dniprovokamianka``)."""
    return x[:6] == y[:6] and abs(len(x) - len(y)) <= 1


@functools.cache
def respelt() -> dict[str, str]:
    """Gazetteer names of oblast namesake cities → the oblast's spelling, where they differ."""
    places, oblasts = settlements(), Oblasts.default()
    wanted = {
        iso: (name, normalise_name(name))
        for iso, name in zip(oblasts.iso, oblasts.names, strict=True)
    }
    best: dict[str, int] = {}
    for k, iso in enumerate(places.oblast_iso):
        if iso not in wanted:
            continue
        if not _same_name(normalise_name(places.names[k]), wanted[iso][1]):
            continue
        if iso not in best or places.population[k] > places.population[best[iso]]:
            best[iso] = k
    return {
        places.names[k]: wanted[iso][0]
        for iso, k in best.items()
        if places.names[k] != wanted[iso][0]
    }


def _bearing(from_lon: float, from_lat: float, to_lon: float, to_lat: float) -> str:
    """Compass point (of 8) from the first position to the second."""
    dx = (to_lon - from_lon) * math.cos(math.radians((from_lat + to_lat) / 2))
    angle = math.degrees(math.atan2(dx, to_lat - from_lat)) % 360.0
    return _COMPASS[round(angle / 45.0) % 8]


def nearest_place(lon: float, lat: float) -> str | None:
    """``"Vasylivka"`` (within 1 km of its centre), ``"3 km NE of Vasylivka"`` (within
    ``NEAR_M``), else ``None``; the settlement's name as the report spells it.

    >>> nearest_place(37.80, 48.02)
    'Donetsk'
    """
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    places = settlements()
    n = places.lon.size
    d = haversine_m(np.full(n, lon), np.full(n, lat), places.lon, places.lat)
    k = int(np.argmin(d))
    if float(d[k]) > NEAR_M:
        return None
    town = respelt().get(places.names[k], places.names[k])
    if float(d[k]) <= IN_PLACE_M:
        return town
    km = max(1, round(float(d[k]) / 1000))
    return f"{km} km {_bearing(float(places.lon[k]), float(places.lat[k]), lon, lat)} of {town}"


def describe_position(lon: float | None, lat: float | None, named: str | None = None) -> str:
    """Where a listed report was: the nearest settlement and the coordinates; the sender's
    place only when the report is unlocated; ``"—"`` with neither."""
    if lon is None or lat is None:
        return named or "—"
    coords = f"{lat:.3f}°N {lon:.3f}°E"
    label = nearest_place(lon, lat)
    return f"{label} ({coords})" if label else coords
