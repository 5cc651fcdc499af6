"""The pipeline as workers on a real bus and a real PostgreSQL: ``ceasefire worker prepare``
(twice) and ``ceasefire worker fuse`` as processes, SIGKILLed at random moments and restarted,
the NATS server itself killed and restarted, and reports sent while every worker is down; the
store must equal one clean in-process run of the same messages (``bench/bus_kill.py``, which
runs the same at 200,000 reports and 20 kills, says what is compared and why).

PostgreSQL only: the workers are several writers, which SQLite refuses by design.
"""

from __future__ import annotations

import asyncio
import importlib.util
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from backend_databases import Databases, drop_url
from ceasefire.bus.jetstream import BusNames, connect, ensure_intake_stream, publish_batches
from ceasefire.bus.message import IntakeBatch

ROOT = Path(__file__).resolve().parents[2]
#: Simulated reports through the workers; each message holds about 100 of them.
REPORTS = 5_000
PART_BYTES = 40_000
pytestmark = pytest.mark.anyio


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_bus_kill", ROOT / "bench" / "bus_kill.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


soak = _bench()


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> list[IntakeBatch]:
    """``REPORTS`` simulated paris-2026 reports as intake messages, in stream order."""
    lines = soak.writers.simulate(REPORTS, tmp_path_factory.mktemp("sim"))
    found: list[IntakeBatch] = soak.make_batches(lines, input_reports=500, part_bytes=PART_BYTES)
    return found


def _paris(url: str) -> None:
    soak.writers.cli(["init"], db=url)
    soak.writers.cli(["agreement", "load", str(soak.writers.AGREEMENT)], db=url)


@pytest.fixture
def two_dbs(backend: str, databases: Databases, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two PostgreSQL databases with paris-2026 loaded: the clean run's and the workers'."""
    urls = [
        databases.fresh(backend, tmp_path / name, key="paris", build=_paris)
        for name in ("clean", "bus")
    ]
    yield urls[0], urls[1]
    for url in urls:
        drop_url(url)


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[Any]:
    server = soak.NatsServer(tmp_path / "nats")
    server.start()
    yield server
    server.kill()


def _assert_equal(got: str, expected: str) -> None:
    equal = soak.compare(got, expected)
    assert equal == dict.fromkeys(equal, True)
    content = soak.writers.content(expected)
    assert len(content.reports) > 0.9 * REPORTS  # the comparison compares something
    assert any(status != "active" for *_, status in content.reports)  # amendments among them
    assert len(content.violations) > 100


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgres"])
async def test_workers_killed_at_random_and_nats_restarted_equal_one_clean_run(
    two_dbs: tuple[str, str], nats: Any, batches: list[IntakeBatch], tmp_path: Path
) -> None:
    clean, bus = two_dbs
    soak.clean_run(clean, batches)
    fleet = soak.Fleet(bus, nats.url, tmp_path)
    seed = random.randrange(1 << 30)
    try:
        _, chaos = await soak.run_bus(
            fleet,
            nats,
            batches,
            kills=4,
            restart_nats=True,
            rng=random.Random(seed),
            per_s=20.0,
            timeout_s=600.0,
        )
    finally:
        fleet.stop()
    assert len(chaos.kills) == 4, f"seed {seed}"
    assert chaos.nats_restarts == 1
    _assert_equal(bus, clean)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgres"])
async def test_reports_sent_while_every_worker_is_down_are_processed_when_one_returns(
    two_dbs: tuple[str, str], nats: Any, batches: list[IntakeBatch], tmp_path: Path
) -> None:
    clean, bus = two_dbs
    first, later = batches[:5], batches[5:8]
    soak.clean_run(clean, first + later)
    url = nats.url
    fleet = soak.Fleet(bus, url, tmp_path)
    for name in soak.WORKERS:
        fleet.start(name)
    try:
        await soak.publish_paced(url, first, per_s=50.0)
        await _wait_settled(url, bus, len(first))
    finally:
        fleet.stop()  # every worker down
    client = await connect(url)
    try:
        js = client.jetstream()
        await ensure_intake_stream(js, BusNames())
        answers = await publish_batches(js, BusNames(), later)
    finally:
        await client.close()
    assert [a.duplicate for a in answers] == [False] * len(later)  # accepted while all down
    assert not await soak.settled(url, bus, len(first) + len(later))
    fleet.start("prepare-1")
    fleet.start("fuse")
    try:
        await _wait_settled(url, bus, len(first) + len(later))
    finally:
        fleet.stop()
    _assert_equal_small(bus, clean)


async def _wait_settled(url: str, db: str, sent: int, timeout_s: float = 300.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not await soak.settled(url, db, sent):
        assert loop.time() < deadline, f"not settled in {timeout_s} s"
        await asyncio.sleep(0.5)


def _assert_equal_small(got: str, expected: str) -> None:
    equal = soak.compare(got, expected)
    assert equal == dict.fromkeys(equal, True)
    assert len(soak.writers.content(expected).reports) > 500
