"""Shared fixtures and the report header (library and server versions the results depend on).

``backend`` parametrises the store-touching suites over SQLite and PostgreSQL/PostGIS, both
real (``backend_databases.py``): a suite's fixture asks ``databases.fresh(backend, …)`` for
its database, and every test using that fixture runs once per backend.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pyproj
import pytest
import shapely
import sqlalchemy

from backend_databases import (
    BACKENDS,
    Databases,
    drop_orphans,
    drop_url,
    postgres_version,
)


def pytest_report_header() -> list[str]:
    """Print GEOS, PROJ, SQLite, SQLAlchemy and PostgreSQL versions: answers depend on them."""
    return [
        f"GEOS {shapely.geos_version_string}, shapely {shapely.__version__}",
        f"PROJ {pyproj.proj_version_str}, pyproj {pyproj.__version__}",
        f"SQLite {sqlite3.sqlite_version}, SQLAlchemy {sqlalchemy.__version__}",
        f"PostgreSQL {postgres_version()}",
    ]


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """This session's database templates; PostgreSQL ones are dropped at the end."""
    drop_orphans()
    found = Databases(tmp_path_factory.mktemp("databases"))
    yield found
    found.drop_templates()


@pytest.fixture(scope="session", autouse=True)
def _geography_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """PostgreSQL stores cache compiled geographies in the user's cache folder, one folder per
    database (``pipeline.agreements.geography_cache_dir``): the tests' databases are many and
    short-lived, so their caches go to this session's temporary folder instead (inherited by
    the ``ceasefire`` subprocesses some tests run)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgres``: every test that uses it runs on both."""
    return str(request.param)


@pytest.fixture
def fresh_db(backend: str, databases: Databases, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database on ``backend`` (not initialised)."""
    url = databases.fresh(backend, tmp_path)
    yield url
    drop_url(url)
