"""``ceasefire init``: create or upgrade the database (``alembic upgrade head``)."""

from __future__ import annotations

from typing import Annotated

import typer

from ceasefire.cli.context import settings_of
from ceasefire.cli.monitoring_common import fail
from ceasefire.errors import CeasefireError


def init(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL or SQLite file path (overrides the root --db)."),
    ] = None,
) -> None:
    """Create the database, or upgrade it to the newest schema; safe to run again."""
    from ceasefire.settings import normalise_db_url  # noqa: PLC0415
    from ceasefire.store.base import open_store  # noqa: PLC0415

    settings = settings_of(ctx)
    if db:
        settings = settings.model_copy(update={"db": normalise_db_url(db)})
    try:
        store = open_store(settings)
        try:
            store.init_schema()
        finally:
            store.close()
    except CeasefireError as exc:
        fail(exc)
    typer.echo(f"database ready: {settings.db}")
