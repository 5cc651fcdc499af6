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

log = logging.getLogger(__name__)

#: Seconds within which JetStream drops a message whose ``Nats-Msg-Id`` it has seen.
DUPLICATE_WINDOW_S = 600.0
#: Seconds a publisher keeps trying one batch while the server restarts or elects a leader.
PUBLISH_PATIENCE_S = 30.0
#: Deliveries of one message before it is declared poison.
MAX_DELIVER = 5
#: Seconds a worker has to commit and acknowledge before the message goes to another.
ACK_WAIT_S = 60.0


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


async def connect(url: str) -> Client:
    """A client that keeps trying to reconnect (a restarted server is found again).

    ``url`` may name several servers of a cluster, comma-separated
    (``nats://n1:4222,nats://n2:4222``): the client starts with any that answers.
    """
    servers = [part.strip() for part in url.split(",") if part.strip()]
    return await nats.connect(
        servers, max_reconnect_attempts=-1, reconnect_time_wait=0.5, connect_timeout=5
    )


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
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience_s
    pause = 0.1
    while True:
        try:
            return await js.publish(
                names.intake_subject(batch.principal),
                batch.raw,
                stream=names.intake_stream,
                headers=to_headers(batch),
                timeout=2.0,
            )
        except (NatsTimeout, NoRespondersError, ServiceUnavailableError):
            if loop.time() + pause > deadline:
                raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)


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
    js: JetStreamContext, names: BusNames, config: WorkerConfig
) -> JetStreamContext.PullSubscription:
    """The durable pull subscription of ``config.durable`` on the intake stream."""
    return await js.pull_subscribe(
        names.intake_subjects,
        durable=config.durable,
        stream=names.intake_stream,
        config=ConsumerConfig(
            durable_name=config.durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=config.ack_wait_s,
            # JetStream's own limit sits above ours, so our poison path always runs first
            max_deliver=config.max_deliver + 1,
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
        except NatsTimeout:
            continue
        except NatsError as error:  # the server restarting: the client reconnects by itself
            log.info("fetch failed (%s); trying again", error)
            await asyncio.sleep(0.5)
            continue
        for message in messages:
            try:
                await handle(message)
            except Exception as error:  # noqa: BLE001 - any failure is retried, then quarantined
                deliveries = message.metadata.num_delivered
                if deliveries >= config.max_deliver:
                    log.warning("poison message after %d deliveries: %s", deliveries, error)
                    await poison(message, error)
                    await message.term()
                    done += 1
                else:
                    await message.nak(delay=min(0.2 * deliveries, 2.0))
                continue
            await message.ack_sync()
            done += 1
    return done
