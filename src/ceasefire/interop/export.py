"""Map exports: a layer as one nation sees it (or the system view) into GeoPackage, GeoJSON,
CSV or KML, written by GDAL through pyogrio/geopandas (GDAL's GPKG, GeoJSON, CSV and KML
drivers: one maintained library for every format).

The features are those of ``interop.layers`` for the reader, so an export ``--for FRA``
holds what ``/api`` gives a French reader of that clearance: nothing else. Nested values
(``rules``, ``releasable_to``) become ``;``-joined text, as in the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from ceasefire.access.model import Role, User, check_code
from ceasefire.api.state import HQState
from ceasefire.clock import Clock, SystemClock
from ceasefire.errors import InputError
from ceasefire.interop.layers import Feature, SystemState, read_features
from ceasefire.reports.model import Classification
from ceasefire.settings import Settings
from ceasefire.store.base import Store
from ceasefire.store.hq_queries import PageQuery
from ceasefire.store.stores import stores_for


class ExportFormat(StrEnum):
    """Output formats, each written by one GDAL driver."""

    GPKG = "gpkg"
    GEOJSON = "geojson"
    CSV = "csv"
    KML = "kml"


class ExportWhat(StrEnum):
    """What to export; each is a collection of ``interop.layers``."""

    INCIDENTS = "incidents"
    REPORTS = "reports"
    VIOLATIONS = "violations"
    ZONES = "zones"
    LINE = "line"


_LAYER = {
    ExportWhat.INCIDENTS: "incidents",
    ExportWhat.REPORTS: "reports",
    ExportWhat.VIOLATIONS: "violations",
    ExportWhat.ZONES: "zones",
    ExportWhat.LINE: "contact-line",
}
_DRIVER = {
    ExportFormat.GPKG: "GPKG",
    ExportFormat.GEOJSON: "GeoJSON",
    ExportFormat.CSV: "CSV",
    ExportFormat.KML: "KML",
}
#: Layer options per driver: the CSV keeps the geometry as WKT next to the attributes.
_OPTIONS: dict[ExportFormat, dict[str, str]] = {ExportFormat.CSV: {"GEOMETRY": "AS_WKT"}}


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    path: Path
    layer: str
    features: int
    reader: str


def export_reader(nation: str | None, clearance: Classification) -> User | None:
    """The reader an export is for: a user of ``nation`` with ``clearance`` (None: the
    system view, everything)."""
    if nation is None:
        return None
    code = check_code(nation, field="--for")
    return User(
        pk=0,
        name=f"export for {code}",
        nation=code,
        organisation=None,
        clearance=clearance,
        roles=frozenset({Role.LIAISON}),
    )


def _flat(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return value


def _frame(features: Iterable[Feature], layer: str) -> Any:
    import geopandas as gpd  # noqa: PLC0415 - heavy
    import pandas as pd  # noqa: PLC0415
    import shapely  # noqa: PLC0415

    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    for f in features:
        props = {k: _flat(v) for k, v in f["properties"].items()}
        if "id" not in props and "pk" not in props:
            props["feature_id"] = f.get("id")
        rows.append(props)
        geom = f.get("geometry")
        geoms.append(None if geom is None else shapely.geometry.shape(geom))
    frame = pd.DataFrame(rows)
    for column in frame.columns:  # an all-empty column still needs a type: text
        if frame[column].isna().all():
            frame[column] = frame[column].astype("string")
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


def write_layer(
    state: HQState,
    user: User | None,
    what: ExportWhat,
    *,
    fmt: ExportFormat,
    out: Path,
    query: PageQuery,
) -> ExportResult:
    """Write ``what`` as ``user`` sees it (None: the system view) to ``out`` in ``fmt``."""
    import pyogrio  # noqa: PLC0415 - heavy

    layer = _LAYER[what]
    reader_state = state if user is not None else _system(state)
    reader = user or User(0, "system", None, "HQ", Classification.SECRET, frozenset())
    feats = list(read_features(reader_state, reader, layer, query))
    frame = _frame(feats, layer)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    pyogrio.write_dataframe(
        frame,
        out,
        layer=layer.replace("-", "_"),
        driver=_DRIVER[fmt],
        layer_options=_OPTIONS.get(fmt),
    )
    return ExportResult(out, layer, len(feats), "system" if user is None else user.principal)


def _system(state: HQState) -> SystemState:
    return SystemState(settings=state.settings, stores=state.stores, clock=state.clock)


def hq_state(settings: Settings, store: Store, clock: Clock | None = None) -> HQState:
    """The HQ's per-process state over an open store (as ``create_app`` builds it)."""
    return HQState(settings=settings, stores=stores_for(store), clock=clock or SystemClock())


def check_query(since_s: float | None, until_s: float | None) -> None:
    if since_s is not None and until_s is not None and since_s > until_s:
        raise InputError("--since", "order", "--since is after --until")
