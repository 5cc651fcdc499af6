"""Fixtures for ingest tests: databases with the mini agreement loaded, on both backends.

The database is built once per session and backend (a template) and cloned per test: a
migration per test would cost more than the tests themselves. ``mini_clones`` hands out as
many clones as a test needs (a clean run beside an interrupted one, say) and drops them after.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_helpers import Clones, build_mini

from backend_databases import Databases
from ceasefire.settings import Settings
from ceasefire.store.base import open_store
from ceasefire.store.core_store import CoreStore


@pytest.fixture
def mini_clones(backend: str, databases: Databases, tmp_path: Path) -> Iterator[Clones]:
    """Clones of the mini template on ``backend``, dropped when the test ends."""
    clones = Clones(backend, databases, tmp_path, key="mini", build=build_mini)
    yield clones
    clones.drop_all()


@pytest.fixture
def mini_db(mini_clones: Clones) -> str:
    """The URL of a database holding the mini agreement, nothing else."""
    return mini_clones.new()


@pytest.fixture
def mini_store(mini_db: str) -> Iterator[CoreStore]:
    store = open_store(Settings(db=mini_db))
    assert isinstance(store, CoreStore)
    yield store
    store.close()
