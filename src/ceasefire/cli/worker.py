"""``ceasefire worker prepare|fuse``: the pipeline's steps as NATS JetStream workers.

Start any number of ``prepare`` workers and one ``fuse`` worker (more are safe, they take
turns) against the same ``--bus`` and ``--db``; ``ceasefire ingest --bus`` and the API with
``CEASEFIRE_BUS`` feed them (docs/bus.md). A worker stops after its current message on
SIGINT or SIGTERM; killed outright, its message goes to another worker after ``--ack-wait``.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Annotated

import typer

from ceasefire.cli.context import settings_of
from ceasefire.cli.monitoring_common import cli_store, fail
from ceasefire.errors import InputError

app = typer.Typer(name="worker", help="Run a pipeline step as a NATS JetStream worker.")

BusOption = Annotated[
    str | None,
    typer.Option("--bus", help="NATS URL (default: $CEASEFIRE_BUS; a worker needs one)."),
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


def _run(ctx: typer.Context, kind: Kind, bus: str | None, ack_wait_s: float) -> None:
    from ceasefire.bus.workers import WorkerSetup, run_until_signalled  # noqa: PLC0415
    from ceasefire.clock import SystemClock  # noqa: PLC0415

    try:
        settings = settings_of(ctx).with_bus(bus)
    except InputError as exc:
        fail(exc)
    if not settings.bus:
        fail(InputError("bus", "required", "give --bus nats://… or set CEASEFIRE_BUS"))
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("ceasefire").setLevel(logging.INFO)
    with cli_store(ctx) as store:
        setup = WorkerSetup(settings.bus, store, SystemClock(), ack_wait_s=ack_wait_s)
        typer.echo(f"worker {kind.value}: bus {settings.bus}, database {settings.db}", err=True)
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
