"""``ceasefire worker KIND``: one pipeline worker on the bus, until SIGINT or SIGTERM.

Each kind is a subcommand of this Typer app; ``ceasefire up`` starts every kind registered
here (``cli/up.py`` reads the list), so a new worker kind needs no change there.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ceasefire.cli.context import settings_of

app = typer.Typer(name="worker", help="Pipeline workers on the NATS bus.", no_args_is_help=True)

BusOption = Annotated[
    str | None,
    typer.Option("--bus", help="NATS URL (default: $CEASEFIRE_BUS).", show_default=False),
]


def bus_url(ctx: typer.Context, bus: str | None) -> str:
    """``--bus`` or the settings' bus; exit 2 naming the option when neither is given."""
    url = bus or settings_of(ctx).bus
    if not url:
        typer.echo("bus: a NATS URL is required [--bus or CEASEFIRE_BUS]", err=True)
        raise typer.Exit(2)
    return url


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
