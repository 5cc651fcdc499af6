"""Which oblast a report lies in: vectorised point-in-polygon against the bundled ADM1 units.

The oblast is computed when a report is written, not stored at ingest: it is a presentation
grouping (the SMM reported per region), it costs about 30 ms for 100,000 points, and keeping it
out of the store means a corrected boundary file never needs a re-ingest.

A point on the shared edge of two oblasts goes to the first in file order; a point outside all
units (Russia, the open sea, or no location at all) gets ``-1`` and is shown as "unlocated /
outside Ukraine".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import orjson
import shapely
from numpy.typing import NDArray

from ceasefire.errors import CeasefireError, InputError

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

#: Bundled oblast files, most detailed first; the first that exists is used.
OBLAST_FILES: tuple[str, ...] = (
    "ukraine_adm1_geoboundaries.geojson",
    "ukraine_adm1_geoboundaries_simplified.geojson",
    "geo/ukraine_adm1_geoboundaries.geojson",
    "geo/ukraine_adm1_geoboundaries_simplified.geojson",
    "ukraine_oblasts.geojson",
    "ukraine_oblasts_simplified.geojson",
    "oblasts.geojson",
)


#: geoBoundaries names respelt as the mission writes them: Ukraine's national transliteration
#: (KMU 2010), the spelling the agreement uses ("Zaporizhzhia NPP") and one the gazetteer knows
#: for the oblast's namesake city (its GeoNames alternate names). The old names stay accepted
#: by ``--region``.
RESPELT: dict[str, str] = {"Zaporizhia": "Zaporizhzhia", "Odessa": "Odesa"}


@dataclass(frozen=True, eq=False)
class Oblasts:
    """The first-level units of Ukraine: ISO 3166-2 code, short English name and polygon."""

    iso: tuple[str, ...]
    names: tuple[str, ...]
    geometries: NDArray[np.object_]
    _display: dict[str, NDArray[np.object_]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_geojson(cls, path: Path) -> Oblasts:
        """Read a geoBoundaries-style FeatureCollection (``shapeISO``, ``shapeName``).

        Names lose the " Oblast" suffix ("Donetsk Oblast" → "Donetsk") because the report's
        tables are narrow, except where that would make two units alike ("Kyiv" and "Kyiv
        city"); ISO codes are kept for ``--region``.
        """
        try:
            collection = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise CeasefireError(f"cannot read oblast boundaries {path}: {exc}") from exc
        iso: list[str] = []
        names: list[str] = []
        raw_names: list[str] = []
        geoms: list[object] = []
        for i, feature in enumerate(collection.get("features", [])):
            props = feature.get("properties") or {}
            code = props.get("shapeISO") or props.get("iso") or f"UA-?{i}"
            name = str(props.get("shapeName") or props.get("name") or code)
            iso.append(str(code))
            raw_names.append(name)
            short = name.removesuffix(" Oblast").removesuffix(" oblast")
            names.append(RESPELT.get(short, short))
            geoms.append(shapely.from_geojson(orjson.dumps(feature["geometry"])))
        for k, name in enumerate(names):
            if names.count(name) > 1 and raw_names[k] == name:
                names[k] = f"{name} city"  # Kyiv city beside Kyiv Oblast
        geometries = np.asarray(geoms, dtype=object)
        shapely.prepare(geometries)
        return cls(iso=tuple(iso), names=tuple(names), geometries=geometries)

    def display_geometries(self) -> NDArray[np.object_]:
        """The units simplified to 0.005° (≈ 500 m, under a pixel on a map), computed once."""
        cached: NDArray[np.object_] | None = self._display.get("geoms")
        if cached is None:
            cached = shapely.simplify(self.geometries, 0.005, preserve_topology=True)
            self._display["geoms"] = cached
        return cached

    @classmethod
    def default(cls) -> Oblasts:
        """The bundled geoBoundaries oblasts (cached: read once per process)."""
        return _default_oblasts()

    def assign(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.int16]:
        """Index into ``iso`` of the unit containing each point, ``-1`` if none or NaN.

        Vectorised: a bounding-box prefilter in numpy, then ``shapely.contains_xy`` on the
        prepared polygon for the candidates only; 27 units × one pass each.

        >>> o = Oblasts.default()
        >>> o.names[int(o.assign(np.array([37.80]), np.array([48.02]))[0])]
        'Donetsk'
        """
        out = np.full(lon.shape, -1, dtype=np.int16)
        valid = np.isfinite(lon) & np.isfinite(lat)
        bounds = shapely.bounds(self.geometries)
        for k, geom in enumerate(self.geometries):
            xmin, ymin, xmax, ymax = bounds[k]
            cand = np.flatnonzero(
                valid & (out < 0) & (lon >= xmin) & (lon <= xmax) & (lat >= ymin) & (lat <= ymax)
            )
            if cand.size:
                hit = shapely.contains_xy(geom, lon[cand], lat[cand])
                out[cand[hit]] = k
        return out

    def select(self, regions: tuple[str, ...]) -> NDArray[np.int16]:
        """Codes of the units named by ``--region`` values (ISO code or name, any case).

        Raises ``InputError`` naming the unknown value, so a typo is not a silent empty report.
        """
        codes: list[int] = []
        lower_iso = [c.lower() for c in self.iso]
        lower_names = [n.lower() for n in self.names]
        old = {k.lower(): v.lower() for k, v in RESPELT.items()}
        for value in regions:
            key = value.strip().lower().removesuffix(" oblast")
            key = old.get(key, key)
            if key in lower_iso:
                codes.append(lower_iso.index(key))
            elif key in lower_names:
                codes.append(lower_names.index(key))
            else:
                raise InputError(
                    "region", "known-oblast", f"unknown region {value!r}; use an ISO code or name"
                )
        return np.asarray(sorted(set(codes)), dtype=np.int16)


@cache
def _default_oblasts() -> Oblasts:
    for name in OBLAST_FILES:
        path = DATA_DIR / name
        if path.is_file():
            return Oblasts.from_geojson(path)
    raise CeasefireError(f"no bundled oblast boundaries found in {DATA_DIR}")
