"""``ceasefire demo`` end to end, as ``make demo`` runs it (with 2 simulated days, not 30).

SQLite only: the demo builds its own database file in ``--dir`` (``demo/ceasefire.db``), the
laptop store; it takes no ``--db``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ceasefire.cli.main import app

pytestmark = pytest.mark.slow


def _demo(directory: Path) -> list[str]:
    result = CliRunner().invoke(
        app, ["demo", "--scenario", "paris-2026", "--days", "2", "--dir", str(directory)]
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    return [line for line in result.output.splitlines() if line.strip()]


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_demo_builds_a_fresh_database_and_ends_with_an_existing_report(tmp_path: Path) -> None:
    stale = tmp_path / "reports" / "1999-01-01"
    stale.mkdir(parents=True)
    lines = _demo(tmp_path)
    last = Path(lines[-1])
    assert last.name == "report.html"
    assert last.is_file()
    assert last.is_absolute()
    html = last.read_text(encoding="utf-8")
    assert 'id="map"' in html
    assert 'id="trend"' in html
    assert html.count("data:image/png;base64,") == 2
    assert not stale.exists()
    db = tmp_path / "ceasefire.db"
    reports = _count(db, "SELECT count(*) FROM reports")
    assert reports > 1_000  # two simulated days of a whole front
    assert _count(db, "SELECT count(*) FROM agreement_versions") == 1
    assert _count(db, "SELECT count(*) FROM violations") > 0
    # the paris guarantees are loaded and the ingest's live evaluator recorded their alerts,
    # one ``trigger.fired`` ledger entry each
    assert _count(db, "SELECT count(*) FROM guarantee_files") == 1
    alerts = _count(db, "SELECT count(*) FROM guarantee_alerts")
    assert alerts > 0
    fired = "SELECT count(*) FROM ledger_entries WHERE event_type = 'trigger.fired'"
    assert _count(db, fired) == alerts
    has_pledges = _count(db, "SELECT count(*) FROM sqlite_master WHERE name = 'pledges'")
    if has_pledges:  # the coalition workstream's tables: the demo loads the scenario's pledges
        assert _count(db, "SELECT count(*) FROM pledges") > 0

    again = _demo(tmp_path)  # deterministic, and the old database is replaced, not added to
    assert again[-1] == lines[-1]
    assert _count(db, "SELECT count(*) FROM reports") == reports


def test_demo_refuses_an_unknown_scenario(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--scenario", "oslo-1993", "--dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "unknown scenario" in result.output
    assert not (tmp_path / "ceasefire.db").exists()
