"""``ceasefire worker prepare|fuse|notify``: the pipeline's steps as NATS JetStream workers.

Start any number of ``prepare`` workers, one ``fuse`` worker (more are safe, they take turns)
and one ``notify`` worker against the same ``--bus`` and ``--db``; ``ceasefire ingest --bus``
and the API with ``CEASEFIRE_BUS`` feed them (docs/bus.md). A worker stops after its current
message on SIGINT or SIGTERM; killed outright, its message goes to another worker after
``--ack-wait``. Each kind is a subcommand of this Typer app; ``ceasefire up`` starts every
kind registered here (``cli/up.py`` reads the list), so a new kind needs no change there.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Annotated

import typer

from ceasefire.cli.context import settings_of
from ceasefire.cli.monitoring_common import cli_store, fail
from ceasefire.errors import InputError

app = typer.Typer(
    name="worker", help="Run a pipeline step as a NATS JetStream worker.", no_args_is_help=True
)

BusOption = Annotated[
    str | None,
    typer.Option(
        "--bus", help="NATS URL (default: $CEASEFIRE_BUS; a worker needs one).", show_default=False
    ),
]
AckWaitOption = Annotated[
    float,
    typer.Option(
        "--ack-wait",
        min=1.0,
        help="Seconds before a message held by a dead worker goes to another "
        "(used when the consumer is first created).",
    ),
]


class Kind(StrEnum):
    PREPARE = "prepare"
    FUSE = "fuse"


def bus_url(ctx: typer.Context, bus: str | None) -> str:
    """``--bus`` or the settings' bus; exit 2 naming the option when neither is given."""
    try:
        url = settings_of(ctx).with_bus(bus).bus
    except InputError as exc:
        fail(exc)
    if not url:
        fail(InputError("bus", "required", "give --bus nats://… or set CEASEFIRE_BUS"))
    return url


def _run(ctx: typer.Context, kind: Kind, bus: str | None, ack_wait_s: float) -> None:
    from ceasefire.bus.workers import WorkerSetup, run_until_signalled  # noqa: PLC0415
    from ceasefire.clock import SystemClock  # noqa: PLC0415

    url = bus_url(ctx, bus)
    settings = settings_of(ctx)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("ceasefire").setLevel(logging.INFO)
    with cli_store(ctx) as store:
        setup = WorkerSetup(url, store, SystemClock(), ack_wait_s=ack_wait_s)
        typer.echo(f"worker {kind.value}: bus {url}, database {settings.db}", err=True)
        settled = run_until_signalled(kind.value, setup)
    typer.echo(f"worker {kind.value}: {settled} messages settled", err=True)


@app.command("prepare")
def prepare(ctx: typer.Context, bus: BusOption = None, ack_wait_s: AckWaitOption = 60.0) -> None:
    """Parse, validate, place, judge, admit and write intake batches, in stream order."""
    _run(ctx, Kind.PREPARE, bus, ack_wait_s)


@app.command("fuse")
def fuse(ctx: typer.Context, bus: BusOption = None, ack_wait_s: AckWaitOption = 60.0) -> None:
    """Fuse written reports into incidents (and refresh loaded guarantees)."""
    _run(ctx, Kind.FUSE, bus, ack_wait_s)


@app.command("notify")
def notify(
    ctx: typer.Context,
    bus: BusOption = None,
    replay: Annotated[
        bool,
        typer.Option(
            "--replay",
            help="On the first run, publish the logs from their start, not from their end.",
        ),
    ] = False,
    replicas: Annotated[
        int,
        typer.Option(
            "--replicas",
            help="Replicas of the changes stream if this creates it (3 on a 3-node cluster).",
        ),
    ] = 1,
) -> None:
    """Publish each committed change (ids and kinds only) to the changes stream, for the
    HQ servers' live streams."""
    import asyncio  # noqa: PLC0415 - not needed for --help

    from ceasefire.cli.worker_run import run_notify_worker  # noqa: PLC0415 - heavy

    url = bus_url(ctx, bus)
    asyncio.run(
        run_notify_worker(settings_of(ctx), url, start_at_end=not replay, replicas=replicas)
    )
