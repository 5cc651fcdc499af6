"""Agreement versions between the YAML files, the store and the ingest.

``load_agreement_file`` validates a YAML file (with the GeoJSON it names) and archives the
version verbatim in the store. ``AgreementBook.from_store`` rebuilds every stored version from
the database alone (the original files may have moved) and says, vectorised, which version
judges each report: the one in force at ``observed_at``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import numpy as np
from numpy.typing import NDArray

from ceasefire.agreement.loader import load_agreement
from ceasefire.agreement.model import Agreement
from ceasefire.errors import StoreError
from ceasefire.geo.cache import cache_key, cache_path, load_geography, save_geography
from ceasefire.geo.zones import Geography, compile_geography
from ceasefire.store.base import AgreementVersionRecord, Store

log = logging.getLogger(__name__)


def named_files(agreement: Agreement) -> tuple[str, ...]:
    """Every GeoJSON path the agreement names, as written in the YAML, without repeats."""
    paths = [agreement.contact_line_path, agreement.party_areas_path]
    if agreement.storage_sites_path:
        paths.append(agreement.storage_sites_path)
    for zone in agreement.zones:
        if zone.geometry_path:
            paths.append(zone.geometry_path)
        paths.extend(zone.baselines.values())
    return tuple(dict.fromkeys(paths))


def load_agreement_file(
    store: Store, path: Path, *, now: datetime | None = None
) -> tuple[AgreementVersionRecord, bool]:
    """Validate ``path`` and store it as a version; ``(record, created)``.

    Loading the same version with the same text again changes nothing (``created`` False);
    the same version with other text, or another agreement than the one the database already
    monitors, is a ``StoreError`` naming the field.
    """
    agreement = load_agreement(path)
    geography = compile_geography(agreement)  # a geometry that cannot be built is not archived
    for other in store.agreement_versions():
        if other.agreement_id != agreement.id:
            raise StoreError(
                f"id: this database monitors agreement {other.agreement_id!r}, not "
                f"{agreement.id!r}; use another --db [one_agreement_per_database]"
            )
    record = AgreementVersionRecord(
        agreement_id=agreement.id,
        version=agreement.version,
        name=agreement.name,
        in_force_from=agreement.in_force_from,
        source_text=agreement.source_text,
        geojson={
            rel: agreement.resolve(rel).read_text(encoding="utf-8")
            for rel in named_files(agreement)
        },
        source_path=str(path.resolve()),
        zone_ids=agreement.zone_ids,
        loaded_at=now or datetime.now(UTC),
    )
    pk, created = store.add_agreement_version(record)
    _remember(_content_key(record), (agreement, geography))
    cache_dir = geography_cache_dir(store)
    key = cache_key(record.source_text, record.geojson)
    if cache_dir is not None and not cache_path(cache_dir, key).is_file():
        save_geography(cache_dir, key, geography)  # the next process starts without compiling
    return replace(record, pk=pk), created


def rebuild_agreement(record: AgreementVersionRecord, workdir: Path) -> Agreement:
    """The ``Agreement`` of a stored version, from its archived YAML and GeoJSON texts.

    The files are written under ``workdir`` at the same relative positions as when loaded
    (the YAML nested deep enough that ``../`` paths stay inside ``workdir``).
    """
    depth = max((_parent_steps(rel) for rel in record.geojson), default=0)
    yaml_dir = workdir.joinpath(*[f"d{i}" for i in range(depth)]) if depth else workdir
    yaml_dir.mkdir(parents=True, exist_ok=True)
    for rel, text in record.geojson.items():
        target = (yaml_dir / rel).resolve()
        if not target.is_relative_to(workdir.resolve()):
            raise StoreError(f"geojson: archived path {rel!r} escapes its folder [path]")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    yaml_path = yaml_dir / "agreement.yaml"
    yaml_path.write_text(record.source_text, encoding="utf-8")
    return load_agreement(yaml_path)


def _parent_steps(rel: str) -> int:
    """How many ``..`` a relative path climbs above its start (at most)."""
    level = deepest = 0
    for part in PurePosixPath(rel.replace("\\", "/")).parts:
        level += -1 if part == ".." else (0 if part == "." else 1)
        deepest = min(deepest, level)
    return -deepest


#: Compiled versions by content hash: building a geography takes seconds, and one process
#: (tests, the demo, a server) often opens the same database many times. Immutable values.
_COMPILED: dict[bytes, tuple[Agreement, Geography]] = {}
_COMPILED_MAX = 8


def geography_cache_dir(store: Store) -> Path | None:
    """Where compiled geographies of ``store`` are cached; ``None``: no file cache.

    SQLite: ``<db file>-cache/`` beside the file: like SQLite's own ``-wal`` and ``-shm``
    files the cache sits next to the database (and goes with it); none for in-memory and
    URI databases. PostgreSQL: a folder per database under the user's cache folder,
    ``$XDG_CACHE_HOME/ceasefire/<host>-<port>-<database>/`` (``~/.cache`` without
    ``XDG_CACHE_HOME``), shared by every process of that user on that machine (HQ workers,
    ingests), so only the first compiles. Entries are keyed by the agreement's content and
    written atomically (``ceasefire.geo.cache``), so a stale or concurrent cache is never
    wrong, only compiled again.
    """
    url = getattr(getattr(store, "engine", None), "url", None)
    database = getattr(url, "database", None)
    driver = str(getattr(url, "drivername", ""))
    if not isinstance(database, str) or database in {"", ":memory:"}:
        return None
    if driver.startswith("postgresql"):
        host = str(getattr(url, "host", None) or "localhost")
        port = str(getattr(url, "port", None) or 5432)
        name = _SAFE.sub("_", f"{host}-{port}-{database}")
        return _user_cache_home() / "ceasefire" / name
    if not driver.startswith("sqlite"):
        return None
    if database.startswith("file:"):  # URI filenames may be in-memory or shared-cache
        return None
    path = Path(database)
    return path.with_name(f"{path.name}-cache")


#: What a cache folder's name keeps of a host and database name (the rest becomes ``_``).
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def _user_cache_home() -> Path:
    """The user's cache folder (XDG Base Directory: ``$XDG_CACHE_HOME``, else ``~/.cache``)."""
    found = os.environ.get("XDG_CACHE_HOME", "")
    return Path(found) if os.path.isabs(found) else Path.home() / ".cache"


def _compiled(
    record: AgreementVersionRecord, cache_dir: Path | None = None
) -> tuple[Agreement, Geography]:
    """Rebuild and compile a stored version, once per process per distinct content.

    With ``cache_dir``, the compiled geography is read from (or, compiled, written to) the
    file cache (``ceasefire.geo.cache``): a new process skips the seconds of compiling.
    The rebuilt ``Agreement.base_dir`` is a temporary folder that is gone afterwards: use the
    ``Geography`` for geometry, never ``agreement.resolve``.
    """
    key = _content_key(record)
    cached = _COMPILED.get(key)
    if cached is None:
        with tempfile.TemporaryDirectory(prefix="ceasefire-agreement-") as tmp:
            agreement = rebuild_agreement(record, Path(tmp))
            cached = (agreement, _geography(agreement, record, cache_dir))
        _remember(key, cached)
    return cached


def _geography(
    agreement: Agreement, record: AgreementVersionRecord, cache_dir: Path | None
) -> Geography:
    """The file cache's geography of ``record`` if it has a sound one; else compiled (and kept)."""
    if cache_dir is None:
        return compile_geography(agreement)
    key = cache_key(record.source_text, record.geojson)
    geography = load_geography(cache_dir, key)
    if geography is not None and (
        geography.agreement_id == agreement.id
        and geography.agreement_version == agreement.version
        and geography.zone_ids == agreement.zone_ids
    ):
        return geography
    if geography is not None:
        log.warning("the geography cache of %s %s does not match it", agreement.id, key)
    geography = compile_geography(agreement)
    save_geography(cache_dir, key, geography)
    return geography


def _content_key(record: AgreementVersionRecord) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(record.source_text.encode())
    for rel in sorted(record.geojson):
        digest.update(b"\0" + rel.encode() + b"\0" + record.geojson[rel].encode())
    return digest.digest()


def _remember(key: bytes, compiled: tuple[Agreement, Geography]) -> None:
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    _COMPILED[key] = compiled


@dataclass(frozen=True, slots=True)
class JudgingVersion:
    """One stored agreement version, ready to place and judge reports."""

    pk: int
    agreement: Agreement
    geography: Geography
    zone_bits: tuple[str, ...]


class AgreementBook:
    """Every stored version of the database's agreement, each with its compiled geography."""

    def __init__(self, versions: list[JudgingVersion]) -> None:
        if not versions:
            raise StoreError("no agreement loaded: run `ceasefire agreement load FILE` first")
        self.versions = versions
        starts = [v.agreement.in_force_from for v in versions]
        self._starts = np.array([s.timestamp() if s else np.inf for s in starts])
        self._numbers = np.array([v.agreement.version for v in versions])
        # order by (start, version): the last one started before t is in force at t
        self._order = np.lexsort((self._numbers, self._starts))
        first = self._order[0]
        self._fallback = int(first)

    @classmethod
    def from_store(cls, store: Store) -> AgreementBook:
        """Rebuild and compile every stored version (once per ingest run)."""
        versions: list[JudgingVersion] = []
        cache_dir = geography_cache_dir(store)
        for record in store.agreement_versions():
            assert record.pk is not None
            agreement, geography = _compiled(record, cache_dir)
            versions.append(JudgingVersion(record.pk, agreement, geography, record.zone_ids))
        return cls(versions)

    def assign(self, observed_at_s: NDArray[np.float64]) -> NDArray[np.intp]:
        """Index into ``versions`` of the version judging each report.

        The version in force at ``observed_at`` (latest start at or before it; ties: higher
        version number). Before any version is in force, reports are still *placed* against
        the earliest-starting version, whose rules then find nothing (not yet in force).
        """
        sorted_starts = self._starts[self._order]
        position = np.searchsorted(sorted_starts, observed_at_s, side="right") - 1
        index = np.where(position >= 0, self._order[np.maximum(position, 0)], self._fallback)
        return index.astype(np.intp)
