"""Live HQ from NATS: two ``ceasefire serve --bus`` processes on one PostgreSQL database, a
notify worker and a NATS server of the test's own. An ingest into the database reaches both
servers' live streams within 2 s, each reader seeing only the incident releasable to them.

The servers' streams read the database only when woken, or every ``FALLBACK_S`` (15 s): an
event within 2 s of the ingest therefore came through the bus, not from a poll.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import orjson
import pytest
from bus_processes import (
    Proc,
    StreamReader,
    build_mini_store,
    make_user,
    start,
    wait_healthy,
)
from nats.js.errors import NotFoundError
from nats_process import NatsProcess, free_port

from backend_databases import Databases, drop_url
from ceasefire.api.live_bus import FALLBACK_S
from ceasefire.bus.changes import HQ_TOPICS, ChangeNames
from ceasefire.bus.jetstream import connect
from ceasefire.pipeline.ingest import ingest_files
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.parse import ReportFormat
from ceasefire.settings import Settings
from ceasefire.store.base import open_store

WITHIN_S = 2.0


@cache
def _gazetteer() -> Gazetteer:
    return Gazetteer.default()


def _report(rid: str, *, nation: str, lat: float, count: int) -> dict[str, object]:
    """An explosion heard by an observation post, releasable to ``nation`` only."""
    return {
        "id": rid,
        "source": f"OP-{rid}",
        "source_type": "observation_post",
        "reliability": "B",
        "credibility": 2,
        "observed_at": "2026-03-10T10:00:00Z",
        "lat": lat,
        "lon": 37.45,
        "uncertainty_m": 200,
        "category": "explosion",
        "count": count,
        "releasable_to": [nation],
    }


def _ingest(db: str, folder: Path, reports: list[dict[str, object]]) -> None:
    """Ingest in this process, as a CLI ingest or a prepare worker would (with fusion)."""
    path = folder / "live.ndjson"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in reports))
    store = open_store(Settings(db=db))
    try:
        ingest_files(store, [path], fmt=ReportFormat.NDJSON, gazetteer=_gazetteer(), parallel=False)
    finally:
        store.close()


@dataclass
class Deployment:
    """What the fixture started: the database, the bus, the HQ servers and the notify worker."""

    db: str
    bus: str
    urls: list[str]
    notify: Proc
    folder: Path

    def restart_notify(self) -> Proc:
        args = ["--db", self.db, "worker", "notify", "--bus", self.bus]
        self.notify = start(args, self.folder / "notify-again.log")
        return self.notify


@pytest.fixture
def deployment(databases: Databases, tmp_path: Path) -> Iterator[Deployment]:
    """PostgreSQL, a NATS server, a notify worker and two HQ servers on the bus."""
    db = databases.fresh("postgres", tmp_path, key="bus-mini", build=build_mini_store)
    nats = NatsProcess(tmp_path / "nats")
    nats.start()
    servers: list[Proc] = []
    notify = start(["--db", db, "worker", "notify", "--bus", nats.url], tmp_path / "n.log")
    found = Deployment(db, nats.url, [], notify, tmp_path)
    try:
        for k in range(2):
            port = free_port()
            args = ["--db", db, "serve", "--port", str(port), "--bus", nats.url]
            servers.append(start(args, tmp_path / f"hq{k}.log"))
            found.urls.append(f"http://127.0.0.1:{port}")
        for url, proc in zip(found.urls, servers, strict=True):
            wait_healthy(url, proc)
        # an HQ server subscribes in the background (it polls until then): wait for both
        assert asyncio.run(_consumers(nats.url, 2 * len(HQ_TOPICS), within_s=60))
        notify.wait_for("publishing after", within_s=60)
        yield found
    finally:
        for proc in [*servers, found.notify]:
            proc.stop()
        nats.kill()
        drop_url(db)


async def _consumers(url: str, n: int, *, within_s: float) -> bool:
    """Whether the changes stream has ``n`` consumers (an HQ server's subscriptions)."""
    client = await connect(url)
    try:
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            try:
                info = await client.jetstream().stream_info(ChangeNames().stream)
            except NotFoundError:  # no process has created the stream yet
                info = None
            if info is not None and (info.state.consumer_count or 0) >= n:
                return True
            await asyncio.sleep(0.2)
        return False
    finally:
        await client.close()


def _wait(readers: dict[tuple[str, str], StreamReader], name: str, n: int, until: float) -> None:
    """Until every reader called ``name`` has ``n`` incident events, or ``until``."""
    while time.monotonic() < until and not all(
        len(r.of("incident")) >= n for (_, who), r in readers.items() if who == name
    ):
        time.sleep(0.05)


@pytest.mark.slow
def test_both_servers_stream_a_new_incident_to_its_readers_only(
    deployment: Deployment, tmp_path: Path
) -> None:
    db, urls = deployment.db, deployment.urls
    tokens = {"fra": make_user(db, "fra", nation="FRA"), "usa": make_user(db, "usa", nation="USA")}
    readers = {
        (url, name): StreamReader(url, token) for url in urls for name, token in tokens.items()
    }
    for reader in readers.values():
        reader.start()
    for reader in readers.values():
        assert reader.connected.wait(30), "a stream did not connect"
    time.sleep(0.5)  # past each stream's first read, into its wait for the bus
    _ingest(
        db,
        tmp_path,
        [
            _report("fra-1", nation="FRA", lat=48.0, count=3),
            _report("usa-1", nation="USA", lat=48.5, count=5),
        ],
    )
    ingested = time.monotonic()
    assert FALLBACK_S > 4 * WITHIN_S  # only a bus wake-up can be this fast
    _wait(readers, "fra", 1, ingested + WITHIN_S)
    _wait(readers, "usa", 1, ingested + WITHIN_S)
    time.sleep(0.3)  # anything else on its way
    for (url, name), reader in readers.items():
        incidents = reader.of("incident")
        assert incidents, f"{name} on {url}: no incident within {WITHIN_S} s"
        counts = {orjson.loads(data)["count_best"] for _, data in incidents}
        assert counts == ({3} if name == "fra" else {5}), (name, url, counts)
        print(f"{name} on {url}: incident {incidents[0][0] - ingested:.3f} s after the ingest")

    # with the notify worker down, the streams do not see a new incident: they are fed by
    # the bus, not by reading the database; once it is back, they see it
    assert deployment.notify.stop() == 0
    _ingest(db, tmp_path, [_report("fra-2", nation="FRA", lat=48.25, count=7)])
    time.sleep(WITHIN_S)
    assert all(len(r.of("incident")) == 1 for r in readers.values())
    deployment.restart_notify().wait_for("publishing after", within_s=60)
    _wait(readers, "fra", 2, time.monotonic() + WITHIN_S)
    for (url, name), reader in readers.items():
        seen = [orjson.loads(data)["count_best"] for _, data in reader.of("incident")]
        assert seen == ([3, 7] if name == "fra" else [5]), (name, url, seen)
