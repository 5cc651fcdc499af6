"""A deadlock PostgreSQL breaks between two writers reaches the loser as a write conflict
(which the ingest service answers by deciding again), never as a crash."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, text

from ceasefire.errors import WriteConflictError
from ceasefire.store.dialect import deadlocks_as_conflicts


# PostgreSQL only: SQLite has one writer, so two transactions never hold locks crosswise
@pytest.mark.parametrize("backend", ["postgres"])
def test_the_transaction_postgresql_rolls_back_gets_a_write_conflict(fresh_db: str) -> None:
    engine = create_engine(fresh_db)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (pk int PRIMARY KEY, v int)"))
        conn.execute(text("INSERT INTO t VALUES (1, 0), (2, 0)"))
    both_hold_one = threading.Barrier(2)
    outcomes: list[str] = []

    def writer(first: int, second: int) -> None:
        try:
            with deadlocks_as_conflicts("t"), engine.begin() as conn:
                conn.execute(text("UPDATE t SET v = v + 1 WHERE pk = :pk"), {"pk": first})
                both_hold_one.wait()
                conn.execute(text("UPDATE t SET v = v + 1 WHERE pk = :pk"), {"pk": second})
            outcomes.append("committed")
        except WriteConflictError as exc:
            outcomes.append(f"conflict: {exc}")

    threads = [threading.Thread(target=writer, args=pair) for pair in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    engine.dispose()
    assert sorted(o.split(":")[0] for o in outcomes) == ["committed", "conflict"]
    assert any("deadlock" in o for o in outcomes)
