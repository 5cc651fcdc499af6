"""Fixtures of the guarantees' store tests: a migrated SQLite file per test, the scenario."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from guarantee_store_seed import SCENARIO
from sqlalchemy import create_engine

from ceasefire.guarantees.loader import load_instruments
from ceasefire.guarantees.model import InstrumentSet
from ceasefire.store.migrate import upgrade_to_head


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("guarantees") / "template.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    return path


@pytest.fixture
def db(migrated: Path, tmp_path: Path) -> Path:
    path = tmp_path / "g.db"
    shutil.copyfile(migrated, path)
    return path


@pytest.fixture(scope="module")
def scenario() -> InstrumentSet:
    return load_instruments(SCENARIO)
