"""Fixtures for the report tests: the two demo databases, each built once per session and
backend (``ceasefire demo`` on SQLite; the same steps into a new PostgreSQL database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from report_checks import Demo, build_demo
from sqlalchemy.engine import make_url

from backend_databases import BACKENDS, Databases, drop_pg_database


@pytest.fixture(scope="session", params=BACKENDS)
def demo_backend(request: pytest.FixtureRequest) -> str:
    """The backend of the session's demo databases (both, one after the other)."""
    return str(request.param)


def _demo(
    databases: Databases, backend: str, directory: Path, scenario: str, *, days: int = 30
) -> Iterator[Demo]:
    db = None if backend == "sqlite" else databases.fresh(backend, directory)
    yield build_demo(db, directory, scenario, days=days)
    if db is not None:
        drop_pg_database(str(make_url(db).database))


@pytest.fixture(scope="session")
def paris_demo(
    demo_backend: str, databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    """``ceasefire demo --scenario paris-2026`` with 3 simulated days (``make demo`` uses 30)."""
    folder = tmp_path_factory.mktemp("paris-demo")
    yield from _demo(databases, demo_backend, folder, "paris-2026", days=3)


@pytest.fixture(scope="session")
def minsk_demo(
    demo_backend: str, databases: Databases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    """``ceasefire demo --scenario minsk-2015``: the real UCDP events 2015-2018."""
    yield from _demo(databases, demo_backend, tmp_path_factory.mktemp("minsk-demo"), "minsk-2015")
