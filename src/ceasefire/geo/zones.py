"""Compile an agreement's geography: contact line, party areas, zone polygons, storage sites.

A buffer zone is, for each party P in ``width_km``, the band
``{p in area(P) : distance(p, baseline(P)) <= width(P)}`` where the baseline is the contact
line unless the zone names one for P; the zone is the union of its bands. Distances are
measured in a transverse Mercator centred on the line (``LocalProjection``; within 0.11 % of
geodesic across the theatre), and the band polygons are built there with 16 segments per
quarter circle (arcs short by at most 0.12 % of the width) and unprojected to WGS 84.

The polygons are the canonical answer to "is this point in the zone"; placement uses the
distances as a shortcut and falls back to the polygon for points within ``edge_tolerance_m``
of an edge (see ``geo/placement.py``). Everything here is immutable once compiled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from ceasefire.agreement.geofiles import GeometryKind, read_features
from ceasefire.agreement.model import Agreement, ZoneKind
from ceasefire.errors import AgreementError
from ceasefire.geo.grid import LookupGrid, build_grid
from ceasefire.geo.nearest import KD_EPS, SPACING_M, PolylineIndex
from ceasefire.geo.projection import LocalProjection

FloatArray = NDArray[np.float64]

#: Segments per quarter circle of the band polygons: chord error w·(1 - cos(π/64)) = 0.12 %.
QUAD_SEGS = 16
#: Before buffering, the baseline is simplified by this fraction of the width (0.05 %).
SIMPLIFY_FRACTION = 0.0005
#: Lines are densified to this step (degrees, ~5 km) before projecting and buffering.
BUFFER_DENSIFY_DEG = 0.05
#: The lookup grid covers the party areas and the line plus this margin (degrees).
GRID_MARGIN_DEG = 1.0


def edge_tolerance_m(width_m: float) -> float:
    """Widest disagreement between the distance test and the band polygon, metres.

    Chord error 0.0012·w, baseline simplification ``SIMPLIFY_FRACTION``·w, k-d tree slack
    ``KD_EPS``·w, densification s²/(8w), and 30 m for the unprojection of straight edges and
    coordinate rounding; doubled for safety.
    """
    return 2.0 * (
        0.0012 * width_m
        + SIMPLIFY_FRACTION * width_m
        + KD_EPS * width_m
        + SPACING_M**2 / (8 * width_m)
        + 30.0
    )


@dataclass(frozen=True)
class Band:
    """One party's share of a buffer zone."""

    party_index: int
    width_m: float
    baseline_key: str


@dataclass(frozen=True)
class CompiledZone:
    """A zone ready for placement: its WGS 84 polygon (prepared) and an index on its edges."""

    id: str
    kind: ZoneKind
    polygon: BaseGeometry
    bands: tuple[Band, ...]
    edge_index: PolylineIndex
    bbox_ll: tuple[float, float, float, float]
    in_force_from: datetime | None


@dataclass(frozen=True)
class StorageSites:
    """Permitted weapon-storage sites: projected positions, radii (m), party, names."""

    x: FloatArray
    y: FloatArray
    radius_m: FloatArray
    lon: FloatArray
    lat: FloatArray
    party: tuple[str | None, ...]
    name: tuple[str, ...]


@dataclass(frozen=True)
class Geography:
    """An agreement's compiled geography (immutable; prepared geometries inside)."""

    agreement_id: str
    agreement_version: int
    projection: LocalProjection
    contact_line: BaseGeometry
    party_ids: tuple[str, ...]
    party_areas: tuple[BaseGeometry, ...]
    party_edge_indexes: tuple[PolylineIndex, ...]
    baselines: dict[str, PolylineIndex]
    zones: tuple[CompiledZone, ...]
    sites: StorageSites
    grid: LookupGrid

    @property
    def zone_ids(self) -> tuple[str, ...]:
        """Zone ids, in the agreement's order (the columns of ``Placements.inside``)."""
        return tuple(z.id for z in self.zones)

    @property
    def line_index(self) -> PolylineIndex:
        """Distance index of the contact line."""
        return self.baselines[CONTACT_LINE]

    def zone(self, zone_id: str) -> CompiledZone:
        """The compiled zone with this id (``KeyError`` if none)."""
        for zone in self.zones:
            if zone.id == zone_id:
                return zone
        raise KeyError(zone_id)

    def to_geojson(self) -> dict[str, Any]:
        """A FeatureCollection of the zones, the line, the party areas and the sites (WGS 84).

        Feature property ``layer`` is ``zone``, ``contact_line``, ``party_area`` or
        ``storage_site``; zones also carry ``id`` and ``kind``; sites ``radius_m``.
        """
        feats: list[dict[str, Any]] = [_feature(self.contact_line, layer="contact_line")]
        for pid, area in zip(self.party_ids, self.party_areas, strict=True):
            feats.append(_feature(area, layer="party_area", party=pid))
        for zone in self.zones:
            start = zone.in_force_from.isoformat() if zone.in_force_from else None
            feats.append(
                _feature(
                    zone.polygon, layer="zone", id=zone.id, kind=str(zone.kind), in_force_from=start
                )
            )
        for i in range(len(self.sites.x)):
            point = shapely.Point(self.sites.lon[i], self.sites.lat[i])
            feats.append(
                _feature(
                    point,
                    layer="storage_site",
                    name=self.sites.name[i],
                    party=self.sites.party[i],
                    radius_m=float(self.sites.radius_m[i]),
                )
            )
        return {"type": "FeatureCollection", "features": feats}


#: Key of the contact line among ``Geography.baselines``.
CONTACT_LINE = "contact_line"


#: Compiled geographies of this process, keyed by the agreement text and its files' stats.
_COMPILED: dict[tuple[object, ...], Geography] = {}
_COMPILED_MAX = 4


def compile_geography(agreement: Agreement) -> Geography:
    """Read the agreement's GeoJSON files and build every zone (see the module docstring).

    Geographies are immutable, so the last few are kept per process: compiling the same
    agreement (same text, same geometry files, unchanged on disk) again is free.
    """
    key = _cache_key(agreement)
    if key not in _COMPILED:
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[key] = _compile(agreement)
    return _COMPILED[key]


def _cache_key(agreement: Agreement) -> tuple[object, ...]:
    paths = [agreement.contact_line_path, agreement.party_areas_path]
    paths += [agreement.storage_sites_path] if agreement.storage_sites_path else []
    for zone in agreement.zones:
        paths += list(zone.baselines.values())
        paths += [zone.geometry_path] if zone.geometry_path else []
    stats = []
    for relative in paths:
        try:
            stat = agreement.resolve(relative).stat()
        except OSError as exc:
            raise AgreementError(
                relative, "missing_file", f"cannot read {relative}: {exc}"
            ) from exc
        stats.append((relative, stat.st_mtime_ns, stat.st_size))
    return (str(agreement.base_dir), agreement.source_text, tuple(stats))


def _compile(agreement: Agreement) -> Geography:
    line = _union(agreement, agreement.contact_line_path, GeometryKind.LINE, "contact_line")
    projection = LocalProjection.around(line)
    party_ids = agreement.party_ids
    area_feats = read_features(
        agreement.resolve(agreement.party_areas_path), kind=GeometryKind.POLYGON, key="party_areas"
    )
    areas: list[BaseGeometry] = []
    for pid in party_ids:
        parts = [f.geometry for f in area_feats if str(f.properties.get("party")) == pid]
        area = shapely.make_valid(shapely.union_all(parts))
        shapely.prepare(area)
        areas.append(area)
    areas_m = [projection.project(shapely.segmentize(a, 0.01)) for a in areas]
    baseline_lines: dict[str, BaseGeometry] = {CONTACT_LINE: _dense_m(line, projection)}
    for zone in agreement.zones:
        for key in zone.baselines.values():
            if key not in baseline_lines:
                geom = _union(agreement, key, GeometryKind.LINE, key)
                baseline_lines[key] = _dense_m(geom, projection)
    baselines = {k: PolylineIndex.of(v) for k, v in baseline_lines.items()}
    party_edges = tuple(PolylineIndex.of(a) for a in areas_m)
    minx, miny, maxx, maxy = shapely.union_all([line, *areas]).bounds
    grid = build_grid(
        projection,
        baselines[CONTACT_LINE],
        tuple(areas),
        party_edges,
        (
            minx - GRID_MARGIN_DEG,
            miny - GRID_MARGIN_DEG,
            maxx + GRID_MARGIN_DEG,
            maxy + GRID_MARGIN_DEG,
        ),
    )
    bands_cache: dict[tuple[str, float, int], BaseGeometry] = {}
    zones = tuple(
        _compile_zone(
            agreement,
            i,
            projection=projection,
            baseline_lines=baseline_lines,
            areas=areas,
            party_ids=party_ids,
            bands_cache=bands_cache,
        )
        for i in range(len(agreement.zones))
    )
    sites = _storage_sites(agreement, projection)
    boxes = [zone.bbox_ll for zone in zones if not zone.bands]
    for lon, lat, radius in zip(sites.lon, sites.lat, sites.radius_m, strict=True):
        pad_lat = float(radius) / 110_000.0
        pad_lon = pad_lat / max(float(np.cos(np.radians(abs(lat) + pad_lat))), 0.01)
        boxes.append((lon - pad_lon, lat - pad_lat, lon + pad_lon, lat + pad_lat))
    return Geography(
        agreement_id=agreement.id,
        agreement_version=agreement.version,
        projection=projection,
        contact_line=line,
        party_ids=party_ids,
        party_areas=tuple(areas),
        party_edge_indexes=party_edges,
        baselines=baselines,
        zones=zones,
        sites=sites,
        grid=grid.with_features(boxes),
    )


def _compile_zone(
    agreement: Agreement,
    i: int,
    *,
    projection: LocalProjection,
    baseline_lines: dict[str, BaseGeometry],
    areas: list[BaseGeometry],
    party_ids: tuple[str, ...],
    bands_cache: dict[tuple[str, float, int], BaseGeometry],
) -> CompiledZone:
    zone = agreement.zones[i]
    bands: list[Band] = []
    if zone.kind is ZoneKind.BUFFER:
        pieces = []
        for party, width_km in zone.width_km.items():
            key = zone.baselines.get(party, CONTACT_LINE)
            p = party_ids.index(party)
            cache_key = (key, float(width_km), p)
            if cache_key not in bands_cache:
                buffer_key = (key, float(width_km), -1)  # one buffer serves every party
                if buffer_key not in bands_cache:
                    width_m = width_km * 1000.0
                    # simplified by SIMPLIFY_FRACTION of the width: buffering is 5-10x faster
                    # and the edge moves by at most that much (in ``edge_tolerance_m``)
                    line_m = shapely.simplify(baseline_lines[key], SIMPLIFY_FRACTION * width_m)
                    band_m = shapely.buffer(line_m, width_m, quad_segs=QUAD_SEGS)
                    bands_cache[buffer_key] = projection.unproject(band_m)
                bands_cache[cache_key] = shapely.intersection(bands_cache[buffer_key], areas[p])
            pieces.append(bands_cache[cache_key])
            bands.append(Band(p, width_km * 1000.0, key))
        polygon = shapely.union_all(pieces)
    else:
        assert zone.geometry_path is not None  # the loader guarantees it for areas
        polygon = _union(agreement, zone.geometry_path, GeometryKind.POLYGON, f"zones[{i}]")
    polygon = shapely.make_valid(polygon)
    shapely.prepare(polygon)
    polygon_m = projection.project(shapely.segmentize(polygon, 0.01))
    return CompiledZone(
        id=zone.id,
        kind=zone.kind,
        polygon=polygon,
        bands=tuple(bands),
        edge_index=PolylineIndex.of(polygon_m),
        bbox_ll=_bounds(polygon),
        in_force_from=agreement.zone_in_force_from(zone),
    )


def _bounds(geometry: BaseGeometry) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = geometry.bounds
    return (float(minx), float(miny), float(maxx), float(maxy))


def _union(agreement: Agreement, path: str, kind: GeometryKind, key: str) -> BaseGeometry:
    feats = read_features(agreement.resolve(path), kind=kind, key=key)
    return shapely.union_all([f.geometry for f in feats])


def _dense_m(line: BaseGeometry, projection: LocalProjection) -> BaseGeometry:
    """A lon/lat line densified to ``BUFFER_DENSIFY_DEG`` and projected.

    A segment straight in lon/lat and its projected chord differ by < 1 m at this length,
    so buffering the projected vertices buffers the GeoJSON line.
    """
    return projection.project(shapely.segmentize(line, BUFFER_DENSIFY_DEG))


def _storage_sites(agreement: Agreement, projection: LocalProjection) -> StorageSites:
    lon: list[float] = []
    lat: list[float] = []
    radius: list[float] = []
    party: list[str | None] = []
    name: list[str] = []
    if agreement.storage_sites_path is not None:
        feats = read_features(
            agreement.resolve(agreement.storage_sites_path),
            kind=GeometryKind.POINT,
            key="storage_sites",
        )
        for f in feats:
            for point in shapely.get_parts(f.geometry):
                lon.append(point.x)
                lat.append(point.y)
                r = f.properties.get("radius_m")
                radius.append(
                    float(r) if isinstance(r, int | float) else agreement.storage_site_radius_m
                )
                p = f.properties.get("party")
                party.append(None if p is None else str(p))
                name.append(str(f.properties.get("name", f"site {len(name) + 1}")))
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    x, y = projection.forward(lon_a, lat_a)
    return StorageSites(
        x, y, np.asarray(radius, dtype=np.float64), lon_a, lat_a, tuple(party), tuple(name)
    )


def _feature(geometry: BaseGeometry, **properties: object) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": mapping(geometry)}
