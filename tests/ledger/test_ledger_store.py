"""The SQL ledger: same contract as the in-memory one, migrated schema, shared transactions."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from ledger_builders import LEDGER_ID, build_ledger, report_event
from sqlalchemy import Engine, MetaData, create_engine
from sqlalchemy import text as sa_text

from ceasefire.clock import FixedClock
from ceasefire.errors import InputError, StoreError
from ceasefire.ledger.canonical import canonical_json
from ceasefire.ledger.chain import chain_entries
from ceasefire.ledger.export import export_ledger
from ceasefire.ledger.memory import MemoryLedger
from ceasefire.ledger.model import GENESIS_HASH
from ceasefire.ledger.service import append_events
from ceasefire.ledger.verify import verify_bytes
from ceasefire.settings import Settings
from ceasefire.store.base import open_store
from ceasefire.store.core_store import CoreStore
from ceasefire.store.ledger import LEDGER_TABLES, SqlLedger, append_events_in, ledger_info
from ceasefire.store.metadata import metadata
from ceasefire.store.migrate import alembic_config

CLOCK = FixedClock(datetime(2026, 1, 6, tzinfo=UTC))


@pytest.fixture
def engine(fresh_db: str) -> Iterator[Engine]:
    """The ledger tables alone, on each backend."""
    engine = create_engine(fresh_db)
    metadata.create_all(engine, tables=list(LEDGER_TABLES))
    with engine.begin() as conn:
        conn.execute(ledger_info.insert().values(id=1, ledger_id=LEDGER_ID, created_at=""))
    yield engine
    engine.dispose()


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


def test_a_ledger_id_is_created_once(fresh_db: str) -> None:
    engine = create_engine(fresh_db)
    metadata.create_all(engine, tables=list(LEDGER_TABLES))
    ledger = SqlLedger(engine)
    assert ledger.ledger_id() == ledger.ledger_id()
    engine.dispose()


def test_the_migration_builds_exactly_the_ledger_tables(fresh_db: str) -> None:
    store = open_store(Settings(db=fresh_db))
    assert isinstance(store, CoreStore)
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


def _v1_entries(rows: list[tuple[str, str, dict[str, object]]]) -> list[dict[str, object]]:
    """Entries chained as format v1 did: SHA-256 of canonical {at,payload,prev,seq,subject,type}."""
    out: list[dict[str, object]] = []
    prev = GENESIS_HASH
    for seq, (event_type, subject, payload) in enumerate(rows, start=1):
        body: dict[str, object] = {"at": "2026-01-06T00:00:00.000000Z", "payload": payload}
        body |= {"prev": prev, "seq": seq, "subject": subject, "type": event_type}
        digest = hashlib.sha256(canonical_json(body)).hexdigest()  # type: ignore[arg-type]
        out.append(
            {
                "seq": seq,
                "at": body["at"],
                "event_type": event_type,
                "subject_id": subject,
                "payload": canonical_json(payload).decode(),  # type: ignore[arg-type]
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    return out


def test_migration_0011_recommits_v1_entries_and_drops_their_checkpoints(
    fresh_db: str, tmp_path: Path
) -> None:
    url = fresh_db
    engine = create_engine(url)
    config = alembic_config(url)
    before = ScriptDirectory.from_config(config).get_revision("0011").down_revision
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, str(before))  # the schema v1 entries were written in
    v1 = _v1_entries(
        [
            ("key.added", "f" * 64, {"owner": "HQ"}),
            ("report.accepted", "osce/secret-1", {"reports": [["osce", "secret-1", "a" * 64]]}),
            ("pledge.status", "P-1", {"status": "offered"}),
        ]
    )
    with engine.begin() as conn:
        conn.execute(sa_text("INSERT INTO ledger_info VALUES (1, :id, '')"), {"id": LEDGER_ID})
        conn.execute(
            sa_text(
                "INSERT INTO ledger_entries (seq, at, event_type, subject_id, payload, prev_hash, "
                "hash) VALUES (:seq, :at, :event_type, :subject_id, :payload, :prev_hash, :hash)"
            ),
            v1,
        )
        conn.execute(
            sa_text(
                "INSERT INTO ledger_checkpoints VALUES (1, :id, 1, 3, :root, :prev, :at, :hash)"
            ),
            {"id": LEDGER_ID, "root": "1" * 64, "prev": GENESIS_HASH, "at": "t", "hash": "2" * 64},
        )
    engine.dispose()
    store = open_store(Settings(db=url))
    assert isinstance(store, CoreStore)
    store.init_schema()
    ledger = SqlLedger(store.engine)
    assert ledger.checkpoints() == []
    entries = list(ledger.entries(1, ledger.head().seq))
    assert [e.event_type for e in entries] == [
        "key.added",
        "report.accepted",
        "pledge.status",
        "ledger.migrated",
    ]
    assert [e.marking_json for e in entries] == [
        b'[["UNCLASSIFIED",""]]',
        b"null",  # a v1 entry may mix markings: withheld from every nation
        b'[["UNCLASSIFIED",""]]',
        b'[["UNCLASSIFIED",""]]',
    ]
    assert len({e.salt for e in entries}) == 4
    assert orjson.loads(entries[-1].payload_json) == {
        "dropped_checkpoints": 1,
        "dropped_signatures": 0,
        "from_version": 1,
        "v1_entries": 3,
        "v1_head": v1[-1]["hash"],
    }
    built = build_ledger(tmp_path / "keys", ledger=ledger, batches=(2,))
    full = verify_bytes(built.export())
    fra = built.export(nation="FRA")
    assert full.ok, full.failure
    assert verify_bytes(fra).ok
    assert b"secret-1" in built.export()
    assert b"secret-1" not in fra
    store.close()
