"""Localisation: one position and error ellipse per incident from all its reports at once.

Weighted least squares in a local tangent plane (metres east/north of a start point), solved
by Gauss-Newton for every incident of a batch together: the residuals of all reports are one
flat array and the 2x2 normal equations are summed per incident with ``np.bincount``, so no
Python loop runs per incident. Residuals, each divided by its 1-sigma:

* a point (UAV, satellite, patrol grid, gazetteer place): its x and y offsets, sigma =
  ``uncertainty_m`` / 2 — a UAV fix (tens of metres) therefore dominates bearings (km);
* a bearing: the angle between the stated bearing and the bearing from the observer to the
  estimate, sigma = stated half-width / 2; and the distance from the observer against the
  middle of its range band (the default 0.5-8 km band when none is given), sigma as in the
  gate: band width / sqrt 12 combined with a ``range_sigma`` relative error of judging range.

Two or more bearings from different observers thus intersect; one bearing alone stays on its
ray at its range. The start point is the information-weighted mean of the reports' resolved
positions under the gate's covariances (already close to the intersection), so a few
iterations converge. The covariance is the inverse of the normal matrix at the solution;
the ellipse is its 2-sigma contour (~86 %; the reports' radii are read the same way).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ceasefire.fusion.gating import M_PER_DEG_LAT, M_PER_DEG_LON, Derived, _band
from ceasefire.fusion.model import FloatArray, FusionBatch, FusionParams, IntArray
from ceasefire.reports.model import DEFAULT_BEARING_ERROR_DEG, LocationForm

_BEARING = list(LocationForm).index(LocationForm.BEARING)


@dataclass(frozen=True)
class Located:
    """Per group: position (degrees), ellipse (2-sigma semi-axes, m; orientation degrees
    clockwise from north) and how many distinct bearing observers took part."""

    lon: FloatArray
    lat: FloatArray
    semi_major_m: FloatArray
    semi_minor_m: FloatArray
    orientation_deg: FloatArray
    bearing_observers: IntArray


def locate_groups(
    rows: IntArray,
    group: IntArray,
    n_groups: int,
    *,
    batch: FusionBatch,
    derived: Derived,
    params: FusionParams,
    weight: FloatArray | None = None,
) -> Located:
    """Locate ``n_groups`` groups; ``rows[k]`` (a row of ``batch``) belongs to ``group[k]``.

    Rows without a resolved position are ignored; a group with none gets NaN. ``weight``
    scales each row's information (``cluster.repeat_weight``: a stream's ticks count once).
    """
    ok = np.isfinite(derived.lon[rows])
    w = np.ones(rows.size) if weight is None else weight
    rows, group, w = rows[ok], group[ok], w[ok]
    lon, lat = derived.lon[rows], derived.lat[rows]
    # information-weighted start point (per group, in degrees via a shared local scale)
    cxx, cxy, cyy = derived.cxx[rows], derived.cxy[rows], derived.cyy[rows]
    det = np.maximum(cxx * cyy - cxy * cxy, 1e-6)
    ixx, ixy, iyy = w * cyy / det, -w * cxy / det, w * cxx / det
    scale = np.cos(np.radians(lat)) * M_PER_DEG_LON
    x, y = lon * scale, lat * M_PER_DEG_LAT

    def per_group(values: FloatArray) -> FloatArray:
        return np.bincount(group, weights=values, minlength=n_groups).astype(np.float64)

    hxx, hxy, hyy = per_group(ixx), per_group(ixy), per_group(iyy)
    bx, by = per_group(ixx * x + ixy * y), per_group(ixy * x + iyy * y)
    gdet = np.maximum(hxx * hyy - hxy * hxy, 1e-30)
    with np.errstate(invalid="ignore", divide="ignore"):
        x0 = (hyy * bx - hxy * by) / gdet
        y0 = (hxx * by - hxy * bx) / gdet
        lat0 = y0 / M_PER_DEG_LAT
        lon0 = x0 / (np.cos(np.radians(lat0)) * M_PER_DEG_LON)
    local = np.cos(np.radians(lat0))[group] * M_PER_DEG_LON
    px = (lon - lon0[group]) * local
    py = (lat - lat0[group]) * M_PER_DEG_LAT
    bearing = batch.location_form[rows] == _BEARING
    point = ~bearing
    sigma_p = batch.uncertainty_m[rows] / 2.0
    ox = (batch.observer_lon[rows] - lon0[group]) * local
    oy = (batch.observer_lat[rows] - lat0[group]) * M_PER_DEG_LAT
    beta = np.radians(batch.bearing_deg[rows])
    err = batch.bearing_error_deg[rows]
    sigma_t = np.maximum(
        np.radians(np.where(np.isnan(err), DEFAULT_BEARING_ERROR_DEG, err)) / 2.0, 1e-3
    )
    lo, hi = _band(batch.distance_min_m[rows], batch.distance_max_m[rows])
    mid = (lo + hi) / 2.0
    sigma_r = np.sqrt((hi - lo) ** 2 / 12.0 + (params.range_sigma * mid) ** 2) + 1.0
    ex, ey = np.zeros(n_groups), np.zeros(n_groups)
    hxx = hxy = hyy = np.zeros(n_groups)
    for _ in range(params.locate_iterations):
        gx, gy = ex[group], ey[group]
        # points: J = I / sigma, r = (g - p) / sigma
        wp = np.where(point, w / sigma_p**2, 0.0)
        jxx, jxy, jyy = wp, np.zeros_like(wp), wp
        rx, ry = np.where(point, (gx - px) * wp, 0.0), np.where(point, (gy - py) * wp, 0.0)
        # bearings: angle and range residuals
        dx, dy = gx - ox, gy - oy
        d2 = np.maximum(dx * dx + dy * dy, 1.0)
        d = np.sqrt(d2)
        angle = np.angle(np.exp(1j * (np.arctan2(dx, dy) - beta)))
        ax, ay = dy / d2 / sigma_t, -dx / d2 / sigma_t
        rxx, ryy = dx / d / sigma_r, dy / d / sigma_r
        ra, rr = angle / sigma_t, (d - mid) / sigma_r
        b_ = bearing * w
        jxx = jxx + b_ * np.nan_to_num(ax * ax + rxx * rxx)
        jxy = jxy + b_ * np.nan_to_num(ax * ay + rxx * ryy)
        jyy = jyy + b_ * np.nan_to_num(ay * ay + ryy * ryy)
        rx = rx + b_ * np.nan_to_num(ax * ra + rxx * rr)
        ry = ry + b_ * np.nan_to_num(ay * ra + ryy * rr)
        hxx, hxy, hyy = per_group(jxx), per_group(jxy), per_group(jyy)
        gx_, gy_ = per_group(rx), per_group(ry)
        damp = 1e-9 * (hxx + hyy) + 1e-12
        hdet = (hxx + damp) * (hyy + damp) - hxy * hxy
        with np.errstate(invalid="ignore", divide="ignore"):
            ex = ex - ((hyy + damp) * gx_ - hxy * gy_) / hdet
            ey = ey - ((hxx + damp) * gy_ - hxy * gx_) / hdet
    with np.errstate(invalid="ignore", divide="ignore"):
        det_h = np.maximum(hxx * hyy - hxy * hxy, 1e-30)
        vxx, vxy, vyy = hyy / det_h, -hxy / det_h, hxx / det_h
        half_trace, root = (vxx + vyy) / 2.0, np.sqrt(((vxx - vyy) / 2.0) ** 2 + vxy**2)
        major = 2.0 * np.sqrt(np.maximum(half_trace + root, 0.0))
        minor = 2.0 * np.sqrt(np.maximum(half_trace - root, 0.0))
        # orientation of the major axis: angle from north (y) towards east (x)
        phi = 0.5 * np.arctan2(2.0 * vxy, vyy - vxx)
        lat_out = lat0 + ey / M_PER_DEG_LAT
        lon_out = lon0 + ex / (np.cos(np.radians(lat0)) * M_PER_DEG_LON)
    observers = _bearing_observers(rows[bearing], group[bearing], batch, n_groups)
    return Located(
        lon=lon_out,
        lat=lat_out,
        semi_major_m=major,
        semi_minor_m=minor,
        orientation_deg=np.mod(np.degrees(phi), 180.0),
        bearing_observers=observers,
    )


def _bearing_observers(
    rows: IntArray, group: IntArray, batch: FusionBatch, n_groups: int
) -> IntArray:
    """Distinct observer positions (to ~10 m) among each group's bearing reports."""
    if rows.size == 0:
        return np.zeros(n_groups, dtype=np.int64)
    ox = np.round(batch.observer_lon[rows] * 1e4).astype(np.int64) + 1_800_000  # 0..3.6e6
    oy = np.round(batch.observer_lat[rows] * 1e4).astype(np.int64) + 900_000  # 0..1.8e6
    _, observer = np.unique(ox * 2_000_000 + oy, return_inverse=True)
    n_observers = int(observer.max()) + 1
    pairs = np.unique(group * n_observers + observer.ravel())  # 1-D: faster than axis=0
    return np.bincount(pairs // n_observers, minlength=n_groups).astype(np.int64)
