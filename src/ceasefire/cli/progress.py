"""The Rich progress the long commands draw on stderr: bars (``ingest``, ``store copy``) and a
spinner naming the step under way (``report daily``, ``force solve``, ``attribution list``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


@contextmanager
def steps_on_stderr(title: str) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr naming the step under way (``title: step``), for commands that
    take seconds without a count to show (a report, a solve); yields ``step(description)``.
    Nothing is drawn when stderr is not a terminal (pipes and logs stay clean)."""
    from rich.console import Console  # noqa: PLC0415 - rich is slow to import

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda _description: None
        return
    with console.status(f"{title}…") as status:

        def step(description: str) -> None:
            status.update(f"{title}: {description}…")

        yield step
