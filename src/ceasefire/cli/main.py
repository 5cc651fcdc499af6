"""The ``ceasefire`` command: one Typer app with one sub-module per domain.

The root callback builds the one ``Settings`` object (``--db`` wins over ``CEASEFIRE_DB``)
and hands it to every command through the Typer context.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ceasefire.settings import Settings

app = typer.Typer(
    name="ceasefire",
    help="Ceasefire monitoring, force generation and security guarantees for Ukraine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL or SQLite file path (default: $CEASEFIRE_DB or ./ceasefire.db).",
        ),
    ] = None,
) -> None:
    """Ceasefire monitoring, force generation and security guarantees for Ukraine."""
    ctx.obj = Settings.from_cli(db)


def run() -> None:
    """Entry point of the ``ceasefire`` console script."""
    app()
