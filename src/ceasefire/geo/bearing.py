"""Locate an observation from an observer's bearing and (optional) range band, vectorised.

A bearing report says "seen at bearing b ± e degrees, between d_min and d_max metres away".
The located point is on the geodesic from the observer at bearing b and the middle of the
range band; the uncertainty radius is the smallest circle around it that covers the whole
sector (both range ends at both bearing limits), so a zone test that says "inside" holds for
every position the report allows.

Defaults (documented in ``docs/agreement.md``): a missing bearing error is
``DEFAULT_BEARING_ERROR_DEG`` (22.5°, an 8-point compass direction); a missing range is the band
``DEFAULT_RANGE_MIN_M``..``DEFAULT_RANGE_MAX_M`` (0.5-8 km: how far monitors on the ground
typically place sound and flash of fire); only a minimum → minimum + 7.5 km; only a maximum →
0..maximum.
"""

from __future__ import annotations

import numpy as np
import pyproj
from numpy.typing import ArrayLike, NDArray

from ceasefire.reports.model import DEFAULT_BEARING_ERROR_DEG

FloatArray = NDArray[np.float64]

DEFAULT_RANGE_MIN_M = 500.0
DEFAULT_RANGE_MAX_M = 8_000.0
_GEOD = pyproj.Geod(ellps="WGS84")


def locate_by_bearing(  # noqa: PLR0917 -- positional order is the agreed contract
    observer_lon: ArrayLike,
    observer_lat: ArrayLike,
    bearing_deg: ArrayLike,
    bearing_error_deg: ArrayLike,
    distance_min_m: ArrayLike,
    distance_max_m: ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(lon, lat, uncertainty_m) for each report; NaN where observer or bearing is missing.

    NaN in ``bearing_error_deg``, ``distance_min_m`` or ``distance_max_m`` means "not given".

    >>> lon, lat, u = locate_by_bearing([37.0], [48.0], [90.0], [0.0], [1000.0], [3000.0])
    >>> round(float(u[0]))
    1000
    """
    lon0 = np.asarray(observer_lon, dtype=np.float64)
    lat0 = np.asarray(observer_lat, dtype=np.float64)
    bearing = np.asarray(bearing_deg, dtype=np.float64)
    error = np.asarray(bearing_error_deg, dtype=np.float64)
    dmin = np.asarray(distance_min_m, dtype=np.float64)
    dmax = np.asarray(distance_max_m, dtype=np.float64)
    error = np.clip(np.where(np.isnan(error), DEFAULT_BEARING_ERROR_DEG, error), 0.0, 180.0)
    no_min, no_max = np.isnan(dmin), np.isnan(dmax)
    span = DEFAULT_RANGE_MAX_M - DEFAULT_RANGE_MIN_M
    lo = np.where(no_min, np.where(no_max, DEFAULT_RANGE_MIN_M, 0.0), np.maximum(dmin, 0.0))
    hi = np.where(no_max, np.where(no_min, DEFAULT_RANGE_MAX_M, lo + span), dmax)
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    mid = (lo + hi) / 2.0
    ok = np.isfinite(lon0) & np.isfinite(lat0) & np.isfinite(bearing)
    lon = np.full(lon0.shape, np.nan)
    lat = np.full(lon0.shape, np.nan)
    if ok.any():
        lon[ok], lat[ok], _ = _GEOD.fwd(lon0[ok], lat0[ok], bearing[ok], mid[ok])
    # farthest point of the sector from its centre: a range end at a bearing limit
    theta = np.radians(error)
    cos_t = np.cos(theta)
    far_lo = np.sqrt(np.maximum(lo**2 + mid**2 - 2 * lo * mid * cos_t, 0.0))
    far_hi = np.sqrt(np.maximum(hi**2 + mid**2 - 2 * hi * mid * cos_t, 0.0))
    uncertainty = np.where(ok, np.maximum(far_lo, far_hi), np.nan)
    return lon, lat, uncertainty
