"""Fixtures for ingest tests: an initialised database with the mini agreement loaded.

The database is built once per session and copied per test: a migration per test would cost
more than the tests themselves.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pipeline_helpers import MINI_AGREEMENT

from ceasefire.pipeline.agreements import load_agreement_file
from ceasefire.store.sqlite import SQLiteStore


@pytest.fixture(scope="session")
def mini_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("template") / "mini.db"
    store = SQLiteStore(f"sqlite:///{db}")
    store.init_schema()
    load_agreement_file(store, MINI_AGREEMENT)
    store.close()
    return db


@pytest.fixture
def mini_db(mini_db_template: Path, tmp_path: Path) -> Path:
    db = tmp_path / "mini.db"
    shutil.copy(mini_db_template, db)
    return db


@pytest.fixture
def mini_store(mini_db: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(f"sqlite:///{mini_db}")
    yield store
    store.close()
