"""CoT gateway: events/s accepted into the store from 50 pytak clients, and fan-out latency.

A fresh store (``init`` + the paris-2026 agreement) in a temporary folder; the gateway
(``interop.cot_server.CotGateway``, plain TCP, one monitor user) on its own event loop in a
thread; the clients are pytak 7.6.1 ``CLITool`` instances on the bench's loop.

* **Ingest:** ``--clients`` pytak clients each send ``--events`` observations (explosions a few
  km apart inside Ukraine's side of the line, time now); the figure is reports accepted into
  the store divided by the seconds from the first send to the last acceptance (so it includes
  the gateway's batching, validation, placement and fusion), plus the events/s the gateway
  read off the sockets.
* **Fan-out:** ``--clients`` pytak clients subscribe; then ``--probes`` observations are sent,
  one at a time, by one more client; for each, the latency on every subscriber from the send
  to the arrival of the new incident (CoT uid ``ceasefire-incident-N``). p50/p99 over all
  (subscriber, probe) pairs. This is observation → incident end to end: the gateway's batch
  interval (``flush_s``), the ingest with fusion, the feed's per-viewer read and the write.

Usage: ``python bench/cot.py [--clients 50] [--events 200] [--probes 20]``. Last line: JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import threading
import time
import warnings
from configparser import ConfigParser
from contextlib import suppress
from datetime import UTC, datetime
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
from ceasefire.store.base import open_store
from ceasefire.store.queries import engine_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pytak

AGREEMENT = Path(__file__).resolve().parents[1] / "scenarios" / "paris-2026" / "agreement.yaml"


def event(uid: str, lon: float, lat: float) -> bytes:
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


def gateway_thread(state: Any) -> tuple[CotGateway, int, asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    gateway = CotGateway(state, GatewayConfig(port=0, tcp_user="bench-monitor", flush_s=0.2))
    ports = loop.run_until_complete(gateway.start())
    threading.Thread(target=loop.run_forever, daemon=True).start()
    return gateway, ports["tcp"], loop


def reports_stored(state: Any) -> int:
    with state.engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM reports").scalar_one())


async def ingest_phase(state: Any, gateway: CotGateway, url: str, n: int, k: int) -> dict[str, Any]:
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
    read_done = None
    deadline = time.perf_counter() + 600
    while reports_stored(state) - before < total and time.perf_counter() < deadline:
        if read_done is None and gateway.stats.events >= total:
            read_done = time.perf_counter()
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - t0
    stored = reports_stored(state) - before
    for c in clients:
        await c.stop()
    return {
        "clients": n,
        "events_sent": total,
        "reports_stored": stored,
        "seconds": round(elapsed, 2),
        "stored_per_s": round(stored / elapsed, 1),
        "read_per_s": None if read_done is None else round(total / (read_done - t0), 1),
        "quarantined": gateway.stats.quarantined,
        "rate_dropped": gateway.stats.rate_dropped,
    }


async def fanout_phase(url: str, n: int, probes: int) -> dict[str, Any]:
    subscribers = [Client(url) for _ in range(n)]
    for c in subscribers:
        await c.start()
    sender = Client(url)
    await sender.start()
    await asyncio.sleep(3)  # every subscriber has had its first feed
    latencies: list[float] = []
    missed = 0
    for p in range(probes):
        known = set().union(*(c.seen for c in subscribers))
        t0 = time.perf_counter()
        sender.outbox.put_nowait(event(f"probe-{p}", 39.0 + p * 0.01, 47.6))
        new: str | None = None
        deadline = t0 + 30
        while time.perf_counter() < deadline:
            fresh = {u for c in subscribers for u in c.seen} - known
            if fresh and all(fresh & set(c.seen) for c in subscribers):
                new = min(fresh)
                break
            await asyncio.sleep(0.01)
        if new is None:
            missed += 1
            continue
        latencies += [c.seen[new] - t0 for c in subscribers]
        await asyncio.sleep(0.3)
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
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--events", type=int, default=200, help="per client")
    parser.add_argument("--probes", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cf-bench-cot-") as tmp:
        settings = Settings(db=f"sqlite:///{Path(tmp) / 'cot.db'}")
        store = open_store(settings)
        store.init_schema()
        load_agreement_file(store, AGREEMENT)
        create_account(
            engine_of(store),
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
        gateway, port, loop = gateway_thread(state)
        url = f"tcp://127.0.0.1:{port}"
        ingest = asyncio.run(ingest_phase(state, gateway, url, args.clients, args.events))
        print(f"ingest: {ingest}")
        fanout = asyncio.run(fanout_phase(url, args.clients, args.probes))
        print(f"fan-out: {fanout}")
        asyncio.run_coroutine_threadsafe(gateway.stop(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        store.close()
    print(json.dumps({"bench": "cot", "ingest": ingest, "fanout": fanout}))


if __name__ == "__main__":
    main()
