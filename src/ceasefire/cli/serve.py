"""``ceasefire serve``: the HQ (API and web COP) on one host and port."""

from __future__ import annotations

from typing import Annotated

import typer

from ceasefire.cli.context import settings_of
from ceasefire.cli.monitoring_common import fail
from ceasefire.errors import InputError

#: Seconds a stopping server gives open requests before it ends them: live streams never end
#: by themselves, and without a limit SIGTERM (or ``ceasefire up``'s Ctrl-C) waited forever.
SHUTDOWN_GRACE_S = 3


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", help="Server processes.")] = 1,
    bus: Annotated[
        str | None,
        typer.Option(
            "--bus",
            help="NATS URL (default: $CEASEFIRE_BUS): submitted reports are published to the "
            "bus for the workers instead of ingested here, and live streams are woken by the "
            "notify worker's change messages instead of polling the database.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the HQ: HTTP API (OpenAPI at /openapi.json) and the web COP at /."""
    import uvicorn  # noqa: PLC0415 - heavy

    from ceasefire.api.app import prepare_store  # noqa: PLC0415

    try:
        settings = settings_of(ctx).with_bus(bus)
    except InputError as exc:
        fail(exc)
    prepare_store(settings)
    if workers > 1:
        # each worker process builds its own app from the environment
        import os  # noqa: PLC0415

        os.environ["CEASEFIRE_DB"] = settings.db
        if settings.bus:
            os.environ["CEASEFIRE_BUS"] = settings.bus
        uvicorn.run(
            "ceasefire.api.factory:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        )
        return
    from ceasefire.api.app import create_app  # noqa: PLC0415

    woken = f", intake and live streams on the bus {settings.bus}" if settings.bus else ""
    typer.echo(f"HQ on http://{host}:{port}/ (database {settings.db}{woken})")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
    )
