"""``ceasefire demo``: build a fresh demo database from a scenario and write its daily reports.

The last line printed is the path of a ``report.html`` (``make demo`` relies on it).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from ceasefire.errors import CeasefireError


def demo(  # noqa: PLR0917 - one parameter per CLI option
    scenario: Annotated[
        str,
        typer.Option("--scenario", help="paris-2026 (simulated month) or minsk-2015 (real UCDP)."),
    ] = "paris-2026",
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder for the database and the reports.")
    ] = Path("demo"),
    days: Annotated[int, typer.Option("--days", min=1, help="Simulated days (paris-2026).")] = 30,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Simulation seed.")] = 2026,
    serve: Annotated[
        bool, typer.Option("--serve", help="Then serve the HQ with demo users and a live feed.")
    ] = False,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    speed: Annotated[float, typer.Option("--speed", help="Live feed: simulated s per s.")] = 120.0,
) -> None:
    """Rebuild ./demo from nothing and print the paths of the report.html files written;
    with ``--serve``, then open the HQ on http://HOST:PORT with demo users and live reports."""
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
    if serve:
        serve_demo(result.db_url, directory, host=host, port=port, speed=speed)


def serve_demo(db_url: str, directory: Path, *, host: str, port: int, speed: float) -> None:
    """The HQ on the demo database: demo users printed once, the next day fed live."""
    import uvicorn  # noqa: PLC0415 - heavy

    from ceasefire.api.app import create_app  # noqa: PLC0415
    from ceasefire.api.demo_users import create_demo_users  # noqa: PLC0415
    from ceasefire.api.live_feed import LiveFeed, next_day_reports  # noqa: PLC0415
    from ceasefire.settings import Settings  # noqa: PLC0415

    app = create_app(Settings(db=db_url))
    state = app.state.hq
    accounts = create_demo_users(state.stores.access, state.clock.now())
    lines = ["", f"HQ: http://{host}:{port}/  (Ctrl-C to stop)", "demo users (shown once):"]
    for account in accounts:
        user = account.user
        roles = ",".join(sorted(r.value for r in user.roles))
        lines.append(
            f"  {user.name:<15} {user.principal:<4} {user.clearance.value:<12} {roles:<18} "
            f"password {account.password}  token {account.token}"
        )
    typer.echo("\n".join(lines), err=True)
    simulated = directory / "simulation" / "reports.ndjson"

    def start_feed() -> None:
        # Reading the next day out of the whole simulation takes seconds: the HQ serves
        # meanwhile, with what is stored; the feed starts (and says so) once it is read.
        feed = LiveFeed(state, next_day_reports(simulated), speed=speed)
        feed.start()
        typer.echo(
            f"live feed: {len(feed.pending):,} reports of the next day at {speed:g}x", err=True
        )

    if simulated.is_file():
        threading.Thread(target=start_feed, name="live-feed-read", daemon=True).start()
    uvicorn.run(app, host=host, port=port, log_level="warning")
