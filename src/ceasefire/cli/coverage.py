"""``ceasefire coverage --date`` and ``ceasefire coverage-load FILE``: who could see what."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer

from ceasefire.assessment.coverage import coverage_on, days_before
from ceasefire.cli.monitoring_common import cli_stores, echo_json
from ceasefire.cli.progress import steps_on_stderr
from ceasefire.clock import SystemClock

if TYPE_CHECKING:
    pass

# The store and the oblast geometry are imported inside the commands: SQLAlchemy and shapely
# are slow to import, and every ``ceasefire`` invocation (even --help) imports this module.


def coverage_load(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="NDJSON of coverage windows (coverage.ndjson).")],
) -> None:
    """Declare coverage: UAV sorties, camera fields of view, post and patrol windows."""
    from ceasefire.store.isotime import iso  # noqa: PLC0415

    objects = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    with cli_stores(ctx) as stores:
        n = stores.read_model.add_coverage(objects, iso(SystemClock().now()))
    typer.echo(f"{n:,} coverage windows declared")


def coverage(
    ctx: typer.Context,
    *,
    day: Annotated[str, typer.Option("--date", help="UTC day, YYYY-MM-DD.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Coverage per sector (oblast) on a day: observer-hours, impediments, incidents, and
    whether a quiet sector was quiet because nobody could see."""
    from ceasefire.monitoring.coverage_input import coverage_input  # noqa: PLC0415
    from ceasefire.monitoring.oblasts import Oblasts  # noqa: PLC0415

    try:
        when = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).date()
    except ValueError as exc:
        raise typer.BadParameter("YYYY-MM-DD", param_hint="--date") from exc
    start_s, end_s = days_before(when)
    with cli_stores(ctx) as stores, steps_on_stderr("coverage"):
        rows = stores.read_model.coverage_rows(start_s, end_s)
    sectors = Oblasts.default()
    result = coverage_on(coverage_input(rows, sectors), when)
    if as_json:
        echo_json([asdict(r) | {"day": r.day.isoformat()} for r in result])
        return
    for r in result:
        flag = (
            "  QUIET BUT DEGRADED" if r.quiet_but_degraded else ("  degraded" if r.degraded else "")
        )
        base = f" (baseline {r.baseline_hours:.0f})" if r.baseline_hours is not None else ""
        typer.echo(
            f"{r.sector}  {r.observer_hours:8.1f} observer-hours{base}  {r.observers} observers  "
            f"{r.impediments} impediments  {r.incidents} incidents{flag}"
        )
