"""``make demo``'s users: printed once, and kept in ``demo/credentials.txt`` for the owner only.

The HQ server is not started (``uvicorn.run`` is replaced by a function that records its
call): what is tested is what the demo writes before it serves.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from ceasefire.api.demo_users import DEMO_USERS
from ceasefire.cli.demo import CREDENTIALS_FILE, serve_demo, write_credentials
from ceasefire.cli.main import app


def test_credentials_file_is_the_owners_only_and_replaced_each_run(tmp_path: Path) -> None:
    old = tmp_path / CREDENTIALS_FILE
    old.write_text("stale secrets\n", encoding="utf-8")
    old.chmod(0o644)
    path = write_credentials(tmp_path, ["a  password x  token y"], url="http://h:1/")
    assert path == old
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert "stale" not in text
    assert text.splitlines()[1:] == ["a  password x  token y"]


def test_serve_demo_writes_every_demo_user_with_password_and_token(
    fresh_db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert CliRunner().invoke(app, ["--db", fresh_db, "init"]).exit_code == 0
    served: list[int] = []
    monkeypatch.setattr(uvicorn, "run", lambda _app, **kw: served.append(int(kw["port"])))
    serve_demo(fresh_db, tmp_path, host="127.0.0.1", port=8123, speed=1.0)
    assert served == [8123]
    path = tmp_path / CREDENTIALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "http://127.0.0.1:8123/" in lines[0]
    users = {line.split()[0]: line for line in lines[1:]}
    assert set(users) == {name for name, *_ in DEMO_USERS}
    for line in users.values():
        assert " password " in line
        assert " token " in line
    err = capsys.readouterr().err
    assert str(path) in err  # the console says where they are kept
