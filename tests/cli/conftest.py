"""Fixtures for CLI tests: run ``ceasefire`` in-process against a database in a temp folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import Invoke
from typer.testing import CliRunner, Result

from ceasefire.cli.main import app


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``cli("ingest", "a.ndjson")`` runs ``ceasefire --db <tmp>/cf.db ingest a.ndjson``."""
    monkeypatch.delenv("CEASEFIRE_DB", raising=False)
    runner = CliRunner()
    db = tmp_path / "cf.db"

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["--db", str(db), *args], catch_exceptions=False)

    return invoke
