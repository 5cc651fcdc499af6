"""The pipeline on the bus under SIGKILL: two ``prepare`` workers and one ``fuse`` worker, a
random one killed (and restarted) at random moments, against one clean in-process run.

The reports are simulated (paris-2026, seed 7: amendments, withdrawals, re-deliveries and
false reports included), cut into inputs of ``--input-reports`` and those into intake
messages of at most ``--part-bytes`` (``bus.message.split_input``), each input with its own
receipt time. Then:

* clean: the same messages, in stream order, in this process (``pipeline.batch
  .ingest_batches``): no bus, no worker;
* bus: a NATS server of this run's own (own port and data folder, ``-js``), the messages
  published at a steady pace while the workers (``ceasefire worker prepare|fuse``, real
  processes) run and one of them is SIGKILLed ``--kills`` times at random moments, each time
  restarted; with ``--restart-nats`` the NATS server is SIGKILLed and restarted too.

Both stores must hold the same content (``compare``): reports (submitter, key, content hash,
status, receipt time), active incidents by their reports' keys, active violations, the
quarantine (reason hash, field, rule), and the ledger's report entries by type, subject and
payload. Incident ledger entries (``incident.state``) are left out on purpose: they record
each fusion run's supersessions, and the workers fuse after every batch where the clean run
fuses once, so their number differs while the incidents they lead to are the same.

Usage: ``python bench/bus_kill.py [--reports 200000] [--kills 20] [--restart-nats]``
(the issue's figure; tests/bus/test_workers.py runs the same at 5,000). Last line: one JSON
object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

# bench/writers.py (simulation, databases, content comparison), beside this file
sys.path.insert(0, str(Path(__file__).resolve().parent))
import writers
from ceasefire.bus.jetstream import (
    BusNames,
    connect,
    ensure_intake_stream,
    publish_batches,
)
from ceasefire.bus.message import IntakeBatch, split_input
from ceasefire.clock import SystemClock
from ceasefire.pipeline.batch import ingest_batches
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.settings import Settings
from ceasefire.store.base import open_store

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
WORKERS = ("prepare-1", "prepare-2", "fuse")


def make_batches(
    lines: Sequence[bytes], *, input_reports: int, part_bytes: int
) -> list[IntakeBatch]:
    """The intake messages of ``lines`` cut into inputs of ``input_reports`` lines (input k
    received at T0 + k s, from the HQ), each split at ``part_bytes``."""
    batches: list[IntakeBatch] = []
    for k, start in enumerate(range(0, len(lines), input_reports)):
        batches += split_input(
            b"".join(lines[start : start + input_reports]),
            input_name=f"input-{k}.ndjson",
            report_format="ndjson",
            received_at=T0 + timedelta(seconds=k),
            principal="HQ",
            max_part_bytes=part_bytes,
        )
    return batches


def clean_run(db: str, batches: Sequence[IntakeBatch]) -> float:
    """The reference: every message in stream order in this process; seconds taken."""
    store = open_store(Settings(db=db))
    t0 = time.perf_counter()
    try:
        ingest_batches(store, batches, gazetteer=Gazetteer.default(), clock=SystemClock())
    finally:
        store.close()
    return time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class NatsServer:
    """``nats-server -js`` on a port and data folder of its own, to kill and restart."""

    store_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js"]
        self.process = subprocess.Popen(
            [*command, "-sd", str(self.store_dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nats-server did not listen on {self.port}")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@dataclass
class Fleet:
    """The worker processes (``ceasefire worker …``), by name: ``prepare-1``, ``fuse``."""

    db: str
    bus: str
    logs: Path
    ack_wait_s: float = 5.0
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    starts: Counter[str] = field(default_factory=Counter)

    def start(self, name: str) -> None:
        kind = name.split("-", maxsplit=1)[0]
        command = [sys.executable, "-m", "ceasefire", "--db", self.db, "worker", kind]
        command += ["--bus", self.bus, "--ack-wait", str(self.ack_wait_s)]
        self.starts[name] += 1
        log = (self.logs / f"{name}.{self.starts[name]}.log").open("wb")
        self.running[name] = subprocess.Popen(
            command, env=writers.child_env(), stdout=log, stderr=subprocess.STDOUT
        )

    def kill(self, name: str) -> None:
        """SIGKILL: no clean shutdown, as when a machine dies."""
        process = self.running.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(30)

    def stop(self) -> None:
        """SIGTERM every worker (each finishes its message), SIGKILL what lingers."""
        for process in self.running.values():
            process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running.clear()

    def crashed(self) -> list[str]:
        """Workers that ended by themselves (a bug: they should run until stopped)."""
        return [name for name, process in self.running.items() if process.poll() is not None]


async def publish_paced(url: str, batches: Sequence[IntakeBatch], *, per_s: float) -> None:
    """Publish ``batches`` in order, about ``per_s`` a second (a stream, not one burst)."""
    client = await connect(url)
    try:
        js = client.jetstream()
        names = BusNames()
        await ensure_intake_stream(js, names)
        for batch in batches:
            await publish_batches(js, names, [batch], patience_s=120.0)
            await asyncio.sleep(1.0 / per_s)
    finally:
        await client.close()


def _fusion_caught_up(db: str) -> bool:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            top = conn.execute(text("SELECT max(seq) FROM changes")).scalar()
            cursor = conn.execute(
                text("SELECT seq FROM change_cursors WHERE consumer = 'fusion'")
            ).scalar()
    finally:
        engine.dispose()
    return top is None or (cursor is not None and int(cursor) >= int(top))


async def settled(url: str, db: str, sent: int) -> bool:
    """Every intake message settled in the store and fusion at the change log's end.

    Decided from the store, which is what the run is judged by, not from JetStream's
    acknowledgement floors: after a server restart nats-server 2.9 was seen to keep a floor
    below an already settled message for minutes (docs/bus.md), so a floor-based check
    waited for a run that had long finished. ``url`` is unused (kept for the callers).
    """
    del url
    return await asyncio.to_thread(_store_settled, db, sent)


def _store_settled(db: str, sent: int) -> bool:
    """Messages 1..``sent`` of the intake stream recorded as done (written or poison), and
    fusion's cursor at the change log's end."""
    return _done_count(db, sent) >= sent and _fusion_caught_up(db)


def _done_count(db: str, upto: int | None) -> int:
    """Intake messages (stream sequences, up to ``upto`` when given) recorded as done."""
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            done = conn.execute(
                text(
                    "SELECT count(DISTINCT stream_seq) FROM bus_intake_done "
                    "WHERE stream_seq BETWEEN 1 AND :upto"
                ),
                {"upto": upto if upto is not None else 2**31 - 1},
            ).scalar()
    except Exception:  # noqa: BLE001 - the database busy being created: nothing done yet
        return 0
    finally:
        engine.dispose()
    return int(done or 0)


@dataclass
class Chaos:
    """What was done to the fleet while the stream ran."""

    kills: list[str] = field(default_factory=list)
    nats_restarts: int = 0


async def intake_done(db: str) -> int:
    """How many intake messages the ``prepare`` workers have settled, from the store (the
    acknowledgement floor can lag for minutes after a server restart: ``settled``)."""
    return await asyncio.to_thread(_done_count, db, None)


async def run_bus(
    fleet: Fleet,
    nats: NatsServer,
    batches: Sequence[IntakeBatch],
    *,
    kills: int,
    restart_nats: bool,
    rng: random.Random,
    per_s: float,
    timeout_s: float,
) -> tuple[float, Chaos]:
    """Start the fleet, publish the stream, kill and restart at random moments until the
    kills are spent and everything is settled; seconds from first publish to settled.

    The moments are random points of the work (a worker killed when a random fraction of
    the messages is settled), so a kill finds the workers busy, not idle between messages.
    """
    chaos = Chaos()
    for name in WORKERS:
        fleet.start(name)
    t0 = time.perf_counter()
    publisher = asyncio.create_task(publish_paced(nats.url, batches, per_s=per_s))
    n = len(batches)
    marks = sorted(int(rng.uniform(0.05, 0.9) * n) for _ in range(kills))
    nats_mark = int(rng.uniform(0.3, 0.7) * n) if restart_nats else None
    while True:
        if time.perf_counter() - t0 > timeout_s:
            raise TimeoutError(f"not settled after {timeout_s} s (chaos so far: {chaos})")
        if fleet.crashed():
            raise RuntimeError(f"workers ended by themselves: {fleet.crashed()}")
        done = await intake_done(fleet.db)
        if marks and done >= marks[0]:
            marks.pop(0)
            victim = rng.choice(WORKERS)
            await asyncio.sleep(rng.uniform(0.0, 0.5))
            fleet.kill(victim)
            chaos.kills.append(victim)
            fleet.start(victim)
        if nats_mark is not None and done >= nats_mark:
            nats_mark = None
            nats.kill()
            await asyncio.sleep(rng.uniform(0.5, 2.0))
            nats.start()
            chaos.nats_restarts += 1
        if publisher.done():
            publisher.result()  # raises what the publisher raised
            if not marks and nats_mark is None and await settled(nats.url, fleet.db, n):
                return time.perf_counter() - t0, chaos
        await asyncio.sleep(0.2)


def compare(got_db: str, expected_db: str) -> dict[str, bool]:
    """Which parts of the content are equal (module docstring)."""
    expected, got = writers.content(expected_db), writers.content(got_db)
    return {
        "reports": got.reports == expected.reports,
        "incidents": got.incidents == expected.incidents,
        "violations": got.violations == expected.violations,
        "received_at": _rows(got_db, RECEIVED_SQL) == _rows(expected_db, RECEIVED_SQL),
        "quarantine": _rows(got_db, QUARANTINE_SQL) == _rows(expected_db, QUARANTINE_SQL),
        "ledger": _rows(got_db, LEDGER_SQL) == _rows(expected_db, LEDGER_SQL),
    }


RECEIVED_SQL = "SELECT submitter, source, id, received_at FROM reports"
QUARANTINE_SQL = "SELECT reason_hash, field, rule, submitter FROM quarantine"
LEDGER_SQL = (
    "SELECT event_type, subject_id, payload FROM ledger_entries "
    "WHERE event_type <> 'incident.state'"
)


def _rows(db: str, sql: str) -> Counter[tuple[str, ...]]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return Counter(
                tuple(bytes(v).hex() if isinstance(v, memoryview) else str(v) for v in row)
                for row in conn.execute(text(sql))
            )
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--restart-nats", action="store_true")
    parser.add_argument("--input-reports", type=int, default=2_000, help="reports per input")
    parser.add_argument("--part-bytes", type=int, default=200_000, help="bytes per message")
    parser.add_argument("--per-s", type=float, default=20.0, help="messages published a second")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--sim", type=Path, help="folder caching the simulated reports")
    parser.add_argument("--timeout", type=float, default=7_200.0)
    parser.add_argument("--logs", type=Path, help="keep the workers' logs in this folder")
    args = parser.parse_args()
    base = f"bench_bus_{os.getpid()}"
    names = [f"{base}_tpl", f"{base}_clean", f"{base}_bus"]
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="ceasefire-bus-") as tmp:
        work = Path(tmp)
        lines = writers.simulate(args.reports, args.sim or work)
        batches = make_batches(lines, input_reports=args.input_reports, part_bytes=args.part_bytes)
        nats = NatsServer(work / "nats")
        try:
            writers.prepared_template(names[0])
            clean = writers.clone(names[0], names[1])
            bus = writers.clone(names[0], names[2])
            clean_s = clean_run(clean, batches)
            nats.start()
            logs = args.logs or work
            logs.mkdir(parents=True, exist_ok=True)
            fleet = Fleet(bus, nats.url, logs)
            try:
                bus_s, chaos = asyncio.run(
                    run_bus(
                        fleet,
                        nats,
                        batches,
                        kills=args.kills,
                        restart_nats=args.restart_nats,
                        rng=rng,
                        per_s=args.per_s,
                        timeout_s=args.timeout,
                    )
                )
            finally:
                fleet.stop()
            equal = compare(bus, clean)
            stored = len(writers.content(bus).reports)
        finally:
            nats.kill()
            for name in names:
                writers.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"{len(lines):,} simulated reports in {len(batches):,} messages; seed {args.seed}")
    print(f"clean in-process run: {clean_s:.1f} s = {len(lines) / clean_s:,.0f} reports/s")
    print(
        f"bus, 2 prepare + 1 fuse, {len(chaos.kills)} kills {dict(Counter(chaos.kills))}, "
        f"NATS restarted {chaos.nats_restarts}: {bus_s:.1f} s to settled "
        f"(publishing paced at {args.per_s:g} messages/s) (loaded machine)"
    )
    print(f"stored {stored:,} reports; equal to the clean run: {equal}")
    print(
        json.dumps(
            {
                "reports": len(lines),
                "messages": len(batches),
                "kills": len(chaos.kills),
                "nats_restarts": chaos.nats_restarts,
                "clean_s": round(clean_s, 1),
                "bus_s": round(bus_s, 1),
                "stored": stored,
                "equal_clean": all(equal.values()),
                **{f"equal_{k}": v for k, v in equal.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
