"""Reading the GeoJSON files an agreement names, with errors that name the YAML key.

The agreement loader checks that each file exists and holds the right kind of geometry; the
geography compiler reads the same files through ``read_features`` so both agree on what a
valid file is. Coordinates are WGS 84 lon/lat (RFC 7946); a file is a FeatureCollection, a
single Feature or a bare geometry.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from ceasefire.errors import AgreementError


class GeometryKind(StrEnum):
    """What a file must hold: lines, polygons or points (single or multi)."""

    LINE = "line"
    POLYGON = "polygon"
    POINT = "point"


_ALLOWED: dict[GeometryKind, frozenset[str]] = {
    GeometryKind.LINE: frozenset({"LineString", "MultiLineString"}),
    GeometryKind.POLYGON: frozenset({"Polygon", "MultiPolygon"}),
    GeometryKind.POINT: frozenset({"Point", "MultiPoint"}),
}


@dataclass(frozen=True, slots=True)
class GeoFeature:
    """One feature of a file: its shapely geometry (lon/lat) and its properties."""

    geometry: BaseGeometry
    properties: Mapping[str, object] = field(default_factory=dict)


def read_features(path: Path, *, kind: GeometryKind, key: str) -> tuple[GeoFeature, ...]:
    """Read every feature of ``path``, checking it holds ``kind`` geometries only.

    ``key`` is the YAML key path that named the file; it becomes ``AgreementError.field``.
    Raises ``AgreementError`` with rule ``missing_file``, ``bad_geojson``, ``geometry_type``,
    ``empty`` or ``coordinates`` (a lon/lat outside -180..180 / -90..90).
    """
    if not path.is_file():
        raise AgreementError(key, "missing_file", f"geometry file {path} does not exist")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AgreementError(
            key, "bad_geojson", f"{path.name} is not readable JSON: {exc}"
        ) from exc
    raw = _raw_features(doc)
    if raw is None:
        raise AgreementError(key, "bad_geojson", f"{path.name} is not GeoJSON")
    features: list[GeoFeature] = []
    for i, (geometry, properties) in enumerate(raw):
        where = f"{path.name} feature {i}"
        gtype = geometry.get("type") if isinstance(geometry, dict) else None
        if gtype not in _ALLOWED[kind]:
            allowed = " or ".join(sorted(_ALLOWED[kind]))
            raise AgreementError(key, "geometry_type", f"{where} is {gtype}, must be {allowed}")
        try:
            geom = shape(geometry)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            raise AgreementError(key, "bad_geojson", f"{where}: {exc}") from exc
        if geom.is_empty:
            raise AgreementError(key, "empty", f"{where} has an empty geometry")
        xy = shapely.get_coordinates(geom)
        if (abs(xy[:, 0]) > 180).any() or (abs(xy[:, 1]) > 90).any():
            raise AgreementError(key, "coordinates", f"{where} is not lon/lat (WGS 84)")
        features.append(GeoFeature(geom, properties))
    if not features:
        raise AgreementError(key, "empty", f"{path.name} has no features")
    return tuple(features)


def _raw_features(doc: object) -> list[tuple[object, dict[str, object]]] | None:
    """(geometry, properties) pairs of a FeatureCollection, Feature or bare geometry."""
    if not isinstance(doc, dict):
        return None
    if doc.get("type") == "FeatureCollection":
        feats = doc.get("features")
        if not isinstance(feats, list):
            return None
        return [_pair(f) for f in feats]
    if doc.get("type") == "Feature":
        return [_pair(doc)]
    if "coordinates" in doc:
        return [(doc, {})]
    return None


def _pair(feature: object) -> tuple[object, dict[str, object]]:
    if not isinstance(feature, dict):
        return (None, {})
    props = feature.get("properties")
    return (feature.get("geometry"), props if isinstance(props, dict) else {})
