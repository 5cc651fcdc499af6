"""Settings: the database URL comes from --db, else CEASEFIRE_DB, else ./ceasefire.db."""

from __future__ import annotations

import pytest

from ceasefire.settings import Settings


def test_default_is_sqlite_file_in_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CEASEFIRE_DB", raising=False)
    assert Settings.from_cli(None).db == "sqlite:///ceasefire.db"


def test_environment_variable_sets_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEASEFIRE_DB", "/tmp/x.db")
    assert Settings.from_cli(None).db == "sqlite:////tmp/x.db"


def test_cli_option_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEASEFIRE_DB", "/tmp/x.db")
    assert Settings.from_cli("postgresql+psycopg://h/db").db == "postgresql+psycopg://h/db"
