"""``ceasefire guarantees load|evaluate|status|explain|ratify|cases``.

``status --at T`` shows, as of T, whether each instrument was in force and why (with the
ratifications recorded by T), the alerts that had fired and the obligations open, overdue or
met; ``explain`` shows the clause of an alert, the incidents and reports that made it true,
and the Special Commission case it opened. ``evaluate`` brings the record up to now (ingest
calls the same service); ``ratify`` records a party's ratification; ``cases`` shows the
Special Commission's cases, moved along fusion's attribution records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ceasefire.cli.monitoring_common import cli_store, echo_json, fail, iso_z, parse_when
from ceasefire.cli.progress import steps_on_stderr
from ceasefire.clock import SystemClock
from ceasefire.errors import CeasefireError
from ceasefire.scenarios import scenario_dir

if TYPE_CHECKING:
    from datetime import datetime

    from ceasefire.guarantees.commission import Case, CaseEvent
    from ceasefire.guarantees.ports import GuaranteesStore

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
def guarantees_store(ctx: typer.Context) -> Iterator[GuaranteesStore]:
    """The guarantees record of ``--db`` (``ports.GuaranteesStore``); errors end in one line,
    exit 2."""
    from ceasefire.store.guarantees_sql import SqlGuarantees  # noqa: PLC0415

    with cli_store(ctx) as store:
        record = SqlGuarantees.of(store)
        try:
            record.require_tables()
            yield record
        except CeasefireError as exc:
            fail(exc)


def default_moment(record: GuaranteesStore, at: datetime | None) -> datetime:
    """``--at``, or the record's horizon (``live_service.horizon``): every command counts as
    of the same moment by default, so ``evaluate``, ``status`` and ``obligations`` agree."""
    from ceasefire.guarantees.live_service import horizon  # noqa: PLC0415

    return at if at is not None else horizon(record, SystemClock().now())


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

    with guarantees_store(ctx) as record:
        path = file or scenario_dir("paris-2026") / "guarantees.yaml"
        instruments = load_instruments(path)
        text = path.read_text(encoding="utf-8")
        record.save_file(text, str(path), instruments, clock=SystemClock())
    ids = ", ".join(i.id for i in instruments.instruments)
    typer.echo(f"loaded {len(instruments.instruments)} instruments from {path}: {ids}")


@app.command("evaluate")
def evaluate(ctx: typer.Context, until: AtOption = None, as_json: JsonOption = False) -> None:
    """Bring the record up to now (the live evaluator, as ingest does; ``--at``: replay the
    history up to then) and print the record's totals, and what this run added ("new")."""
    from ceasefire.guarantees.live_service import catch_up  # noqa: PLC0415
    from ceasefire.guarantees.record_counts import count_record  # noqa: PLC0415
    from ceasefire.guarantees.refresh import refresh_guarantees  # noqa: PLC0415

    at = parse_when(until, "--at", end_of_day=True)
    clock = SystemClock()
    with guarantees_store(ctx) as record, steps_on_stderr("guarantees evaluate") as step:
        step("evaluating the triggers")
        if at is None:
            _, summary = catch_up(record, clock=clock)
        else:
            summary = refresh_guarantees(record, clock=clock, until=at)
        step("counting the record")
        moment = default_moment(record, at)
        counts = count_record(record.read_alerts(), record.read_obligations(), moment)
    if as_json:
        echo_json(
            {
                "at": iso_z(moment),
                "facts": summary.facts,
                "alerts": {"total": counts.alerts, "new": summary.new.alerts},
                "obligations": {
                    "total": counts.obligations,
                    "new": summary.new.obligations,
                    **counts.by_state,
                },
                "cases": {"new": summary.new.cases, "steps_linked": summary.linked},
                "became_overdue": summary.overdue,
            }
        )
        return
    typer.echo(
        f"{summary.facts} fact revisions evaluated. Record as of {iso_z(moment)}: "
        f"{counts.alerts} alerts ({summary.new.alerts} new); {counts.obligations} obligations "
        f"({summary.new.obligations} new; {_counts(counts.by_state)}); "
        f"{summary.new.cases} new commission cases, {summary.linked} case steps from "
        f"attribution records, {summary.overdue} became overdue"
    )


@app.command("status")
def status(ctx: typer.Context, at: AtOption = None, as_json: JsonOption = False) -> None:
    """Each instrument at a moment: in force or not (and why), alerts, obligations."""
    from ceasefire.guarantees.activation import activation_of  # noqa: PLC0415
    from ceasefire.guarantees.obligations import status_at  # noqa: PLC0415
    from ceasefire.guarantees.record_counts import count_record  # noqa: PLC0415
    from ceasefire.guarantees.refresh import load_instrument_set  # noqa: PLC0415

    with guarantees_store(ctx) as record:
        moment = default_moment(record, parse_when(at, "--at", end_of_day=True))
        instruments = load_instrument_set(record, as_of=moment)
        alerts = record.read_alerts(until=moment)
        stored = record.read_obligations()
    counts = count_record(alerts, stored, moment)
    obligations = [
        (o, status_at(o, events, moment)) for o, events in stored if o.created_at <= moment
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
                "alert_total": len(mine),
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
                "ratifications": [
                    {
                        "party": r.party,
                        "status": str(r.status),
                        "date": iso_z(r.date) if r.date else None,
                        "source": r.source.url or r.source.note,
                    }
                    for r in instrument.ratifications
                ],
            }
        )
    totals = {"alerts": counts.alerts, "obligations": counts.obligations, **counts.by_state}
    if as_json:
        echo_json({"at": iso_z(moment), "totals": totals, "instruments": rows})
        return
    typer.echo(
        f"Guarantees as of {iso_z(moment)}: {counts.alerts} alerts, {counts.obligations} "
        f"obligations ({_counts(counts.by_state)})"
    )
    for row in rows:
        flag = "IN FORCE" if row["active"] else "NOT IN FORCE"
        typer.echo(f"\n{row['id']} — {row['title']}\n  {flag} — {row['why']}")
        ratified = [
            f"{r['party']} {r['status']}" + (f" {r['date'][:10]}" if r["date"] else "")
            for r in row["ratifications"]  # type: ignore[attr-defined]
        ]
        if ratified:
            typer.echo(f"  ratifications: {', '.join(ratified)}")
        typer.echo(
            f"  alerts: {_counts(row['alerts'])}; obligations: {_counts(row['obligations'])}"
        )
        if row["last_alerts"]:
            typer.echo(f"  latest {len(row['last_alerts'])} of {row['alert_total']} alerts:")  # type: ignore[arg-type]
        for alert in row["last_alerts"]:  # type: ignore[attr-defined]
            typer.echo(
                f"    {alert['fired_at']}  {alert['level']:<5} {alert['trigger']:<22} {alert['id']}"
            )


@app.command("backtest")
def backtest(
    ctx: typer.Context,
    start: Annotated[
        str, typer.Option("--from", help="Start (YYYY-MM-DD = 00:00 UTC, or RFC 3339).")
    ],
    end: Annotated[str, typer.Option("--to", help="End (YYYY-MM-DD = 00:00 UTC, or RFC 3339).")],
    step: Annotated[str, typer.Option("--step", help="Step: 30m, 6h, 1d ...")] = "6h",
    as_json: JsonOption = False,
) -> None:
    """Replay the stored history and print when each trigger would have fired, step by step,
    with the measured values. Records nothing (``evaluate`` records)."""
    from ceasefire.guarantees.backtest import parse_step, run_backtest  # noqa: PLC0415
    from ceasefire.guarantees.refresh import load_instrument_set, read_facts  # noqa: PLC0415

    begin, finish = parse_when(start, "--from"), parse_when(end, "--to")
    assert begin is not None  # required options
    assert finish is not None
    with guarantees_store(ctx) as store:
        try:
            every = parse_step(step)
            instruments = load_instrument_set(store, as_of=finish)
            facts = read_facts(store, until=finish)
            result = run_backtest(instruments, facts, start=begin, end=finish, step=every)
        except CeasefireError as exc:
            fail(exc)
    steps: list[dict[str, Any]] = [
        {"from": iso_z(s.start), "to": iso_z(s.end), "alerts": [_alert_row(a) for a in s.alerts]}
        for s in result.steps
    ]
    if as_json:
        echo_json(
            {
                "from": iso_z(begin),
                "to": iso_z(finish),
                "step_s": every.total_seconds(),
                "facts": len(facts),
                "earlier": [_alert_row(a) for a in result.earlier],
                "steps": steps,
            }
        )
        return
    typer.echo(
        f"Backtest {iso_z(begin)} → {iso_z(finish)}, step {step}: {len(facts):,} facts; "
        f"{len(result.earlier)} alerts fired before the start"
    )
    for row in steps:
        for line in row["alerts"]:
            measured = ", ".join(f"{k}={v}" for k, v in line["measures"].items())
            typer.echo(
                f"  step to {row['to']}  {line['fired_at']}  {line['level'].upper():<5} "
                f"{line['instrument']}/{line['trigger']} {line['key']}  {measured}"
            )
    typer.echo("First firing per trigger:")
    for (instrument, trigger), first in sorted(result.first_firings().items()):
        typer.echo(f"  {instrument}/{trigger}: {iso_z(first.fired_at)} ({first.key})")
    if not result.first_firings():
        typer.echo("  none")


def _alert_row(alert: Any) -> dict[str, Any]:
    return {
        "id": alert.id,
        "instrument": alert.instrument_id,
        "trigger": alert.trigger_id,
        "kind": str(alert.kind),
        "level": str(alert.level),
        "fired_at": iso_z(alert.fired_at),
        "key": alert.key,
        "sector": alert.sector,
        "measures": dict(alert.measures),
        "facts": len(alert.fact_ids),
    }


@app.command("explain")
def explain(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="The alert id (A-...).")],
    as_json: JsonOption = False,
) -> None:
    """The trigger clause of an alert and the incidents and reports that made it true."""
    from ceasefire.guarantees.alerts import explain as explain_text  # noqa: PLC0415
    from ceasefire.guarantees.refresh import (  # noqa: PLC0415
        link_attribution_records,
        load_instrument_set,
    )

    with guarantees_store(ctx) as record:
        alert = record.read_alert(alert_id)
        instruments = load_instrument_set(record)
        link_attribution_records(record, clock=SystemClock())
        cases = [
            _case_row(c, e)
            for c, e in record.read_cases()
            if c.instrument_id == alert.instrument_id and c.fact_id in alert.fact_ids
        ]
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
                "cases": cases,
            }
        )
        return
    typer.echo(explain_text(alert, instrument_title=title))
    for case in cases:
        typer.echo(f"Special Commission case {case['id']} on {case['fact']}: {case['stage']}")
        _echo_steps(case)


@app.command("ratify")
def ratify(
    ctx: typer.Context,
    instrument_id: Annotated[str, typer.Argument(help="The instrument id (e.g. paris-2026).")],
    *,
    party: Annotated[str, typer.Option("--party", help="The party (e.g. FRA).")],
    status: Annotated[
        str, typer.Option("--status", help="pending, signed, ratified, refused, not_required.")
    ],
    source: Annotated[str, typer.Option("--source", help="Where it comes from (URL or text).")],
    date: Annotated[
        str | None, typer.Option("--date", help="When it reached the status (YYYY-MM-DD).")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Who records it.")] = "HQ",
) -> None:
    """Record a party's ratification status of an instrument (kept as history, and chained)."""
    from ceasefire.errors import InputError  # noqa: PLC0415
    from ceasefire.guarantees.activation import activation_of  # noqa: PLC0415
    from ceasefire.guarantees.model import RatificationStatus  # noqa: PLC0415
    from ceasefire.guarantees.ratification import (  # noqa: PLC0415
        RecordedRatification,
        ratification_of,
    )
    from ceasefire.guarantees.refresh import load_instrument_set  # noqa: PLC0415

    clock = SystemClock()
    when = parse_when(date, "--date")
    with guarantees_store(ctx) as record:
        try:
            state = RatificationStatus(status)
        except ValueError:
            choices = ", ".join(RatificationStatus)
            raise InputError("status", "choice", f"{status!r} is not one of {choices}") from None
        try:
            instrument = load_instrument_set(record).instrument(instrument_id)
        except KeyError:
            raise InputError("instrument", "known", f"no instrument {instrument_id!r}") from None
        ratification = ratification_of(
            instrument, party=party, status=state, date=when, source=source
        )
        now = clock.now()
        record.record_ratification(
            RecordedRatification(instrument_id, ratification, by, now), clock=clock
        )
        updated = load_instrument_set(record)
    activation = activation_of(updated.instrument(instrument_id), updated.ceasefire_in_force_from)
    dated = f" on {when.date().isoformat()}" if when else ""
    typer.echo(f"{instrument_id}: {party} {state}{dated} (recorded by {by})")
    typer.echo(f"  {activation.explain_at(now)}")


@app.command("cases")
def cases_command(ctx: typer.Context, at: AtOption = None, as_json: JsonOption = False) -> None:
    """Special Commission cases (breach → attribution → remedy), with fusion's records."""
    from ceasefire.guarantees.refresh import link_attribution_records  # noqa: PLC0415

    with guarantees_store(ctx) as record:
        moment = default_moment(record, parse_when(at, "--at", end_of_day=True))
        link_attribution_records(record, clock=SystemClock())
        rows = [
            _case_row(case, [e for e in events if e.at <= moment])
            for case, events in record.read_cases()
            if case.opened_at <= moment
        ]
    if as_json:
        echo_json({"at": iso_z(moment), "cases": rows})
        return
    if not rows:
        typer.echo("no cases")
        return
    for row in rows:
        typer.echo(
            f"{row['id']}  {row['stage']:<20} {row['instrument']} {row['fact']} "
            f"(alert {row['alert']}, opened {row['opened_at']})"
        )
        _echo_steps(row)


def _case_row(case: Case, events: Sequence[CaseEvent]) -> dict[str, object]:
    from ceasefire.guarantees.commission import stage_of  # noqa: PLC0415

    return {
        "id": case.id,
        "instrument": case.instrument_id,
        "fact": case.fact_id,
        "alert": case.alert_id,
        "opened_at": iso_z(case.opened_at),
        "stage": str(stage_of(events)),
        "steps": [
            {
                "stage": str(e.stage),
                "at": iso_z(e.at),
                "by": e.by,
                "party": e.party,
                "attribution": e.attribution_id,
                "remedy": e.remedy,
                "note": e.note,
            }
            for e in events
        ],
    }


def _echo_steps(case: dict[str, object]) -> None:
    steps: Any = case["steps"]
    for step in steps:
        extra = [str(step[k]) for k in ("party", "attribution", "remedy", "note") if step.get(k)]
        typer.echo(f"    {step['at']}  {step['stage']:<20} by {step['by']}  {' · '.join(extra)}")


def _counts(counts: object) -> str:
    if not isinstance(counts, dict) or not counts:
        return "none"
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
