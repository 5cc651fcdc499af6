"""A transverse Mercator centred on the theatre, and the geodesic correction of its distances.

Distances and buffers are computed in a transverse Mercator (scale 1 on the central meridian,
WGS 84 ellipsoid) centred on the contact line. Its point scale grows with the easting ``x`` as
``k(x) ≈ 1 + x² / (2 R²)`` (R² = ρν, the Gaussian radius at the centre latitude): 0.11 % at
300 km from the central meridian, which bounds the error of every zone edge within 300 km (the
paris-2026 line spans ±230 km, the widest band adds 70 km). ``geodesic_factor`` divides the
projected length of a path by the mean scale along it, which brings distances between points up
to ~1000 km from the meridian back to within ~0.01 % of the geodesic (tests/geo prove both
bounds against ``pyproj.Geod``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

FloatArray = NDArray[np.float64]

_WGS84_A = 6_378_137.0
_WGS84_E2 = 0.006_694_379_990_14


@dataclass(frozen=True)
class LocalProjection:
    """Transverse Mercator centred at ``(lon_0, lat_0)``; metres, false origin at the centre."""

    lon_0: float
    lat_0: float
    _forward: pyproj.Transformer = field(init=False, repr=False, compare=False)
    _inverse: pyproj.Transformer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        crs = (
            f"+proj=tmerc +lat_0={self.lat_0} +lon_0={self.lon_0} +k_0=1 +x_0=0 +y_0=0 "
            "+ellps=WGS84 +units=m +no_defs"
        )
        object.__setattr__(
            self, "_forward", pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        )
        object.__setattr__(
            self, "_inverse", pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        )

    @classmethod
    def around(cls, geometry: BaseGeometry) -> LocalProjection:
        """Centred on the middle of ``geometry``'s lon/lat bounding box."""
        minx, miny, maxx, maxy = geometry.bounds
        return cls(round((minx + maxx) / 2, 4), round((miny + maxy) / 2, 4))

    @property
    def proj4(self) -> str:
        """The PROJ string (for GeoPandas and reports)."""
        crs = self._forward.target_crs
        return "" if crs is None else str(crs.to_proj4())

    @property
    def gaussian_radius_m(self) -> float:
        """sqrt(ρν) at ``lat_0``: the radius in the scale formula."""
        s2 = math.sin(math.radians(self.lat_0)) ** 2
        return _WGS84_A * math.sqrt(1 - _WGS84_E2) / (1 - _WGS84_E2 * s2)

    def forward(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        """lon/lat (degrees) → x/y (metres); NaN stays NaN."""
        x, y = self._forward.transform(lon, lat)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def inverse(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """x/y (metres) → lon/lat (degrees)."""
        lon, lat = self._inverse.transform(x, y)
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)

    def project(self, geometry: BaseGeometry) -> BaseGeometry:
        """A lon/lat geometry in this projection (vertices only; densify first if long)."""
        return shapely.transform(geometry, self._forward_xy)

    def unproject(self, geometry: BaseGeometry) -> BaseGeometry:
        """A projected geometry back in lon/lat."""
        return shapely.transform(geometry, self._inverse_xy)

    def _forward_xy(self, xy: FloatArray) -> FloatArray:
        return np.column_stack(self.forward(xy[:, 0], xy[:, 1]))

    def _inverse_xy(self, xy: FloatArray) -> FloatArray:
        return np.column_stack(self.inverse(xy[:, 0], xy[:, 1]))

    def geodesic_factor(self, x_from: FloatArray, x_to: FloatArray) -> FloatArray:
        """Multiply a projected distance between eastings ``x_from`` and ``x_to`` by this.

        The reciprocal of the mean point scale along a straight path, with the scale
        ``1 + x²/(2R²)`` integrated over x linear in the path: ``1 + (a² + ab + b²)/(6R²)``.
        """
        r2 = 6.0 * self.gaussian_radius_m**2
        mean_k = 1.0 + (x_from * x_from + x_from * x_to + x_to * x_to) / r2
        return np.asarray(1.0 / mean_k, dtype=np.float64)
