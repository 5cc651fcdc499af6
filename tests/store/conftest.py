"""Fixtures for store tests: a fresh, initialised store per test, on each backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ceasefire.settings import Settings
from ceasefire.store.base import Store, open_store


@pytest.fixture
def store(fresh_db: str) -> Iterator[Store]:
    s = open_store(Settings(db=fresh_db))
    s.init_schema()
    yield s
    s.close()
