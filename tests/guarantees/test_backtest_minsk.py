"""The Minsk-era backtest, end to end through the CLI: a simulated February-2022-shaped surge
on the Minsk line (28 Jan - 18 Feb 2022) ingested with ``--received-at observed``, the
minsk-2015 guarantees loaded, and ``guarantees backtest`` saying when each trigger would have
fired before 24 Feb 2022 (issue 18, point 5)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from sqlalchemy import create_engine, select
from surge_history import MINSK, simulate_surge, surge_params
from typer.testing import CliRunner

from ceasefire.cli.main import app
from ceasefire.simulation.writer import write_simulation
from ceasefire.store.schema import reports

DAYS = 22  # 28 Jan .. 18 Feb 2022


def cli(db: str, *args: str) -> str:
    result = CliRunner().invoke(app, ["--db", db, *args])
    assert result.exit_code == 0, (args, result.output)
    return result.output


def day_of(text: str) -> str:
    return text[:10]


def test_minsk_surge_backtest_says_when_amber_red_and_heavy_weapons_would_have_fired(
    db: str, tmp_path: Path
) -> None:
    sim = simulate_surge(surge_params(), days=DAYS, seed=1)
    write_simulation(sim, tmp_path / "sim", scenario="minsk-2015")
    cli(db, "init")
    cli(db, "agreement", "load", str(MINSK / "agreement.yaml"))
    cli(db, "ingest", str(tmp_path / "sim" / "reports.ndjson"), "--received-at", "observed")
    engine = create_engine(db)
    with engine.connect() as conn:
        stamped = conn.execute(select(reports.c.observed_at, reports.c.received_at)).all()
    engine.dispose()
    assert stamped
    for observed, received in stamped:  # history keeps its own receipt times
        assert datetime.fromisoformat(received) == datetime.fromtimestamp(observed, UTC)
    cli(db, "guarantees", "load", str(MINSK / "guarantees.yaml"))

    doc = orjson.loads(
        cli(
            db,
            *("guarantees", "backtest", "--from", "2022-01-28", "--to", "2022-02-24"),
            *("--step", "6h", "--json"),
        )
    )
    assert len(doc["steps"]) == 27 * 4
    alerts = [a for step in doc["steps"] for a in step["alerts"]]
    by_trigger: dict[str, list[dict[str, object]]] = {}
    for alert in alerts:
        by_trigger.setdefault(str(alert["trigger"]), []).append(alert)
    amber = [a for a in by_trigger["surge-amber"] if a["sector"] in {"UA-14", "UA-09"}]
    # silent through the 14 baseline days (from 28 Jan), then amber in both oblasts by 18 Feb
    assert min(day_of(str(a["fired_at"])) for a in amber) >= "2022-02-11"
    assert {a["sector"] for a in amber} == {"UA-14", "UA-09"}
    for alert in amber:
        measures = alert["measures"]
        assert isinstance(measures, dict)
        assert measures["count"] > 3 * max(measures["median"], 1) == measures["threshold"]
    # red (x10) by 18 Feb, counting the mission's own observations (first_hand_only)
    red = by_trigger["surge-red"]
    assert min(day_of(str(a["fired_at"])) for a in red) <= "2022-02-18"
    assert min(str(a["fired_at"]) for a in amber) < min(str(a["fired_at"]) for a in red)
    for alert in red:
        measures = alert["measures"]
        assert isinstance(measures, dict)
        assert measures["count"] > 10 * max(measures["median"], 1)
    heavy = by_trigger["heavy-weapons"]
    assert heavy, "heavy-weapons fire in the zones went unnoticed"
    assert all(str(a["measures"]["rule"]) in {"R2", "R3", "R4"} for a in heavy)  # type: ignore[index]

    text = cli(
        db, "guarantees", "backtest", "--from", "2022-02-01", "--to", "2022-02-24", "--step", "1d"
    )
    assert "minsk-watch/surge-amber: 2022-02-1" in text
    assert "minsk-watch/surge-red: 2022-02-18" in text
    assert "minsk-watch/heavy-weapons:" in text
