"""Shared plumbing of the monitoring commands: opening the store, errors, times, JSON output."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, NoReturn

import orjson
import typer

from ceasefire.cli.context import settings_of
from ceasefire.cli.output import json_ready
from ceasefire.errors import CeasefireError, InputError

if TYPE_CHECKING:
    from ceasefire.store.base import Store
    from ceasefire.store.stores import Stores

#: Exit code for an error the user can fix (bad input, missing file, no agreement loaded).
EXIT_ERROR = 2


@contextmanager
def cli_store(ctx: typer.Context) -> Iterator[Store]:
    """The store of ``--db`` / ``CEASEFIRE_DB``; domain errors become one clear line and exit 2."""
    from ceasefire.store.base import open_store  # noqa: PLC0415 - SQLAlchemy is slow to import

    try:
        store = open_store(settings_of(ctx))
    except CeasefireError as exc:
        fail(exc)
    try:
        yield store
    except CeasefireError as exc:
        fail(exc)
    finally:
        store.close()


@contextmanager
def cli_stores(ctx: typer.Context) -> Iterator[Stores]:
    """Every port of ``--db`` (``store.stores.Stores``), as ``cli_store`` opens the store;
    the commands hold these ports, never an engine (issue 14)."""
    from ceasefire.store.stores import stores_for  # noqa: PLC0415 - SQLAlchemy is slow to import

    with cli_store(ctx) as store:
        yield stores_for(store)


def fail(exc: CeasefireError) -> NoReturn:
    """Print ``error: ...`` (naming field and rule when the error has them) and exit 2."""
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code=EXIT_ERROR) from exc


def parse_when(value: str | None, option: str, *, end_of_day: bool = False) -> datetime | None:
    """``YYYY-MM-DD`` (UTC day; its last microsecond when ``end_of_day``) or RFC 3339 with offset.

    >>> parse_when("2026-03-01", "--since")
    datetime.datetime(2026, 3, 1, 0, 0, tzinfo=datetime.timezone.utc)
    """
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            if end_of_day:
                return datetime.combine(day.date(), time.max, tzinfo=UTC)
            return day
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is neither YYYY-MM-DD nor an RFC 3339 timestamp", param_hint=option
        ) from exc
    if moment.tzinfo is None:
        raise typer.BadParameter(
            str(InputError(option, "timestamp_offset", f"{value!r} has no UTC offset")),
            param_hint=option,
        )
    return moment.astimezone(UTC)


def echo_json(data: object) -> None:
    """One JSON document on stdout: datetimes and epoch ``*_at`` times as RFC 3339, floats
    rounded, NaN as null (``cli.output.json_ready``)."""
    typer.echo(
        orjson.dumps(
            json_ready(data), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
        ).decode()
    )


def iso_z(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``: ``2026-03-01T12:00:00Z``."""
    text = moment.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


__all__ = ["EXIT_ERROR", "cli_store", "echo_json", "fail", "iso_z", "parse_when"]
