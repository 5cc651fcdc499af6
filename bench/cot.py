"""CoT gateway: events/s accepted into the store from 50 pytak clients, and fan-out latency.

A fresh store (``init`` + the paris-2026 agreement) in a temporary folder; the gateway
(``interop.cot_server.CotGateway``, plain TCP, one monitor user) in **a process of its own**
(as ``ceasefire cot serve`` runs: in the bench's process the 50 clients' parsing held the GIL
and one probe's ingest took 5 s instead of 0.3 s); the clients are pytak 7.6.1 ``CLITool``
instances on the bench's loop.

* **Ingest:** ``--clients`` pytak clients each send ``--events`` observations (explosions a few
  km apart inside Ukraine's side of the line, time now); the figure is reports accepted
  divided by the seconds from the first send to the return of the last ingest (so it includes
  the gateway's batching, validation, placement, fusion and guarantees: ``accepted_per_s``),
  plus the events/s the gateway read off the sockets and the rows/s committed before fusion.
* **Fan-out:** ``--clients`` pytak clients subscribe and receive their snapshot (the bench
  waits until they are quiet); then ``--probes`` observations are sent, one at a time, by one
  more client; for each, the latency on every subscriber from the send to the arrival of the
  first incident event new to it (the probe's: nothing else is going on). p50/p99 over all
  (subscriber, probe) pairs. This is observation → incident end to end: the gateway's batch
  interval (``flush_s``), the ingest with fusion, the feed's read of the change feed and the
  writes to 50 sockets. Probes are observed ``--probe-offset-h`` hours before the ingest
  phase's reports so that fusion's time window around them holds only probes: the figure is
  the fan-out's, not that of fusing into a window of 10,000 fresh reports (the ingest phase
  measures that); ``ingest_ms`` says what one probe's ingest took.

Usage: ``python bench/cot.py [--clients 50] [--events 100] [--probes 20]`` (about 4 minutes on
a 2-CPU host). Last line: JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import multiprocessing
import tempfile
import time
import warnings
from configparser import ConfigParser
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from ceasefire.access.model import Role
from ceasefire.api.accounts import create_account
from ceasefire.interop.cot_server import CotGateway, GatewayConfig
from ceasefire.interop.export import hq_state
from ceasefire.pipeline.agreements import load_agreement_file
from ceasefire.reports.model import Classification
from ceasefire.settings import Settings
from ceasefire.store.access_port import SqlAccess
from ceasefire.store.base import open_store
from ceasefire.store.queries import engine_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pytak

AGREEMENT = Path(__file__).resolve().parents[1] / "scenarios" / "paris-2026" / "agreement.yaml"


def event(uid: str, lon: float, lat: float, *, hours_before: float = 0.0) -> bytes:
    ev = pytak.cot_event(
        lat=lat,
        lon=lon,
        ce=100,
        hae=0,
        le=10,
        uid=uid,
        stale=600,
        cot_type="b-r-h-O-V-B",
        how="h-e",
        callsign="BENCH",
    )
    if hours_before:
        start = datetime.now(UTC) - timedelta(hours=hours_before)
        ev.set("start", start.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    data: bytes = pytak.serialize_cot(ev)
    return data


class Client:
    """One pytak client: a send queue and the arrival times of incident uids."""

    def __init__(self, url: str) -> None:
        parser = ConfigParser()
        parser["c"] = {
            "COT_URL": url,
            "PYTAK_NO_HELLO": "1",
            "MAX_IN_QUEUE": "100000",
            "MAX_OUT_QUEUE": "100000",  # pytak drops the oldest past its default (a lost send)
        }
        self.config = parser["c"]
        self.cli = pytak.CLITool(self.config)
        self.outbox: asyncio.Queue[bytes] = asyncio.Queue()
        self.seen: dict[str, float] = {}
        self.received = 0  # events of any kind
        self.task: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        await self.cli.setup()
        client = self

        class Tx(pytak.QueueWorker):  # type: ignore[misc]
            async def run(self, _: int = -1) -> None:
                while True:
                    await self.put_queue(await client.outbox.get())

        class Rx(pytak.QueueWorker):  # type: ignore[misc]
            async def run(self, _: int = -1) -> None:
                while True:
                    data = await self.queue.get()
                    now = time.perf_counter()
                    client.received += 1
                    start = data.find(b'uid="ceasefire-incident-')
                    if start >= 0:
                        uid = data[start + 5 : data.index(b'"', start + 5)].decode()
                        client.seen.setdefault(uid, now)

        self.cli.add_tasks({Tx(self.cli.tx_queue, self.config), Rx(self.cli.rx_queue, self.config)})
        self.task = asyncio.create_task(self.cli.run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self.task


def serve(db: str, conn: Connection) -> None:
    """The gateway's process: serve the store at ``db``; answer ``stats`` until ``stop``."""
    settings = Settings(db=db)
    store = open_store(settings)
    state = hq_state(settings, store)
    state.gazetteer()
    gateway = CotGateway(state, GatewayConfig(port=0, tcp_user="bench-monitor", flush_s=0.2))

    async def run() -> None:
        ports = await gateway.start()
        conn.send(ports["tcp"])
        while await asyncio.to_thread(conn.recv) != "stop":
            conn.send(dataclasses.asdict(gateway.stats))
        await gateway.stop()

    asyncio.run(run())
    store.close()


class Gateway:
    """The gateway process, its port and its counters."""

    def __init__(self, db: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, theirs = ctx.Pipe()
        self.process = ctx.Process(target=serve, args=(db, theirs), daemon=True)
        self.process.start()
        if not self.conn.poll(120):
            raise RuntimeError("the gateway did not start")
        self.port: int = self.conn.recv()

    def _ask(self) -> dict[str, Any]:
        self.conn.send("stats")
        stats: dict[str, Any] = self.conn.recv()
        return stats

    async def stats(self) -> dict[str, Any]:
        return await asyncio.to_thread(self._ask)

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(60)


def reports_stored(state: Any) -> int:
    with engine_of(state.store).connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM reports").scalar_one())


async def ingest_phase(state: Any, gateway: Gateway, url: str, n: int, k: int) -> dict[str, Any]:
    clients = [Client(url) for _ in range(n)]
    for c in clients:
        await c.start()
    await asyncio.sleep(0.5)
    before = reports_stored(state)
    total = n * k
    t0 = time.perf_counter()
    for i, c in enumerate(clients):
        for j in range(k):
            lon = 36.0 + (i % 10) * 0.05 + (j % 20) * 0.002
            lat = 48.3 + (i // 10) * 0.05 + (j // 20) * 0.002
            c.outbox.put_nowait(event(f"bench-{i}-{j}", lon, lat))
    read_done = stored_done = None
    deadline = time.perf_counter() + 600
    while time.perf_counter() < deadline:
        stats = await gateway.stats()
        if read_done is None and stats["events"] >= total:
            read_done = time.perf_counter()
        if stored_done is None and reports_stored(state) - before >= total:
            stored_done = time.perf_counter()
        # accepted is counted when an ingest returns: stored, placed, fused, guarantees run
        if stats["accepted"] + stats["quarantined"] >= total:
            break
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - t0
    stored = reports_stored(state) - before
    for c in clients:
        await c.stop()
    stats = await gateway.stats()
    return {
        "clients": n,
        "events_sent": total,
        "accepted": stats["accepted"],
        "seconds": round(elapsed, 2),
        "accepted_per_s": round(stats["accepted"] / elapsed, 1),
        "read_per_s": _rate(total, read_done, t0),
        "stored_per_s": _rate(stored, stored_done, t0),  # rows committed, before fusion
        "ingests": stats["ingests"],
        "quarantined": stats["quarantined"],
        "rate_dropped": stats["rate_dropped"],
    }


async def quiet(clients: list[Client], *, still_s: float = 1.0, limit_s: float = 120) -> None:
    """Wait until no client has received an event for ``still_s`` (bounded)."""
    deadline = time.perf_counter() + limit_s
    last, still_since = -1, time.perf_counter()
    while time.perf_counter() < deadline:
        seen = sum(c.received for c in clients)
        if seen != last:
            last, still_since = seen, time.perf_counter()
        elif time.perf_counter() - still_since >= still_s and seen:
            return
        await asyncio.sleep(0.1)


async def fanout_phase(
    gateway: Gateway, url: str, n: int, probes: int, offset_h: float
) -> dict[str, Any]:
    subscribers = [Client(url) for _ in range(n)]
    for c in subscribers:
        await c.start()
    sender = Client(url)
    await sender.start()
    await quiet(subscribers, still_s=3.0)  # every subscriber has had its snapshot
    latencies: list[float] = []
    slowest: list[int] = []  # per probe, ms to its last subscriber
    missed = 0
    before = await gateway.stats()
    for p in range(probes):
        known = [set(c.seen) for c in subscribers]
        t0 = time.perf_counter()
        sender.outbox.put_nowait(event(f"probe-{p}", 39.0 + p * 0.01, 47.6, hours_before=offset_h))
        # the first incident event new to a subscriber is the probe's (probes are sent one
        # at a time, with nothing else going on); fusion may follow it with the re-fused one
        firsts: list[float] | None = None
        while time.perf_counter() < t0 + 30:
            fresh = [
                [c.seen[u] for u in set(c.seen) - k]
                for c, k in zip(subscribers, known, strict=True)
            ]
            if all(fresh):
                firsts = [min(times) for times in fresh]
                break
            await asyncio.sleep(0.005)
        if firsts is None:
            missed += 1
            continue
        latencies += [t - t0 for t in firsts]
        slowest.append(round((max(firsts) - t0) * 1000))
        await quiet(subscribers)  # fusion may re-state or re-fuse it: let that pass first
    after = await gateway.stats()
    for c in [*subscribers, sender]:
        await c.stop()
    arr = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    return {
        "subscribers": n,
        "probes": probes,
        "missed": missed,
        "p50_ms": round(float(np.percentile(arr, 50)), 1),
        "p99_ms": round(float(np.percentile(arr, 99)), 1),
        "max_ms": round(float(np.max(arr)), 1),
        "per_probe_max_ms": slowest,
        # where the time goes, per probe phase: one ingest (with fusion), one feed round
        "ingest_ms": _mean_ms(after, before, "ingest"),
        "feed_ms": _mean_ms(after, before, "feed"),
    }


def _rate(n: int, done: float | None, t0: float) -> float | None:
    return None if done is None else round(n / (done - t0), 1)


def _mean_ms(after: dict[str, Any], before: dict[str, Any], what: str) -> float | None:
    """Mean milliseconds of one ``what`` (``ingest``, ``feed``) between two readings."""
    n = after[f"{what}s"] - before[f"{what}s"]
    seconds = after[f"{what}_s"] - before[f"{what}_s"]
    return round(seconds / n * 1000, 1) if n else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--events", type=int, default=100, help="per client")
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--probe-offset-h", type=float, default=6.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cf-bench-cot-") as tmp:
        settings = Settings(db=f"sqlite:///{Path(tmp) / 'cot.db'}")
        store = open_store(settings)
        store.init_schema()
        load_agreement_file(store, AGREEMENT)
        create_account(
            SqlAccess(engine_of(store)),
            name="bench-monitor",
            nation="FRA",
            organisation=None,
            clearance=Classification.SECRET,
            roles=[Role.MONITOR],
            password=None,
            now=datetime.now(UTC),
        )
        state = hq_state(settings, store)
        state.gazetteer()
        gateway = Gateway(settings.db)
        url = f"tcp://127.0.0.1:{gateway.port}"
        ingest = asyncio.run(ingest_phase(state, gateway, url, args.clients, args.events))
        print(f"ingest: {ingest}")
        fanout = asyncio.run(
            fanout_phase(gateway, url, args.clients, args.probes, args.probe_offset_h)
        )
        print(f"fan-out: {fanout}")
        gateway.stop()
        store.close()
    print(json.dumps({"bench": "cot", "ingest": ingest, "fanout": fanout}))


if __name__ == "__main__":
    main()
