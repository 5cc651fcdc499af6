"""Fixtures of the guarantees' store tests: a migrated database per test, the scenario.

``db`` is the URL of a clone of a migrated template, on SQLite and on PostgreSQL/PostGIS
(``backend`` in ``tests/conftest.py``): every test using it runs on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from guarantee_store_seed import SCENARIO

from backend_databases import Databases, build_initialised, drop_url
from ceasefire.guarantees.loader import load_instruments
from ceasefire.guarantees.model import InstrumentSet


@pytest.fixture
def db(backend: str, databases: Databases, tmp_path: Path) -> Iterator[str]:
    url = databases.fresh(backend, tmp_path, key="initialised", build=build_initialised)
    yield url
    drop_url(url)


@pytest.fixture
def other_db(backend: str, databases: Databases, tmp_path: Path) -> Iterator[str]:
    """A second migrated database beside ``db`` (same backend), for a test comparing two."""
    folder = tmp_path / "other"
    folder.mkdir()
    url = databases.fresh(backend, folder, key="initialised", build=build_initialised)
    yield url
    drop_url(url)


@pytest.fixture(scope="module")
def scenario() -> InstrumentSet:
    return load_instruments(SCENARIO)
