"""Place a batch of located points against a compiled geography, vectorised.

For n points and z zones, with no per-point Python loop:

1. look every point up in the geography's lon/lat grid (``geo/grid.py``): the party side
   where one party holds the whole cell, the distance to the line by bilinear interpolation
   where that is proven safe, and whether an area zone or storage site is near;
2. only the other points are projected (transverse Mercator, ``geo/projection.py``), tested
   with ``shapely.contains_xy`` on the prepared party areas and measured exactly to the line
   (k-d tree, ``geo/nearest.py``, corrected to geodesic);
3. per buffer zone, a shortcut from (side, distance to the band's baseline, uncertainty, and
   the error bounds of steps 1-2) decides the points certainly inside or certainly outside;
   the few left — within ``edge_tolerance_m`` + uncertainty of an edge — are decided on the
   zone polygon itself (``contains_xy``) and the distance to its edge. So ``inside`` with
   uncertainty 0 is exactly "the point is in the zone polygon", the predicate GeoPandas
   ``sjoin`` evaluates (``bench/zones.py`` checks 1,000,000 points);
4. area zones and storage sites: only the points step 1 flagged as near one.

Semantics: ``inside`` — the whole uncertainty circle is in the zone; ``possibly_inside`` —
the circle crosses the zone's edge (exclusive with ``inside``); neither — the circle is
outside. The shortcut is conservative: in a concave corner of a band a circle can be called
``possibly_inside`` while it just misses the edge, never the reverse. A NaN position gives
all False, party -1, distance NaN; a NaN or negative uncertainty counts as 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from ceasefire.geo.grid import FEATURE_BIT, FEATURE_MARGIN_M, MIXED, SMOOTH_BIT, GridCells
from ceasefire.geo.nearest import PolylineIndex
from ceasefire.geo.zones import CONTACT_LINE, CompiledZone, Geography, edge_tolerance_m

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Margin (m) around an area zone's bounding box within which points get the exact test.
AREA_MARGIN_M = 50.0


@dataclass(frozen=True)
class Placements:
    """Where n points lie; rows in input order, columns of ``inside`` in ``zone_ids`` order."""

    zone_ids: tuple[str, ...]
    inside: BoolArray
    possibly_inside: BoolArray
    party_index: NDArray[np.int8]
    distance_to_line_km: FloatArray
    at_storage_site: BoolArray
    near_storage_site: BoolArray


#: Metres per degree of latitude, rounded down (for conservative lon/lat padding).
_M_PER_DEG = 110_000.0
#: Relative slack between a geodesic distance and the projected one near the line (TM scale
#: within 350 km of the central meridian is below 1.0015).
_TM_SLACK = 0.002
#: Points the grid puts within this many km of the line get a bounded exact search.
_CLOSE_KM = 60.0


#: (rows, uncertainty, party, distance to the line m, its error bound m) of a set of points.
_Rows = tuple[NDArray[np.intp], FloatArray, NDArray[np.int8], FloatArray, FloatArray]


class _Batch:
    """Per-call working arrays; projected coordinates only for the points that need them."""

    def __init__(self, geography: Geography, lon: FloatArray, lat: FloatArray, u: FloatArray):
        self.geo = geography
        self.lon, self.lat, self.u = lon, lat, u
        n = len(lon)
        self.x = np.full(n, np.nan)
        self.y = np.full(n, np.nan)
        self.u_max = float(u.max()) if n else 0.0
        grid = geography.grid
        cells = grid.cells(lon, lat)
        self.cells = cells
        code = grid.code[cells.cell]
        code[~cells.inside] = FEATURE_BIT  # off the grid: mixed, rough, near a feature
        self.party = (code & 15) - 2
        self.smooth = (code & SMOOTH_BIT) != 0
        self.features = np.flatnonzero(((code & FEATURE_BIT) != 0) | (u >= FEATURE_MARGIN_M))
        mixed = np.flatnonzero(self.party == MIXED)
        self.party[mixed] = -1
        for p, area in enumerate(geography.party_areas):
            hit = shapely.contains_xy(area, lon[mixed], lat[mixed])
            self.party[mixed[hit & (self.party[mixed] < 0)]] = p
        # distance to the contact line: interpolated where smooth, exact elsewhere
        self.line_km = grid.interpolate_km(cells)
        self.line_m = self.line_km * 1000.0
        # exact where the grid is not trusted; points the grid puts close to the line get a
        # bounded (much faster) k-d search, the rest (ridges far away, off-grid) an unbounded one
        rough = np.flatnonzero(~self.smooth)
        rough_cells = GridCells(
            cells.cell[rough],
            cells.node[rough],
            cells.tx[rough],
            cells.ty[rough],
            cells.inside[rough],
        )
        upper_km = np.where(rough_cells.inside, grid.upper_km(rough_cells), np.inf)
        close = rough[upper_km <= _CLOSE_KM]
        far = rough[upper_km > _CLOSE_KM]
        for idx, bound_m in ((close, _CLOSE_KM * 1000 * 1.01), (far, np.inf)):
            if len(idx) == 0:
                continue
            self.project(idx)
            d_m, near_x, _ = geography.line_index.distance(
                self.x[idx], self.y[idx], upper_bound_m=bound_m
            )
            self.line_m[idx] = d_m
            factor = geography.projection.geodesic_factor(self.x[idx], near_x)
            self.line_km[idx] = d_m * factor / 1000.0
        self.err_max_m = float(grid.interp_error_m.max()) if grid.interp_error_m.size else 0.0
        self.base_m: dict[str, FloatArray] = {CONTACT_LINE: self.line_m}
        self.edge_m: dict[int, FloatArray] = {}
        self._near: _Rows | None = None
        self._near_key = np.empty(0, dtype=np.int8)
        self._margins = np.unique(
            [
                self._margin(b.width_m + edge_tolerance_m(b.width_m))
                for z in geography.zones
                for b in z.bands
                if b.baseline_key == CONTACT_LINE
            ]
        )

    def project(self, idx: NDArray[np.intp]) -> None:
        """Fill projected coordinates of points ``idx`` (cached)."""
        todo = idx[np.isnan(self.x[idx])]
        if len(todo):
            self.x[todo], self.y[todo] = self.geo.projection.forward(self.lon[todo], self.lat[todo])

    def baseline_m(self, key: str, reach_m: float) -> FloatArray:
        """Distance to a party's own baseline (``inf`` beyond ``reach_m``); exact, all points."""
        if key not in self.base_m:
            everyone = np.arange(len(self.lon))
            self.project(everyone)
            index = self.geo.baselines[key]
            self.base_m[key] = index.distance(self.x, self.y, upper_bound_m=reach_m)[0]
        return self.base_m[key]

    def party_edge_m(self, p: int, idx: NDArray[np.intp]) -> FloatArray:
        """Distance to party p's area boundary for points ``idx`` (``inf`` = farther than u)."""
        cache = self.edge_m.setdefault(p, np.full(len(self.lon), np.nan))
        todo = idx[np.isnan(cache[idx])]
        if len(todo):
            self.project(todo)
            index = self.geo.party_edge_indexes[p]
            cache[todo] = _within_uncertainty(index, self.x[todo], self.y[todo], self.u[todo])
        return cache[idx]

    def near_rows(self) -> _Rows:
        """The points whose circle may reach any contact-line band, with their columns.

        Gathered once per batch (widest band of the agreement) and shared by every zone.
        """
        if self._near is None:
            reach = max(
                (
                    b.width_m + edge_tolerance_m(b.width_m)
                    for z in self.geo.zones
                    for b in z.bands
                    if b.baseline_key == CONTACT_LINE
                ),
                default=0.0,
            )
            rows = np.flatnonzero(self.line_m - self.u <= self._margin(reach))
            # grouped by the narrowest band reach each point can touch (a radix sort of a
            # small int), so a zone takes a prefix of the arrays: a view, not a gather
            key = self.line_m[rows] - self.u[rows]
            bucket = np.searchsorted(self._margins, key).astype(np.int8)
            order = np.argsort(bucket, kind="stable")
            rows = rows[order]
            self._near_key = bucket[order]
            self._near = (
                rows,
                self.u[rows],
                self.party[rows],
                self.line_m[rows],
                self.slack_m(rows),
            )
        return self._near

    def _margin(self, reach_m: float) -> float:
        """How far (line distance minus uncertainty) a point may be and still reach a band."""
        return reach_m * (1 + 2 * _TM_SLACK) + self.err_max_m + 1.0

    def all_rows(self) -> _Rows:
        """Every point, in the shape of ``near_rows`` (for bands on a party's own baseline)."""
        rows = np.arange(len(self.lon))
        return (rows, self.u, self.party, self.line_m, self.slack_m(rows))

    def slack_m(self, rows: NDArray[np.intp]) -> FloatArray:
        """Error bound of ``line_m`` at ``rows``: interpolation and projection scale, metres."""
        grid = self.geo.grid
        interp = grid.interp_error_m.ravel()[self.cells.cell[rows]]
        slack = interp + _TM_SLACK * self.line_m[rows]
        return np.where(self.smooth[rows], slack, 0.0)

    def classify(self, zone: CompiledZone, inside: BoolArray, possibly: BoolArray) -> None:
        """Fill (inside, possibly_inside) of every point for one zone (arrays start False)."""
        if zone.bands:
            on_line = all(b.baseline_key == CONTACT_LINE for b in zone.bands)
            rows, u, party, line_d, line_slack = self.near_rows() if on_line else self.all_rows()
            if on_line:
                reach = max(b.width_m + edge_tolerance_m(b.width_m) for b in zone.bands)
                level = int(np.searchsorted(self._margins, self._margin(reach)))
                k = int(np.searchsorted(self._near_key, level, side="right"))
                rows, u, party, line_d, line_slack = (
                    rows[:k],
                    u[:k],
                    party[:k],
                    line_d[:k],
                    line_slack[:k],
                )
            has_u = u > 0
            certain_in = np.zeros(len(rows), dtype=bool)
            touch = np.zeros(len(rows), dtype=bool)
            for band in zone.bands:
                tol = edge_tolerance_m(band.width_m)
                if band.baseline_key == CONTACT_LINE:
                    d = line_d
                    slack = tol + line_slack
                else:
                    bound = band.width_m + self.u_max + tol + 1.0
                    d = self.baseline_m(band.baseline_key, bound)[rows]
                    slack = np.full(len(rows), tol)
                side = party == band.party_index
                deep = side & (d + u < band.width_m - slack)
                near = d <= band.width_m + u + slack
                if self.u_max == 0:  # exact points: the party boundary needs no distance
                    certain_in |= deep
                    touch |= near & side
                    continue
                ask = np.flatnonzero((deep | (near & ~side)) & has_u)
                edge = np.full(len(rows), np.nan)
                edge[ask] = self.party_edge_m(band.party_index, rows[ask])
                certain_in |= deep & (~has_u | (edge > u))
                touch |= near & (side | (has_u & (edge <= u)))
            inside[rows[certain_in]] = True
            idx = rows[touch & ~certain_in]
        else:
            minx, miny, maxx, maxy = zone.bbox_ll
            rows = self.features
            pad_lat = (self.u[rows] + AREA_MARGIN_M) / _M_PER_DEG
            cos_lat = np.cos(np.radians(min(abs(miny), abs(maxy)) if miny * maxy > 0 else 0.0))
            pad_lon = pad_lat / max(cos_lat, 0.01)
            lon, lat = self.lon[rows], self.lat[rows]
            idx = rows[
                (lon >= minx - pad_lon)
                & (lon <= maxx + pad_lon)
                & (lat >= miny - pad_lat)
                & (lat <= maxy + pad_lat)
            ]
        if len(idx):
            self._decide_on_polygon(zone, idx, inside, possibly)

    def _decide_on_polygon(
        self, zone: CompiledZone, idx: NDArray[np.intp], inside: BoolArray, possibly: BoolArray
    ) -> None:
        """The exact answer for points ``idx``: the polygon and the distance to its edge."""
        in_poly = shapely.contains_xy(zone.polygon, self.lon[idx], self.lat[idx])
        ui = self.u[idx]
        edge = np.full(len(idx), np.inf)
        fuzzy = idx[ui > 0]
        if len(fuzzy):
            self.project(fuzzy)
            edge[ui > 0] = _within_uncertainty(
                zone.edge_index, self.x[fuzzy], self.y[fuzzy], self.u[fuzzy]
            )
        inside[idx] = in_poly & (edge >= ui)
        possibly[idx] = (in_poly & (edge < ui)) | (~in_poly & (edge <= ui))

    def storage(self) -> tuple[BoolArray, BoolArray]:
        """(at a site for certain, possibly at a site) for every point."""
        sites = self.geo.sites
        n = len(self.lon)
        at = np.zeros(n, dtype=bool)
        near = np.zeros(n, dtype=bool)
        if len(sites.x) == 0 or n == 0:
            return at, near
        # prefilter on lon/lat boxes (generous) among the grid's feature points, then metres
        rows = self.features
        u_max = float(self.u[rows].max()) if len(rows) else 0.0
        pad_lat = (float(sites.radius_m.max()) + u_max + 1.0) / _M_PER_DEG
        cos_lat = np.cos(np.radians(min(float(np.abs(sites.lat).max()) + pad_lat, 89.0)))
        pad_lon = pad_lat / cos_lat
        hit = np.zeros(len(rows), dtype=bool)
        lon, lat = self.lon[rows], self.lat[rows]
        for slon, slat in zip(sites.lon, sites.lat, strict=True):
            hit |= (np.abs(lat - slat) <= pad_lat) & (np.abs(lon - slon) <= pad_lon)
        cand = rows[hit]
        if len(cand) == 0:
            return at, near
        self.project(cand)
        dx = self.x[cand, None] - sites.x[None, :]
        dy = self.y[cand, None] - sites.y[None, :]
        dist = np.hypot(dx, dy)
        u = self.u[cand, None]
        at[cand] = (dist + u <= sites.radius_m[None, :]).any(axis=1)
        near[cand] = (dist <= sites.radius_m[None, :] + u).any(axis=1) & ~at[cand]
        return at, near


#: Uncertainty classes (m) queried separately, so small circles get a tightly bounded search.
_U_CLASSES = (1_000.0, 5_000.0, np.inf)


def _within_uncertainty(
    index: PolylineIndex, x: FloatArray, y: FloatArray, u: FloatArray
) -> FloatArray:
    """Distance to ``index`` where it is at most about u (``inf`` beyond): all a test
    "does the circle reach the edge" needs. Bounded per class of u: a k-d search with a
    small bound is several times cheaper than one bounded by the largest circle."""
    out = np.full(len(x), np.inf)
    low = 0.0
    for high in _U_CLASSES:
        pick = np.flatnonzero((u > low) & (u <= high))
        low = high
        if len(pick) == 0:
            continue
        bound = float(u[pick].max()) + 1.0
        out[pick] = index.distance(x[pick], y[pick], upper_bound_m=bound)[0]
    return out


def place_points(
    geography: Geography,
    lon: NDArray[np.floating],
    lat: NDArray[np.floating],
    uncertainty_m: NDArray[np.floating],
) -> Placements:
    """Place n points (degrees, WGS 84; uncertainty radius in metres) — see module docstring.

    >>> from ceasefire.agreement import load_agreement
    >>> from ceasefire.geo.zones import compile_geography
    >>> from ceasefire.scenarios import scenario_dir
    >>> geo = compile_geography(load_agreement(scenario_dir("minsk-2015") / "agreement.yaml"))
    >>> p = place_points(geo, np.array([37.80]), np.array([48.02]), np.array([0.0]))
    >>> geo.party_ids[p.party_index[0]], bool(p.inside[0, geo.zone_ids.index("security-zone")])
    ('RBAF', True)
    """
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    u_a = np.asarray(uncertainty_m, dtype=np.float64)
    if not lon_a.shape == lat_a.shape == u_a.shape or lon_a.ndim != 1:
        raise ValueError("lon, lat and uncertainty_m must be 1-d arrays of one length")
    n, z = len(lon_a), len(geography.zones)
    # column-major: each zone fills a contiguous column; the shape is still (n, z)
    inside = np.zeros((n, z), dtype=bool, order="F")
    possibly = np.zeros((n, z), dtype=bool, order="F")
    party = np.full(n, -1, dtype=np.int8)
    dist = np.full(n, np.nan)
    at = np.zeros(n, dtype=bool)
    near = np.zeros(n, dtype=bool)
    valid = np.isfinite(lon_a) & np.isfinite(lat_a) & (np.abs(lat_a) <= 90)
    all_valid = bool(valid.all())
    rows = slice(None) if all_valid else np.flatnonzero(valid)
    u_v = u_a[rows]
    u_v = np.where(np.isfinite(u_v) & (u_v > 0), u_v, 0.0)
    if n and all_valid:  # the common case: the batch's own arrays are the answer
        batch = _Batch(geography, lon_a, lat_a, u_v)
        for j, zone in enumerate(geography.zones):
            batch.classify(zone, inside[:, j], possibly[:, j])
        at, near = batch.storage()
        return Placements(
            geography.zone_ids, inside, possibly, batch.party, batch.line_km, at, near
        )
    if valid.any():
        batch = _Batch(geography, lon_a[rows], lat_a[rows], u_v)
        party[rows] = batch.party
        dist[rows] = batch.line_km
        for j, zone in enumerate(geography.zones):
            zin = np.zeros(len(u_v), dtype=bool)
            zpos = np.zeros(len(u_v), dtype=bool)
            batch.classify(zone, zin, zpos)
            inside[rows, j] = zin
            possibly[rows, j] = zpos
        at[rows], near[rows] = batch.storage()
    return Placements(geography.zone_ids, inside, possibly, party, dist, at, near)
