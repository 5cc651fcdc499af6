"""``ceasefire demo``: build a fresh demo database from a scenario and write its daily reports.

The last line printed is the path of a ``report.html`` (``make demo`` relies on it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ceasefire.errors import CeasefireError


def demo(
    scenario: Annotated[
        str,
        typer.Option("--scenario", help="paris-2026 (simulated month) or minsk-2015 (real UCDP)."),
    ] = "paris-2026",
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder for the database and the reports.")
    ] = Path("demo"),
    days: Annotated[int, typer.Option("--days", min=1, help="Simulated days (paris-2026).")] = 30,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Simulation seed.")] = 2026,
) -> None:
    """Rebuild ./demo from nothing and print the paths of the report.html files written."""
    from ceasefire.reporting.demo import DemoScenario, run_demo  # noqa: PLC0415 - heavy

    try:
        chosen = DemoScenario(scenario)
    except ValueError as exc:
        known = ", ".join(s.value for s in DemoScenario)
        raise typer.BadParameter(f"unknown scenario {scenario!r} ({known})") from exc

    def log(message: str) -> None:
        typer.echo(message, err=True)

    try:
        result = run_demo(chosen, directory, days=days, seed=seed, log=log)
    except CeasefireError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"database: {result.db_url}", err=True)
    for path in result.reports:
        typer.echo(str(path.resolve()))
