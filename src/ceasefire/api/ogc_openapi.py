"""The OGC API – Features document of ``/ogc``: media types, conformance classes claimed,
and the OpenAPI 3.0 definition served at ``/ogc/api`` (kept apart from the routes so that
each file stays one job)."""

from __future__ import annotations

from typing import Any

from ceasefire.api.params import MAX_LIMIT
from ceasefire.interop.layers import LAYER_IDS

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: The conformance classes this server claims (tests/api/test_ogc.py checks each).
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
)
DEFAULT_LIMIT = 100
#: Largest ``offset`` (each skipped feature is read; the ``next`` link's cursor costs nothing).
MAX_OFFSET = 100_000


def openapi_document(base: str) -> dict[str, Any]:
    """The OpenAPI 3.0 definition of the ``/ogc`` endpoints (served at ``/ogc/api``)."""

    def ok(description: str, media: str, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "200": {"description": description, "content": {media: {"schema": schema}}},
            "400": {"$ref": "#/components/responses/Invalid"},
            "401": {"$ref": "#/components/responses/Unauthorized"},
        }

    obj = {"type": "object"}
    cid = {"$ref": "#/components/parameters/collectionId"}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "ceasefire HQ – OGC API – Features",
            "version": "1.0.0",
            "description": "Each item as the bearer of the token may see it (docs/ogc.md).",
        },
        "servers": [{"url": base}],
        "security": [{"bearer": []}],
        "paths": {
            "/": {
                "get": {
                    "summary": "Landing page",
                    "operationId": "getLandingPage",
                    "responses": ok("links to the API", JSON, obj),
                }
            },
            "/conformance": {
                "get": {
                    "summary": "Conformance classes",
                    "operationId": "getConformance",
                    "responses": ok("conformsTo", JSON, obj),
                }
            },
            "/api": {
                "get": {
                    "summary": "This definition",
                    "operationId": "getOpenAPI",
                    "responses": ok("OpenAPI 3.0", OPENAPI, obj),
                }
            },
            "/collections": {
                "get": {
                    "summary": "Feature collections",
                    "operationId": "getCollections",
                    "responses": ok("the collections", JSON, obj),
                }
            },
            "/collections/{collectionId}": {
                "get": {
                    "summary": "One collection",
                    "operationId": "describeCollection",
                    "parameters": [cid],
                    "responses": {
                        **ok("the collection", JSON, obj),
                        "404": {"$ref": "#/components/responses/NotFound"},
                    },
                }
            },
            "/collections/{collectionId}/items": {
                "get": {
                    "summary": "Features of a collection",
                    "operationId": "getFeatures",
                    "parameters": [
                        cid,
                        *(
                            {"$ref": f"#/components/parameters/{p}"}
                            for p in ("bbox", "datetime", "limit", "offset", "cursor")
                        ),
                    ],
                    "responses": {
                        **ok("a page of features", GEOJSON, obj),
                        "404": {"$ref": "#/components/responses/NotFound"},
                    },
                }
            },
            "/collections/{collectionId}/items/{featureId}": {
                "get": {
                    "summary": "One feature",
                    "operationId": "getFeature",
                    "parameters": [
                        cid,
                        {
                            "name": "featureId",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        **ok("the feature", GEOJSON, obj),
                        "404": {"$ref": "#/components/responses/NotFound"},
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "parameters": {
                "collectionId": {
                    "name": "collectionId",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": list(LAYER_IDS)},
                },
                "bbox": {
                    "name": "bbox",
                    "in": "query",
                    "required": False,
                    "style": "form",
                    "explode": False,
                    "description": "minlon,minlat,maxlon,maxlat (CRS84)",
                    "schema": {
                        "type": "array",
                        "minItems": 4,
                        "maxItems": 4,
                        "items": {"type": "number"},
                    },
                },
                "datetime": {
                    "name": "datetime",
                    "in": "query",
                    "required": False,
                    "description": "an instant, or start/end with '..' for an open end",
                    "schema": {"type": "string"},
                },
                "limit": {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_LIMIT,
                        "default": DEFAULT_LIMIT,
                    },
                },
                "offset": {
                    "name": "offset",
                    "in": "query",
                    "required": False,
                    "schema": {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": MAX_OFFSET,
                        "default": 0,
                    },
                },
                "cursor": {
                    "name": "cursor",
                    "in": "query",
                    "required": False,
                    "description": "resume point from a next link",
                    "schema": {"type": "string"},
                },
            },
            "responses": {
                "Invalid": {
                    "description": "a parameter is invalid",
                    "content": {JSON: {"schema": obj}},
                },
                "Unauthorized": {
                    "description": "no or a wrong bearer token",
                    "content": {JSON: {"schema": obj}},
                },
                "NotFound": {
                    "description": "no such collection or feature (or not visible)",
                    "content": {JSON: {"schema": obj}},
                },
            },
        },
    }
