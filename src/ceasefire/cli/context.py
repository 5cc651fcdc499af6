"""What every CLI command gets from the root callback: the settings built from ``--db``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from ceasefire.settings import Settings


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root callback stored on the context."""
    from ceasefire.settings import Settings  # noqa: PLC0415 - pydantic-settings is slow to import

    obj = ctx.find_root().obj
    if not isinstance(obj, Settings):
        raise RuntimeError("the root callback did not build settings")
    return obj
