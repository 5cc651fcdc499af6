"""Running a worker in a process: its store, its NATS connection, and a clean stop on
SIGINT or SIGTERM (the current round finishes, the connection drains, exit 0)."""

from __future__ import annotations

import asyncio
import logging
import signal

import typer
from nats.aio.client import Client

from ceasefire.bus.changes import ChangeNames, ensure_changes_stream
from ceasefire.bus.jetstream import connect
from ceasefire.bus.notify import NotifyConfig, run_notify
from ceasefire.settings import Settings
from ceasefire.store.base import open_store
from ceasefire.store.queries import engine_of


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (call inside the running loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def connect_unless_stopped(url: str, stop: asyncio.Event) -> Client | None:
    """Connect to the bus, waiting for it as long as it takes (the client retries a server
    that is down), unless ``stop`` is set first: then ``None``. Without this, a worker
    started while NATS is down ignored SIGTERM until it was killed."""
    connecting = asyncio.create_task(connect(url))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if connecting.done():
        return connecting.result()
    connecting.cancel()
    typer.echo("stopped before the bus answered")
    return None


async def run_notify_worker(
    settings: Settings, url: str, *, start_at_end: bool, replicas: int = 1
) -> None:
    """``ceasefire worker notify``: publish changes until a signal."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s notify %(message)s")
    logging.getLogger("ceasefire").setLevel(logging.INFO)
    stop = stop_on_signals()
    store = open_store(settings)
    store.init_schema()
    client = await connect_unless_stopped(url, stop)
    if client is None:
        store.close()
        return
    try:
        js = client.jetstream()
        names = ChangeNames()
        await ensure_changes_stream(js, names, replicas=replicas)
        typer.echo(f"notify: {settings.db} -> {url} ({names.stream})")
        stats = await run_notify(
            engine_of(store), js, names, stop=stop, config=NotifyConfig(start_at_end=start_at_end)
        )
        typer.echo(
            f"notify: stopped; {stats.published} changes published, "
            f"{stats.duplicates} dropped as copies, {stats.retries} rounds tried again"
        )
    finally:
        await client.drain()
        store.close()
