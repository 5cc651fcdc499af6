"""Chunks commit with the write-ahead log left to a background checkpoint: the rows still
reach the database file itself soon after each commit, not only when the store closes, and
the writer's connection goes back to the pool with SQLite's default checkpointing."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from store_builders import T0, make_chunk, make_row, make_version

from ceasefire.store.sqlite import SQLiteStore


def _rows_in_the_file_alone(db: Path) -> int:
    """Reports in the database file, ignoring the log (``immutable`` reads only the file);
    -1 while a checkpoint is still writing it (the file is then not yet consistent)."""
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM reports").fetchone()[0])
    except sqlite3.DatabaseError:
        return -1
    finally:
        conn.close()


def test_committed_chunks_reach_the_database_file_while_the_store_is_open(
    tmp_path: Path,
) -> None:
    db = tmp_path / "ckpt.db"
    store = SQLiteStore(f"sqlite:///{db}")
    store.init_schema()
    version_pk, _ = store.add_agreement_version(make_version())
    run = store.start_ingest_run(["a.ndjson"], T0)
    raw = "x" * 4000  # about a page per report: each chunk's log passes 1,000 pages
    for chunk_no in range(3):
        rows = [
            make_row(version_pk, id=f"c{chunk_no}-{k}", raw=raw, content_hash=bytes(16))
            for k in range(1500)
        ]
        store.write_chunk(make_chunk(run, rows))
    deadline = time.monotonic() + 10.0
    in_file = _rows_in_the_file_alone(db)
    while in_file != 4500 and time.monotonic() < deadline:
        time.sleep(0.05)
        in_file = _rows_in_the_file_alone(db)
    assert in_file == 4500
    with store.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
    assert pages == 1000
    store.close()
