"""``ceasefire simulate``: simulated observation reports and the ground truth behind them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import orjson
import typer

from ceasefire.errors import CeasefireError
from ceasefire.scenarios import scenario_dir

#: Exit code for an error the user can fix (bad scenario, bad parameters).
EXIT_ERROR = 2


def simulate(
    *,
    scenario: Annotated[
        str,
        typer.Option("--scenario", help="Scenario directory, or a bundled name (paris-2026)."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the files into.")],
    days: Annotated[int, typer.Option("--days", min=1, help="Days to simulate.")] = 30,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed.")] = 1,
    params: Annotated[
        Path | None,
        typer.Option("--params", help="Parameter file (default: the scenario's simulation.yaml)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Simulate a mission: reports.ndjson (arrival order), truth, coverage and manifest files.

    The same scenario, parameters, days and seed always give byte-identical files.
    """
    # deferred: geometry and numpy load only when this command runs
    from ceasefire.simulation.service import simulate_scenario  # noqa: PLC0415

    started = time.perf_counter()
    try:
        path = Path(scenario)
        directory = path if path.is_dir() else scenario_dir(scenario)
        manifest = simulate_scenario(directory, out, days=days, seed=seed, params_path=params)
    except CeasefireError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=EXIT_ERROR) from exc
    seconds = time.perf_counter() - started
    if as_json:
        typer.echo(orjson.dumps({**manifest, "seconds": round(seconds, 2)}).decode())
        return
    counts = manifest["counts"]
    typer.echo(
        f"{counts['reports']} reports of {counts['events']} true events "
        f"({counts['false_reports']} false) over {days} days, seed {seed}, "
        f"in {seconds:.1f} s -> {out}"
    )
