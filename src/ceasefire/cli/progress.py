"""The Rich progress bars the long commands draw on stderr (``ingest``, ``store copy``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress


@contextmanager
def progress_on_stderr(*, transient: bool = False) -> Iterator[Progress]:
    """Bars of ``description, bar, done/total, time left`` on stderr, so stdout stays the
    command's own output (a summary, JSON) whatever the bars draw."""
    from rich.console import Console  # noqa: PLC0415 - rich.progress is slow to import
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=transient) as bars:
        yield bars
