"""The map's base layers from the bundled boundaries and an agreement's compiled geography."""

from __future__ import annotations

from functools import cache

import numpy as np
import orjson
import shapely

from ceasefire.agreement.model import ZoneKind
from ceasefire.geo.zones import Geography
from ceasefire.monitoring.oblasts import DATA_DIR, Oblasts
from ceasefire.reporting.charts import MapLayers

#: Natural Earth 1:50m countries (public domain), bundled by the geography workstream.
COUNTRIES_FILE = "countries_europe_50m.geojson"


@cache
def neighbouring_countries() -> tuple[tuple[str, object], ...]:
    """Countries other than Ukraine near the theatre, as ``(name, geometry)``, simplified.

    Empty when the file is not bundled (the map then shows Ukraine alone).
    """
    path = DATA_DIR / COUNTRIES_FILE
    if not path.is_file():
        return ()
    doc = orjson.loads(path.read_bytes())
    out: list[tuple[str, object]] = []
    box = shapely.box(18.0, 42.0, 45.0, 56.0)
    for feature in doc.get("features", []):
        props = feature.get("properties") or {}
        if props.get("iso_a3") == "UKR":
            continue
        geom = shapely.from_geojson(orjson.dumps(feature["geometry"]))
        if geom.intersects(box):
            out.append((str(props.get("name", "")), shapely.simplify(geom, 0.01)))
    return tuple(out)


def map_layers(
    oblasts: Oblasts, geography: Geography | None, *, east_party_name: str | None = None
) -> MapLayers:
    """Oblasts and neighbours always; the line, zones, sites and the last party's area when an
    agreement is loaded (in both bundled scenarios the last party is the one east of the line;
    ``east_party_name`` labels it, its id otherwise).
    """
    countries = neighbouring_countries()
    if geography is None:
        return MapLayers(oblasts=oblasts, countries=countries)
    sites = (
        shapely.multipoints(np.column_stack([geography.sites.lon, geography.sites.lat]))
        if len(geography.sites.lon)
        else None
    )
    return MapLayers(
        oblasts=oblasts,
        line=geography.contact_line,
        zones=tuple((z.id, z.polygon, z.kind is ZoneKind.AREA) for z in geography.zones),
        storage_sites=sites,
        occupied_area=geography.party_areas[-1] if geography.party_areas else None,
        occupied_label=f"Side of the line held by {east_party_name or geography.party_ids[-1]}"
        if geography.party_ids
        else "",
        countries=countries,
    )
