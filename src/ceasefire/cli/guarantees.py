"""``ceasefire guarantees load|evaluate|status|explain``: instruments, triggers, alerts.

``status --at T`` shows, as of T, whether each instrument was in force and why, the alerts
that had fired and the obligations open, overdue or met; ``explain`` shows the clause of an
alert and the incidents and reports that made it true. ``evaluate`` brings the record up to
now (ingest will call the same service).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ceasefire.cli.monitoring_common import cli_store, echo_json, fail, iso_z, parse_when
from ceasefire.clock import SystemClock
from ceasefire.errors import CeasefireError
from ceasefire.scenarios import scenario_dir

if TYPE_CHECKING:
    from sqlalchemy import Engine

# The store (SQLAlchemy) is imported inside the commands: every ``ceasefire`` invocation
# (even --help) imports this module.

app = typer.Typer(
    name="guarantees", help="Guarantee instruments, triggers and alerts.", no_args_is_help=True
)

AtOption = Annotated[
    str | None,
    typer.Option("--at", help="As of this moment (YYYY-MM-DD or RFC 3339; default: now)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON document instead of text.")]


@contextmanager
def guarantees_engine(ctx: typer.Context) -> Iterator[Engine]:
    """The engine of ``--db`` with the guarantees tables; errors end in one line, exit 2."""
    from ceasefire.store.guarantees import require_tables  # noqa: PLC0415
    from ceasefire.store.queries import engine_of  # noqa: PLC0415

    with cli_store(ctx) as store:
        engine = engine_of(store)
        try:
            require_tables(engine)
            yield engine
        except CeasefireError as exc:
            fail(exc)


@app.command("load")
def load(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(help="Guarantees YAML (default: the paris-2026 scenario's)."),
    ] = None,
) -> None:
    """Validate a guarantees file and keep it as the instruments in force."""
    from ceasefire.guarantees.loader import load_instruments  # noqa: PLC0415
    from ceasefire.store.guarantees import save_instrument_file  # noqa: PLC0415

    with guarantees_engine(ctx) as engine:
        path = file or scenario_dir("paris-2026") / "guarantees.yaml"
        instruments = load_instruments(path)
        text = path.read_text(encoding="utf-8")
        save_instrument_file(engine, text, str(path), instruments, clock=SystemClock())
    ids = ", ".join(i.id for i in instruments.instruments)
    typer.echo(f"loaded {len(instruments.instruments)} instruments from {path}: {ids}")


@app.command("evaluate")
def evaluate(ctx: typer.Context, until: AtOption = None) -> None:
    """Evaluate every trigger over the monitored facts and record new alerts and obligations."""
    from ceasefire.store.guarantee_facts import refresh_guarantees  # noqa: PLC0415

    at = parse_when(until, "--at", end_of_day=True)
    with guarantees_engine(ctx) as engine:
        summary = refresh_guarantees(engine, clock=SystemClock(), until=at)
    typer.echo(
        f"{summary.facts} facts → {summary.alerts} alerts ({summary.new.alerts} new); "
        f"{summary.new.obligations} new obligations, {summary.new.cases} new commission cases, "
        f"{summary.overdue} became overdue"
    )


@app.command("status")
def status(ctx: typer.Context, at: AtOption = None, as_json: JsonOption = False) -> None:
    """Each instrument at a moment: in force or not (and why), alerts, obligations."""
    from ceasefire.guarantees.activation import activation_of  # noqa: PLC0415
    from ceasefire.guarantees.obligations import status_at  # noqa: PLC0415
    from ceasefire.store.guarantees import (  # noqa: PLC0415
        load_instrument_set,
        read_alerts,
        read_obligations,
    )

    moment = parse_when(at, "--at", end_of_day=True) or SystemClock().now()
    with guarantees_engine(ctx) as engine:
        instruments = load_instrument_set(engine)
        alerts = read_alerts(engine, until=moment)
        obligations = [
            (o, status_at(o, events, moment))
            for o, events in read_obligations(engine)
            if o.created_at <= moment
        ]
    rows = []
    for instrument in instruments.instruments:
        activation = activation_of(instrument, instruments.ceasefire_in_force_from)
        mine = [a for a in alerts if a.instrument_id == instrument.id]
        states = Counter(str(s.state) for o, s in obligations if o.instrument_id == instrument.id)
        rows.append(
            {
                "id": instrument.id,
                "title": instrument.title,
                "as_reported": instrument.as_reported,
                "active": activation.active_at(moment),
                "why": activation.explain_at(moment),
                "alerts": dict(Counter(str(a.level) for a in mine)),
                "last_alerts": [
                    {
                        "id": a.id,
                        "trigger": a.trigger_id,
                        "level": str(a.level),
                        "fired_at": iso_z(a.fired_at),
                    }
                    for a in mine[-5:]
                ],
                "obligations": dict(states),
            }
        )
    if as_json:
        echo_json({"at": iso_z(moment), "instruments": rows})
        return
    typer.echo(f"Guarantees as of {iso_z(moment)}")
    for row in rows:
        flag = "IN FORCE" if row["active"] else "NOT IN FORCE"
        typer.echo(f"\n{row['id']} — {row['title']}\n  {flag} — {row['why']}")
        typer.echo(
            f"  alerts: {_counts(row['alerts'])}; obligations: {_counts(row['obligations'])}"
        )
        for alert in row["last_alerts"]:  # type: ignore[attr-defined]
            typer.echo(
                f"    {alert['fired_at']}  {alert['level']:<5} {alert['trigger']:<22} {alert['id']}"
            )


@app.command("explain")
def explain(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="The alert id (A-...).")],
    as_json: JsonOption = False,
) -> None:
    """The trigger clause of an alert and the incidents and reports that made it true."""
    from ceasefire.guarantees.alerts import explain as explain_text  # noqa: PLC0415
    from ceasefire.store.guarantees import load_instrument_set, read_alert  # noqa: PLC0415

    with guarantees_engine(ctx) as engine:
        alert = read_alert(engine, alert_id)
        instruments = load_instrument_set(engine)
    title = next((i.title for i in instruments.instruments if i.id == alert.instrument_id), None)
    if as_json:
        echo_json(
            {
                "id": alert.id,
                "instrument": alert.instrument_id,
                "instrument_title": title,
                "trigger": alert.trigger_id,
                "kind": str(alert.kind),
                "level": str(alert.level),
                "fired_at": iso_z(alert.fired_at),
                "key": alert.key,
                "clause": alert.clause,
                "measures": alert.measures,
                "facts": alert.fact_ids,
                "reports": alert.report_ids,
                "child_alerts": alert.child_alert_ids,
            }
        )
        return
    typer.echo(explain_text(alert, instrument_title=title))


def _counts(counts: object) -> str:
    if not isinstance(counts, dict) or not counts:
        return "none"
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
