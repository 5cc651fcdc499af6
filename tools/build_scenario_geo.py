"""Build the scenario geometry from the shared real data (run once by hand, never at run time).

    .venv/bin/python tools/build_scenario_geo.py /path/to/shared/data

Writes scenarios/{minsk-2015,paris-2026}/geo/*.geojson and src/ceasefire/data/*.geojson.
What each output holds, its origin and the simplification used are in the PROVENANCE.md next
to it. Coordinates are rounded to 5 decimals (~1 m).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pyproj
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parents[1]
#: Outline simplification, degrees (~50 m); topology-preserving.
OUTLINE_TOLERANCE_DEG = 0.0005
#: Occupied-area simplification for paris-2026, degrees (~50 m).
OCCUPIED_TOLERANCE_DEG = 0.0005
#: Russia is kept only inside this box (lon, lat): more than 140 km beyond any line.
RUSSIA_BOX = (30.0, 44.0, 42.5, 53.5)


def _round(geom: BaseGeometry) -> BaseGeometry:
    return shapely.set_precision(geom, 1e-5)


def _fc(features: list[tuple[BaseGeometry, dict[str, object]]]) -> dict[str, object]:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": mapping(_round(geom))}
            for geom, props in features
        ],
    }


def _write(path: Path, doc: dict[str, object]) -> None:
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1e6:.3f} MB")


def _layer(path: Path, layer: str) -> BaseGeometry:
    doc = json.loads(path.read_text())
    return shape(next(f for f in doc["features"] if f["properties"]["layer"] == layer)["geometry"])


def _ukraine_outline(data: Path) -> BaseGeometry:
    doc = json.loads((data / "ukraine_adm1_geoboundaries.geojson").read_text())
    union = shapely.union_all([shape(f["geometry"]) for f in doc["features"]])
    union = shapely.Polygon(max(shapely.get_parts(union), key=lambda g: g.area).exterior)
    return union.simplify(OUTLINE_TOLERANCE_DEG, preserve_topology=True)


def _square_at_line(line: BaseGeometry, lon: float, lat: float, half_m: float) -> BaseGeometry:
    """A 2*half_m square centred on the line point nearest (lon, lat), aligned with the line."""
    aeqd = pyproj.Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=WGS84", always_xy=True
    )
    local = shapely.transform(line, lambda a: np.column_stack(aeqd.transform(a[:, 0], a[:, 1])))
    at = local.interpolate(local.project(shapely.Point(0, 0)))
    ahead = local.interpolate(local.project(shapely.Point(0, 0)) + 50)
    behind = local.interpolate(max(local.project(shapely.Point(0, 0)) - 50, 0))
    ux, uy = ahead.x - behind.x, ahead.y - behind.y
    norm = float(np.hypot(ux, uy)) or 1.0
    ux, uy = ux / norm * half_m, uy / norm * half_m
    vx, vy = -uy, ux
    cx, cy = at.x, at.y
    corners = [
        (cx + sx * ux + sy * vx, cy + sx * uy + sy * vy)
        for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1))
    ]
    xs, ys = aeqd.transform(*zip(*corners, strict=True), direction="INVERSE")
    return shapely.Polygon(zip(xs, ys, strict=True))


def build_minsk(data: Path, outline: BaseGeometry) -> None:
    out = ROOT / "scenarios/minsk-2015/geo"
    src = data / "frontline_pre2022_minsk_line.geojson"
    line = _layer(src, "contact_line_pre2022")
    ordlo = _layer(src, "occupied_area_pre2022_ordlo")
    crimea = _layer(src, "occupied_area_crimea")
    _write(out / "contact-line.geojson", _fc([(line, {"name": "line of contact 2015-2022"})]))
    ukr = outline.difference(ordlo).difference(crimea)
    _write(
        out / "party-areas.geojson",
        _fc(
            [
                (
                    ukr,
                    {
                        "party": "UKR",
                        "note": "Ukraine (geoBoundaries outline) minus ORDLO and Crimea",
                    },
                ),
                (
                    ordlo,
                    {"party": "RBAF", "note": "ORDLO as drawn by DeepStateMap (static 2015-2022)"},
                ),
            ]
        ),
    )
    areas = {  # settlement -> the point the area is centred on (nearest line point to it)
        "stanytsia-luhanska": (39.48358, 48.66247),
        "zolote": (38.51512, 48.69516),
        "petrivske": (37.66, 47.86),
    }
    for name, (lon, lat) in areas.items():
        square = _square_at_line(line, lon, lat, 1000.0)
        _write(
            out / f"disengagement-{name}.geojson",
            _fc(
                [
                    (
                        square,
                        {"name": f"disengagement area {name} (illustrative 2 x 2 km at the line)"},
                    )
                ]
            ),
        )
    sites = [
        ("UKR", "Kostiantynivka holding area", 37.70594, 48.52728),
        ("UKR", "Kramatorsk holding area", 37.56779, 48.73106),
        (
            "UKR",
            "Volnovakha holding area",
            37.49358,
            47.6008,
        ),
        ("RBAF", "Khartsyzk holding area", 38.14025, 48.04277),
        ("RBAF", "Luhansk holding area", 39.30553, 48.56814),
        ("RBAF", "Debaltseve holding area", 38.40261, 48.33592),
    ]
    _write(out / "storage-sites.geojson", _sites(sites, {"UKR": ukr, "RBAF": ordlo}))


def _sites(
    sites: list[tuple[str, str, float, float]], areas: dict[str, BaseGeometry]
) -> dict[str, object]:
    feats: list[tuple[BaseGeometry, dict[str, object]]] = []
    for party, name, lon, lat in sites:
        point = shapely.Point(lon, lat)
        assert areas[party].contains(point), (name, party)
        feats.append(
            (point, {"party": party, "name": name, "radius_m": 1000, "illustrative": True})
        )
    return _fc(feats)


def build_paris(data: Path, outline: BaseGeometry) -> None:
    out = ROOT / "scenarios/paris-2026/geo"
    src = data / "frontline_2026-08-22.geojson"
    line = _layer(src, "contact_line")
    occupied = _layer(src, "occupied_area").simplify(OCCUPIED_TOLERANCE_DEG, preserve_topology=True)
    _write(out / "contact-line.geojson", _fc([(line, {"name": "contact line 2026-08-22"})]))
    countries = json.loads((data / "countries_europe_naturalearth_50m.geojson").read_text())
    russia = shape(
        next(f for f in countries["features"] if f["properties"]["iso_a3"] == "RUS")["geometry"]
    )
    russia = russia.intersection(shapely.box(*RUSSIA_BOX)).simplify(0.005, preserve_topology=True)
    ukr = outline.difference(occupied)
    rus = shapely.union_all([occupied, russia.difference(outline)])
    _write(
        out / "party-areas.geojson",
        _fc(
            [
                (
                    ukr,
                    {
                        "party": "UKR",
                        "note": "Ukraine (geoBoundaries outline) minus the occupied area",
                    },
                ),
                (
                    rus,
                    {
                        "party": "RUS",
                        "note": "occupied area 2026-08-22 plus Russia near the theatre",
                    },
                ),
            ]
        ),
    )
    areas = {
        "kupiansk": (37.61581, 49.71003),
        "orikhiv": (35.78333, 47.57613),
        "kherson": (32.61458, 46.63695),
    }
    for name, (lon, lat) in areas.items():
        square = _square_at_line(line, lon, lat, 2000.0)
        _write(
            out / f"disengagement-{name}.geojson",
            _fc(
                [
                    (
                        square,
                        {"name": f"disengagement area {name} (illustrative 4 x 4 km at the line)"},
                    )
                ]
            ),
        )
    aeqd = pyproj.Transformer.from_crs(
        "EPSG:4326", "+proj=aeqd +lat_0=47.5118 +lon_0=34.5858 +ellps=WGS84", always_xy=True
    )
    disc = shapely.Point(0, 0).buffer(10_000, quad_segs=16)
    disc = shapely.transform(
        disc, lambda a: np.column_stack(aeqd.transform(a[:, 0], a[:, 1], direction="INVERSE"))
    )
    _write(
        out / "exclusion-znpp.geojson",
        _fc([(disc, {"name": "Zaporizhzhia NPP exclusion zone (illustrative 10 km radius)"})]),
    )
    sites = [
        ("UKR", "Kramatorsk holding area", 37.56779, 48.73106),
        ("UKR", "Zaporizhzhia holding area", 35.11714, 47.85167),
        ("UKR", "Izium holding area", 37.27679, 49.20697),
        ("RUS", "Melitopol holding area", 35.38196, 46.84735),
        ("RUS", "Makiivka holding area", 37.92576, 48.04782),
        ("RUS", "Svatove holding area", 38.15534, 49.40926),
    ]
    _write(out / "storage-sites.geojson", _sites(sites, {"UKR": ukr, "RUS": rus}))


def copy_shared(data: Path) -> None:
    dest = ROOT / "src/ceasefire/data"
    shutil.copyfile(
        data / "ukraine_adm1_geoboundaries_simplified.geojson",
        dest / "ukraine_oblasts_simplified.geojson",
    )
    shutil.copyfile(
        data / "countries_europe_naturalearth_50m.geojson", dest / "countries_europe_50m.geojson"
    )


if __name__ == "__main__":
    shared = Path(sys.argv[1])
    ukraine = _ukraine_outline(shared)
    build_minsk(shared, ukraine)
    build_paris(shared, ukraine)
    copy_shared(shared)
