"""OGC API – Features at /ogc, read by OWSLib (and GDAL's OAPIF driver when installed) over a
real HTTP server: collections, items with bbox, datetime and paging, each equal to what the
HQ API gives the same reader, never an item not releasable to them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_helpers import HQ
from ogc_helpers import mixed_store, readers, served
from owslib.ogcapi.features import Features

from ceasefire.api.ogc_openapi import CONFORMANCE

LAYERS = ("incidents", "reports", "violations", "zones", "contact-line", "oblasts", "storage-sites")


@pytest.fixture
def ogc(hq: HQ) -> Iterator[tuple[HQ, str, dict[str, dict[str, str]]]]:
    mixed_store(hq)
    users = readers(hq)
    with served(hq.app) as base:
        yield hq, f"{base}/ogc", users


def hq_items(hq: HQ, path: str, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every item of an HQ list for a reader (following its cursor)."""
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 7, **({"cursor": cursor} if cursor else {})}
        page = hq.client.get(path, headers=headers, params=query).json()
        out += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def follow(url: str, headers: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    """Every feature reached from ``url`` by its ``next`` links, and the pages read."""
    feats: list[dict[str, Any]] = []
    pages = 0
    next_url: str | None = url
    while next_url is not None:
        r = httpx.get(next_url, headers=headers, timeout=30)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/geo+json")
        body = r.json()
        assert body["numberReturned"] == len(body["features"])
        feats += body["features"]
        pages += 1
        next_url = next((ln["href"] for ln in body["links"] if ln["rel"] == "next"), None)
    return feats, pages


def test_owslib_lists_collections_and_conformance(ogc: tuple[HQ, str, Any]) -> None:
    _, base, users = ogc
    w = Features(base, headers=users["fra"])
    assert set(w.conformance()["conformsTo"]) == set(CONFORMANCE)
    assert sorted(w.feature_collections()) == sorted(LAYERS)
    inc = w.collection("incidents")
    assert inc["extent"]["spatial"]["crs"].endswith("CRS84")
    with pytest.raises(RuntimeError):  # OWSLib raises on a non-2xx answer
        w.collection("nope")


@pytest.mark.parametrize("who", ["fra", "usa", "ukr", "jpn"])
def test_items_equal_hq_incidents_for_each_reader(ogc: tuple[HQ, str, Any], who: str) -> None:
    hq, base, users = ogc
    headers = users[who]
    expected = hq_items(hq, "/api/incidents", headers)
    feats, pages = follow(f"{base}/collections/incidents/items?limit=4", headers)
    assert [f["properties"] for f in feats] == expected
    assert pages == len(expected) // 4 + 1
    for f in feats:
        assert f["id"] == f["properties"]["id"]
        assert f["geometry"]["coordinates"] == [f["properties"]["lon"], f["properties"]["lat"]]
    # OWSLib's offset paging reads the same items
    w = Features(base, headers=headers)
    got: list[dict[str, Any]] = []
    while True:
        page = w.collection_items("incidents", limit=5, offset=len(got))
        got += page["features"]
        if page["numberReturned"] < 5:
            break
    assert [f["properties"] for f in got] == expected


def test_readers_see_different_items_and_never_a_hidden_one(ogc: tuple[HQ, str, Any]) -> None:
    hq, base, users = ogc
    seen = {}
    for who, headers in users.items():
        feats, _ = follow(f"{base}/collections/incidents/items", headers)
        seen[who] = {f["id"]: f["properties"] for f in feats}
        shown = {i["id"]: i for i in hq_items(hq, "/api/incidents", headers)}
        assert seen[who] == shown
        # and one by one: an incident id the reader does not see answers 404 through OWSLib
        w = Features(base, headers=headers)
        for other in range(1, 25):
            if other in shown:
                assert w.collection_item("incidents", str(other))["properties"] == shown[other]
            else:
                with pytest.raises(RuntimeError):
                    w.collection_item("incidents", str(other))
    # the store's markings make the readers' views differ (else the comparison proves little)
    assert len({frozenset(s) for s in seen.values()}) == len(seen)
    assert any(p["partial"] for s in seen.values() for p in s.values())
    assert set(seen["usa"]) < set(seen["usa"]) | set(seen["fra"])


@pytest.mark.parametrize("who", ["fra", "usa"])
def test_bbox_and_datetime_equal_hq_filters(ogc: tuple[HQ, str, Any], who: str) -> None:
    hq, base, users = ogc
    headers = users[who]
    box = "37.1,47.85,37.3,48.2"
    w = Features(base, headers=headers)
    got = w.collection_items("incidents", bbox=[37.1, 47.85, 37.3, 48.2], limit=1000)
    expected = hq_items(hq, "/api/incidents", headers, bbox=box)
    assert [f["properties"] for f in got["features"]] == expected
    assert 0 < len(expected) < len(hq_items(hq, "/api/incidents", headers))
    since, until = "2026-03-10T10:09:00Z", "2026-03-10T10:30:00Z"
    for dt, params in (
        (f"{since}/{until}", {"since": since, "until": until}),
        (f"{since}/..", {"since": since}),
        (f"../{until}", {"until": until}),
        (
            "2026-03-10T10:12:00Z",
            {"since": "2026-03-10T10:12:00Z", "until": "2026-03-10T10:12:00Z"},
        ),
    ):
        feats, _ = follow(f"{base}/collections/incidents/items?limit=3&datetime={dt}", headers)
        assert [f["properties"] for f in feats] == hq_items(hq, "/api/incidents", headers, **params)
    feats, _ = follow(
        f"{base}/collections/incidents/items?limit=2&bbox={box}&datetime={since}/..", headers
    )
    assert [f["properties"] for f in feats] == hq_items(
        hq, "/api/incidents", headers, bbox=box, since=since
    )


@pytest.mark.parametrize("who", ["fra", "usa", "jpn"])
def test_reports_and_violations_equal_hq(ogc: tuple[HQ, str, Any], who: str) -> None:
    hq, base, users = ogc
    headers = users[who]
    feats, _ = follow(f"{base}/collections/reports/items?limit=5", headers)
    assert [f["properties"] for f in feats] == hq_items(hq, "/api/reports", headers)
    assert all(f["id"] == f["properties"]["pk"] for f in feats)
    feats, _ = follow(f"{base}/collections/violations/items?limit=2", headers)
    violations = hq_items(hq, "/api/violations", headers)
    assert violations  # the mixed store breaks rules in every reader's view
    assert [f["properties"] for f in feats] == violations
    incidents = {i["id"]: i for i in hq_items(hq, "/api/incidents", headers)}
    for f in feats:
        where = incidents[f["properties"]["incident_id"]]
        assert f["geometry"]["coordinates"] == [where["lon"], where["lat"]]
    box = [37.1, 47.85, 37.3, 48.2]
    boxed, _ = follow(
        f"{base}/collections/violations/items?limit=1&bbox={','.join(map(str, box))}", headers
    )
    assert [f["id"] for f in boxed] == [
        f["id"]
        for f in feats
        if box[0] <= f["geometry"]["coordinates"][0] <= box[2]
        and box[1] <= f["geometry"]["coordinates"][1] <= box[3]
    ]


def test_geography_collections(ogc: tuple[HQ, str, Any]) -> None:
    hq, base, users = ogc
    headers = users["usa"]
    w = Features(base, headers=headers)
    line = w.collection_items("contact-line")["features"]
    assert line
    assert (
        line[0]["geometry"]
        == hq.client.get("/api/geo/line", headers=headers).json()["features"][0]["geometry"]
    )
    oblasts, _ = follow(f"{base}/collections/oblasts/items?limit=10", headers)
    assert len(oblasts) == len(
        hq.client.get("/api/geo/oblasts", headers=headers).json()["features"]
    )
    zones = hq.client.get("/api/geo/zones", headers=headers).json()["features"]
    ours = w.collection_items("zones", limit=1000)["features"]
    sites = w.collection_items("storage-sites", limit=1000)["features"]
    assert len(ours) + len(sites) == len(zones)
    some = w.collection_items("oblasts", bbox=[37.0, 47.5, 38.0, 48.5], limit=1000)["features"]
    assert 0 < len(some) < len(oblasts)


def test_errors_and_token(ogc: tuple[HQ, str, Any]) -> None:
    _, base, users = ogc
    headers = users["fra"]
    assert httpx.get(f"{base}/collections").status_code == 401
    assert (
        httpx.get(f"{base}/collections", headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    for bad in (
        "bbox=1,2,3",
        "limit=0",
        "limit=x",
        "datetime=yesterday",
        "colour=red",
        "f=html",
        "datetime=2026-03-11T00:00:00Z/2026-03-10T00:00:00Z",
        "cursor=zzz",
    ):
        r = httpx.get(f"{base}/collections/incidents/items?{bad}", headers=headers)
        assert r.status_code == 400, bad
        assert set(r.json()) == {"code", "description"}
    r = httpx.get(f"{base}/collections/incidents/items?limit=999999", headers=headers)
    assert r.status_code == 200  # above the maximum is served as the maximum
    assert httpx.get(f"{base}/collections/nope/items", headers=headers).status_code == 404
    assert httpx.get(f"{base}/collections/incidents/items/0", headers=headers).status_code == 404


def test_claimed_conformance_classes_hold(ogc: tuple[HQ, str, Any]) -> None:
    """Each claimed class, checked: core (landing links, collections, items), geojson (media
    types, FeatureCollection), oas30 (an OpenAPI 3.0 document describing every path)."""
    _, base, users = ogc
    headers = users["fra"]
    landing = httpx.get(base, headers=headers).json()
    rels = {ln["rel"]: ln for ln in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc = httpx.get(rels["service-desc"]["href"], headers=headers)
    assert doc.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    spec = doc.json()
    assert spec["openapi"].startswith("3.0.")
    assert set(spec["paths"]) == {
        "/",
        "/conformance",
        "/api",
        "/collections",
        "/collections/{collectionId}",
        "/collections/{collectionId}/items",
        "/collections/{collectionId}/items/{featureId}",
    }
    assert spec["components"]["parameters"]["collectionId"]["schema"]["enum"] == list(LAYERS)
    first = httpx.get(f"{base}/collections/incidents/items?limit=1", headers=headers).json()
    fid = str(first["features"][0]["id"])
    for path in spec["paths"]:
        concrete = path.replace("{collectionId}", "incidents").replace("{featureId}", fid)
        url = base + ("" if concrete == "/" else concrete)
        assert httpx.get(url, headers=headers).status_code == 200, path
    items = httpx.get(f"{base}/collections/zones/items", headers=headers)
    assert items.headers["content-type"] == "application/geo+json"
    assert items.json()["type"] == "FeatureCollection"
    assert (
        httpx.get(f"{base}/conformance", headers=headers).headers["content-type"]
        == "application/json"
    )


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin (ogrinfo) not installed")
def test_gdal_ogrinfo_reads_the_collections(ogc: tuple[HQ, str, Any]) -> None:
    hq, base, users = ogc
    env = {
        **os.environ,
        "GDAL_HTTP_HEADERS": f"Authorization: {users['usa']['Authorization']}",
        "GDAL_HTTP_TIMEOUT": "30",
        "CPL_DEBUG": "OFF",
    }
    out = subprocess.run(
        ["ogrinfo", "-ro", "-q", f"OAPIF:{base}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    for layer in LAYERS:
        assert f"{layer}" in out
    r = subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", f"OAPIF:{base}", "incidents"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    got = json.loads(r.stdout)["features"]
    expected = hq_items(hq, "/api/incidents", users["usa"])
    assert sorted(f["properties"]["id"] for f in got) == sorted(i["id"] for i in expected)
    # a box and pages of 2: GDAL sends bbox and follows the next links
    r = subprocess.run(
        [
            "ogr2ogr",
            "-f",
            "GeoJSON",
            "-oo",
            "PAGE_SIZE=2",
            "-spat",
            "37.1",
            "47.85",
            "37.3",
            "48.2",
            "/vsistdout/",
            f"OAPIF:{base}",
            "incidents",
        ],
        env={**env, "CPL_DEBUG": "ON"},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    got = json.loads(r.stdout)["features"]
    boxed = hq_items(hq, "/api/incidents", users["usa"], bbox="37.1,47.85,37.3,48.2")
    assert sorted(f["properties"]["id"] for f in got) == sorted(i["id"] for i in boxed)
    assert len(boxed) > 2
    assert "cursor=" in r.stderr, r.stderr[-2000:]  # it followed a next link
