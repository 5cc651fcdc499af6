"""``ceasefire report daily|flash``: the daily report, and a flash report on one incident."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from ceasefire.cli.monitoring_common import cli_store
from ceasefire.cli.progress import steps_on_stderr

# The reporting services (matplotlib, geometry) are imported inside the commands, so that
# `ceasefire --help` and every other command start fast and never depend on them.

app = typer.Typer(
    name="report",
    help="Write the daily report (HTML + Markdown, map, 30-day trend) or a flash report.",
    no_args_is_help=True,
)


def _parse_day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not a date YYYY-MM-DD", param_hint="--date"
        ) from exc


@app.command("daily")
def daily(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder to write report.html/.md into.")],
    day: Annotated[
        str | None,
        typer.Option("--date", help="Day (Kyiv) YYYY-MM-DD; default: the latest observed day."),
    ] = None,
    region: Annotated[
        list[str] | None,
        typer.Option("--region", help="Oblast (ISO 3166-2 code or name); repeat for several."),
    ] = None,
) -> None:
    """Write the daily report of DATE into OUT and print the path of report.html.

    Exit 2 for an error the user can fix (unknown region, bad date, empty store)."""
    from ceasefire.reporting.daily import (  # noqa: PLC0415
        agreement_book,
        build_daily_report,
        latest_day,
    )
    from ceasefire.store.report_reads import SqlReportReads  # noqa: PLC0415

    chosen_day = _parse_day(day)
    with cli_store(ctx) as store, steps_on_stderr("daily report") as step:
        reads = SqlReportReads.of(store)
        chosen = chosen_day or latest_day(reads)
        step("compiling the agreement")
        files = build_daily_report(
            reads,
            chosen,
            out,
            regions=tuple(region or ()),
            book=agreement_book(store),
            step=step,
        )
    t = files.summary.totals
    typer.echo(
        f"{chosen}: {t.violations:,} rule violations by {t.incidents_in_violation:,} of "
        f"{t.incidents:,} incidents; {t.fire:,} instances of fire observed "
        f"(previous day {t.fire_previous:,}); {t.reports:,} reports",
        err=True,
    )
    typer.echo(str(files.html))


@app.command("flash")
def flash(
    ctx: typer.Context,
    incident_id: Annotated[int, typer.Argument(help="Incident id (as `ceasefire violations`).")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder; default ./flash-<INCIDENT_ID>.")
    ] = None,
) -> None:
    """Write a flash report on one incident and print the path of its HTML."""
    from ceasefire.reporting.daily import agreement_book  # noqa: PLC0415
    from ceasefire.reporting.flash import build_flash_report  # noqa: PLC0415
    from ceasefire.store.report_reads import SqlReportReads  # noqa: PLC0415

    with cli_store(ctx) as store, steps_on_stderr("flash report"):
        html = build_flash_report(
            SqlReportReads.of(store),
            incident_id,
            out or Path(f"flash-{incident_id}"),
            book=agreement_book(store),
        )
    typer.echo(str(html))
