"""Fixtures for HQ API tests: a store with the mini agreement, users, and a test client.

The agreement is loaded once per session into a template database; each test copies it (with
its compiled-geography cache), so tests never share state.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import HQ
from fastapi.testclient import TestClient

from ceasefire.api.app import create_app
from ceasefire.pipeline.agreements import AgreementBook, load_agreement_file
from ceasefire.settings import Settings
from ceasefire.store.sqlite import SQLiteStore

MINI = Path(__file__).resolve().parents[1] / "data" / "mini-agreement" / "agreement.yaml"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the schema and the mini agreement, built once."""
    folder = tmp_path_factory.mktemp("hq-template")
    store = SQLiteStore(f"sqlite:///{folder / 'hq.db'}")
    store.init_schema()
    load_agreement_file(store, MINI)
    store.engine.dispose()
    AgreementBook.from_store(store)  # writes the compiled-geography cache next to the file
    store.close()
    return folder


@pytest.fixture
def hq(template_db: Path, tmp_path: Path) -> Iterator[HQ]:
    """A fresh HQ app on a copy of the template database, with its test client."""
    folder = tmp_path / "hq"
    shutil.copytree(template_db, folder)
    settings = Settings(db=f"sqlite:///{folder / 'hq.db'}")
    app = create_app(settings)
    with TestClient(app) as client:
        yield HQ(app=app, client=client, folder=folder)
