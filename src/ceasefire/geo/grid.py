"""A lon/lat lookup grid that answers most points without projecting them.

Built once per geography: at every node (0.02° × 0.03°, ~2.2 km) the geodesic distance to the
contact line (exact method of ``geo/nearest.py``) and which party's area holds it; per cell,
whether one party holds all of it and whether bilinear interpolation of the distance can be
trusted there. Placement reads the grid for every point and sends only the rest — near the
line, near a party boundary, in cells where the nearest stretch of line jumps (ridges), near
a zone edge — through the exact path.

Why trust interpolation: away from the line (≥ ``SMOOTH_MIN_KM``) and where the nearest points
of a cell's corners on the line stay within ``SMOOTH_SPREAD`` cell sizes of each other (no
"ridge" where the nearest stretch of line jumps), the distance is C¹ with curvature ≤ 1/d (the
distance to a segment is linear, to a vertex has curvature 1/d), so bilinear interpolation errs
by at most g²/(8d), g the cell diagonal (3.1 km): 60 m at 20 km. We use 1.5 times that
(``INTERP_SAFETY``): ≤ 90 m (0.45 %) at 20 km, less farther out; ``tests/geo`` checks the result
against ``pyproj.Geod`` (observed: < 0.05 %).
``interp_error_m`` is that bound per cell and is added to every zone-edge tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from ceasefire.geo.nearest import PolylineIndex
from ceasefire.geo.projection import LocalProjection

FloatArray = NDArray[np.float64]

DLAT_DEG = 0.02
DLON_DEG = 0.03
#: Cells closer to the line than this (km) always take the exact path.
SMOOTH_MIN_KM = 20.0
#: Safety factor on the analytic interpolation bound g²/(8d).
INTERP_SAFETY = 1.5
#: Largest spread of the corners' nearest line points, in cell sizes, for a smooth cell.
SMOOTH_SPREAD = 4.0
#: Party code of a cell that a party boundary crosses (or that is outside the grid).
MIXED = -2
#: Cell code bits: party + 2 in the low 4 bits, then "smooth", then "near a feature" (an area
#: zone or a storage site within ``FEATURE_MARGIN_M``). Code 0 = mixed, rough, near: the
#: exact path for everything, which is also what points outside the grid get.
SMOOTH_BIT = 16
FEATURE_BIT = 32
#: Cells within this distance (m) of an area zone's or a storage site's box are flagged.
FEATURE_MARGIN_M = 10_000.0


@dataclass(frozen=True)
class GridCells:
    """Points located in the grid: cell and lower-left node (flat indices), offsets 0..1."""

    cell: NDArray[np.int32]
    node: NDArray[np.int32]
    tx: FloatArray
    ty: FloatArray
    inside: NDArray[np.bool_]


@dataclass(frozen=True)
class LookupGrid:
    """Node distances (km, geodesic) and cell classes over a lon/lat box."""

    lon0: float
    lat0: float
    nlon: int
    nlat: int
    dist_km: NDArray[np.float32]  # (nlat + 1, nlon + 1)
    smooth: NDArray[np.bool_]  # (nlat, nlon)
    interp_error_m: NDArray[np.float32]  # (nlat, nlon)
    party: NDArray[np.int8]  # (nlat, nlon): party index, -1 none, MIXED
    diagonal_km: float
    code: NDArray[np.int8]  # (nlat * nlon,): party + 2 | SMOOTH_BIT | FEATURE_BIT
    corners_km: NDArray[np.float32]  # (4, nlat * nlon): node distances SW, SE, NW, NE

    def with_features(self, boxes: list[tuple[float, float, float, float]]) -> LookupGrid:
        """A copy with FEATURE_BIT set on cells within ``FEATURE_MARGIN_M`` of any box.

        ``boxes`` are lon/lat boxes already padded by the feature's own radius.
        """
        code = self.code.reshape(self.nlat, self.nlon).copy()
        pad_lat = FEATURE_MARGIN_M / 110_000.0
        for minx, miny, maxx, maxy in boxes:
            top = min(abs(miny), abs(maxy)) if miny * maxy > 0 else 0.0
            pad_lon = pad_lat / max(np.cos(np.radians(top + pad_lat)), 0.01)
            ix0 = max(int(np.floor((minx - pad_lon - self.lon0) / DLON_DEG)), 0)
            ix1 = min(int(np.floor((maxx + pad_lon - self.lon0) / DLON_DEG)) + 1, self.nlon)
            iy0 = max(int(np.floor((miny - pad_lat - self.lat0) / DLAT_DEG)), 0)
            iy1 = min(int(np.floor((maxy + pad_lat - self.lat0) / DLAT_DEG)) + 1, self.nlat)
            if ix0 < ix1 and iy0 < iy1:
                code[iy0:iy1, ix0:ix1] |= FEATURE_BIT
        return replace(self, code=code.ravel())

    def cells(self, lon: FloatArray, lat: FloatArray) -> GridCells:
        """Which cell each point falls in (off the grid: nearest edge cell, ``inside`` False).

        int32 indices and in-place clipping: this runs on every point of a batch.
        """
        fx = lon - self.lon0
        fx *= 1.0 / DLON_DEG
        fy = lat - self.lat0
        fy *= 1.0 / DLAT_DEG
        inside = (fx >= 0) & (fx < self.nlon) & (fy >= 0) & (fy < self.nlat)
        ix = np.clip(fx, 0, self.nlon - 1).astype(np.int32)
        iy = np.clip(fy, 0, self.nlat - 1).astype(np.int32)
        cell = iy * np.int32(self.nlon)
        cell += ix
        fx -= ix
        fy -= iy
        return GridCells(cell, cell + iy, fx, fy, inside)

    def interpolate_km(self, cells: GridCells) -> FloatArray:
        """Bilinear distance (km) at the points of ``cells``.

        ``corners_km`` holds each cell's four node values in four contiguous rows, so this is
        four 1-d ``take``s (the fastest gather numpy has).
        """
        tx, ty = cells.tx, cells.ty
        c0, c1, c2, c3 = (np.take(row, cells.cell) for row in self.corners_km)
        top = c0 + (c1 - c0) * tx
        bottom = c2 + (c3 - c2) * tx
        return np.asarray(top + (bottom - top) * ty, dtype=np.float64)

    def upper_km(self, cells: GridCells) -> FloatArray:
        """An upper bound of the distance (km): lowest corner plus the cell's diagonal.

        Holds because the distance is 1-Lipschitz; uses the diagonal at the grid's
        southern edge (the widest cells) plus 1 % for the geodesic correction.
        """
        d = self.dist_km.ravel()
        node = cells.node
        low = np.minimum(
            np.minimum(d[node], d[node + 1]),
            np.minimum(d[node + self.nlon + 1], d[node + self.nlon + 2]),
        )
        return np.asarray(low * 1.01 + self.diagonal_km, dtype=np.float64)


def build_grid(
    projection: LocalProjection,
    line_index: PolylineIndex,
    party_areas: tuple[BaseGeometry, ...],
    party_edges: tuple[PolylineIndex, ...],
    extent: tuple[float, float, float, float],
) -> LookupGrid:
    """Build the grid over ``extent`` (lon/lat box), see the module docstring."""
    minx, miny, maxx, maxy = extent
    lon0 = np.floor(minx / DLON_DEG) * DLON_DEG
    lat0 = np.floor(miny / DLAT_DEG) * DLAT_DEG
    nlon = int(np.ceil((maxx - lon0) / DLON_DEG))
    nlat = int(np.ceil((maxy - lat0) / DLAT_DEG))
    glon, glat = np.meshgrid(
        lon0 + DLON_DEG * np.arange(nlon + 1), lat0 + DLAT_DEG * np.arange(nlat + 1)
    )
    x, y = projection.forward(glon.ravel(), glat.ravel())
    d_m, qx, qy = line_index.distance(x, y)
    d_km = d_m * projection.geodesic_factor(x, qx) / 1000.0
    shape = (nlat + 1, nlon + 1)
    dist = d_km.reshape(shape)
    qx2, qy2 = qx.reshape(shape), qy.reshape(shape)
    corners = [
        (slice(None, -1), slice(None, -1)),
        (slice(None, -1), slice(1, None)),
        (slice(1, None), slice(None, -1)),
        (slice(1, None), slice(1, None)),
    ]
    cqx = np.stack([qx2[c] for c in corners])
    cqy = np.stack([qy2[c] for c in corners])
    spread = np.hypot(cqx.max(0) - cqx.min(0), cqy.max(0) - cqy.min(0))
    cell_m = np.hypot(*_cell_size_m(projection, glon, glat))
    dmin = np.stack([dist[c] for c in corners]).min(0)
    smooth = (dmin >= SMOOTH_MIN_KM) & (spread <= SMOOTH_SPREAD * cell_m)
    error_m = (cell_m**2 * INTERP_SAFETY / (8.0 * np.maximum(dmin, 1e-3) * 1000.0)) + 5.0
    error_m = np.where(smooth, error_m, 0.0)  # only smooth cells are ever interpolated
    party_cell = _party_cells(
        projection,
        party_areas=party_areas,
        party_edges=party_edges,
        glon=glon,
        glat=glat,
        cell_m=cell_m,
    )
    return LookupGrid(
        float(lon0),
        float(lat0),
        nlon,
        nlat,
        dist.astype(np.float32),
        smooth,
        error_m.astype(np.float32),
        party_cell,
        float(cell_m.max()) * 1.01 / 1000.0,
        ((party_cell + 2) | np.where(smooth, SMOOTH_BIT, 0)).astype(np.int8).ravel(),
        np.stack([dist[c].ravel() for c in corners]).astype(np.float32),
    )


def _cell_size_m(
    projection: LocalProjection, glon: FloatArray, glat: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Approximate width and height of each cell, metres (for bounds only)."""
    lat_c = np.radians(glat[:-1, :-1] + DLAT_DEG / 2)
    r = projection.gaussian_radius_m
    return (
        np.radians(DLON_DEG) * r * np.cos(lat_c),
        np.full(lat_c.shape, np.radians(DLAT_DEG) * r),
    )


def _party_cells(
    projection: LocalProjection,
    *,
    party_areas: tuple[BaseGeometry, ...],
    party_edges: tuple[PolylineIndex, ...],
    glon: FloatArray,
    glat: FloatArray,
    cell_m: FloatArray,
) -> NDArray[np.int8]:
    """Party of each cell when one party (or none) holds all of it, else ``MIXED``."""
    node_party = np.full(glon.shape, -1, dtype=np.int8)
    for p, area in enumerate(party_areas):
        hit = shapely.contains_xy(area, glon, glat)
        node_party[hit & (node_party < 0)] = p
    corners = np.stack(
        [node_party[:-1, :-1], node_party[:-1, 1:], node_party[1:, :-1], node_party[1:, 1:]]
    )
    same = (corners == corners[0]).all(0)
    cell = np.where(same, corners[0], MIXED).astype(np.int8)
    clon = glon[:-1, :-1] + DLON_DEG / 2
    clat = glat[:-1, :-1] + DLAT_DEG / 2
    cx, cy = projection.forward(clon.ravel(), clat.ravel())
    reach = float(cell_m.max()) / 2 * 1.05 + 50.0
    for edges in party_edges:
        d = edges.distance(cx, cy, upper_bound_m=reach)[0].reshape(cell.shape)
        cell[d <= cell_m / 2 * 1.05 + 50.0] = MIXED
    return cell
