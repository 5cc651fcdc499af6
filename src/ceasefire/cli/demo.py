"""``ceasefire demo``: build a fresh demo database from a scenario and write its daily reports.

The last line printed is the path of a ``report.html`` (``make demo`` relies on it).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Annotated

import typer

from ceasefire.cli.monitoring_common import fail
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
        fail(exc)  # exit 2, as the README says of errors the user can fix
    typer.echo(f"database: {result.db_url}", err=True)
    for path in result.reports:
        typer.echo(str(path.resolve()))
    if serve:
        serve_demo(result.db_url, directory, host=host, port=port, speed=speed)


#: Where ``serve_demo`` writes the demo users' passwords and tokens, inside ``--dir``.
CREDENTIALS_FILE = "credentials.txt"


def write_credentials(directory: Path, users: list[str], *, url: str) -> Path:
    """Write the demo users' lines to ``directory/credentials.txt``, readable by the owner
    only (0600, whatever the umask), replacing the previous run's; returns its path. The
    demo prints them once on stderr among the server's output, where they are easy to lose.
    """
    path = directory / CREDENTIALS_FILE
    text = f"# ceasefire demo users for {url} (fresh each run)\n" + "".join(
        f"{line}\n" for line in users
    )
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    return path


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
    users = [
        f"{a.user.name:<15} {a.user.principal:<4} {a.user.clearance.value:<12} "
        f"{','.join(sorted(r.value for r in a.user.roles)):<18} "
        f"password {a.password}  token {a.token}"
        for a in accounts
    ]
    saved = write_credentials(directory, users, url=f"http://{host}:{port}/")
    lines = [
        "",
        f"HQ: http://{host}:{port}/  (Ctrl-C to stop)",
        f"demo users (also in {saved}, mode 0600, until the next `make demo`):",
        *(f"  {line}" for line in users),
        "log in as fra-analyst first: the map's legend is on the left; click a symbol.",
    ]
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
