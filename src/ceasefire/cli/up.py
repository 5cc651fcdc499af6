"""``ceasefire up --bus … --db …``: the workers and one HQ on one machine, for a try-out.

Starts every worker kind ``ceasefire worker`` has (``cli/worker.py``; in ``WORKER_ORDER``
first, then any other), then ``ceasefire serve`` on the bus, supervises them (a process that
dies is restarted) and stops them all on Ctrl-C. The database and the bus reach the children
as ``CEASEFIRE_DB`` and ``CEASEFIRE_BUS``: every command reads its settings from there.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated

import typer

from ceasefire.cli.context import settings_of

#: The order workers start in: the writer before its readers, the notifier last.
WORKER_ORDER = ("prepare", "fuse", "guarantees", "notify")


def worker_kinds() -> list[str]:
    """The worker kinds ``ceasefire worker`` has, in ``WORKER_ORDER`` then by name."""
    from ceasefire.cli.worker import app  # noqa: PLC0415

    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    names.discard("")
    known = [kind for kind in WORKER_ORDER if kind in names]
    return known + sorted(names - set(WORKER_ORDER))


def launch_specs(
    cli: str, kinds: Iterable[str], *, host: str, port: int, hq_workers: int = 1
) -> list[tuple[str, tuple[str, ...]]]:
    """``(name, argv)`` of each process to run: one per worker kind, then the HQ.

    >>> launch_specs("ceasefire", ["notify"], host="127.0.0.1", port=8000)[0]
    ('notify', ('ceasefire', 'worker', 'notify'))
    """
    specs: list[tuple[str, tuple[str, ...]]] = [(kind, (cli, "worker", kind)) for kind in kinds]
    hq = (cli, "serve", "--host", host, "--port", str(port), "--workers", str(hq_workers))
    specs.append(("hq", hq))
    return specs


def child_env(base: Mapping[str, str], *, db: str, bus: str) -> dict[str, str]:
    """The children's environment: ours, with the database and the bus."""
    return {**base, "CEASEFIRE_DB": db, "CEASEFIRE_BUS": bus}


def up(
    ctx: typer.Context,
    bus: Annotated[
        str | None,
        typer.Option("--bus", help="NATS URL (default: $CEASEFIRE_BUS).", show_default=False),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="The HQ's address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="The HQ's port.")] = 8000,
    hq_workers: Annotated[int, typer.Option("--hq-workers", help="HQ server processes.")] = 1,
) -> None:
    """Start every worker and one HQ on the bus, restart any that dies, stop all on Ctrl-C."""
    from ceasefire.api.app import prepare_store  # noqa: PLC0415 - heavy
    from ceasefire.cli.supervise import Spec, Supervisor, stop_on_signals  # noqa: PLC0415
    from ceasefire.cli.worker import bus_url  # noqa: PLC0415

    settings = settings_of(ctx)
    url = bus_url(ctx, bus)
    # migrate once, before the children start: several processes upgrading one empty
    # database at once would fail all but one
    prepare_store(settings)
    cli = str(Path(sys.executable).parent / "ceasefire")
    kinds = worker_kinds()
    specs = [
        Spec(name, argv)
        for name, argv in launch_specs(cli, kinds, host=host, port=port, hq_workers=hq_workers)
    ]
    supervisor = Supervisor(specs, child_env(os.environ, db=settings.db, bus=url))
    stop_on_signals(supervisor)
    where = f"http://{host}:{port}/"

    def ready() -> None:
        supervisor.say(
            f"HQ at {where} (workers: {', '.join(kinds) or 'none'}; database {settings.db}; "
            f"bus {url}); Ctrl-C stops all"
        )

    raise typer.Exit(supervisor.run(ready=ready))
