"""What every CLI command gets from the root callback: the settings built from ``--db``."""

from __future__ import annotations

import typer

from ceasefire.settings import Settings


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root callback stored on the context."""
    obj = ctx.find_root().obj
    if not isinstance(obj, Settings):
        raise RuntimeError("the root callback did not build settings")
    return obj
