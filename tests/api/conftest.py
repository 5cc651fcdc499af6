"""Fixtures for HQ API tests: a store with the mini agreement, users, and a test client.

The agreement is loaded once per session into a template database per backend (on SQLite the
template's compiled-geography cache sits next to its file and is copied with it); each test
gets its own clone, so tests never share state. Every test using ``hq`` runs on SQLite and on
PostgreSQL/PostGIS (``backend`` in ``tests/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import HQ, FreshHQDB, build_hq_template, open_hq

from backend_databases import Databases, drop_url


@pytest.fixture
def hq_db(backend: str, databases: Databases) -> Iterator[FreshHQDB]:
    """Clones of the HQ template on ``backend``, as many as a test asks (a property test takes
    one per example); PostgreSQL clones are dropped when the test ends."""
    made: list[str] = []

    def fresh(folder: Path) -> str:
        folder.mkdir(parents=True, exist_ok=True)
        url: str = databases.fresh(backend, folder, key="hq", build=build_hq_template)
        made.append(url)
        return url

    yield fresh
    for url in made:
        drop_url(url)


@pytest.fixture
def hq(hq_db: FreshHQDB, tmp_path: Path) -> Iterator[HQ]:
    """A fresh HQ app on a clone of the template database, with its test client."""
    folder = tmp_path / "hq"
    with open_hq(hq_db(folder), folder) as found:
        yield found
