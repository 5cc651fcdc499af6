"""The notify worker: committed changes published per second, and commit → HQ wake-up latency.

1. Rate. ``N`` change rows (kind ``report``) are logged in one transaction, as an ingest of
   ``N`` reports logs them; then the notify worker's rounds (``notify_round``, ``BATCH`` per
   round) publish them all to a changes stream of this run's own. Two floors in the same run:
   the rounds' database reads alone (``changes_after`` over the same rows, nothing published),
   and NATS alone (``N`` messages of the same size published the same way, no database).
2. Latency. With ``run_notify`` polling as in production (``IDLE_S``) and an HQ's
   ``follow_changes`` in the same process, ``K`` ledger entries (``incident.state``, as fusion
   writes them) are committed one at a time; each is timed from its commit to the HQ's wake-up.
   The floor is the poll interval: half of it is the expected wait.

Usage: ``python bench/notify.py [--bus nats://127.0.0.1:4222] [--pg ADMIN_URL] [--n N]``.
Without ``--pg`` the store is an SQLite file in a temporary folder; with it, a temporary
PostgreSQL database created through ``ADMIN_URL`` and dropped afterwards. Needs a NATS server
with JetStream (the stream is this run's own, deleted afterwards). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
import psycopg
from sqlalchemy import Engine, insert
from sqlalchemy.engine import make_url

from ceasefire.api.live_bus import LiveWake, follow_changes
from ceasefire.bus.changes import LEDGER_TOPICS, ChangeNames, ensure_changes_stream
from ceasefire.bus.jetstream import connect
from ceasefire.bus.notify import IDLE_S, NotifyConfig, NotifyStats, notify_round, run_notify
from ceasefire.ledger.model import EventType, LedgerEvent
from ceasefire.settings import Settings
from ceasefire.store.base import open_store
from ceasefire.store.change_feed import FeedCursors, changes_after, feed_cursors
from ceasefire.store.changes import REPORT, changes
from ceasefire.store.ledger import record_in
from ceasefire.store.queries import engine_of

N = 50_000
BATCH = 1000
K = 50


def log_changes(engine: Engine, n: int) -> None:
    """``n`` report changes in one transaction (subject pks 1..n)."""
    at = datetime.now(UTC).isoformat()
    with engine.begin() as conn:
        conn.execute(
            insert(changes), [{"kind": REPORT, "subject_pk": k, "at": at} for k in range(1, n + 1)]
        )


def read_floor_s(engine: Engine, start: FeedCursors) -> float:
    """Seconds to read every change after ``start`` in rounds of ``BATCH``, publishing none."""
    began = time.perf_counter()
    cursors = start
    while True:
        _, after = changes_after(engine, cursors, ledger_kinds=LEDGER_TOPICS, limit=BATCH)
        if after == cursors:
            return time.perf_counter() - began
        cursors = after


async def nats_floor_s(url: str, n: int) -> float:
    """Seconds to publish ``n`` change-sized messages (no database) and have them acknowledged."""
    names = ChangeNames(prefix=f"BNF{os.getpid()}")
    client = await connect(url)
    js = client.jetstream()
    await ensure_changes_stream(js, names)
    body = orjson.dumps({"log": "changes", "seq": 123456, "kind": "report", "subject": "123456"})
    try:
        began = time.perf_counter()
        for start in range(0, n, BATCH):
            pending = [
                await js.publish_async(
                    names.subject("reports"),
                    body,
                    stream=names.stream,
                    headers={"Nats-Msg-Id": f"changes:{k}", "Ceasefire-Message": "change/1"},
                )
                for k in range(start, min(n, start + BATCH))
            ]
            await asyncio.gather(*pending)
        return time.perf_counter() - began
    finally:
        await js.delete_stream(names.stream)
        await client.close()


async def notify_rate(engine: Engine, url: str, start: FeedCursors) -> tuple[float, NotifyStats]:
    """Seconds for the notify worker's rounds to publish every change after ``start``."""
    names = ChangeNames(prefix=f"BNR{os.getpid()}")
    client = await connect(url)
    js = client.jetstream()
    await ensure_changes_stream(js, names)
    stats = NotifyStats()
    try:
        began = time.perf_counter()
        cursors = start
        while (
            after := await notify_round(engine, js, names, cursors, batch=BATCH, stats=stats)
        ) != cursors:
            cursors = after
        return time.perf_counter() - began, stats
    finally:
        await js.delete_stream(names.stream)
        await client.close()


def commit_ledger_entry(engine: Engine, k: int) -> float:
    """Append one ``incident.state`` entry; ``perf_counter`` just after its commit."""
    event = LedgerEvent(
        EventType.INCIDENT_STATE,
        "incidents",
        {"superseded": [], "states": [[k, "reported", "bench"]]},
    )
    with engine.begin() as conn:
        record_in(conn, [event], at=datetime.now(UTC))
    return time.perf_counter()


async def wake_latencies(engine: Engine, url: str, k: int) -> list[float]:
    """Seconds from each of ``k`` commits to the HQ's wake-up, through a running notify worker."""
    names = ChangeNames()
    wake = LiveWake()
    hq = await follow_changes(url, wake, prefix=names.prefix)
    stop = asyncio.Event()
    client = await connect(url)
    js = client.jetstream()
    worker = asyncio.create_task(
        run_notify(engine, js, names, stop=stop, config=NotifyConfig(start_at_end=False))
    )
    latencies = []
    jitter = random.Random(2026)
    try:
        await asyncio.sleep(1.0)  # the worker catches up with the rate part's changes
        for n in range(k):
            seen = wake.generation
            committed = await asyncio.to_thread(commit_ledger_entry, engine, n)
            while wake.generation == seen:
                await wake.wait_after(seen, 5.0)
            latencies.append(time.perf_counter() - committed)
            await asyncio.sleep(jitter.uniform(0.0, 2 * IDLE_S))  # out of step with the poll
    finally:
        stop.set()
        await worker
        await js.delete_stream(names.stream)
        await client.close()
        await hq.close()
    return latencies


def _conninfo(admin_url: str) -> str:
    parsed = make_url(admin_url)
    return (
        f"host={parsed.host} port={parsed.port or 5432} user={parsed.username} "
        f"dbname={parsed.database}"
    )


def temporary_pg(admin_url: str) -> tuple[str, str]:
    """A new database through ``admin_url``: its name and SQLAlchemy URL."""
    name = f"cf_bench_notify_{os.getpid()}"
    parsed = make_url(admin_url)
    with psycopg.connect(_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, parsed.set(database=name).render_as_string(hide_password=False)


def drop_pg(admin_url: str, name: str) -> None:
    with psycopg.connect(_conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bus", default=os.environ.get("CEASEFIRE_BUS", "nats://127.0.0.1:4222"))
    parser.add_argument("--pg", help="PostgreSQL admin URL (a temporary database is made)")
    parser.add_argument("--n", type=int, default=N)
    parser.add_argument("--k", type=int, default=K)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cf-bench-notify-") as tmp:
        pg_name = None
        if args.pg:
            pg_name, db = temporary_pg(args.pg)
        else:
            db = f"sqlite:///{Path(tmp) / 'notify.db'}"
        store = open_store(Settings(db=db))
        try:
            store.init_schema()
            engine = engine_of(store)
            start = feed_cursors(engine, start_at_end=True)
            log_changes(engine, args.n)
            read_s = read_floor_s(engine, start)
            nats_s = asyncio.run(nats_floor_s(args.bus, args.n))
            notify_s, stats = asyncio.run(notify_rate(engine, args.bus, start))
            latencies = asyncio.run(wake_latencies(engine, args.bus, args.k))
        finally:
            store.close()
            if pg_name is not None:
                drop_pg(args.pg, pg_name)
    backend = "postgresql" if args.pg else "sqlite"
    rate = stats.published / notify_s
    lat_ms = sorted(1000 * x for x in latencies)
    p50 = statistics.median(lat_ms)
    p99 = lat_ms[min(len(lat_ms) - 1, round(0.99 * (len(lat_ms) - 1)))]
    print(f"store {backend}; {args.n} changes, rounds of {BATCH}")
    print(f"notify:     {notify_s:7.2f} s  {rate:9.0f} changes/s ({stats.duplicates} copies)")
    print(f"floor DB:   {read_s:7.2f} s  {args.n / read_s:9.0f} changes/s read, none published")
    print(f"floor NATS: {nats_s:7.2f} s  {args.n / nats_s:9.0f} messages/s, no database")
    print(
        f"notify / NATS floor time: {notify_s / nats_s:.2f}x; / DB floor: {notify_s / read_s:.2f}x"
    )
    print(
        f"commit -> HQ wake-up over {len(lat_ms)} entries: p50 {p50:.0f} ms, "
        f"p99 {p99:.0f} ms (poll {1000 * IDLE_S:.0f} ms)"
    )
    print(
        json.dumps(
            {
                "backend": backend,
                "changes": args.n,
                "notify_changes_per_s": round(rate),
                "db_floor_changes_per_s": round(args.n / read_s),
                "nats_floor_msgs_per_s": round(args.n / nats_s),
                "notify_over_nats_floor": round(notify_s / nats_s, 2),
                "wake_p50_ms": round(p50, 1),
                "wake_p99_ms": round(p99, 1),
                "poll_ms": 1000 * IDLE_S,
            }
        )
    )


if __name__ == "__main__":
    main()
