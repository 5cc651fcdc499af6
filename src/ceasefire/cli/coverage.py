"""``ceasefire coverage --date`` and ``ceasefire coverage-load FILE``: who could see what."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import orjson
import typer
from numpy.typing import NDArray

from ceasefire.assessment.coverage import CoverageInput, coverage_on, days_before
from ceasefire.cli.incidents import store_engine
from ceasefire.cli.monitoring_common import cli_store, echo_json
from ceasefire.clock import SystemClock

if TYPE_CHECKING:
    from ceasefire.monitoring.oblasts import Oblasts
    from ceasefire.store.coverage_sql import FloatColumns

# The store and the oblast geometry are imported inside the commands: SQLAlchemy and shapely
# are slow to import, and every ``ceasefire`` invocation (even --help) imports this module.


def coverage_load(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="NDJSON of coverage windows (coverage.ndjson).")],
) -> None:
    """Declare coverage: UAV sorties, camera fields of view, post and patrol windows."""
    from ceasefire.store.coverage_sql import add_declarations  # noqa: PLC0415
    from ceasefire.store.sqlite import iso  # noqa: PLC0415

    objects = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    with cli_store(ctx) as store:
        n = add_declarations(store_engine(store), objects, iso(SystemClock().now()))
    typer.echo(f"{n:,} coverage windows declared")


def coverage(
    ctx: typer.Context,
    *,
    day: Annotated[str, typer.Option("--date", help="UTC day, YYYY-MM-DD.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Coverage per sector (oblast) on a day: observer-hours, impediments, incidents, and
    whether a quiet sector was quiet because nobody could see."""
    from ceasefire.monitoring.oblasts import Oblasts  # noqa: PLC0415
    from ceasefire.store.coverage_sql import coverage_rows  # noqa: PLC0415

    try:
        when = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).date()
    except ValueError as exc:
        raise typer.BadParameter("YYYY-MM-DD", param_hint="--date") from exc
    start_s, end_s = days_before(when)
    with cli_store(ctx) as store:
        rows = coverage_rows(store_engine(store), start_s, end_s)
    sectors = Oblasts.default()
    result = coverage_on(_inputs(rows, sectors), when)
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


def _inputs(rows: dict[str, FloatColumns], sectors: Oblasts) -> CoverageInput:
    src, w0, w1, wx, wy = rows["windows"]
    it, ix, iy = rows["impediments"]
    ct, cx, cy = rows["incidents"]

    def sector(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.int64]:
        if lon.size == 0:
            return np.empty(0, dtype=np.int64)
        return sectors.assign(lon, lat).astype(np.int64)

    return CoverageInput(
        sectors=sectors.iso,
        window_sector=sector(wx, wy),
        window_source=src.astype(np.int64),
        window_start_s=w0,
        window_end_s=w1,
        impediment_sector=sector(ix, iy),
        impediment_s=it,
        incident_sector=sector(cx, cy),
        incident_s=ct,
    )
