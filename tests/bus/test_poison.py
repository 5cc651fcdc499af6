"""A message the workers cannot process goes to the quarantine whole, with the reason, in the
scope its headers name; a re-delivered poison message is stored once. Both backends."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from ceasefire.clock import FixedClock
from ceasefire.pipeline.batch import quarantine_message
from ceasefire.settings import Settings
from ceasefire.store.base import open_store


def test_a_poison_message_is_quarantined_whole_with_its_reason_once(fresh_db: str) -> None:
    store = open_store(Settings(db=fresh_db))
    store.init_schema()
    payload = b'{"id": "r1"}\n\xff not utf-8\n'
    headers = {"Ceasefire-Principal": "FRA", "Ceasefire-Input": "api"}
    clock = FixedClock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    try:
        for _ in range(2):
            quarantine_message(store, payload, headers, "ValueError: cannot be read", clock=clock)
    finally:
        store.close()
    engine = create_engine(fresh_db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT raw, source_file, field, rule, message, submitter FROM quarantine")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [
        (
            '{"id": "r1"}\n\ufffd not utf-8\n',
            "api",
            "bus_message",
            "poison",
            "ValueError: cannot be read",
            "FRA",
        )
    ]
