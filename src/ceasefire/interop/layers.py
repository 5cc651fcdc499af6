"""Map layers for one reader, read through the HQ API's own code (no second releasability rule).

``incidents`` come from ``api.views.visible_items`` (tearlines applied; the box, window and
cursor test what the reader is shown), ``reports`` and ``violations`` from the very route
functions behind ``/api/reports`` and ``/api/violations``; the agreement's geography and the
oblasts are the same for every reader, as under ``/api/geo/*``. A layer is read one page at a
time with the HQ's keyset cursor; :func:`read_features` follows it.

The system view (exports without ``--for``) is :class:`SystemState`: the same code with a
filter that lets everything through, as the CLI on the HQ's own database sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import orjson
import shapely

from ceasefire.access.model import User
from ceasefire.api.routes_geo import _layers, _shipped
from ceasefire.api.routes_reports import list_reports
from ceasefire.api.routes_violations import violations as list_violations
from ceasefire.api.state import HQState, SignatureMasks
from ceasefire.api.views import decode_cursor, encode_cursor, visible_items
from ceasefire.store.hq_queries import PageQuery
from ceasefire.store.ports import ReportFilter

Feature = dict[str, Any]

#: The layers, in the order a client lists them.
LAYER_IDS = (
    "incidents",
    "reports",
    "violations",
    "zones",
    "contact-line",
    "oblasts",
    "storage-sites",
)


class SystemState(HQState):
    """The HQ state seen by the system itself: every report, every incident whole."""

    def visible(self, user: User) -> ReportFilter:
        return self.stores.read_model.visible_filter(None, ())

    def masks(self, user: User, *, fresh: bool = False) -> SignatureMasks:
        signatures = self.signatures(fresh=fresh)
        every = tuple(sorted(signatures))
        return SignatureMasks({}, every, every, max(every, default=0))


@dataclass(frozen=True)
class Layer:
    """One collection: its id, title, what a feature is, and whether it has time."""

    id: str
    title: str
    description: str
    geometry: str  # OGC/GDAL geometry type name of its features
    temporal: bool  # features have ``observed_at`` (``datetime``/``--since``/``--until`` apply)


LAYERS: dict[str, Layer] = {
    layer.id: layer
    for layer in (
        Layer(
            "incidents",
            "Incidents",
            "Fused incidents as the reader sees them (whole, or through a tearline when some "
            "reports are not releasable to them); the items of /api/incidents.",
            "Point",
            True,
        ),
        Layer(
            "reports",
            "Observation reports",
            "Reports releasable to the reader, at their located position; /api/reports.",
            "Point",
            True,
        ),
        Layer(
            "violations",
            "Violations",
            "Rules broken by incidents the reader sees whole, at the incident's position; "
            "/api/violations.",
            "Point",
            True,
        ),
        Layer(
            "zones",
            "Zones and party areas",
            "Zones of the agreement in force (id, kind) and the parties' areas; /api/geo/zones.",
            "MultiPolygon",
            False,
        ),
        Layer(
            "contact-line",
            "Contact line",
            "The contact line of the agreement in force; /api/geo/line.",
            "MultiLineString",
            False,
        ),
        Layer(
            "oblasts",
            "Oblasts",
            "Ukraine's oblasts (base map, simplified); /api/geo/oblasts.",
            "MultiPolygon",
            False,
        ),
        Layer(
            "storage-sites",
            "Storage sites",
            "Declared heavy-weapon storage sites of the agreement in force; /api/geo/zones.",
            "Point",
            False,
        ),
    )
}


def _point(item: dict[str, Any]) -> dict[str, Any] | None:
    lon, lat = item.get("lon"), item.get("lat")
    if lon is None or lat is None:
        return None
    return {"type": "Point", "coordinates": [lon, lat]}


def _page_json(body: bytes) -> tuple[list[dict[str, Any]], str | None]:
    page = orjson.loads(body)
    return page["items"], page["next_cursor"]


def _incidents(state: HQState, user: User, query: PageQuery) -> tuple[list[Feature], str | None]:
    items, after = visible_items(state, user, query)
    feats = []
    for raw in items:
        item = orjson.loads(raw)
        feats.append(
            {"type": "Feature", "id": item["id"], "geometry": _point(item), "properties": item}
        )
    return feats, None if after is None else encode_cursor(*after)


def _reports(state: HQState, user: User, query: PageQuery) -> tuple[list[Feature], str | None]:
    items, cursor = _page_json(bytes(list_reports(state, user, query).body))
    feats = [
        {"type": "Feature", "id": item["pk"], "geometry": _point(item), "properties": item}
        for item in items
    ]
    return feats, cursor


def violation_features(state: HQState, user: User, items: list[dict[str, Any]]) -> list[Feature]:
    """Violation items placed at their incident as the reader sees it (whole: a violation is
    listed only for an incident whose every report the reader sees)."""
    pks = sorted({int(v["incident_id"]) for v in items})
    where: dict[int, dict[str, Any]] = {}
    if pks:
        found, _ = visible_items(state, user, PageQuery(pks=pks, limit=len(pks)))
        where = {int(i["id"]): i for i in map(orjson.loads, found)}
    return [
        {
            "type": "Feature",
            "id": item["id"],
            "geometry": _point(where.get(int(item["incident_id"]), {})),
            "properties": item,
        }
        for item in items
    ]


def _violations(state: HQState, user: User, query: PageQuery) -> tuple[list[Feature], str | None]:
    """A page of violations; a box is tested on each violation's incident position (the HQ
    list has no box, so pages are read on until ``limit`` fall inside or the list ends)."""
    if query.bbox is None:
        items, cursor = _page_json(bytes(list_violations(state, user, query).body))
        return violation_features(state, user, items), cursor
    lo_x, lo_y, hi_x, hi_y = query.bbox
    out: list[Feature] = []
    after = query.after
    unboxed = PageQuery(
        since_s=query.since_s, until_s=query.until_s, rule=query.rule, limit=query.limit
    )
    while True:
        page = replace(unboxed, after=after)
        items, cursor = _page_json(bytes(list_violations(state, user, page).body))
        for feat in violation_features(state, user, items):
            geom = feat["geometry"]
            if geom is None:
                continue
            x, y = geom["coordinates"]
            if lo_x <= x <= hi_x and lo_y <= y <= hi_y:
                out.append(feat)
                if len(out) == query.limit:
                    return out, encode_cursor(_observed_at(state, int(feat["id"])), int(feat["id"]))
        if cursor is None:
            return out, None
        after = decode_cursor(cursor)


def _observed_at(state: HQState, pk: int) -> float:
    """The stored time of violation ``pk`` (the HQ list's cursor is on it, exactly)."""
    return state.stores.read_model.violation_observed_at(pk)


def violation_visible(state: HQState, user: User, pk: int) -> bool:
    """Whether ``/api/violations`` lists violation ``pk`` for ``user`` (the same condition)."""
    return state.stores.read_model.violation_visible(state.visible(user), pk)


def _static(state: HQState, layer_id: str) -> list[Feature]:
    if layer_id == "oblasts":
        feats = orjson.loads(_shipped("oblasts"))["features"]
        return [{**f, "id": i + 1} for i, f in enumerate(feats)]
    layers = _layers(state)
    if layer_id == "zones":
        feats = layers.get("zone", []) + layers.get("party_area", [])
    elif layer_id == "contact-line":
        feats = layers.get("contact_line", [])
    else:
        feats = layers.get("storage_site", [])
    return [{**f, "id": i + 1} for i, f in enumerate(feats)]


def _static_page(
    state: HQState, layer_id: str, query: PageQuery
) -> tuple[list[Feature], str | None]:
    feats = _static(state, layer_id)
    if query.bbox is not None:
        box = shapely.box(*query.bbox)
        feats = [f for f in feats if shapely.geometry.shape(f["geometry"]).intersects(box)]
    start = 0 if query.after is None else int(query.after[1])
    page = [f for f in feats if int(f["id"]) > start][: query.limit]
    more = len(page) == query.limit and int(page[-1]["id"]) < int(feats[-1]["id"])
    return page, encode_cursor(0.0, int(page[-1]["id"])) if more else None


Reader = Callable[[HQState, User, PageQuery], tuple[list[Feature], str | None]]
_READERS: dict[str, Reader] = {
    "incidents": _incidents,
    "reports": _reports,
    "violations": _violations,
}


def read_page(
    state: HQState, user: User, layer_id: str, query: PageQuery
) -> tuple[list[Feature], str | None]:
    """One page of ``layer_id`` as ``user`` sees it, and the cursor of the next (None: end)."""
    reader = _READERS.get(layer_id)
    if reader is None:
        return _static_page(state, layer_id, query)
    return reader(state, user, query)


def read_features(state: HQState, user: User, layer_id: str, query: PageQuery) -> Iterator[Feature]:
    """Every feature of ``layer_id`` ``user`` sees under ``query``'s filters, page by page."""
    while True:
        feats, cursor = read_page(state, user, layer_id, query)
        yield from feats
        if cursor is None:
            return
        query = replace(query, after=decode_cursor(cursor))


def read_feature(state: HQState, user: User, layer_id: str, fid: int) -> Feature | None:
    """Feature ``fid`` of ``layer_id`` if ``user`` sees it, else None (existence not told)."""
    if layer_id == "incidents":
        feats, _ = _incidents(state, user, PageQuery(pks=[fid], limit=1))
    elif layer_id == "reports":
        feats, _ = _reports(state, user, PageQuery(pks=[fid], limit=1))
    elif layer_id == "violations":
        if not violation_visible(state, user, fid):
            return None
        t = _observed_at(state, fid)
        page = PageQuery(since_s=t, until_s=t, limit=5000)
        feats = [f for f in read_features(state, user, "violations", page) if f["id"] == fid]
    else:
        feats = [f for f in _static(state, layer_id) if f["id"] == fid]
    return feats[0] if feats else None
