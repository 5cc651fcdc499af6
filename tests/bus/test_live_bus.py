"""An HQ server's link to the bus (``api/live_bus.py``), in process, against a NATS server of
the test's own: it starts without the bus and subscribes once the bus is up; a change on an
HQ topic wakes it, a stored report does not; and it is still woken after the NATS server was
killed and started again."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, cast

import pytest
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.errors import ServiceUnavailableError
from nats_process import NatsProcess

from ceasefire.api.live_bus import BusFollower, LiveWake
from ceasefire.bus.changes import ChangeNames, change_headers, change_payload
from ceasefire.bus.jetstream import connect
from ceasefire.store.change_feed import Change

pytestmark = pytest.mark.anyio


class _State:
    """The one attribute of ``HQState`` the follower sets."""

    wake: LiveWake | None = None


async def _until(check: Any, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.05)
    return bool(check())


async def _publish(url: str, topic: str, seq: int) -> None:
    names = ChangeNames()
    client = await connect(url)
    change = Change("ledger", seq, "incident.state", "incidents")
    deadline = time.monotonic() + 30
    try:
        while True:  # a restarted server answers for its streams after a moment
            try:
                await client.jetstream().publish(
                    names.subject(topic),
                    change_payload(change),
                    stream=names.stream,
                    headers=change_headers(change),
                    timeout=2,
                )
                return
            except (NatsTimeout, NoRespondersError, ServiceUnavailableError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
    finally:
        await client.close()


async def test_the_follower_waits_for_the_bus_and_survives_its_restart(tmp_path: Path) -> None:
    nats = NatsProcess(tmp_path / "nats")  # not started yet: the bus is down
    state = _State()
    follower = BusFollower(nats.url)
    follower.start(cast(Any, state))
    try:
        await asyncio.sleep(1.0)
        assert state.wake is None  # streams poll meanwhile
        nats.start()
        assert await _until(lambda: state.wake is not None, 30), "never subscribed"
        wake = state.wake
        assert wake is not None

        await _publish(nats.url, "reports", 1)
        await asyncio.sleep(0.5)
        assert wake.generation == 0  # a stored report changes no screen
        await _publish(nats.url, "incidents", 2)
        assert await _until(lambda: wake.generation == 1, 5)

        nats.kill()
        nats.start()  # same port, same store: the stream and its messages survive
        await _publish(nats.url, "alerts", 3)
        assert await _until(lambda: wake.generation >= 2, 30), "not woken after a restart"
    finally:
        await follower.stop()
        nats.kill()
