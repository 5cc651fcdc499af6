"""Where things happen: points along the contact line, offsets across it, local metres.

The simulator needs three geometric moves that the zone engine does not offer: draw points
uniformly by length along a (multi)line, step a given distance perpendicular to it, and
measure observer-to-event bearings and distances. All are geodesic on WGS 84 (pyproj's
``Geod``). Which *side* an offset lands on is never guessed here: the caller asks the real
placement (``ceasefire.geo.placement.place_points``) for the party area the point lies in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pyproj import Geod, Transformer

FloatArray = NDArray[np.float64]

GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class LineSampler:
    """Uniform-by-length sampling along the parts of a contact line.

    ``seg_*`` hold every segment's start, end, forward azimuth (degrees) and geodesic length
    (metres); ``cum_m`` the running total, so a distance along the line maps to one segment.
    """

    seg_lon0: FloatArray
    seg_lat0: FloatArray
    seg_lon1: FloatArray
    seg_lat1: FloatArray
    seg_az: FloatArray
    seg_len_m: FloatArray
    cum_m: FloatArray

    @classmethod
    def from_parts(cls, parts: list[FloatArray]) -> LineSampler:
        """Build from line parts, each an ``(n, 2)`` array of lon/lat vertices (n >= 2)."""
        lon0, lat0, lon1, lat1 = [], [], [], []
        for coords in parts:
            if len(coords) < 2:
                continue
            lon0.append(coords[:-1, 0])
            lat0.append(coords[:-1, 1])
            lon1.append(coords[1:, 0])
            lat1.append(coords[1:, 1])
        a_lon, a_lat = np.concatenate(lon0), np.concatenate(lat0)
        b_lon, b_lat = np.concatenate(lon1), np.concatenate(lat1)
        az, _, length = GEOD.inv(a_lon, a_lat, b_lon, b_lat)
        keep = np.asarray(length) > 0.0
        length_m = np.asarray(length, dtype=np.float64)[keep]
        return cls(
            seg_lon0=a_lon[keep],
            seg_lat0=a_lat[keep],
            seg_lon1=b_lon[keep],
            seg_lat1=b_lat[keep],
            seg_az=np.asarray(az, dtype=np.float64)[keep],
            seg_len_m=length_m,
            cum_m=np.cumsum(length_m),
        )

    @property
    def length_m(self) -> float:
        """Total geodesic length of every part, metres."""
        return float(self.cum_m[-1])

    def at(self, along_m: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Points at distances ``along_m`` (0..length) and the line's azimuth there (degrees).

        Within a segment the position is interpolated linearly in lon/lat; segments of a
        digitised front line are a few hundred metres, so the error is far below a metre.
        """
        along = np.clip(along_m, 0.0, self.length_m)
        seg = np.minimum(np.searchsorted(self.cum_m, along, side="right"), len(self.cum_m) - 1)
        start = self.cum_m[seg] - self.seg_len_m[seg]
        frac = np.clip((along - start) / self.seg_len_m[seg], 0.0, 1.0)
        lon = self.seg_lon0[seg] + frac * (self.seg_lon1[seg] - self.seg_lon0[seg])
        lat = self.seg_lat0[seg] + frac * (self.seg_lat1[seg] - self.seg_lat0[seg])
        return lon, lat, self.seg_az[seg]

    def sample(self, rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``n`` points drawn uniformly by length, with the line's azimuth at each."""
        return self.at(rng.uniform(0.0, self.length_m, n))

    def every(self, spacing_m: float) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Points every ``spacing_m`` along the whole line (parts joined end to end)."""
        return self.at(np.arange(spacing_m / 2.0, self.length_m, spacing_m))


def step(
    lon: FloatArray, lat: FloatArray, azimuth_deg: FloatArray, distance_m: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Geodesic forward problem: where ``distance_m`` along ``azimuth_deg`` from each point ends."""
    out_lon, out_lat, _ = GEOD.fwd(lon, lat, azimuth_deg, distance_m)
    return np.asarray(out_lon, dtype=np.float64), np.asarray(out_lat, dtype=np.float64)


def bearing_distance(
    from_lon: FloatArray, from_lat: FloatArray, to_lon: FloatArray, to_lat: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Geodesic inverse: bearing (degrees true, 0..360) and distance (metres) between points."""
    az, _, dist = GEOD.inv(from_lon, from_lat, to_lon, to_lat)
    return np.mod(np.asarray(az, dtype=np.float64), 360.0), np.asarray(dist, dtype=np.float64)


@dataclass(frozen=True)
class LocalMetres:
    """An azimuthal equidistant projection centred on the scenario, for metre-based gating.

    Distances from the centre are exact and others are within a fraction of a percent over a
    front line's extent, which is ample for "is this post within 12 km?" gates. Exact
    bearings and ranges for reports always come from :func:`bearing_distance`.
    """

    transformer: Transformer

    @classmethod
    def centred_on(cls, lon: float, lat: float) -> LocalMetres:
        """A projection centred on ``lon``/``lat`` (degrees)."""
        crs = f"+proj=aeqd +lat_0={lat:.6f} +lon_0={lon:.6f} +datum=WGS84 +units=m"
        return cls(Transformer.from_crs("EPSG:4326", crs, always_xy=True))

    def xy(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Project lon/lat (degrees) to x/y (metres)."""
        x, y = self.transformer.transform(lon, lat)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
