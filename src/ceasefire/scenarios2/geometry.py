"""Spherical geometry for the generator: destinations, bearings, distances, and the line.

Everything here is vectorised over numpy arrays and uses the mean-radius sphere: over the
1-30 km that observers see, the sphere is within 0.5 % of the ellipsoid, well inside any
observer's error. Bearings are degrees true, clockwise from north, in ``[0, 360)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ceasefire.scenarios import scenario_dir

#: Mean Earth radius, m (IUGG).
EARTH_RADIUS_M = 6_371_008.8

F64 = NDArray[np.float64]


def destination(lon: F64, lat: F64, bearing_deg: F64, distance_m: F64) -> tuple[F64, F64]:
    """The point ``distance_m`` from ``(lon, lat)`` along ``bearing_deg`` (great circle).

    >>> lon, lat = destination(np.array([36.0]), np.array([48.0]), np.array([90.0]),
    ...                        np.array([1000.0]))
    >>> round(float(lat[0]), 4), round(float(lon[0]) - 36.0, 4)
    (48.0, 0.0134)
    """
    phi1, lam1 = np.radians(lat), np.radians(lon)
    theta = np.radians(bearing_deg)
    delta = np.asarray(distance_m, dtype=np.float64) / EARTH_RADIUS_M
    sin_phi2 = np.sin(phi1) * np.cos(delta) + np.cos(phi1) * np.sin(delta) * np.cos(theta)
    phi2 = np.arcsin(np.clip(sin_phi2, -1.0, 1.0))
    lam2 = lam1 + np.arctan2(
        np.sin(theta) * np.sin(delta) * np.cos(phi1), np.cos(delta) - np.sin(phi1) * sin_phi2
    )
    return np.degrees(lam2), np.degrees(phi2)


def bearing_deg(lon1: F64, lat1: F64, lon2: F64, lat2: F64) -> F64:
    """Initial bearing from point 1 to point 2, degrees true in ``[0, 360)``."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dlam = np.radians(lon2 - lon1)
    y = np.sin(dlam) * np.cos(phi2)
    x = np.cos(phi1) * np.sin(phi2) - np.sin(phi1) * np.cos(phi2) * np.cos(dlam)
    out: F64 = np.mod(np.degrees(np.arctan2(y, x)), 360.0)
    return out


def distance_m(lon1: F64, lat1: F64, lon2: F64, lat2: F64) -> F64:
    """Great-circle distance, m (haversine)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    out: F64 = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return out


@dataclass(frozen=True)
class Polyline:
    """A line as vertices with cumulative length, for sampling positions along it.

    ``lon``/``lat`` are the vertices (degrees); ``along_m[i]`` is the length from the first
    vertex to vertex ``i``, m.
    """

    lon: F64
    lat: F64
    along_m: F64

    @property
    def length_m(self) -> float:
        """Total length, m."""
        return float(self.along_m[-1])

    def at(self, s_m: F64) -> tuple[F64, F64, F64]:
        """``(lon, lat, heading_deg)`` at distances ``s_m`` along the line (clipped to it).

        The heading is that of the segment the point falls on; a point offset to the left
        of the line lies along ``heading - 90``, to the right along ``heading + 90``.
        """
        s = np.clip(s_m, 0.0, self.length_m)
        seg = np.clip(np.searchsorted(self.along_m, s, side="right") - 1, 0, len(self.lon) - 2)
        span = self.along_m[seg + 1] - self.along_m[seg]
        frac = np.where(span > 0, (s - self.along_m[seg]) / np.where(span > 0, span, 1.0), 0.0)
        lon = self.lon[seg] + frac * (self.lon[seg + 1] - self.lon[seg])
        lat = self.lat[seg] + frac * (self.lat[seg + 1] - self.lat[seg])
        heading = bearing_deg(self.lon[seg], self.lat[seg], self.lon[seg + 1], self.lat[seg + 1])
        return lon, lat, heading


def polyline(lon: F64, lat: F64) -> Polyline:
    """A ``Polyline`` over the given vertices."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    steps = distance_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
    return Polyline(lon=lon, lat=lat, along_m=np.concatenate([[0.0], np.cumsum(steps)]))


def contact_line(scenario: str = "paris-2026") -> Polyline:
    """The longest part of a bundled scenario's contact line (its agreement's GeoJSON file).

    Only the shipped geography is read (``scenarios/<name>/geo/contact-line.geojson``), the
    same file the agreement names; nothing of the existing simulator.
    """
    return _longest_part(scenario_dir(scenario) / "geo" / "contact-line.geojson")


def _longest_part(path: Path) -> Polyline:
    collection = json.loads(path.read_text(encoding="utf-8"))
    parts: list[list[list[float]]] = []
    for feature in collection["features"]:
        geometry = feature["geometry"]
        if geometry["type"] == "LineString":
            parts.append(geometry["coordinates"])
        elif geometry["type"] == "MultiLineString":
            parts.extend(geometry["coordinates"])
    best = max(parts, key=len)
    coords = np.asarray(best, dtype=np.float64)
    return polyline(coords[:, 0], coords[:, 1])
