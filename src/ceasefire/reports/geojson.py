"""Reports as a GeoJSON FeatureCollection: Point geometry = the event location (``lon``/``lat``).

The collection is read whole (GeoJSON has no line structure to stream by), then walked with
``json.JSONDecoder.raw_decode`` so that each feature's raw text is the exact slice of the file
it came from. A feature that is not valid JSON ends the walk: the rest of the array is kept as
one rejected item (``json``), because no parser can tell where that feature ends. A file that
is not a FeatureCollection at all is unreadable (``InputError`` on ``type``).

Feature rules: ``type`` must be ``Feature``; ``geometry`` a ``Point`` with ``[lon, lat]`` (an
altitude is ignored) or ``null`` (a bearing or place report); ``lat``/``lon`` in ``properties``
as well as a geometry is ``conflict``; a feature ``id`` fills a missing ``properties.id``;
other foreign members (``bbox`` ...) are ignored, as RFC 7946 allows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Final

from ceasefire.errors import InputError
from ceasefire.reports.records import (
    LINE_FIELD,
    MAX_LINE_BYTES,
    ChunkBuilder,
    ParsedChunk,
    parse_report,
)

_DECODER: Final = json.JSONDecoder()
_WS: Final = " \t\n\r"


def read_geojson(data: bytes, *, chunk_size: int) -> Iterator[ParsedChunk]:
    """Chunks of reports from the features of one FeatureCollection, in file order."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(LINE_FIELD, "encoding", f"not UTF-8 at byte {exc.start}") from None
    features, tail = _walk(text)
    builder = ChunkBuilder()
    for raw, feature in features:
        if len(raw) > MAX_LINE_BYTES and len(raw.encode("utf-8")) > MAX_LINE_BYTES:
            error = InputError(LINE_FIELD, "max_line_bytes", "feature exceeds 1 MiB")
            builder.reject(raw, None, error)
        else:
            try:
                builder.accept(parse_report(feature_to_object(feature)), raw)
            except InputError as exc:
                builder.reject(raw, None, exc)
        if len(builder) >= chunk_size:
            yield builder.take()
    if tail is not None:
        builder.reject(tail[0], None, tail[1])
    if len(builder):
        yield builder.take()


def feature_to_object(feature: object) -> dict[str, object]:
    """The report object a feature stands for (properties plus the Point as ``lon``/``lat``)."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InputError("type", "feature", "each item of features must be a GeoJSON Feature")
    props = feature.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise InputError("properties", "type", "properties must be an object or null")
    obj = dict(props)
    geometry = feature.get("geometry")
    if geometry is not None:
        coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if (
            not isinstance(geometry, dict)
            or geometry.get("type") != "Point"
            or not isinstance(coords, list)
            or len(coords) not in (2, 3)
        ):
            raise InputError("geometry", "point", "geometry must be a Point [lon, lat] or null")
        for name in ("lat", "lon"):
            if name in obj:
                raise InputError(
                    name, "conflict", f"{name} in properties as well as a Point geometry"
                )
        obj["lon"], obj["lat"] = coords[0], coords[1]
    fid = feature.get("id")
    if "id" not in obj and isinstance(fid, str | int) and not isinstance(fid, bool):
        obj["id"] = str(fid)
    return obj


def _walk(text: str) -> tuple[list[tuple[str, object]], tuple[str, InputError] | None]:
    """``[(raw, feature)]`` and an optional unparseable tail; raises if not a collection."""
    pos = _skip(text, 0)
    if not text.startswith("{", pos):
        raise InputError("type", "feature_collection", "not a GeoJSON FeatureCollection")
    pos = _skip(text, pos + 1)
    features: list[tuple[str, object]] = []
    tail: tuple[str, InputError] | None = None
    kind: object = None
    try:
        while not text.startswith("}", pos):
            key, pos = _DECODER.raw_decode(text, pos)
            pos = _expect(text, _skip(text, pos), ":")
            if key == "features" and text.startswith("[", pos):
                pos, tail = _walk_features(text, pos + 1, features)
                if tail is not None:
                    break
            else:
                value, pos = _DECODER.raw_decode(text, pos)
                if key == "type":
                    kind = value
            pos = _skip(text, pos)
            if text.startswith(",", pos):
                pos = _skip(text, pos + 1)
            elif not text.startswith("}", pos):
                raise ValueError(f"expected ',' or '}}' at character {pos}")
    except (ValueError, RecursionError) as exc:
        raise InputError(LINE_FIELD, "json", f"not a readable GeoJSON file: {exc}") from None
    if tail is None and kind != "FeatureCollection":
        raise InputError("type", "feature_collection", "not a GeoJSON FeatureCollection")
    return features, tail


def _walk_features(
    text: str, pos: int, out: list[tuple[str, object]]
) -> tuple[int, tuple[str, InputError] | None]:
    pos = _skip(text, pos)
    while not text.startswith("]", pos):
        start = pos
        try:
            feature, pos = _DECODER.raw_decode(text, pos)
        except (ValueError, RecursionError) as exc:
            rest = text[start:]
            return len(text), (rest, InputError(LINE_FIELD, "json", f"not valid JSON: {exc}"))
        out.append((text[start:pos], feature))
        pos = _skip(text, pos)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
        elif not text.startswith("]", pos):
            rest = text[pos:]
            return len(text), (rest, InputError(LINE_FIELD, "json", "expected ',' or ']'"))
    return pos + 1, None


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def _expect(text: str, pos: int, char: str) -> int:
    if not text.startswith(char, pos):
        raise ValueError(f"expected {char!r} at character {pos}")
    return _skip(text, pos + 1)
