"""The SQL ledger: same contract as the in-memory one, migrated schema, shared transactions."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from ledger_builders import LEDGER_ID, build_ledger, report_event
from sqlalchemy import Engine, MetaData, create_engine

from ceasefire.clock import FixedClock
from ceasefire.errors import InputError, StoreError
from ceasefire.ledger.chain import chain_entries
from ceasefire.ledger.export import export_ledger
from ceasefire.ledger.memory import MemoryLedger
from ceasefire.ledger.model import GENESIS_HASH
from ceasefire.ledger.service import append_events
from ceasefire.ledger.verify import verify_bytes
from ceasefire.store.ledger import LEDGER_TABLES, SqlLedger, append_events_in, ledger_info
from ceasefire.store.metadata import metadata
from ceasefire.store.sqlite import SQLiteStore

CLOCK = FixedClock(datetime(2026, 1, 6, tzinfo=UTC))


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    metadata.create_all(engine, tables=list(LEDGER_TABLES))
    with engine.begin() as conn:
        conn.execute(ledger_info.insert().values(id=1, ledger_id=LEDGER_ID, created_at=""))
    return engine


def test_sql_and_memory_ledgers_export_the_same_bytes(engine: Engine, tmp_path: Path) -> None:
    """Same keys, same clock, same events: the exports must be byte-identical."""
    sql = build_ledger(tmp_path / "a", ledger=SqlLedger(engine), batches=(30, 20))
    memory = MemoryLedger(LEDGER_ID)
    for key in sql.ledger.public_keys():
        memory.add_key(key)
    stored = list(sql.ledger.entries(1, sql.ledger.head().seq))
    memory.extend_chain(lambda _head: stored)
    for checkpoint in sql.ledger.checkpoints():
        sigs = [s for s in sql.ledger.signatures() if s.checkpoint_seq == checkpoint.seq]
        memory.add_checkpoint(checkpoint, sigs[0])
        memory.add_signatures(sigs[1:])
    exported = sql.export()
    assert exported == build_export(memory)
    assert verify_bytes(exported).ok


def build_export(ledger: MemoryLedger) -> bytes:
    buffer = io.BytesIO()
    export_ledger(ledger, buffer)
    return buffer.getvalue()


def test_entries_stream_in_batches_across_the_read_size(engine: Engine) -> None:
    ledger = SqlLedger(engine)
    append_events(ledger, [report_event(i) for i in range(25_000)], clock=CLOCK)
    seqs = [e.seq for e in ledger.entries(1, 25_000)]
    assert seqs == list(range(1, 25_001))
    assert ledger.head().seq == 25_000


def test_appending_inside_a_rolled_back_transaction_leaves_no_entry(engine: Engine) -> None:
    ledger = SqlLedger(engine)

    def ingest_that_fails() -> None:
        with engine.begin() as conn:
            append_events_in(conn, [report_event(1)], clock=CLOCK)
            raise RuntimeError("the report insert failed")

    with pytest.raises(RuntimeError):
        ingest_that_fails()
    assert ledger.head().seq == 0
    with engine.begin() as conn:
        [entry] = append_events_in(conn, [report_event(1)], clock=CLOCK)
    assert (entry.seq, entry.prev_hash) == (1, GENESIS_HASH)


def test_a_fork_is_refused(engine: Engine) -> None:
    ledger = SqlLedger(engine)
    append_events(ledger, [report_event(1)], clock=CLOCK)
    stale = MemoryLedger().head()  # a writer that still believes the chain is empty
    with pytest.raises(StoreError, match="fork"):
        ledger.extend_chain(
            lambda _head: chain_entries(stale, [report_event(2)], at="2026-01-06T00:00:00.000000Z")
        )
    assert ledger.head().seq == 1


def test_duplicate_keys_are_refused(engine: Engine, tmp_path: Path) -> None:
    built = build_ledger(tmp_path, ledger=SqlLedger(engine), batches=(2,))
    with pytest.raises(InputError, match="duplicate"):
        built.ledger.add_key(built.keys["FRA"].public)


def test_a_ledger_id_is_created_once() -> None:
    engine = create_engine("sqlite://")
    metadata.create_all(engine, tables=list(LEDGER_TABLES))
    ledger = SqlLedger(engine)
    assert ledger.ledger_id() == ledger.ledger_id()


def test_the_migration_builds_exactly_the_ledger_tables(tmp_path: Path) -> None:
    store = SQLiteStore(f"sqlite:///{tmp_path / 'migrated.db'}")
    store.init_schema()
    ledger_only = MetaData()
    for table in LEDGER_TABLES:
        table.to_metadata(ledger_only)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), ledger_only)
    ours = [d for d in diff if "ledger_" in repr(d)]
    assert ours == []
    append_events(SqlLedger(store.engine), [report_event(1)], clock=CLOCK)
    store.close()
