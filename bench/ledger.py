"""Ledger throughput: chained appends per second (SQLite), checkpoint and offline verification.

Figures:
* ``appends_per_s``: ``append_events`` on an SQLite file, batches of 10,000 report-accepted
  events (payload of ~8 members), hashing + inserting, one transaction per batch.
* ``chain_only_per_s``: canonical JSON + SHA-256 chaining without the database.
* ``baseline_insert_per_s``: the same rows inserted with no canonicalisation or hashing (the
  floor a chained append is compared with; ``ratio`` = baseline / appends).
* ``checkpoint_s``: HQ checkpoint (Merkle root + signature) over all entries.
* ``verify_entries_per_s``: ``verify_file`` of the export in a fresh process state.

Last line: one JSON object of these figures.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ceasefire.clock import FixedClock
from ceasefire.ledger import lines as ledger_lines
from ceasefire.ledger.canonical import canonical_json
from ceasefire.ledger.chain import chain_entries
from ceasefire.ledger.export import export_ledger
from ceasefire.ledger.keys import generate_key, load_private_key
from ceasefire.ledger.model import EMPTY_HEAD, EventType, KeyRole, LedgerEvent
from ceasefire.ledger.service import append_events, create_checkpoint, register_key
from ceasefire.ledger.verify import verify_file
from ceasefire.store.ledger import LEDGER_TABLES, SqlLedger
from ceasefire.store.metadata import metadata
from ceasefire.store.sqlite import create_sqlite_engine

N_EVENTS = 200_000
BATCH = 10_000
CLOCK = FixedClock(datetime(2026, 1, 6, tzinfo=UTC))


def _events(start: int, n: int) -> list[LedgerEvent]:
    return [
        LedgerEvent(
            EventType.REPORT_ACCEPTED,
            f"rep-{i:08d}",
            {
                "source": "OSCE-SMM",
                "category": "artillery_fire",
                "observed_at": "2026-01-06T11:58:00Z",
                "lat": 48.0 + i / 1e6,
                "lon": 37.5 + i / 1e6,
                "count": i % 7,
                "place": None,
                "content_sha256": f"{i:064x}",
            },
        )
        for i in range(start, start + n)
    ]


def main() -> None:
    batches = [_events(b, BATCH) for b in range(0, N_EVENTS, BATCH)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        head = EMPTY_HEAD
        for batch in batches:
            chained = chain_entries(head, batch, at="2026-01-06T12:00:00.000000Z")
            head = type(head)(chained[-1].seq, chained[-1].hash)
        chain_s = time.perf_counter() - t

        baseline = sqlite3.connect(root / "baseline.db")
        baseline.execute("PRAGMA journal_mode=WAL")
        baseline.execute("PRAGMA synchronous=NORMAL")
        baseline.execute(
            "CREATE TABLE t (seq INTEGER PRIMARY KEY, at TEXT, type TEXT, subject TEXT, "
            "payload TEXT, prev TEXT, hash TEXT UNIQUE)"
        )
        t = time.perf_counter()
        seq = 0
        for batch in batches:
            rows = []
            for e in batch:
                seq += 1
                rows.append(
                    (seq, "x", str(e.event_type), e.subject_id, repr(e.payload), "p", str(seq))
                )
            with baseline:
                baseline.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        baseline_s = time.perf_counter() - t
        baseline.close()

        engine = create_sqlite_engine(f"sqlite:///{root / 'ledger.db'}")
        metadata.create_all(engine, tables=list(LEDGER_TABLES))
        ledger = SqlLedger(engine)
        t = time.perf_counter()
        for batch in batches:
            append_events(ledger, batch, clock=CLOCK)
        append_s = time.perf_counter() - t

        hq = generate_key("HQ", KeyRole.HQ, root / "keys", created_at="2026-01-06T00:00:00.000000Z")
        register_key(ledger, hq.public, clock=CLOCK)
        t = time.perf_counter()
        create_checkpoint(ledger, load_private_key(hq.private_path), clock=CLOCK)
        checkpoint_s = time.perf_counter() - t

        out = root / "ledger.jsonl"
        with out.open("wb") as handle:
            export_ledger(ledger, handle)
        for cached in (ledger_lines.parse_line, ledger_lines.merkle_root_hex):
            cached.cache_clear()
        t = time.perf_counter()
        verdict = verify_file(out)
        verify_s = time.perf_counter() - t
        assert verdict.ok, verdict.failure
        engine.dispose()

    n = N_EVENTS
    figures = {
        "appends_per_s": round(n / append_s),
        "chain_only_per_s": round(n / chain_s),
        "baseline_insert_per_s": round(n / baseline_s),
        "ratio": round(append_s / baseline_s, 2),
        "checkpoint_s": round(checkpoint_s, 3),
        "verify_entries_per_s": round((n + 1) / verify_s),
        "export_bytes_per_entry": round(out.stat().st_size / (n + 1)) if out.exists() else None,
    }
    size = len(canonical_json(batches[0][0].payload))
    print(f"{n:,} report events in batches of {BATCH:,} (payload {size} bytes)")
    print(f"append_events on SQLite: {figures['appends_per_s']:,} entries/s")
    print(f"chaining alone (canonical JSON + SHA-256): {figures['chain_only_per_s']:,} entries/s")
    print(
        f"baseline (same rows, no hashing): {figures['baseline_insert_per_s']:,} rows/s; "
        f"chained append costs {figures['ratio']}x the baseline"
    )
    print(f"checkpoint over {n + 1:,} entries (Merkle + Ed25519): {checkpoint_s:.3f} s")
    print(f"offline verify: {figures['verify_entries_per_s']:,} entries/s")
    del figures["export_bytes_per_entry"]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
