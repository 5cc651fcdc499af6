"""The ledger from the command line: keys, checkpoint, countersign, export, verify."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner, Result

from ceasefire.cli.main import app


@pytest.fixture
def cli(fresh_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """An initialised database on each backend (``--db`` for ``run``), in ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CEASEFIRE_DB", fresh_db)
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    return runner


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(app, args)


def test_a_nation_verifies_an_export_offline_and_tampering_fails(cli: CliRunner) -> None:
    hq = run(cli, "keys", "add", "--hq")
    fra = run(cli, "keys", "add", "--nation", "FRA")
    assert hq.exit_code == 0, hq.output
    assert fra.exit_code == 0, fra.output
    keys = {p.name: p for p in Path("keys").iterdir()}
    private = [p for name, p in keys.items() if name.endswith(".key")]
    assert len(private) == 2
    for path in private:
        assert path.stat().st_mode & 0o777 == 0o600
        secret = path.read_text().splitlines()[1]  # the base64 body of the PEM
        assert secret not in hq.output + fra.output
        assert str(path) in hq.output + fra.output

    assert "entries 1..2" in run(cli, "ledger", "checkpoint").output
    assert "nothing to checkpoint" in run(cli, "ledger", "checkpoint").output
    signed = run(cli, "ledger", "countersign", "--nation", "FRA")
    assert "FRA countersigned checkpoint(s) 1" in signed.output, signed.output
    exported = run(cli, "ledger", "export", "--out", "ledger.jsonl")
    assert exported.exit_code == 0, exported.output
    assert "2 entries, 1 checkpoints, 2 signatures" in exported.output

    trust = [
        a for p in keys.values() if p.name.endswith(".pub.json") for a in ("--trust-key", str(p))
    ]
    ok = cli.invoke(app, ["ledger", "verify", "ledger.jsonl", *trust])
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("VERIFIED")
    untrusted = cli.invoke(app, ["ledger", "verify", "ledger.jsonl", *trust[:2]])
    assert untrusted.exit_code == 1
    assert "rule untrusted-key" in untrusted.output

    assert run(cli, "keys", "add", "--nation", "GBR").exit_code == 0
    run(cli, "ledger", "checkpoint")
    assert run(cli, "ledger", "export", "--out", "later.jsonl").exit_code == 0
    extends = cli.invoke(app, ["ledger", "verify", "later.jsonl", "--previous", "ledger.jsonl"])
    assert extends.exit_code == 0, extends.output
    rollback = cli.invoke(app, ["ledger", "verify", "ledger.jsonl", "--previous", "later.jsonl"])
    assert rollback.exit_code == 1
    assert "rule rollback" in rollback.output

    data = Path("ledger.jsonl").read_bytes()
    target = next(i for i, line in enumerate(data.splitlines()) if b'"role":"nation"}' in line)
    Path("tampered.jsonl").write_bytes(data.replace(b'"role":"nation"}', b'"role":"nation" }', 1))
    bad = cli.invoke(app, ["ledger", "verify", "tampered.jsonl", "--json"])
    assert bad.exit_code == 1
    verdict = orjson.loads(bad.output)
    assert verdict["ok"] is False
    assert verdict["failure"]["rule"] == "canonical"
    assert verdict["failure"]["line"] == target + 1


def test_keys_list_shows_public_halves_only(cli: CliRunner) -> None:
    run(cli, "keys", "add", "--nation", "gbr")
    listed = run(cli, "keys", "list", "--json")
    assert listed.exit_code == 0, listed.output
    [key] = orjson.loads(listed.output)
    assert (key["owner"], key["role"], len(key["public_key"])) == ("GBR", "nation", 64)


def test_usage_errors_exit_2_with_a_clear_message(cli: CliRunner, tmp_path: Path) -> None:
    both = run(cli, "keys", "add", "--hq", "--nation", "FRA")
    assert both.exit_code == 2
    assert "exactly-one" in both.output
    no_hq = run(cli, "ledger", "checkpoint")
    assert no_hq.exit_code == 2
    assert "keys add --hq" in no_hq.output
    missing = cli.invoke(app, ["ledger", "verify", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2
    uninitialised = cli.invoke(app, ["--db", "other.db", "keys", "list"])
    assert uninitialised.exit_code == 2
    bad_nation = run(cli, "ledger", "export", "--out", "x.jsonl", "--for", "1x")
    assert bad_nation.exit_code == 2
    assert "nation" in bad_nation.output
    bad_level = run(
        cli, "ledger", "export", "--out", "x.jsonl", "--for", "FRA", "--clearance", "TOP"
    )
    assert bad_level.exit_code == 2
    assert not Path("x.jsonl").exists()
