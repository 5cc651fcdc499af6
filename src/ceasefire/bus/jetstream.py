"""NATS JetStream as the mission's bus: the intake stream, publishing, and pull workers.

JetStream, not a queue of our own, because it already does what a mission spread over
machines needs: it keeps what it accepted on disk (replicated in a cluster), hands each
message to one member of a consumer group, redelivers what was not acknowledged in time,
and drops re-sends inside a de-duplication window (docs/bus.md).

A publisher answers its caller only once the stream has acknowledged the message, so an
answered submission is never lost. A worker acknowledges a message only after its own
transaction committed; a worker killed in between leaves the message unacknowledged and it is
delivered again, to this worker or another, and the store's keys make the repeat change
nothing. A message that fails ``max_deliver`` times is poison: it goes whole to the
quarantine with the reason, and is terminated so it blocks nothing.

A handler may also *defer* a message (``Deferred``: not its turn yet, ``bus.workers``): it goes
back without counting as a failure. JetStream's own delivery limit is therefore off, and a
message delivered ``MAX_DELIVERIES`` times in all (a message that kills its worker every time
never reaches a handler's error path) is declared poison before its handler runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, PubAck, StorageType, StreamConfig
from nats.js.errors import NotFoundError, ServiceUnavailableError

from ceasefire.bus.message import MAX_PART_BYTES, IntakeBatch, to_headers
from ceasefire.errors import BusUnavailableError

log = logging.getLogger(__name__)

#: Seconds within which JetStream drops a message whose ``Nats-Msg-Id`` it has seen.
DUPLICATE_WINDOW_S = 600.0
#: Seconds a publisher keeps trying one batch while the server restarts or elects a leader.
PUBLISH_PATIENCE_S = 30.0
#: Deliveries of one message before it is declared poison.
MAX_DELIVER = 5
#: Seconds a worker has to commit and acknowledge before the message goes to another
#: (a live worker extends it while it works, ``run_worker``).
ACK_WAIT_S = 60.0
#: Deliveries in all (deferrals and deaths of the worker included) after which a message is
#: poison before it is even handled.
MAX_DELIVERIES = 100


@dataclass(frozen=True, slots=True)
class BusNames:
    """Stream and subject names; tests give each run its own prefix on the shared server."""

    prefix: str = "CEASEFIRE"

    @property
    def intake_stream(self) -> str:
        return f"{self.prefix}_INTAKE"

    def intake_subject(self, principal: str) -> str:
        """Per scope, so a cluster can place and limit scopes separately."""
        token = "".join(c if c.isalnum() else "_" for c in principal) or "_"
        return f"{self.prefix.lower()}.intake.{token}"

    @property
    def intake_subjects(self) -> str:
        return f"{self.prefix.lower()}.intake.>"

    @property
    def work_stream(self) -> str:
        """Events between workers (``written``: a batch committed, for the fuser)."""
        return f"{self.prefix}_WORK"

    @property
    def written_subject(self) -> str:
        return f"{self.prefix.lower()}.work.written"

    @property
    def work_subjects(self) -> str:
        return f"{self.prefix.lower()}.work.>"


async def connect(url: str, *, patience_s: float | None = None) -> Client:
    """A client that keeps trying to reconnect (a restarted server is found again).

    ``url`` may name several servers of a cluster, comma-separated
    (``nats://n1:4222,nats://n2:4222``): the client starts with any that answers.
    nats-py keeps trying the first connection too: ``patience_s`` bounds that wait
    (``BusUnavailableError`` after it), for a publisher that has someone waiting for its
    answer; a worker (``None``) waits for the server as long as it takes.
    """
    servers = [part.strip() for part in url.split(",") if part.strip()]
    opening = nats.connect(
        servers, max_reconnect_attempts=-1, reconnect_time_wait=0.5, connect_timeout=5
    )
    if patience_s is None:
        return await opening
    try:
        return await asyncio.wait_for(opening, patience_s)
    except TimeoutError:
        raise BusUnavailableError(f"bus: no NATS server at {url} within {patience_s:g} s") from None


async def ensure_intake_stream(js: JetStreamContext, names: BusNames) -> None:
    """Create the intake stream if absent (idempotent; an existing stream is left as is)."""
    config = StreamConfig(
        name=names.intake_stream,
        subjects=[names.intake_subjects],
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_S,
        max_msg_size=MAX_PART_BYTES + 64 * 1024,
    )
    try:
        await js.stream_info(names.intake_stream)
    except NotFoundError:
        await js.add_stream(config)


async def ensure_work_stream(js: JetStreamContext, names: BusNames) -> None:
    """Create the work-event stream if absent (idempotent). Events are small and only
    nudge the next worker, which reads what to do from the store: a day's worth is kept."""
    config = StreamConfig(
        name=names.work_stream,
        subjects=[names.work_subjects],
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_S,
        max_age=86_400.0,
    )
    try:
        await js.stream_info(names.work_stream)
    except NotFoundError:
        await js.add_stream(config)


@dataclass(frozen=True, slots=True)
class Published:
    """What the stream answered for one batch: its sequence, or that it was a re-send."""

    seq: int
    duplicate: bool


async def publish_batches(
    js: JetStreamContext,
    names: BusNames,
    batches: Sequence[IntakeBatch],
    *,
    patience_s: float = PUBLISH_PATIENCE_S,
) -> list[Published]:
    """Publish and wait for the stream's acknowledgement of each batch, in order.

    While the server restarts or a cluster elects a leader, a publish times out or finds no
    responder; it is tried again, for up to ``patience_s`` per batch. Trying again is safe:
    the message id makes a second copy of an already stored batch a duplicate. Past the
    patience the error reaches the caller, who has had no answer and so must keep the input.
    """
    answers = []
    for batch in batches:
        ack = await _publish_patiently(js, names, batch, patience_s)
        answers.append(Published(seq=int(ack.seq), duplicate=bool(ack.duplicate)))
    return answers


async def _publish_patiently(
    js: JetStreamContext, names: BusNames, batch: IntakeBatch, patience_s: float
) -> PubAck:
    return await publish_patiently(
        js,
        names.intake_subject(batch.principal),
        batch.raw,
        stream=names.intake_stream,
        headers=to_headers(batch),
        patience_s=patience_s,
    )


async def publish_patiently(
    js: JetStreamContext,
    subject: str,
    payload: bytes,
    *,
    stream: str,
    headers: dict[str, str],
    patience_s: float = PUBLISH_PATIENCE_S,
) -> PubAck:
    """Publish one message and wait for the stream's acknowledgement, trying again while
    the server restarts (safe: ``Nats-Msg-Id`` in ``headers`` makes a second copy a
    duplicate); past ``patience_s`` the error reaches the caller."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience_s
    pause = 0.1
    while True:
        try:
            return await js.publish(subject, payload, stream=stream, headers=headers, timeout=2.0)
        except (NatsTimeout, NoRespondersError, ServiceUnavailableError):
            if loop.time() + pause > deadline:
                raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)


class Deferred(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a handler that cannot handle its message yet (it waits for an earlier one):
    the message goes back for later, and this delivery does not count as a failure."""


#: Handles one message; returns after its work has committed. Raising means "try again".
Handler = Callable[[Msg], Awaitable[None]]
#: Called with a message and the last error once it has failed ``max_deliver`` times.
PoisonHandler = Callable[[Msg, BaseException], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """A durable pull consumer: its name is the worker kind, shared by every instance."""

    durable: str
    batch: int = 16
    fetch_timeout_s: float = 1.0
    max_deliver: int = MAX_DELIVER
    ack_wait_s: float = ACK_WAIT_S


async def ensure_consumer(
    js: JetStreamContext,
    names: BusNames,
    config: WorkerConfig,
    *,
    stream: str | None = None,
    subjects: str | None = None,
) -> JetStreamContext.PullSubscription:
    """The durable pull subscription of ``config.durable`` on the intake stream (or on
    ``stream`` for ``subjects``). An existing consumer is used as it is."""
    return await js.pull_subscribe(
        subjects or names.intake_subjects,
        durable=config.durable,
        stream=stream or names.intake_stream,
        config=ConsumerConfig(
            durable_name=config.durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=config.ack_wait_s,
            # no JetStream limit: deferrals are no failures; ours count (``run_worker``)
            max_deliver=-1,
        ),
    )


async def run_worker(
    subscription: JetStreamContext.PullSubscription,
    config: WorkerConfig,
    handle: Handler,
    poison: PoisonHandler,
    *,
    stop: asyncio.Event,
) -> int:
    """Fetch, handle, acknowledge, until ``stop`` is set; the number of messages acknowledged.

    A handler error leaves the message for redelivery (``nak`` with a short delay) until its
    ``max_deliver``-th delivery, when ``poison`` stores it whole and the message is
    terminated. A worker killed mid-message acknowledges nothing: the message comes back
    after ``ack_wait_s``.
    """
    done = 0
    while not stop.is_set():
        try:
            messages = await subscription.fetch(config.batch, timeout=config.fetch_timeout_s)
        except (TimeoutError, NatsTimeout):  # nats-py raises either when none came
            continue
        except NatsError as error:  # the server restarting: the client reconnects by itself
            log.info("fetch failed (%s); trying again", error)
            await asyncio.sleep(0.5)
            continue
        for message in messages:
            try:
                done += await _settle(message, config, handle, poison)
            except (NatsError, TimeoutError) as error:
                # the server went away between the work and its acknowledgement: the work is
                # committed and idempotent, the message comes back and is settled then
                log.info("could not settle a message (%s); it will come back", error)
    return done


async def _settle(
    message: Msg, config: WorkerConfig, handle: Handler, poison: PoisonHandler
) -> int:
    """Handle one message and acknowledge, defer, retry or quarantine it; 1 if settled."""
    deliveries = message.metadata.num_delivered
    if deliveries >= MAX_DELIVERIES:
        looping = RuntimeError(f"delivered {deliveries} times without being settled")
        log.warning("poison message: %s", looping)
        await poison(message, looping)
        await message.term()
        return 1
    try:
        await _with_heartbeat(message, handle(message), config.ack_wait_s)
    except Deferred as why:
        log.info("deferred: %s", why)
        await message.nak(delay=0.5)
        return 0
    except (NatsError, TimeoutError):
        raise  # the bus, not the message: no delivery counted against it
    except Exception as error:  # noqa: BLE001 - any failure is retried, then quarantined
        if deliveries >= config.max_deliver:
            log.warning("poison message after %d deliveries: %s", deliveries, error)
            await poison(message, error)
            await message.term()
            return 1
        log.info("message failed (delivery %d): %s", deliveries, error)
        await message.nak(delay=min(0.2 * deliveries, 2.0))
        return 0
    await message.ack_sync()
    return 1


async def _with_heartbeat(message: Msg, work: Awaitable[None], ack_wait_s: float) -> None:
    """Await ``work``, telling JetStream every third of ``ack_wait_s`` that the message is
    still being worked on: a slow but live worker keeps it; a dead one stops telling, and
    the message goes to another after ``ack_wait_s``."""
    task = asyncio.ensure_future(work)
    while True:
        done, _ = await asyncio.wait({task}, timeout=ack_wait_s / 3)
        if done:
            task.result()
            return
        try:
            await message.in_progress()
        except NatsError as error:  # the server restarting; the work goes on
            log.info("in-progress signal failed: %s", error)
