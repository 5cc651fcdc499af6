"""Live streams woken by the bus: with ``--bus`` (``CEASEFIRE_BUS``) an HQ server follows the
changes stream (``bus/changes.py``) and its live streams read the database when a change was
committed, instead of every ``POLL_S``.

The messages say only that something changed (log, ``seq``, kind, ids). Each stream still
reads what changed through its own releasability-filtered reads, for its own reader, from
its own cursors: the bus decides *when* a stream looks, never *what* a reader sees. So any
number of HQ servers behind one address show every reader the same picture, each woken by the
same messages.

Each server follows the stream with ordered consumers (one per HQ topic; ephemeral, starting
at new messages): after a NATS reconnect they resume where they were, so no wake-up is lost
to a short outage. As a safety net, a stream also looks every ``FALLBACK_S`` when nothing woke
it (a notify worker that is down delays the picture, it does not freeze it forever).

An HQ server does not wait for the bus to start: until it has subscribed (``BusFollower``
tries every ``RETRY_S``), its streams poll the database as without a bus. The HQ's
availability never depends on NATS; only its cost does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg

    from ceasefire.api.state import HQState

log = logging.getLogger(__name__)

#: Seconds a bus-woken stream waits at most before it reads the database anyway.
FALLBACK_S = 15.0
#: Seconds between attempts to subscribe while the bus cannot be reached.
RETRY_S = 2.0


class LiveWake:
    """Wakes this process's live streams: a generation number and an event per generation.

    A stream notes the generation before it reads, and after reading waits for a later one:
    a change heard while it was reading wakes it at once, not at the next change.
    Used on the server's event loop only (the NATS callback and the streams share it).
    """

    def __init__(self) -> None:
        self.generation = 0
        self._event = asyncio.Event()

    def bump(self) -> None:
        """Something was committed: wake every waiting stream."""
        self.generation += 1
        self._event.set()
        self._event = asyncio.Event()

    async def wait_after(self, generation: int, timeout_s: float) -> float:
        """Wait until a generation later than ``generation`` (or ``timeout_s``); the seconds
        waited."""
        if self.generation != generation:
            return 0.0
        began = time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout_s)
        return time.monotonic() - began


def wake_generation(state: HQState) -> int:
    """The generation a stream notes before reading (0 without a bus)."""
    return state.wake.generation if state.wake is not None else 0


async def until_next_read(state: HQState, generation: int, poll_s: float) -> float:
    """Wait until a stream should read again; the seconds waited. Without a bus, ``poll_s``;
    with one, until a change after ``generation`` is heard, or ``FALLBACK_S``."""
    if state.wake is None:
        await asyncio.sleep(poll_s)
        return poll_s
    return await state.wake.wait_after(generation, FALLBACK_S)


async def follow_changes(url: str, wake: LiveWake, *, prefix: str = "CEASEFIRE") -> Client:
    """Connect to the bus and bump ``wake`` on every change message of an HQ topic; the
    client (drain it at shutdown). The changes stream is created if the notify worker has
    not yet done so, so HQ servers and workers may start in any order."""
    from nats.js.api import DeliverPolicy  # noqa: PLC0415 - only with a bus

    from ceasefire.bus.changes import HQ_TOPICS, ChangeNames, ensure_changes_stream  # noqa: PLC0415
    from ceasefire.bus.jetstream import connect  # noqa: PLC0415

    names = ChangeNames(prefix)
    client = await connect(url)

    async def heard(_: Msg) -> None:
        wake.bump()

    subscribed = False
    try:
        js = client.jetstream()
        await ensure_changes_stream(js, names)
        for topic in HQ_TOPICS:
            await js.subscribe(
                names.subject(topic),
                stream=names.stream,
                cb=heard,
                ordered_consumer=True,
                deliver_policy=DeliverPolicy.NEW,
            )
        subscribed = True
    finally:
        if not subscribed:  # failed or cancelled half-way: the connection is not kept
            await client.close()
    log.info("live streams follow %s on %s", names.stream, url)
    return client


class BusFollower:
    """Subscribes an HQ server to the changes stream in the background, trying again every
    ``RETRY_S`` while the bus cannot be reached, then hands the streams their ``LiveWake``."""

    def __init__(self, url: str, *, prefix: str = "CEASEFIRE") -> None:
        self.url = url
        self.prefix = prefix
        self._client: Client | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, state: HQState) -> None:
        """Begin (on the server's event loop); ``state.wake`` is set once subscribed."""
        self._task = asyncio.create_task(self._follow(state), name="bus-follower")

    async def _follow(self, state: HQState) -> None:
        from nats.errors import Error as NatsError  # noqa: PLC0415 - only with a bus

        wake = LiveWake()
        while self._client is None:
            try:
                self._client = await asyncio.wait_for(
                    follow_changes(self.url, wake, prefix=self.prefix), 10 * RETRY_S
                )
            except (OSError, TimeoutError, NatsError) as error:
                log.warning("bus %s not reachable (%s): live streams poll", self.url, error)
                await asyncio.sleep(RETRY_S)
        state.wake = wake

    async def stop(self) -> None:
        """Stop trying, and drain the connection if there is one."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self._client is not None:
            await self._client.drain()
