"""The live stream: new and changed incidents and guarantee alerts as Server-Sent Events.

Each connection follows the database, not an in-process queue, so reports ingested by any
process (the CLI, a worker, another HQ process) reach every browser: every ``POLL_S`` it asks
the change log for incidents stated or re-stated after its cursor and the ledger for new
entries (fusion's superseded incidents, fired triggers), both in commit order, and sends
each reader only what their releasability lets them see: an incident as ``incident`` (the
same item as the list, tearline applied), a superseded one as ``removed`` (only if it was
visible to them), an alert as ``alert`` without its evidence, and only to a reader who sees
every report of that evidence (an alert is computed from its evidence: telling a reader it
fired would tell them of reports they may not see).

Each user may hold ``MAX_STREAMS_PER_USER`` streams at once per server process (a few tabs;
the next one is answered 429); a stream gives its slot back when it ends, however it ends.
A client that stops reading is not buffered for: the server's send waits while the socket's
buffers are full, and once one send has waited ``SEND_TIMEOUT_S`` the connection is dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope, Send

from ceasefire.access.marking import decode_marking, sees_marking
from ceasefire.access.model import User
from ceasefire.api.auth import CurrentUser, hq
from ceasefire.api.live_bus import until_next_read, wake_generation
from ceasefire.api.state import MAX_STREAMS_PER_USER, HQState
from ceasefire.api.views import visible_items
from ceasefire.errors import ThrottledError
from ceasefire.store.hq_queries import (
    PageQuery,
)

router = APIRouter(prefix="/api", tags=["stream"])
HQ = Annotated[HQState, Depends(hq)]
POLL_S = 0.5
HEARTBEAT_S = 15.0
#: Longest one send may wait for a client that does not read, seconds; then it is dropped.
SEND_TIMEOUT_S = 10.0
_ALERT_KEYS = ("instrument", "trigger", "kind", "level", "fired_at")


def _event(kind: str, data: Any) -> bytes:
    return (
        b"event: "
        + kind.encode()
        + b"\ndata: "
        + orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY)
        + b"\n\n"
    )


class Cursor:
    """Where one connection has read up to: it starts at the present. ``change_seq`` is on
    the change log, ``ledger_seq`` on the ledger: both in commit order, so no change that
    commits after another (whatever its pk) is skipped (``store/changes.py``)."""

    def __init__(self, state: HQState) -> None:
        self.change_seq, self.ledger_seq = state.stores.stream.tops()


def poll(state: HQState, user: User, cursor: Cursor) -> list[bytes]:
    """The events for ``user`` since ``cursor`` (advanced)."""
    viewer = state.viewer(user)
    changed, cursor.change_seq = state.stores.stream.changes_since(
        cursor.change_seq,
        seen=lambda marking: sees_marking(decode_marking(marking), viewer),
    )
    superseded, alerts, cursor.ledger_seq = state.stores.stream.ledger_changes(cursor.ledger_seq)
    if not (changed or superseded or alerts):
        return []
    # judged with the labels stored now: a label first stored by what is sent here is not in
    # a cache read before it, and what it marks would be withheld from this reader for good
    state.labels(fresh=True)
    events: list[bytes] = []
    visible = state.visible(user)
    for removed in state.stores.stream.visible_among(visible, superseded):
        events.append(_event("removed", {"id": removed}))
    for start in range(0, len(changed), 500):
        # the read model holds only incidents fusion has stated: not the ingest's one-report
        # placeholders, about to be kept (and then stated) or superseded
        items, _ = visible_items(
            state, user, PageQuery(pks=changed[start : start + 500], limit=500)
        )
        events.extend(b"event: incident\ndata: " + item + b"\n\n" for item in items)
    shown = state.stores.stream.alerts_shown(visible, alerts)
    events.extend(_event("alert", {k: a.get(k) for k in _ALERT_KEYS}) for a in shown)
    return events


async def _events(request: Request, state: HQState, user: User) -> AsyncIterator[bytes]:
    cursor = await run_in_threadpool(Cursor, state)
    yield b": connected\n\n"
    idle_s = 0.0
    while not await request.is_disconnected():
        generation = wake_generation(state)  # api/live_bus.py: woken by the bus, or polling
        batch = await run_in_threadpool(poll, state, user, cursor)
        for event in batch:
            yield event
        idle_s = 0.0 if batch else idle_s
        if idle_s >= HEARTBEAT_S:
            idle_s = 0.0
            yield b": heartbeat\n\n"
        idle_s += await until_next_read(state, generation, POLL_S)


class _CappedStream(StreamingResponse):
    """A stream that gives its slot back when it ends and drops a client that stops reading."""

    def __init__(
        self, content: AsyncIterator[bytes], *, release: Callable[[], None], **kwargs: Any
    ) -> None:
        super().__init__(content, **kwargs)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def bounded_send(message: Message) -> None:
            await asyncio.wait_for(send(message), SEND_TIMEOUT_S)

        try:
            await super().__call__(scope, receive, bounded_send)
        except (TimeoutError, ClientDisconnect):
            # Starlette reports a send's TimeoutError (an OSError) as ClientDisconnect; either
            # way, returning unfinished makes the server close the connection
            pass
        finally:
            self._release()


@router.get("/stream", response_class=StreamingResponse)
def stream(request: Request, state: HQ, user: CurrentUser) -> StreamingResponse:
    """Server-Sent Events: ``incident``, ``removed`` and ``alert`` as they happen."""
    if not state.streams.take(user.pk):
        raise ThrottledError(
            f"at most {MAX_STREAMS_PER_USER} live streams per user: close one (another tab) "
            "and retry",
            retry_after_s=int(POLL_S * 2) + 1,
        )
    return _CappedStream(
        _events(request, state, user),
        release=lambda: state.streams.give_back(user.pk),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
