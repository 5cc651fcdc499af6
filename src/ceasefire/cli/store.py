"""``ceasefire store copy``: move a whole store between SQLite and PostgreSQL, verified.

The copying and the checks are ``store/copy.py`` and ``store/copy_check.py``; this module
draws the progress bar (stderr) and prints the summary table (stdout). Exit status: 0 when
the copy verified, 1 when it was written but a check failed (the summary says which), 2 when
nothing was written (an uninitialised or non-empty target, different schema revisions).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from ceasefire.cli.monitoring_common import fail
from ceasefire.cli.progress import progress_on_stderr
from ceasefire.errors import CeasefireError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from ceasefire.store.copy import CopyPlan, CopyReport

app = typer.Typer(
    name="store",
    help="The database itself: move it between SQLite and PostgreSQL.",
    no_args_is_help=True,
)
EXIT_FAILED = 1


class _Bar:
    """One Rich bar over every row of the copy, named after the table being written."""

    def __init__(self, bars: Progress) -> None:
        self._bars = bars
        self._task: TaskID | None = None

    def planned(self, plan: CopyPlan) -> None:
        self._task = self._bars.add_task("copy", total=plan.total_rows)

    def copied(self, table: str, rows: int) -> None:
        if self._task is not None:
            self._bars.update(self._task, advance=rows, description=table)


@contextmanager
def _progress(*, enabled: bool) -> Iterator[_Bar | None]:
    if not enabled:
        yield None
        return
    with progress_on_stderr(transient=True) as bars:
        yield _Bar(bars)


@app.command("copy")
def copy(
    from_url: Annotated[
        str, typer.Option("--from", help="Source: database URL or SQLite file path.")
    ],
    to_url: Annotated[
        str,
        typer.Option(
            "--to", help="Target, freshly initialised (`ceasefire --db URL init`): URL or path."
        ),
    ],
    batch_rows: Annotated[
        int, typer.Option("--batch", min=1, help="Rows read and written per batch.")
    ] = 10_000,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Copy every table into a fresh store, keeping ids, then verify: row counts per table,
    and the ledger verifies on the target with the same head hash."""
    from ceasefire.settings import normalise_db_url  # noqa: PLC0415
    from ceasefire.store.copy import copy_store  # noqa: PLC0415 - SQLAlchemy is slow to import

    source, target = normalise_db_url(from_url), normalise_db_url(to_url)
    try:
        with _progress(enabled=not quiet) as bar:
            report = copy_store(source, target, batch_rows=batch_rows, progress=bar)
    except CeasefireError as exc:
        fail(exc)
    _print_report(report)
    if not report.check.ok:
        raise typer.Exit(EXIT_FAILED)


def _print_report(report: CopyReport) -> None:
    from rich.table import Table  # noqa: PLC0415

    from ceasefire.cli.output import print_table  # noqa: PLC0415
    from ceasefire.store.copy import shown  # noqa: PLC0415

    check = report.check
    title = f"{shown(report.source_url)} → {shown(report.target_url)}"
    table = Table(title=title, title_justify="left")
    for name, justify in (("table", "left"), ("source rows", "right"), ("target rows", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    table.add_column("")
    for copied in report.plan.tables:
        target_rows = check.target_rows.get(copied.name, 0)
        mark = "ok" if target_rows == copied.rows else "DIFFERS"
        if copied.skipped_columns:
            mark += f" (not copied: {', '.join(copied.skipped_columns)})"
        table.add_row(copied.name, f"{copied.rows:,}", f"{target_rows:,}", mark)
    for name, why in report.plan.skipped_tables:
        table.add_row(name, "", "", f"skipped: {why}")
    print_table(table)
    ledger = check.ledger
    head = ledger.target_head
    if ledger.ok:
        typer.echo(
            f"ledger: {ledger.entries:,} entries, {ledger.checkpoints} checkpoints verified on "
            f"the target; head {head.seq} {head.hash} (the source's)"
        )
    else:
        source = ledger.source_head
        typer.echo(
            f"ledger: FAILED: {ledger.failure or 'head differs'}; target head {head.seq} "
            f"{head.hash}, source head {source.seq} {source.hash}"
        )
    verdict = "VERIFIED" if check.ok else "FAILED"
    differing = check.differing_tables
    if differing:
        verdict += f": row counts differ in {', '.join(differing)}"
    typer.echo(
        f"{verdict}: {report.plan.total_rows:,} rows in {len(report.plan.tables)} tables copied "
        f"in {report.copy_s:.1f} s ({report.rows_per_s:,.0f} rows/s), checked in "
        f"{report.check_s:.1f} s"
    )
