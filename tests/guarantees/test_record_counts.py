"""``guarantees evaluate``, ``guarantees status``, ``obligations list`` and the ledger agree.

Issue 17 found "60 alerts (0 new)" from ``evaluate`` while the ledger gained 60
``trigger.fired`` entries, ``status`` listed 6 alerts and ``obligations`` 4. Here a store gets
random monitoring rows dated ahead of the wall clock (as the demo's simulated month is), the
real commands run, and every total must be the same: alerts = ``trigger.fired`` entries,
obligations = ``obligation.state`` entries that open one = the obligations listed; "new" is
what the run recorded (all of it the first time, nothing the second). Both backends.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

from sqlalchemy import create_engine, select
from test_guarantees_refresh import GUARANTEES, START, ingest, seed_base
from typer.testing import CliRunner

from ceasefire.cli.main import app
from ceasefire.clock import FixedClock
from ceasefire.guarantees.loader import parse_instruments
from ceasefire.store.guarantees import save_instrument_file
from ceasefire.store.ledger import ledger_entries


def cli(db: str, *args: str) -> Any:
    result = CliRunner().invoke(app, ["--db", db, *args, "--json"])
    assert result.exit_code == 0, (args, result.output)
    return json.loads(result.output)


def ledger(db: str) -> tuple[int, int]:
    """(trigger.fired entries, obligation.state entries that open an obligation)."""
    with create_engine(db).connect() as conn:
        rows = conn.execute(select(ledger_entries.c.event_type, ledger_entries.c.payload)).all()
    fired = sum(1 for kind, _ in rows if kind == "trigger.fired")
    opened = sum(
        1 for kind, payload in rows if kind == "obligation.state" and '"state":"open"' in payload
    )
    return fired, opened


def test_evaluate_status_obligations_and_ledger_count_the_same(db: str) -> None:
    engine = create_engine(db)
    seed_base(engine)
    instruments = parse_instruments(GUARANTEES)
    save_instrument_file(engine, GUARANTEES, "g.yaml", instruments, clock=FixedClock(START))
    rng = random.Random(7)
    now = START
    for _ in range(20):
        now += timedelta(hours=rng.choice([2, 6, 12, 20]))
        ingest(engine, rng, now)

    first = cli(db, "guarantees", "evaluate")
    status = cli(db, "guarantees", "status")
    listed = cli(db, "obligations", "list")
    fired, opened = ledger(db)

    alerts, obligations = first["alerts"]["total"], first["obligations"]["total"]
    assert alerts > 3  # the scenario fires, and obligations follow
    assert obligations > 0
    assert first["alerts"]["new"] == alerts == fired
    assert first["obligations"]["new"] == obligations == opened
    assert status["at"] == listed["at"] == first["at"]  # one moment: the record's horizon
    assert status["totals"]["alerts"] == alerts
    assert sum(row["alert_total"] for row in status["instruments"]) == alerts
    assert status["totals"]["obligations"] == obligations == len(listed["obligations"])
    states = {k: v for k, v in first["obligations"].items() if k not in {"total", "new"}}
    assert {k: v for k, v in status["totals"].items() if k not in {"alerts", "obligations"}} == (
        states
    )

    again = cli(db, "guarantees", "evaluate")
    assert (again["alerts"]["new"], again["obligations"]["new"]) == (0, 0)
    assert (again["alerts"]["total"], again["obligations"]["total"]) == (alerts, obligations)
    assert ledger(db) == (fired, opened)
