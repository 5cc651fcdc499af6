"""The file cache of compiled geographies: identical placements, corrupt files, stale keys."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from geo_builders import SYNTHETIC_YAML, write_synthetic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from backend_databases import Databases, drop_pg_database
from ceasefire.geo import Geography, place_points
from ceasefire.geo.cache import cache_key, cache_path, load_geography, save_geography
from ceasefire.pipeline import agreements
from ceasefire.pipeline.agreements import AgreementBook, geography_cache_dir, load_agreement_file
from ceasefire.settings import Settings
from ceasefire.store.base import Store, open_store


@pytest.fixture(scope="module")
def cached_synthetic(
    synthetic_geo: Geography, tmp_path_factory: pytest.TempPathFactory
) -> Geography:
    """The synthetic geography after a round trip through a cache file."""
    directory = tmp_path_factory.mktemp("geo-cache")
    assert save_geography(directory, "k", synthetic_geo) is not None
    loaded = load_geography(directory, "k")
    assert loaded is not None
    return loaded


def assert_same_placements(
    fresh: Geography, cached: Geography, lon: list[float], lat: list[float], unc: list[float]
) -> None:
    args = (np.asarray(lon), np.asarray(lat), np.asarray(unc))
    a, b = place_points(fresh, *args), place_points(cached, *args)
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=field.name)
        else:
            assert x == y, field.name


coords = st.lists(
    st.tuples(
        st.floats(34.5, 39.5),  # across both parties' areas and beyond them
        st.floats(46.0, 50.0),
        st.floats(0.0, 30_000.0),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(points=coords)
def test_cached_geography_places_points_like_a_fresh_compile(
    synthetic_geo: Geography, cached_synthetic: Geography, points: list[tuple[float, ...]]
) -> None:
    lon, lat, unc = (list(c) for c in zip(*points, strict=True))
    assert_same_placements(synthetic_geo, cached_synthetic, lon, lat, unc)


def test_cached_geography_keeps_every_value(
    synthetic_geo: Geography, cached_synthetic: Geography
) -> None:
    assert cached_synthetic.zone_ids == synthetic_geo.zone_ids
    assert cached_synthetic.party_ids == synthetic_geo.party_ids
    assert cached_synthetic.projection == synthetic_geo.projection
    for fresh, cached in zip(synthetic_geo.zones, cached_synthetic.zones, strict=True):
        assert (cached.kind, cached.bands, cached.in_force_from) == (
            fresh.kind,
            fresh.bands,
            fresh.in_force_from,
        )
        assert cached.polygon.equals_exact(fresh.polygon, 0.0)
    np.testing.assert_array_equal(cached_synthetic.grid.code, synthetic_geo.grid.code)
    assert cached_synthetic.to_geojson() == synthetic_geo.to_geojson()


def test_real_paris_geography_survives_the_cache(paris_geo: Geography, tmp_path: Path) -> None:
    save_geography(tmp_path, "paris", paris_geo)
    cached = load_geography(tmp_path, "paris")
    assert cached is not None
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = paris_geo.contact_line.bounds
    n = 20_000
    lon = rng.uniform(minx - 0.5, maxx + 0.5, n).tolist()
    lat = rng.uniform(miny - 0.5, maxy + 0.5, n).tolist()
    unc = rng.uniform(0, 5_000, n).tolist()
    assert_same_placements(paris_geo, cached, lon, lat, unc)


@pytest.mark.parametrize(
    "damage",
    [b"", b"not a zip file at all", None],
    ids=["empty", "garbage", "truncated"],
)
def test_a_damaged_cache_file_is_ignored(
    synthetic_geo: Geography, tmp_path: Path, damage: bytes | None
) -> None:
    path = save_geography(tmp_path, "k", synthetic_geo)
    assert path is not None
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2] if damage is None else damage)
    assert load_geography(tmp_path, "k") is None


def test_a_file_under_another_key_is_refused(synthetic_geo: Geography, tmp_path: Path) -> None:
    save_geography(tmp_path, "k1", synthetic_geo)
    cache_path(tmp_path, "k1").rename(cache_path(tmp_path, "k2"))
    assert load_geography(tmp_path, "k2") is None


def test_the_key_changes_with_the_agreement_and_its_files() -> None:
    files = {"geo/line.geojson": '{"type": "FeatureCollection", "features": []}'}
    key = cache_key(SYNTHETIC_YAML, files)
    assert cache_key(SYNTHETIC_YAML, dict(files)) == key
    assert cache_key(SYNTHETIC_YAML.replace("10, RUS: 10", "12, RUS: 10"), files) != key
    assert cache_key(SYNTHETIC_YAML, {"geo/line.geojson": files["geo/line.geojson"] + " "}) != key
    assert cache_key(SYNTHETIC_YAML, {"geo/other.geojson": files["geo/line.geojson"]}) != key


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A fresh SQLite file database; the in-process cache of compiled versions emptied."""
    monkeypatch.setattr(agreements, "_COMPILED", {})
    opened = open_store(Settings.from_cli(str(tmp_path / "cf.db")))
    opened.init_schema()
    yield opened
    opened.close()


def _forbid_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("compiled although the cache holds the geography")

    monkeypatch.setattr(agreements, "_COMPILED", {})
    monkeypatch.setattr(agreements, "compile_geography", refuse)


def test_a_new_process_reads_the_geography_from_beside_the_database(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synthetic_geo: Geography
) -> None:
    load_agreement_file(store, write_synthetic(tmp_path / "agreement"))
    cache_dir = geography_cache_dir(store)
    assert cache_dir == tmp_path / "cf.db-cache"
    assert len(list(cache_dir.glob("geography-*.npz"))) == 1
    _forbid_compiling(monkeypatch)  # as a new process: nothing compiled in memory
    book = AgreementBook.from_store(store)
    assert_same_placements(synthetic_geo, book.versions[0].geography, [36.95], [48.0], [0.0])


def test_a_corrupt_cache_falls_back_to_compiling_and_is_rewritten(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synthetic_geo: Geography
) -> None:
    load_agreement_file(store, write_synthetic(tmp_path / "agreement"))
    cache_dir = geography_cache_dir(store)
    assert cache_dir is not None
    (cached_file,) = cache_dir.glob("geography-*.npz")
    cached_file.write_bytes(b"PK\x03\x04 damaged")
    monkeypatch.setattr(agreements, "_COMPILED", {})
    book = AgreementBook.from_store(store)
    assert_same_placements(
        synthetic_geo, book.versions[0].geography, [36.95, 37.1], [48.0, 48.0], [0.0, 0.0]
    )
    _forbid_compiling(monkeypatch)  # the damaged file was replaced by a sound one
    assert AgreementBook.from_store(store).versions[0].geography.zone_ids == (
        synthetic_geo.zone_ids
    )


def test_a_changed_agreement_misses_the_cache(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_agreement_file(store, write_synthetic(tmp_path / "v1"))
    wider = SYNTHETIC_YAML.replace("version: 1", "version: 2").replace(
        "{UKR: 10, RUS: 10}", "{UKR: 15, RUS: 10}"
    )
    load_agreement_file(store, write_synthetic(tmp_path / "v2", wider))
    cache_dir = geography_cache_dir(store)
    assert cache_dir is not None
    assert len(list(cache_dir.glob("geography-*.npz"))) == 2
    _forbid_compiling(monkeypatch)
    book = AgreementBook.from_store(store)
    widths = sorted(
        band.width_m for v in book.versions for band in v.geography.zone("band10").bands
    )
    assert widths == [10_000.0, 10_000.0, 10_000.0, 15_000.0]  # each version its own geography


def test_a_postgresql_store_caches_in_the_user_cache_folder_per_database(
    databases: Databases,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    synthetic_geo: Geography,
) -> None:
    """A server database has no file to sit beside: its cache is the user's, one folder per
    database, and a new process (an HQ worker) reads it instead of compiling."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    url = databases.fresh("postgres", tmp_path)
    parsed = make_url(url)
    store = open_store(Settings(db=url))
    try:
        store.init_schema()
        load_agreement_file(store, write_synthetic(tmp_path / "agreement"))
        cache_dir = geography_cache_dir(store)
        expected = f"{parsed.host}-{parsed.port or 5432}-{parsed.database}"
        assert cache_dir == tmp_path / "xdg" / "ceasefire" / expected
        assert len(list(cache_dir.glob("geography-*.npz"))) == 1
        _forbid_compiling(monkeypatch)  # as a new process: nothing compiled in memory
        book = AgreementBook.from_store(store)
        assert_same_placements(synthetic_geo, book.versions[0].geography, [36.95], [48.0], [0.0])
    finally:
        store.close()
        drop_pg_database(str(parsed.database))
