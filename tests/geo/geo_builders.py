"""Builders for the synthetic meridian theatre (see ``conftest.py`` for the layout)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

SYNTHETIC_YAML = """\
id: synthetic
version: 1
name: Synthetic meridian theatre
in_force_from: 2026-01-01T00:00:00Z
parties:
  - {id: UKR, name: Ukraine, side_of_line: west}
  - {id: RUS, name: Russia, side_of_line: east}
contact_line: geo/line.geojson
party_areas: geo/areas.geojson
storage_sites: geo/sites.geojson
zones:
  - {id: band10, kind: buffer, width_km: {UKR: 10, RUS: 10}}
  - {id: own25, kind: buffer, width_km: {RUS: 25}, baseline: {RUS: geo/rus-baseline.geojson}}
  - {id: box, kind: area, geometry: geo/box.geojson, in_force_from: 2026-02-01T00:00:00Z}
rules:
  - {id: R1, article: "Art. 1", categories: [explosion], anywhere: true, severity: 2}
  - id: R2
    article: "Art. 2"
    categories: [heavy_weapon]
    weapon_classes: [artillery_ge_100]
    inside_zone: band10
    except_at: storage_sites
    severity: 3
"""


def feature_collection(*features: tuple[Mapping[str, object], Mapping[str, object]]) -> str:
    """GeoJSON text of (geometry, properties) pairs."""
    feats = [{"type": "Feature", "geometry": g, "properties": p} for g, p in features]
    return json.dumps({"type": "FeatureCollection", "features": feats})


def box(x0: float, y0: float, x1: float, y1: float) -> Mapping[str, object]:
    """A lon/lat rectangle as a GeoJSON Polygon."""
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def write_synthetic(root: Path, yaml_text: str = SYNTHETIC_YAML) -> Path:
    """Write the synthetic agreement and its GeoJSON files under ``root``; return the YAML."""
    geo = root / "geo"
    geo.mkdir(parents=True, exist_ok=True)
    line = {"type": "LineString", "coordinates": [[37.0, 47.0], [37.0, 49.0]]}
    (geo / "line.geojson").write_text(feature_collection((line, {})))
    baseline = {"type": "LineString", "coordinates": [[37.2, 47.0], [37.2, 49.0]]}
    (geo / "rus-baseline.geojson").write_text(feature_collection((baseline, {})))
    (geo / "areas.geojson").write_text(
        feature_collection(
            (box(35.0, 46.5, 37.0, 49.5), {"party": "UKR"}),
            (box(37.0, 46.5, 39.0, 49.5), {"party": "RUS"}),
        )
    )
    (geo / "box.geojson").write_text(feature_collection((box(36.0, 48.2, 36.1, 48.3), {})))
    site = {"type": "Point", "coordinates": [36.5, 48.0]}
    (geo / "sites.geojson").write_text(
        feature_collection((site, {"party": "UKR", "radius_m": 1000}))
    )
    path = root / "agreement.yaml"
    path.write_text(yaml_text)
    return path
