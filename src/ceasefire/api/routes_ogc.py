"""OGC API – Features (Part 1: Core, GeoJSON, OpenAPI 3.0) at ``/ogc``, for QGIS, ArcGIS, GDAL.

Our own routes on the HQ's app, not pygeoapi (docs/ogc.md says why): the token is the HQ's
(``Authorization: Bearer``), and every item is read through the HQ API's own code for the
caller (``interop.layers``), so a collection shows a reader exactly what ``/api`` shows them.
Paging is the HQ's keyset cursor in the ``next`` link; ``offset`` is accepted too (OWSLib
sends it). Errors are ``400``/``404`` with an OGC exception body (``code``, ``description``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
import shapely
from fastapi import APIRouter, Depends, FastAPI, Request, Response

from ceasefire.access.model import User
from ceasefire.api.auth import CurrentUser, hq
from ceasefire.api.ogc_openapi import (
    CONFORMANCE,
    CRS84,
    DEFAULT_LIMIT,
    GEOJSON,
    JSON,
    MAX_OFFSET,
    OPENAPI,
    openapi_document,
)
from ceasefire.api.params import MAX_LIMIT, parse_bbox, parse_time
from ceasefire.api.state import HQState
from ceasefire.api.views import decode_cursor
from ceasefire.errors import InputError
from ceasefire.interop.layers import LAYER_IDS, LAYERS, read_feature, read_page
from ceasefire.store.hq_queries import MAX_ROW_ID, PageQuery

router = APIRouter(prefix="/ogc", tags=["ogc"], include_in_schema=False)
HQ = Annotated[HQState, Depends(hq)]

_ITEM_PARAMS = frozenset({"bbox", "datetime", "limit", "offset", "cursor", "f"})


class OGCError(Exception):
    """An OGC exception: HTTP status, ``code`` and ``description``."""

    def __init__(self, status: int, code: str, description: str) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


def _body(data: Any, media_type: str = JSON, status: int = 200) -> Response:
    return Response(
        orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY),
        media_type=media_type,
        status_code=status,
    )


def ogc_error_response(exc: OGCError) -> Response:
    return _body({"code": exc.code, "description": exc.description}, status=exc.status)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _check_format(request: Request) -> None:
    f = request.query_params.get("f")
    if f is not None and f not in ("json", "geojson"):
        raise OGCError(400, "InvalidParameterValue", f"f={f!r}: only json is served")


def _landing(request: Request) -> Response:
    _check_format(request)
    base = _base(request)
    return _body(
        {
            "title": "ceasefire HQ – OGC API – Features",
            "description": "Incidents, reports, violations and the agreement's geography, "
            "each as the caller may see it (docs/ogc.md).",
            "links": [
                {"rel": "self", "type": JSON, "title": "this document", "href": base},
                {
                    "rel": "service-desc",
                    "type": OPENAPI,
                    "title": "OpenAPI 3.0",
                    "href": f"{base}/api",
                },
                {
                    "rel": "conformance",
                    "type": JSON,
                    "title": "conformance",
                    "href": f"{base}/conformance",
                },
                {
                    "rel": "data",
                    "type": JSON,
                    "title": "collections",
                    "href": f"{base}/collections",
                },
            ],
        }
    )


@router.get("")
def landing(request: Request, user: CurrentUser) -> Response:
    """Landing page."""
    return _landing(request)


@router.get("/")
def landing_slash(request: Request, user: CurrentUser) -> Response:
    """Landing page (with the trailing slash some clients add)."""
    return _landing(request)


@router.get("/conformance")
def conformance(request: Request, user: CurrentUser) -> Response:
    """The conformance classes implemented."""
    _check_format(request)
    return _body({"conformsTo": list(CONFORMANCE)})


@router.get("/api")
def openapi(request: Request, user: CurrentUser) -> Response:
    """This API's definition, OpenAPI 3.0."""
    _check_format(request)
    return _body(openapi_document(_base(request)), media_type=OPENAPI)


@cache
def _oblast_extent() -> tuple[float, float, float, float]:
    from ceasefire.api.routes_geo import _shipped  # noqa: PLC0415

    feats = orjson.loads(_shipped("oblasts"))["features"]
    geoms = shapely.from_geojson([orjson.dumps(f["geometry"]).decode() for f in feats])
    lo_x, lo_y, hi_x, hi_y = shapely.total_bounds(geoms)
    return float(lo_x), float(lo_y), float(hi_x), float(hi_y)


def _collection(base: str, layer_id: str) -> dict[str, Any]:
    layer = LAYERS[layer_id]
    href = f"{base}/collections/{layer_id}"
    return {
        "id": layer_id,
        "title": layer.title,
        "description": layer.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {
            "spatial": {"bbox": [list(_oblast_extent())], "crs": CRS84},
            "temporal": {"interval": [[None, None]]},
        },
        "links": [
            {"rel": "self", "type": JSON, "title": layer.title, "href": href},
            {"rel": "items", "type": GEOJSON, "title": layer.title, "href": f"{href}/items"},
        ],
    }


@router.get("/collections")
def collections(request: Request, user: CurrentUser) -> Response:
    """The feature collections."""
    _check_format(request)
    base = _base(request)
    return _body(
        {
            "links": [{"rel": "self", "type": JSON, "href": f"{base}/collections"}],
            "collections": [_collection(base, cid) for cid in LAYER_IDS],
        }
    )


def _layer(collection_id: str) -> str:
    if collection_id not in LAYERS:
        raise OGCError(404, "NotFound", f"no collection {collection_id!r}")
    return collection_id


@router.get("/collections/{collection_id}")
def collection(collection_id: str, request: Request, user: CurrentUser) -> Response:
    """One collection's description."""
    _check_format(request)
    return _body(_collection(_base(request), _layer(collection_id)))


def parse_datetime(value: str | None) -> tuple[float | None, float | None]:
    """``datetime``: an instant, or an interval ``start/end`` with ``..`` or nothing for an
    open end → ``(since, until)`` in epoch seconds, both inclusive."""
    if value is None or value == "":
        return None, None
    if "/" not in value:
        t = parse_time(value, "datetime")
        return t, t
    start, _, end = value.partition("/")
    since = None if start in ("", "..") else parse_time(start, "datetime")
    until = None if end in ("", "..") else parse_time(end, "datetime")
    if since is None and until is None and start != ".." and end != "..":
        raise InputError("datetime", "interval", "an interval needs at least one end")
    if since is not None and until is not None and since > until:
        raise InputError("datetime", "interval", "the interval's start is after its end")
    return since, until


def _int(request: Request, name: str, default: int, low: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise InputError(name, "integer", f"{name}={text!r} is not an integer") from exc
    if value < low:
        raise InputError(name, "minimum", f"{name} must be at least {low}")
    return value


def items_query(request: Request) -> tuple[PageQuery, int]:
    """The items request's filters as a ``PageQuery``, and its ``offset``."""
    unknown = sorted(set(request.query_params) - _ITEM_PARAMS)
    if unknown:
        raise InputError(unknown[0], "unknown", f"unknown query parameter {unknown[0]!r}")
    _check_format(request)
    since, until = parse_datetime(request.query_params.get("datetime"))
    # a limit above the maximum is served as the maximum (OGC API – Features 1.0, 7.15.3)
    limit = min(_int(request, "limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
    offset = _int(request, "offset", 0, 0)
    if offset > MAX_OFFSET:
        raise InputError("offset", "maximum", f"offset above {MAX_OFFSET}: follow the next link")
    query = PageQuery(
        since_s=since,
        until_s=until,
        bbox=parse_bbox(request.query_params.get("bbox")),
        after=decode_cursor(request.query_params.get("cursor")),
        limit=limit,
    )
    return query, offset


def _skip(state: HQState, user: User, layer_id: str, query: PageQuery, offset: int) -> PageQuery:
    """``query`` resumed after its first ``offset`` features (read and dropped)."""
    from dataclasses import replace  # noqa: PLC0415

    while offset > 0:
        step = replace(query, limit=min(offset, MAX_LIMIT))
        feats, cursor = read_page(state, user, layer_id, step)
        offset -= len(feats)
        if cursor is None:
            return replace(query, after=(float("inf"), 0))  # past the end: an empty page
        query = replace(query, after=decode_cursor(cursor))
    return query


def _link(base: str, request: Request, **changes: str | None) -> str:
    params = {k: v for k, v in request.query_params.items() if k != "offset"}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return f"{base}?{urlencode(params)}" if params else base


@router.get("/collections/{collection_id}/items")
def items(collection_id: str, request: Request, state: HQ, user: CurrentUser) -> Response:
    """Features of a collection the caller may see, oldest first: ``bbox``, ``datetime``,
    ``limit`` (≤ 5000), ``next`` links (``cursor``) or ``offset``."""
    layer_id = _layer(collection_id)
    try:
        query, offset = items_query(request)
    except InputError as exc:
        raise OGCError(400, "InvalidParameterValue", str(exc)) from exc
    if offset:
        query = _skip(state, user, layer_id, query, offset)
    feats: list[dict[str, Any]] = []
    cursor: str | None = None
    if query.after is None or query.after[0] != float("inf"):
        feats, cursor = read_page(state, user, layer_id, query)
    href = f"{_base(request)}/collections/{layer_id}/items"
    links = [
        {"rel": "self", "type": GEOJSON, "title": "this page", "href": _link(href, request)},
        {
            "rel": "collection",
            "type": JSON,
            "title": LAYERS[layer_id].title,
            "href": f"{_base(request)}/collections/{layer_id}",
        },
    ]
    if cursor is not None:
        links.append(
            {
                "rel": "next",
                "type": GEOJSON,
                "title": "next page",
                "href": _link(href, request, cursor=cursor, limit=str(query.limit)),
            }
        )
    body = {
        "type": "FeatureCollection",
        "features": feats,
        "numberReturned": len(feats),
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": links,
    }
    return _body(body, media_type=GEOJSON)


@router.get("/collections/{collection_id}/items/{feature_id}")
def item(
    collection_id: str, feature_id: str, request: Request, state: HQ, user: CurrentUser
) -> Response:
    """One feature, if the caller may see it (404 otherwise: existence is not told)."""
    layer_id = _layer(collection_id)
    _check_format(request)
    try:
        fid = int(feature_id)
    except ValueError:
        fid = -1
    found = None
    if 1 <= fid <= MAX_ROW_ID:
        found = read_feature(state, user, layer_id, fid)
    if found is None:
        raise OGCError(404, "NotFound", f"no feature {feature_id!r} in {layer_id!r}")
    base = f"{_base(request)}/collections/{layer_id}"
    found["links"] = [
        {"rel": "self", "type": GEOJSON, "href": f"{base}/items/{fid}"},
        {"rel": "collection", "type": JSON, "href": base},
    ]
    return _body(found, media_type=GEOJSON)


def install_ogc(app: FastAPI) -> None:
    """Add the ``/ogc`` routes and their OGC exception bodies to the HQ app."""

    async def _ogc(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, OGCError)
        return ogc_error_response(exc)

    app.add_exception_handler(OGCError, _ogc)
    app.include_router(router)
