"""The ``ceasefire`` command: one Typer app with one sub-module per domain.

The root callback builds the one ``Settings`` object (``--db`` wins over ``CEASEFIRE_DB``)
and hands it to every command through the Typer context.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ceasefire.cli import agreement, ingest, init, quarantine, reports, violations
from ceasefire.cli import attribution as attribution_cli
from ceasefire.cli import coalition as coalition_cli
from ceasefire.cli import cot as cot_cli
from ceasefire.cli import coverage as coverage_cli
from ceasefire.cli import demo as demo_cli
from ceasefire.cli import export as export_cli
from ceasefire.cli import force as force_cli
from ceasefire.cli import guarantees as guarantees_cli
from ceasefire.cli import incidents as incidents_cli
from ceasefire.cli import keys as keys_cli
from ceasefire.cli import ledger as ledger_cli
from ceasefire.cli import obligations as obligations_cli
from ceasefire.cli import pledges as pledges_cli
from ceasefire.cli import report as report_cli
from ceasefire.cli import serve as serve_cli
from ceasefire.cli import simulate as simulate_cli
from ceasefire.cli import store as store_cli
from ceasefire.cli import users as users_cli
from ceasefire.cli import worker as worker_cli

app = typer.Typer(
    name="ceasefire",
    help="Ceasefire monitoring, force generation and security guarantees for Ukraine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("init")(init.init)
app.add_typer(agreement.app)
app.command("ingest")(ingest.ingest)
app.command("reports")(reports.reports)
app.command("violations")(violations.violations)
app.command("quarantine")(quarantine.quarantine)
app.add_typer(report_cli.app)
app.command("demo")(demo_cli.demo)
app.command("simulate")(simulate_cli.simulate)
app.add_typer(coalition_cli.app)
app.add_typer(pledges_cli.app)
app.add_typer(force_cli.app)
app.add_typer(keys_cli.app)
app.add_typer(ledger_cli.app)
app.add_typer(guarantees_cli.app)
app.add_typer(obligations_cli.app)
app.command("incidents")(incidents_cli.incidents)
app.add_typer(incidents_cli.app)
app.add_typer(attribution_cli.app)
app.command("coverage")(coverage_cli.coverage)
app.command("coverage-load")(coverage_cli.coverage_load)
app.command("serve")(serve_cli.serve)
app.command("export")(export_cli.export)
app.add_typer(cot_cli.app)
app.add_typer(users_cli.app)
app.add_typer(store_cli.app)
app.add_typer(worker_cli.app)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL or SQLite file path (default: $CEASEFIRE_DB or ./ceasefire.db).",
        ),
    ] = None,
) -> None:
    """Ceasefire monitoring, force generation and security guarantees for Ukraine."""
    from ceasefire.settings import Settings  # noqa: PLC0415 - not needed for --help

    ctx.obj = Settings.from_cli(db)


def run() -> None:
    """Entry point of the ``ceasefire`` console script."""
    app()
