"""The intake stream on the real NATS JetStream server this machine runs (127.0.0.1:4222,
or ``CEASEFIRE_TEST_NATS``): nothing answered is lost, re-sends are dropped, a failing message
is retried then quarantined whole, and work sent while no worker runs waits for one."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats_process import NatsProcess

from ceasefire.bus.jetstream import (
    BusNames,
    Handler,
    PoisonHandler,
    WorkerConfig,
    connect,
    ensure_consumer,
    ensure_intake_stream,
    publish_batches,
    run_worker,
)
from ceasefire.bus.message import IntakeBatch, from_message

NATS_URL = os.environ.get("CEASEFIRE_TEST_NATS", "nats://127.0.0.1:4222")
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
pytestmark = pytest.mark.anyio
_runs = itertools.count(1)


@pytest.fixture
async def bus() -> AsyncIterator[tuple[JetStreamContext, BusNames]]:
    """A stream of this test's own on the shared server, deleted afterwards."""
    names = BusNames(prefix=f"CFT{os.getpid()}X{next(_runs)}")
    client = await connect(NATS_URL)
    js = client.jetstream()
    await ensure_intake_stream(js, names)
    try:
        yield js, names
    finally:
        await js.delete_stream(names.intake_stream)
        await client.close()


def batch(text: str, principal: str = "FRA") -> IntakeBatch:
    return IntakeBatch(text.encode(), "test.ndjson", "ndjson", T0, principal)


async def drain(
    js: JetStreamContext,
    names: BusNames,
    config: WorkerConfig,
    handle: Handler,
    poison: PoisonHandler,
    *,
    until: int,
) -> int:
    """Run one worker until the stream's first ``until`` messages are settled (at most 20 s);
    how many it settled.

    Settled: the acknowledgement floor is at ``until`` (a message sent back with a delay is
    neither pending nor awaiting its ack while it waits, so those counts alone do not say).
    """
    stop = asyncio.Event()
    subscription = await ensure_consumer(js, names, config)
    task = asyncio.create_task(run_worker(subscription, config, handle, poison, stop=stop))
    for _ in range(200):
        info = await js.consumer_info(names.intake_stream, config.durable)
        floor = info.ack_floor.stream_seq if info.ack_floor else 0
        if not info.num_ack_pending and (floor or 0) >= until:
            break
        await asyncio.sleep(0.1)
    stop.set()
    return await task


async def test_a_re_sent_batch_is_dropped_by_the_stream(
    bus: tuple[JetStreamContext, BusNames],
) -> None:
    js, names = bus
    first = await publish_batches(js, names, [batch('{"id":"r1"}\n'), batch('{"id":"r2"}\n')])
    again = await publish_batches(
        js, names, [batch('{"id":"r1"}\n'), batch('{"id":"r1"}\n', "USA")]
    )
    assert [p.duplicate for p in first] == [False, False]
    assert [p.duplicate for p in again] == [True, False]  # USA's identical bytes are USA's
    info = await js.stream_info(names.intake_stream)
    assert info.state.messages == 3


async def test_each_message_is_handled_once_and_acknowledged_after_the_handler(
    bus: tuple[JetStreamContext, BusNames],
) -> None:
    js, names = bus
    sent = [batch(f'{{"id":"r{k}"}}\n') for k in range(20)]
    await publish_batches(js, names, sent)
    seen: list[IntakeBatch] = []

    async def handle(message: Msg) -> None:
        seen.append(from_message(message.headers, message.data))

    async def poison(message: Msg, error: BaseException) -> None:
        raise AssertionError(f"no message should be poison: {error}")

    config = WorkerConfig(durable="prepare", fetch_timeout_s=0.2)
    assert await drain(js, names, config, handle, poison, until=20) == 20
    assert sorted(b.raw for b in seen) == sorted(b.raw for b in sent)
    info = await js.consumer_info(names.intake_stream, "prepare")
    assert info.num_ack_pending == 0
    assert info.num_redelivered == 0


async def test_a_failing_message_is_retried_then_handed_to_the_quarantine_once(
    bus: tuple[JetStreamContext, BusNames],
) -> None:
    js, names = bus
    await publish_batches(js, names, [batch("bad\n"), batch('{"id":"ok"}\n')])
    attempts: dict[bytes, int] = {}
    quarantined: list[tuple[bytes, str]] = []

    async def handle(message: Msg) -> None:
        attempts[message.data] = attempts.get(message.data, 0) + 1
        if message.data == b"bad\n":
            raise ValueError("cannot be prepared")

    async def poison(message: Msg, error: BaseException) -> None:
        quarantined.append((message.data, str(error)))

    config = WorkerConfig(durable="prepare", fetch_timeout_s=0.2, max_deliver=3)
    await drain(js, names, config, handle, poison, until=2)
    assert attempts == {b"bad\n": 3, b'{"id":"ok"}\n': 1}
    assert quarantined == [(b"bad\n", "cannot be prepared")]


async def test_work_sent_while_no_worker_runs_is_done_when_one_comes_back(
    bus: tuple[JetStreamContext, BusNames],
) -> None:
    js, names = bus
    config = WorkerConfig(durable="prepare", fetch_timeout_s=0.2, ack_wait_s=1.0)
    await ensure_consumer(js, names, config)  # the group exists; its workers are all down
    await publish_batches(js, names, [batch('{"id":"late"}\n')])
    seen: list[bytes] = []

    async def handle(message: Msg) -> None:
        seen.append(message.data)

    async def poison(message: Msg, error: BaseException) -> None:
        raise AssertionError(str(error))

    await drain(js, names, config, handle, poison, until=1)
    assert seen == [b'{"id":"late"}\n']


async def test_a_worker_that_dies_before_acknowledging_leaves_the_message_to_another(
    bus: tuple[JetStreamContext, BusNames],
) -> None:
    js, names = bus
    config = WorkerConfig(durable="prepare", fetch_timeout_s=0.2, ack_wait_s=1.0)
    subscription = await ensure_consumer(js, names, config)
    await publish_batches(js, names, [batch('{"id":"r1"}\n')])
    taken = await subscription.fetch(1, timeout=5)  # a worker takes it, then dies silently
    assert len(taken) == 1
    seen: list[int] = []

    async def handle(message: Msg) -> None:
        seen.append(message.metadata.num_delivered)

    async def poison(message: Msg, error: BaseException) -> None:
        raise AssertionError(str(error))

    await drain(js, names, config, handle, poison, until=1)
    assert seen == [2]  # delivered again after ack_wait, handled once


async def test_what_the_stream_acknowledged_survives_a_killed_server(tmp_path: Path) -> None:
    server = NatsProcess(tmp_path / "nats")
    server.start()
    names = BusNames(prefix="CFTKILL")
    try:
        client = await connect(server.url)
        js = client.jetstream()
        await ensure_intake_stream(js, names)
        await publish_batches(js, names, [batch(f'{{"id":"a{k}"}}\n') for k in range(50)])
        server.kill()  # SIGKILL with 50 acknowledged messages
        server.start()  # same port, same data folder; the client reconnects by itself
        await publish_batches(js, names, [batch(f'{{"id":"b{k}"}}\n') for k in range(50)])
        again = await publish_batches(js, names, [batch('{"id":"a0"}\n')])
        seen: list[bytes] = []

        async def handle(message: Msg) -> None:
            seen.append(message.data)

        async def poison(message: Msg, error: BaseException) -> None:
            raise AssertionError(str(error))

        config = WorkerConfig(durable="prepare", fetch_timeout_s=0.2)
        await drain(js, names, config, handle, poison, until=100)
        await client.close()
    finally:
        server.kill()
    assert again[0].duplicate  # the de-duplication window survived the restart too
    assert sorted(seen) == sorted(
        [f'{{"id":"{p}{k}"}}\n'.encode() for p in "ab" for k in range(50)]
    )
