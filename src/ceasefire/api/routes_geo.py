"""The agreement's geography and the base layers, as GeoJSON (shipped with the package)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from ceasefire.api.auth import CurrentUser, hq
from ceasefire.api.state import HQState
from ceasefire.api.views import json_response

router = APIRouter(prefix="/api", tags=["geography"])
HQ = Annotated[HQState, Depends(hq)]
_GEOJSON = "application/geo+json"
_BASE = {
    "countries": "data/countries_europe_50m.geojson",
    "oblasts": "data/ukraine_oblasts_simplified.geojson",
}


@cache
def _shipped(name: str) -> bytes:
    return resources.files("ceasefire").joinpath(_BASE[name]).read_bytes()


def _layers(state: HQState) -> dict[str, list[dict[str, Any]]]:
    """Features of the latest agreement version by layer (line, zones, areas, sites)."""
    version = state.book().versions[-1]
    layers: dict[str, list[dict[str, Any]]] = {}
    for feature in version.geography.to_geojson()["features"]:
        layers.setdefault(feature["properties"]["layer"], []).append(feature)
    return layers


def _collection(features: list[dict[str, Any]]) -> Response:
    body = {"type": "FeatureCollection", "features": features}
    return json_response(body, media_type=_GEOJSON)


@router.get("/geo/line")
def line(state: HQ, user: CurrentUser) -> Response:
    """The contact line of the agreement in force."""
    return _collection(_layers(state).get("contact_line", []))


@router.get("/geo/zones")
def zones(state: HQ, user: CurrentUser) -> Response:
    """Zones (with ``id`` and ``kind``), party areas and storage sites."""
    layers = _layers(state)
    return _collection(
        layers.get("zone", []) + layers.get("party_area", []) + layers.get("storage_site", [])
    )


@router.get("/geo/countries")
def countries(user: CurrentUser) -> Response:
    """Country outlines for the base map (Natural Earth 1:50m, see its provenance file)."""
    return Response(_shipped("countries"), media_type=_GEOJSON)


@router.get("/geo/oblasts")
def oblasts(user: CurrentUser) -> Response:
    """Ukraine's oblasts for the base map (see its provenance file)."""
    return Response(_shipped("oblasts"), media_type=_GEOJSON)


@router.get("/agreement")
def agreement(state: HQ, user: CurrentUser) -> dict[str, Any]:
    """The agreement versions: id, version, entry into force, parties, zones."""
    out = []
    for v in state.book().versions:
        a = v.agreement
        out.append(
            {
                "id": a.id,
                "version": a.version,
                "name": a.name,
                "in_force_from": a.in_force_from.isoformat() if a.in_force_from else None,
                "parties": [{"id": p.id, "name": p.name} for p in a.parties],
                "zones": [{"id": z.id, "kind": str(z.kind)} for z in a.zones],
            }
        )
    return {"versions": out}
