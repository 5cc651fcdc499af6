"""``ceasefire users add|list``: secrets shown once, errors naming the field."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from ceasefire.access.secrets import token_digest
from ceasefire.cli.main import app
from ceasefire.settings import Settings
from ceasefire.store.access_sql import user_for_credential
from ceasefire.store.base import open_store
from ceasefire.store.queries import engine_of


def run(db: Path | str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", str(db), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_users_add_prints_a_working_token_once_and_list_never_shows_it(
    fresh_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CEASEFIRE_DB", raising=False)
    db = fresh_db
    code, out, _ = run(db, "users", "add", "ana", "--nation", "FRA", "--role", "analyst", "--json")
    assert code == 0
    made = orjson.loads(out)
    assert made["token"].startswith("cf_")
    assert made["password"]
    code, out, _ = run(db, "users", "list", "--json")
    listed = orjson.loads(out)
    assert listed == [
        {
            "name": "ana",
            "nation": "FRA",
            "organisation": None,
            "clearance": "SECRET",
            "roles": ["analyst"],
        }
    ]
    assert made["token"] not in out
    assert made["password"] not in out
    store = open_store(Settings(db=db))
    found = user_for_credential(engine_of(store), token_digest(made["token"]), now_s=0.0)
    store.close()
    assert found is not None
    assert found[0].name == "ana"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--nation", "fr", "--role", "analyst"], "nation"),
        (["--nation", "FRA", "--role", "spy"], "role"),
        (["--nation", "FRA", "--role", "analyst", "--clearance", "TOP"], "clearance"),
        (["--nation", "FRA", "--organisation", "EU", "--role", "analyst"], "nation"),
    ],
)
def test_users_add_refuses_bad_input_naming_the_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], field: str
) -> None:
    monkeypatch.delenv("CEASEFIRE_DB", raising=False)
    code, _, err = run(tmp_path / "u.db", "users", "add", "bob", *args)
    assert code == 2
    assert err.startswith(f"error: {field}:")
