"""The notify worker: tails the store's commit-ordered logs and publishes each committed
change to the changes stream (``bus/changes.py``), for the HQ servers' live streams.

One loop: read up to ``batch`` changes after the cursors, publish them all and wait for the
stream's acknowledgements, then move the cursors. A worker killed in between publishes the
same changes again when it restarts; their ``Nats-Msg-Id`` makes the stream drop the copies.
While the NATS server restarts or elects a leader, publishing fails: the batch is tried
again, from the same cursors, after a short pause, for as long as it takes.

Why one worker reads the database for all HQ servers: each HQ process polling the database
for each of its readers cost a query per reader per half second; now one reader per
deployment queries an index on ``seq``, and the HQ servers wake only when something changed.
Run one notify worker per deployment (a second one is harmless, only wasteful: the stream
drops its copies).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.errors import Error as JetStreamError
from sqlalchemy import Engine

from ceasefire.bus.changes import (
    LEDGER_TOPICS,
    ChangeNames,
    change_headers,
    change_payload,
    topic_of,
)
from ceasefire.store.change_feed import (
    Change,
    FeedCursors,
    changes_after,
    feed_cursors,
    store_cursors,
)

log = logging.getLogger(__name__)

#: Changes read per log per round (the round's publishes are awaited together).
BATCH = 1000
#: Seconds between reads of the logs when nothing changed.
IDLE_S = 0.1
#: Seconds a round waits for the stream's acknowledgements before it counts as failed.
ACK_TIMEOUT_S = 10.0
#: Seconds before a failed publish is tried again.
RETRY_S = 0.5


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    """How the worker reads and where it starts on its first run."""

    batch: int = BATCH
    idle_s: float = IDLE_S
    #: on the first run ever, start at the logs' ends (no replay of history to the HQs)
    start_at_end: bool = True


@dataclass
class NotifyStats:
    """What one run did: changes published (copies the stream dropped included), copies
    dropped, rounds that failed and were tried again, and the seconds spent publishing."""

    published: int = 0
    duplicates: int = 0
    retries: int = 0
    publish_s: float = 0.0


async def publish_changes(js: JetStreamContext, names: ChangeNames, found: Sequence[Change]) -> int:
    """Publish ``found`` (in order, without waiting between them) and wait for every
    acknowledgement; the number the stream dropped as copies. Raises if any failed."""
    pending = []
    for change in found:
        topic = topic_of(change)
        if topic is None:
            continue
        pending.append(
            await js.publish_async(
                names.subject(topic),
                change_payload(change),
                stream=names.stream,
                headers=change_headers(change),
            )
        )
    # no acknowledgement in time (a server gone mid-round): the round fails, is tried again
    acks = await asyncio.wait_for(asyncio.gather(*pending), ACK_TIMEOUT_S)
    return sum(1 for ack in acks if ack.duplicate)


async def run_notify(
    engine: Engine,
    js: JetStreamContext,
    names: ChangeNames,
    *,
    stop: asyncio.Event,
    config: NotifyConfig | None = None,
) -> NotifyStats:
    """Publish committed changes until ``stop`` is set; what was done."""
    config = config or NotifyConfig()
    stats = NotifyStats()
    cursors = await asyncio.to_thread(feed_cursors, engine, start_at_end=config.start_at_end)
    log.info(
        "publishing after change %d and ledger entry %d", cursors.changes_seq, cursors.ledger_seq
    )
    while not stop.is_set():
        try:
            after = await notify_round(engine, js, names, cursors, batch=config.batch, stats=stats)
        except (NatsError, JetStreamError, TimeoutError) as error:
            stats.retries += 1
            log.info("publishing changes failed (%s); trying again", error)
            await _pause(stop, RETRY_S)
            continue
        if after == cursors:
            await _pause(stop, config.idle_s)
        cursors = after
    return stats


async def notify_round(
    engine: Engine,
    js: JetStreamContext,
    names: ChangeNames,
    cursors: FeedCursors,
    *,
    batch: int,
    stats: NotifyStats,
) -> FeedCursors:
    """One round: publish the changes after ``cursors`` (up to ``batch`` per log), then
    store and return the cursors after them (``cursors`` itself when nothing changed).
    A failure to publish raises before the cursors move: the round can be run again."""
    found, after = await asyncio.to_thread(
        changes_after, engine, cursors, ledger_kinds=LEDGER_TOPICS, limit=batch
    )
    if after == cursors:
        return cursors
    began = time.perf_counter()
    stats.duplicates += await publish_changes(js, names, found)
    stats.publish_s += time.perf_counter() - began
    stats.published += sum(1 for change in found if topic_of(change) is not None)
    await asyncio.to_thread(store_cursors, engine, after)
    return after


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
