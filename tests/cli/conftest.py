"""Fixtures for CLI tests: run ``ceasefire`` in-process against a new database, on SQLite and
on PostgreSQL/PostGIS (``fresh_db``, parametrised by ``backend`` in ``tests/conftest.py``)."""

from __future__ import annotations

import pytest
from cli_helpers import Invoke
from typer.testing import CliRunner, Result

from ceasefire.cli.main import app


@pytest.fixture
def cli(fresh_db: str, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``cli("ingest", "a.ndjson")`` runs ``ceasefire --db <fresh_db> ingest a.ndjson``."""
    monkeypatch.delenv("CEASEFIRE_DB", raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["--db", fresh_db, *args], catch_exceptions=False)

    return invoke
