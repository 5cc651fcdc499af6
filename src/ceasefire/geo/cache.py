"""A file cache of compiled geographies, so a new process need not compile for seconds.

Compiling paris-2026 takes ~3 s (buffers, the lookup grid); every ``ceasefire`` command that
places points is a new process. The cache file holds the ``Geography`` as plain data: numpy
arrays, shapely geometries as WKB (exact: binary doubles) and a JSON manifest of the
structure, in one ``.npz`` read with ``allow_pickle=False``, so nothing in it can run code.
Only the classes of this package (and ``ZoneKind``) can be rebuilt from it.

It is never stale: the key hashes the agreement text and every GeoJSON text, the format
version, the shapely/GEOS versions and the source of the code that compiles (``geo`` and
``agreement`` packages). A file that is missing, truncated, corrupt or of another format is
ignored (the caller compiles and writes it again).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ceasefire.agreement.model import ZoneKind
from ceasefire.geo.grid import LookupGrid
from ceasefire.geo.nearest import PolylineIndex
from ceasefire.geo.projection import LocalProjection
from ceasefire.geo.zones import Band, CompiledZone, Geography, StorageSites

log = logging.getLogger(__name__)

#: Bump when the file layout changes (it is part of the key, so old files are just missed).
FORMAT_VERSION = 1
#: Cache files kept per directory (newest first); older ones are deleted on write.
KEEP_FILES = 8

_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (Geography, CompiledZone, Band, StorageSites, LookupGrid, LocalProjection)
}
_ENUMS: dict[str, type[ZoneKind]] = {"ZoneKind": ZoneKind}
_MANIFEST = "__manifest__"


def cache_key(source_text: str, geojson: Mapping[str, str]) -> str:
    """Hex key of one agreement version's compiled geography (see the module docstring)."""
    digest = hashlib.sha256()
    digest.update(f"format {FORMAT_VERSION}\0{_code_fingerprint()}\0".encode())
    digest.update(source_text.encode())
    for rel in sorted(geojson):
        digest.update(b"\0" + rel.encode() + b"\0" + geojson[rel].encode())
    return digest.hexdigest()[:32]


@cache
def _code_fingerprint() -> str:
    """Shapely/GEOS versions and the source of the compiling code (a code change is a miss)."""
    digest = hashlib.sha256(f"{shapely.__version__} {shapely.geos_version_string}".encode())
    root = Path(__file__).resolve().parent.parent
    for package in ("geo", "agreement"):
        for path in sorted((root / package).glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cache_path(directory: Path, key: str) -> Path:
    """The file of ``key`` in ``directory``."""
    return directory / f"geography-{key}.npz"


def load_geography(directory: Path, key: str) -> Geography | None:
    """The cached geography of ``key``, or ``None`` when absent or unreadable (logged)."""
    path = cache_path(directory, key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        manifest = json.loads(arrays.pop(_MANIFEST).tobytes())
        if manifest.get("key") != key or manifest.get("format") != FORMAT_VERSION:
            raise ValueError("key or format differs from the file name")
        geography = _decode(manifest["value"], arrays)
        if not isinstance(geography, Geography):
            raise TypeError(f"holds a {type(geography).__name__}, not a Geography")
    except Exception as exc:  # noqa: BLE001 - any damage to a cache file means "compile again"
        log.warning("ignoring the geography cache %s: %s", path, exc)
        return None
    return geography


def save_geography(directory: Path, key: str, geography: Geography) -> Path | None:
    """Write the cache file of ``key`` atomically; ``None`` (logged) if it cannot be written."""
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    try:
        value = _encode(geography, arrays)
        manifest = json.dumps({"key": key, "format": FORMAT_VERSION, "value": value})
        arrays[_MANIFEST] = np.frombuffer(manifest.encode(), dtype=np.uint8)
        directory.mkdir(parents=True, exist_ok=True)
        path = cache_path(directory, key)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".geography-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, allow_pickle=False, **arrays)
            os.replace(tmp, path)
        finally:
            # after a successful replace the temporary name is gone; otherwise clean it up
            Path(tmp).unlink(missing_ok=True)
    except (OSError, TypeError, ValueError) as exc:
        # e.g. a read-only folder: the next process compiles again; not worth a line per command
        log.info("cannot write the geography cache in %s: %s", directory, exc)
        return None
    _prune(directory)
    return path


def _prune(directory: Path) -> None:
    files = sorted(directory.glob("geography-*.npz"), key=_mtime, reverse=True)
    for old in files[KEEP_FILES:]:
        old.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _encode(value: object, arrays: dict[str, np.ndarray[Any, Any]]) -> object:
    """A JSON-able tree; arrays and geometries (as WKB bytes) go to ``arrays`` by name."""
    if isinstance(value, ZoneKind):  # before str: a StrEnum is a str
        return {"$e": type(value).__name__, "v": value.value}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return _encode(value.item(), arrays)
    if isinstance(value, np.ndarray):
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"$a": name}
    if isinstance(value, BaseGeometry):
        name = f"a{len(arrays)}"
        arrays[name] = np.frombuffer(shapely.to_wkb(value), dtype=np.uint8)
        return {"$g": name}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, tuple):
        return {"$t": [_encode(v, arrays) for v in value]}
    if isinstance(value, list):
        return [_encode(v, arrays) for v in value]
    if isinstance(value, dict):
        return {"$d": [[k, _encode(v, arrays)] for k, v in value.items()]}
    if isinstance(value, PolylineIndex):  # the k-d tree is rebuilt from the vertices
        return {
            "$p": [_encode(value.vertices, arrays), _encode(value.next_vertex, arrays)],
            "spacing_m": value.spacing_m,
        }
    name = type(value).__name__
    if dataclasses.is_dataclass(value) and _CLASSES.get(name) is type(value):
        fields = {
            f.name: _encode(getattr(value, f.name), arrays)
            for f in dataclasses.fields(value)
            if f.init
        }
        return {"$c": name, "f": fields}
    raise TypeError(f"cannot cache a {name}")


def _decode(node: Any, arrays: Mapping[str, np.ndarray[Any, Any]]) -> Any:
    if node is None or isinstance(node, bool | int | float | str):
        return node
    if isinstance(node, list):
        return [_decode(v, arrays) for v in node]
    if "$a" in node:
        return arrays[node["$a"]]
    if "$g" in node:
        geometry = shapely.from_wkb(arrays[node["$g"]].tobytes())
        shapely.prepare(geometry)  # as compiled: the polygons are prepared
        return geometry
    if "$e" in node:
        return _ENUMS[node["$e"]](node["v"])
    if "$dt" in node:
        return datetime.fromisoformat(node["$dt"])
    if "$t" in node:
        return tuple(_decode(v, arrays) for v in node["$t"])
    if "$d" in node:
        return {k: _decode(v, arrays) for k, v in node["$d"]}
    if "$p" in node:
        vertices, next_vertex = (_decode(v, arrays) for v in node["$p"])
        return PolylineIndex.from_arrays(vertices, next_vertex, float(node["spacing_m"]))
    cls = _CLASSES[node["$c"]]
    return cls(**{k: _decode(v, arrays) for k, v in node["f"].items()})
