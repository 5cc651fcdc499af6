"""Several writers at once on PostgreSQL: the chain stays one line and the ledger verifies.

PostgreSQL only: it is the backend several processes write at once (issue 14). SQLite has one
writer by design (``store/sqlite.py``): a second one waits on the database lock or fails.
Every append path is exercised by every writer: ``append_events`` (``SqlLedger.extend_chain``),
``append_events_in`` in the writer's own transaction, and ``record_in`` (ingest, fusion).
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from ceasefire.cli.main import app
from ceasefire.clock import FixedClock
from ceasefire.ledger.model import GENESIS_HASH, EventType, LedgerEvent
from ceasefire.ledger.service import append_events
from ceasefire.settings import Settings
from ceasefire.store.base import open_store
from ceasefire.store.ledger import SqlLedger, append_events_in, ledger_entries, record_in

PROCESSES = 4
THREADS = 3
TRANSACTIONS = 20
EVENTS = 3  # per transaction
AT = datetime(2026, 12, 7, tzinfo=UTC)


def _event(writer: str, n: int, k: int) -> LedgerEvent:
    return LedgerEvent(
        EventType.REPORT_ACCEPTED, f"{writer}/{n}/{k}", {"writer": writer, "n": n, "k": k}
    )


def _write(url: str, writer: str) -> tuple[int, float, float]:
    """One writer: ``TRANSACTIONS`` transactions through the three append paths in turn;
    the entries it appended, and when it started and finished writing (epoch seconds)."""
    engine = create_engine(url)
    ledger = SqlLedger(engine)
    clock = FixedClock(AT)
    appended = 0
    with engine.connect():
        pass  # connected before the clock starts
    started = time.time()
    try:
        for n in range(TRANSACTIONS):
            events = [_event(writer, n, k) for k in range(EVENTS)]
            if n % 3 == 0:
                appended += len(append_events(ledger, events, clock=clock))
            elif n % 3 == 1:
                with engine.begin() as conn:
                    appended += len(append_events_in(conn, events, clock=clock))
            else:
                with engine.begin() as conn:
                    record_in(conn, events, at=AT)
                    appended += len(events)
        finished = time.time()
    finally:
        engine.dispose()
    return appended, started, finished


def _process(url: str, name: str) -> list[tuple[int, float, float]]:
    """One process with ``THREADS`` writer threads, each on its own connections."""
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda t: _write(url, f"{name}.{t}"), range(THREADS)))


@pytest.fixture
def backend() -> str:
    """PostgreSQL only (``fresh_db`` is then a PostgreSQL database)."""
    return "postgres"


@pytest.fixture
def pg_url(fresh_db: str) -> str:
    store = open_store(Settings(db=fresh_db))
    store.init_schema()
    store.close()
    return fresh_db


def test_concurrent_writers_keep_one_chain_that_verifies(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        runs = pool.starmap(_process, [(pg_url, f"p{p}") for p in range(PROCESSES)])
    writers = [w for run in runs for w in run]
    total = PROCESSES * THREADS * TRANSACTIONS * EVENTS
    assert sum(n for n, _, _ in writers) == total
    overlap = min(end for _, _, end in writers) - max(start for _, start, _ in writers)
    elapsed = max(end for _, _, end in writers) - min(start for _, start, _ in writers)

    engine = create_engine(pg_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ledger_entries.c.seq, ledger_entries.c.prev_hash, ledger_entries.c.hash
            ).order_by(ledger_entries.c.seq)
        ).all()
    engine.dispose()
    assert [r.seq for r in rows] == list(range(1, total + 1))
    assert [r.prev_hash for r in rows] == [GENESIS_HASH, *(r.hash for r in rows[:-1])]

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, ["--db", pg_url, *args])
        assert result.exit_code == 0, result.output
        return result.output

    run("keys", "add", "--hq")
    assert f"entries 1..{total + 1}" in run("ledger", "checkpoint")  # + the key's entry
    run("ledger", "export", "--out", "ledger.jsonl")
    assert run("ledger", "verify", "ledger.jsonl").startswith("VERIFIED")
    transactions = PROCESSES * THREADS * TRANSACTIONS
    print(
        f"\n{PROCESSES} processes x {THREADS} threads, {total} entries in {transactions} "
        f"transactions: {elapsed:.2f} s of writing ({transactions / elapsed:.0f} "
        f"transactions/s), all writers at once for {max(overlap, 0):.2f} s"
    )
