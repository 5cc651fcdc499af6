"""The coalition commands end to end: init, load, members, pledges, force solve."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner, Result

from backend_databases import Databases, build_initialised, drop_url
from ceasefire.cli.main import app
from ceasefire.scenarios import scenario_dir

PARIS = scenario_dir("paris-2026")
Invoke = Callable[..., Result]


def load_paris(url: str) -> None:
    """The template: an initialised database with the paris-2026 coalition loaded."""
    build_initialised(url)
    loaded = CliRunner().invoke(app, ["--db", url, "coalition", "load", str(PARIS)])
    assert loaded.exit_code == 0, loaded.output
    assert "pledges" in loaded.output


@pytest.fixture
def cli(backend: str, databases: Databases, tmp_path: Path) -> Iterator[Invoke]:
    """A database with the paris-2026 coalition loaded (a clone of a template), per test."""
    runner = CliRunner()
    db = databases.fresh(backend, tmp_path, key="coalition-paris", build=load_paris)

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["--db", db, *args], catch_exceptions=False)

    yield invoke
    drop_url(db)


def test_members_and_declarations_show_sources(cli: Invoke) -> None:
    table = cli("coalition", "members")
    assert table.exit_code == 0
    assert "Coalition members" in table.output
    members = {m["id"]: m for m in orjson.loads(cli("coalition", "members", "--json").output)}
    assert members["USA"]["role"] == "backstop"
    assert all(m["source"] and m["as_of"] for m in members.values())
    decls = {d["id"]: d for d in orjson.loads(cli("coalition", "declarations", "--json").output)}
    assert decls["uk-fr-ua-intent-2026-01-06"]["signatories"] == ["GBR", "FRA", "UKR"]
    assert decls["paris-2026-01-06"]["signed_on"] == "2026-01-06"


def test_bad_import_is_refused_with_file_line_rule(cli: Invoke, tmp_path: Path) -> None:
    before = orjson.loads(cli("pledges", "list", "--json").output)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "pledges:\n"
        "  - {id: X-1, nation: GBR, capability: frigate, units: 1, readiness_days: 5,\n"
        "     source: t, as_of: 2026-01-10}\n"
        "  - {id: X-2, nation: GBR, capability: submarine, units: 1, readiness_days: 5,\n"
        "     source: t, as_of: 2026-01-10}\n"
    )
    result = cli("pledges", "import", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:4: pledges[1].capability" in result.output
    assert "[unknown-capability]" in result.output
    assert orjson.loads(cli("pledges", "list", "--json").output) == before


def test_add_and_set_status(cli: Invoke) -> None:
    added = cli(
        "pledges", "add", "--id", "NOR-MCM", "--nation", "NOR", "--capability", "mcm_vessel",
        "--units", "1", "--source", "test", "--by", "desk officer",
        "--caveat", "not_in_ukraine", "--caveat", "time_limited:until_day=365",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    bad = cli("pledges", "add", "--id", "Z", "--nation", "NOR", "--capability", "frigate",
              "--units", "1", "--source", "t", "--by", "t", "--caveat", "no_snow")  # fmt: skip
    assert bad.exit_code == 2
    assert "caveat-type" in bad.output
    ok = cli("pledges", "set-status", "NOR-MCM", "committed", "--by", "MoD", "--source", "letter")
    assert ok.exit_code == 0, ok.output
    back = cli("pledges", "set-status", "NOR-MCM", "intent", "--by", "MoD", "--source", "x")
    assert back.exit_code == 2
    assert "status-ladder" in back.output
    listed = orjson.loads(cli("pledges", "list", "--json", "--nation", "NOR").output)
    mcm = next(p for p in listed if p["id"] == "NOR-MCM")
    assert [h["status"] for h in mcm["history"]] == ["intent", "committed"]
    assert {c["type"] for c in mcm["caveats"]} == {"not_in_ukraine", "time_limited"}


def test_force_solve_json_and_figures(cli: Invoke, tmp_path: Path) -> None:
    reqs = str(PARIS / "requirements.yaml")
    base = cli("force", "solve", "--requirements", reqs, "--json", "--no-what-if")
    assert base.exit_code == 0, base.output
    plain = orjson.loads(base.output)
    assert plain["status"] == "optimal"
    assert plain["gap"] <= 1e-3
    assert not any(t["nation"] == "DEU" for t in plain["tours"])
    reasons = {s["reason"] for s in plain["shortfalls"]}
    assert {"excluded", "not_ready"} <= reasons
    out = tmp_path / "out"
    lifted = cli(
        "force", "solve", "--requirements", reqs, "--json", "--out", str(out),
        "--assume", "us_backstop=true", "--assume", "bundestag_mandate=true",
    )  # fmt: skip
    data = orjson.loads(lifted.output)
    assert data["coverage"] > plain["coverage"]
    assert any(t["nation"] == "DEU" for t in data["tours"])
    assert data["what_if"], "the what-if ranking is part of the answer"
    assert data["what_if"][0]["gain"] >= data["what_if"][-1]["gain"]
    for name in ("coverage.png", "rotations.png"):
        blob = (out / name).read_bytes()
        assert blob.startswith(b"\x89PNG")
        assert len(blob) > 20_000
    assert orjson.loads((out / "plan.json").read_bytes())["coverage"] == data["coverage"]


def test_force_solve_tables(cli: Invoke) -> None:
    result = cli("force", "solve", "--no-what-if")  # the stored CJSOR
    assert result.exit_code == 0, result.output
    assert "Shortfalls and why" in result.output
    assert "weighted coverage" in result.output
    bad = cli("force", "solve", "--assume", "us_backstop=maybe")
    assert bad.exit_code == 2
    assert "key=true|false" in bad.output


def test_commands_refuse_a_database_without_tables(fresh_db: str) -> None:
    result = CliRunner().invoke(app, ["--db", fresh_db, "coalition", "members"])
    assert result.exit_code == 2
    assert "ceasefire init" in result.output
