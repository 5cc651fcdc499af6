"""The pipeline's workers on the bus: ``prepare`` (intake → store) and ``fuse`` (→ incidents).

``prepare``: any number of instances share one durable consumer of the intake stream. Each
takes one message at a time, prepares it (parse, validate, locate, place, judge: pure, in
parallel with the other instances), then **waits for its turn**: until every earlier message
of the stream is settled, as the store records it (``store/bus_intake.py``). Only then does it
admit and write the batch, in one transaction, publish a ``written`` event for the fuser,
record the message settled, and acknowledge it.

Why turns: admission depends on what was stored before (an amendment needs its original, a
key re-used with other content is quarantined, the first one stored wins). A single process
decides in stream order; so must two workers, or the store would depend on which worker was
quicker. The expensive part (preparing) still runs in parallel; the writes follow each other
in stream order, as they would in one process. A worker that waits for a message whose
holder died gives its own back after ``turn_patience_s`` without progress (``Deferred``: not a
failure) so that someone fetches the dead holder's message when it is redelivered.

``fuse``: consumes ``written`` events and runs ``pipeline.steps.settle`` (fusion, then the
guarantees' triggers when loaded) under the store's ``FUSION_LOCK``. Fusion follows the
commit-ordered change log, not the events: an event only says "something was written", so a
lost, repeated or late event changes nothing but the moment fusion runs. Every instance
takes the same lock: several fusers are safe, but they take turns (fusion is not yet
partitioned by time window and area, docs/bus.md).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy import Engine

from ceasefire.bus.jetstream import (
    ACK_WAIT_S,
    BusNames,
    Deferred,
    WorkerConfig,
    connect,
    ensure_consumer,
    ensure_intake_stream,
    ensure_work_stream,
    publish_patiently,
    run_worker,
)
from ceasefire.bus.message import from_message
from ceasefire.clock import Clock
from ceasefire.pipeline.agreements import AgreementBook
from ceasefire.pipeline.batch import prepare_batch, quarantine_message, write_batch
from ceasefire.pipeline.fuse import HasEngine
from ceasefire.pipeline.steps import settle
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.store.base import Store
from ceasefire.store.bus_intake import all_done_before, is_done, record_done

log = logging.getLogger(__name__)

#: Seconds between two looks at the settled messages while waiting a turn.
TURN_POLL_S = 0.1
#: Header of a ``written`` event: how many reports the batch added (0: nothing to refresh).
ACCEPTED_HEADER = "Ceasefire-Accepted"


@dataclass(frozen=True, slots=True)
class WorkerSetup:
    """What a worker process needs: the bus, the store and its settings."""

    bus_url: str
    store: Store
    clock: Clock
    names: BusNames = field(default_factory=BusNames)
    ack_wait_s: float = ACK_WAIT_S

    @property
    def turn_patience_s(self) -> float:
        """Seconds a worker waits for its turn before it gives its message back: longer
        than a dead holder's message takes to come back (``ack_wait_s``)."""
        return self.ack_wait_s + 5.0


@dataclass(frozen=True, slots=True)
class Turns:
    """The turns of one intake stream, kept in the store (``store/bus_intake.py``)."""

    engine: Engine
    epoch: str
    patience_s: float

    async def wait(self, js: JetStreamContext, names: BusNames, message: Msg) -> None:
        """Return once every message before ``message`` in the stream is settled in the
        store; ``Deferred`` when none more was for ``patience_s`` (its holder may have died:
        give this one back and fetch, so someone takes the holder's message when it returns).
        """
        seq = message.metadata.sequence.stream
        loop = asyncio.get_running_loop()
        since = loop.time()
        while True:
            info = await js.stream_info(names.intake_stream)
            first = int(info.state.first_seq or 1)
            if await asyncio.to_thread(
                all_done_before, self.engine, epoch=self.epoch, first_seq=first, seq=seq
            ):
                return
            if loop.time() - since > self.patience_s:
                raise Deferred(
                    f"message {seq}: an earlier one is unsettled after {self.patience_s} s"
                )
            await asyncio.sleep(TURN_POLL_S)

    def done(self, message: Msg, outcome: str, clock: Clock) -> None:
        record_done(
            self.engine,
            epoch=self.epoch,
            seq=message.metadata.sequence.stream,
            content_id=(message.headers or {}).get("Nats-Msg-Id", "-"),
            outcome=outcome,
            at=clock.now().isoformat(),
        )

    def already(self, message: Msg) -> bool:
        return is_done(self.engine, epoch=self.epoch, seq=message.metadata.sequence.stream)


async def run_prepare(setup: WorkerSetup, *, stop: asyncio.Event) -> int:
    """The ``prepare`` worker until ``stop``; the number of messages it settled."""
    store = setup.store
    if not isinstance(store, HasEngine):
        raise TypeError("the prepare worker needs a store with an engine")
    client = await connect(setup.bus_url)
    js = client.jetstream()
    names, clock = setup.names, setup.clock
    await ensure_intake_stream(js, names)
    await ensure_work_stream(js, names)
    created = (await js.stream_info(names.intake_stream)).created
    turns = Turns(store.engine, str(created or "-"), setup.turn_patience_s)
    config = WorkerConfig(durable="prepare", batch=1, ack_wait_s=setup.ack_wait_s)
    subscription = await ensure_consumer(js, names, config)
    gazetteer = Gazetteer.default()

    async def handle(message: Msg) -> None:
        if await asyncio.to_thread(turns.already, message):
            return  # settled before, by a worker that died before acknowledging it
        batch = from_message(message.headers, message.data)
        book = await asyncio.to_thread(AgreementBook.from_store, store)
        chunks = await asyncio.to_thread(prepare_batch, batch, book=book, gazetteer=gazetteer)
        await turns.wait(js, names, message)
        summary = await asyncio.to_thread(write_batch, store, batch, chunks, clock=clock)
        seq = message.metadata.sequence.stream
        await publish_patiently(
            js,
            names.written_subject,
            b"",
            stream=names.work_stream,
            headers={"Nats-Msg-Id": f"written:{seq}", ACCEPTED_HEADER: str(summary.accepted)},
        )
        await asyncio.to_thread(turns.done, message, "written", clock)

    async def poison(message: Msg, error: BaseException) -> None:
        await asyncio.to_thread(
            quarantine_message,
            store,
            message.data,
            dict(message.headers or {}),
            f"{type(error).__name__}: {error}",
            clock=clock,
        )
        await asyncio.to_thread(turns.done, message, "poison", clock)

    try:
        return await run_worker(subscription, config, handle, poison, stop=stop)
    finally:
        await client.close()


async def run_fuse(setup: WorkerSetup, *, stop: asyncio.Event) -> int:
    """The ``fuse`` worker until ``stop``; the number of ``written`` events it settled."""
    store = setup.store
    if not isinstance(store, HasEngine):
        raise TypeError("fusion needs a store with an engine")
    client = await connect(setup.bus_url)
    js = client.jetstream()
    names, clock = setup.names, setup.clock
    await ensure_work_stream(js, names)
    config = WorkerConfig(durable="fuse", batch=64, ack_wait_s=setup.ack_wait_s)
    subscription = await ensure_consumer(
        js, names, config, stream=names.work_stream, subjects=names.written_subject
    )

    async def handle(message: Msg) -> None:
        refresh = (message.headers or {}).get(ACCEPTED_HEADER, "0") != "0"
        book = await asyncio.to_thread(AgreementBook.from_store, store)
        await asyncio.to_thread(settle, store, book, clock=clock, fuse=True, refresh=refresh)

    async def poison(message: Msg, error: BaseException) -> None:
        # an event is no evidence: nothing to quarantine; the next event fuses again
        log.error("fusion failed %d times: %s", message.metadata.num_delivered, error)

    try:
        return await run_worker(subscription, config, handle, poison, stop=stop)
    finally:
        await client.close()


def run_until_signalled(kind: str, setup: WorkerSetup) -> int:
    """Run worker ``kind`` (``prepare`` or ``fuse``) until SIGINT or SIGTERM; it finishes
    the message in hand first. The number of messages settled."""
    runners = {"prepare": run_prepare, "fuse": run_fuse}

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        return await runners[kind](setup, stop=stop)

    return asyncio.run(main())
