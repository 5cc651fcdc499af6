"""How every command prints: tables that fit the terminal or pipe cleanly, JSON as the API's.

* A Rich table on a terminal takes the terminal's width. Piped or redirected (stdout not a
  terminal), Rich would wrap it at 80 columns into boxes no program can read (``pledges
  list`` was 193 lines for 31 pledges); then it is printed as plain tab-separated lines
  instead: a ``# title`` line, the header, one line per row, markup stripped.
* ``--json`` values go through ``json_ready``: times (``*_at``, ``*_until`` in epoch
  seconds) as RFC 3339 UTC strings like every other time the CLI and the API print, and
  floats rounded to ``DECIMALS`` places (``0.6400000000000001`` → ``0.64``; 6 decimals of
  a degree are 0.1 m).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

#: Decimal places kept in JSON floats.
DECIMALS = 6
_TIME_SUFFIXES = ("_at", "_until")


def _iso(seconds: float) -> str:
    text = datetime.fromtimestamp(seconds, UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def json_ready(value: object, key: str = "") -> object:
    """``value`` with epoch times under ``*_at``/``*_until`` keys as RFC 3339 strings and
    floats rounded (NaN and infinities become ``None``: JSON has no such numbers).

    >>> json_ready({"observed_at": 0.0, "confidence": 0.6400000000000001, "n": [1.0000001]})
    {'observed_at': '1970-01-01T00:00:00Z', 'confidence': 0.64, 'n': [1.0]}
    """
    if isinstance(value, Mapping):
        return {k: json_ready(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v, key) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float) and key.endswith(_TIME_SUFFIXES):
        return _iso(float(value)) if math.isfinite(value) else None
    if isinstance(value, float):
        return round(value, DECIMALS) if math.isfinite(value) else None
    return value


def _plain(cell: object) -> str:
    from rich.text import Text  # noqa: PLC0415 - rich is slow to import

    if isinstance(cell, Text):
        text = cell.plain
    elif isinstance(cell, str):
        text = Text.from_markup(cell).plain
    else:
        text = str(cell)
    return " ".join(text.replace("\t", " ").split())


def table_lines(table: Table) -> list[str]:
    """The table as tab-separated lines: ``# title`` (if any), the header, the rows."""
    columns = table.columns
    lines = [f"# {_plain(table.title)}"] if table.title else []
    lines.append("\t".join(_plain(c.header) for c in columns))
    cells = [list(c.cells) for c in columns]
    for row in range(table.row_count):
        lines.append("\t".join(_plain(col[row]) if row < len(col) else "" for col in cells))
    return lines


def print_table(table: Table, *, console: Console | None = None) -> None:
    """Print ``table`` at the terminal's width, or as tab-separated lines when stdout is
    not a terminal (a pipe, a file, a test runner)."""
    from rich.console import Console  # noqa: PLC0415

    out = console or Console()
    if out.is_terminal:
        out.print(table)
        return
    for line in table_lines(table):
        typer.echo(line)
