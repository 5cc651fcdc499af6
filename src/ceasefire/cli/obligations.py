"""``ceasefire obligations [--overdue]`` and ``ceasefire obligations meet ID --evidence ...``.

An obligation is met only with evidence (the consultation record, the response order); the
record keeps every state with its author and time, and nothing is overwritten.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ceasefire.cli.guarantees import AtOption, JsonOption, default_moment, guarantees_store
from ceasefire.cli.monitoring_common import echo_json, iso_z, parse_when
from ceasefire.clock import SystemClock
from ceasefire.errors import NotFoundError

# The store (SQLAlchemy) is imported inside the commands: every ``ceasefire`` invocation
# (even --help) imports this module.

app = typer.Typer(
    name="obligations",
    help="Obligations set off by triggers: owner, deadline, state, evidence.",
    invoke_without_command=True,
)


@app.callback()
def obligations(
    ctx: typer.Context,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those overdue.")] = False,
    at: AtOption = None,
    as_json: JsonOption = False,
) -> None:
    """List obligations with owner, level, deadline and state (as of --at, default now)."""
    if ctx.invoked_subcommand is None:
        list_obligations(ctx, overdue=overdue, at=at, as_json=as_json)


@app.command("list")
def list_obligations(
    ctx: typer.Context,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those overdue.")] = False,
    at: AtOption = None,
    as_json: JsonOption = False,
) -> None:
    """List obligations with owner, level, deadline and state (as of --at, default now)."""
    from ceasefire.guarantees.obligations import ObligationState, status_at  # noqa: PLC0415

    with guarantees_store(ctx) as record:
        moment = default_moment(record, parse_when(at, "--at", end_of_day=True))
        rows = []
        for obligation, events in record.read_obligations():
            if obligation.created_at > moment:
                continue
            state = status_at(obligation, events, moment)
            if overdue and state.state is not ObligationState.OVERDUE:
                continue
            rows.append(
                {
                    "id": obligation.id,
                    "instrument": obligation.instrument_id,
                    "obligation": obligation.template_id,
                    "owner": obligation.owner,
                    "kind": str(obligation.kind),
                    "level": obligation.level,
                    "created_at": iso_z(obligation.created_at),
                    "deadline": iso_z(obligation.deadline),
                    "state": str(state.state),
                    "late": state.late,
                    "evidence": state.evidence,
                    "alert": obligation.alert_id,
                    "text": obligation.text,
                }
            )
    if as_json:
        echo_json({"at": iso_z(moment), "obligations": rows})
        return
    if not rows:
        typer.echo("no obligations" + (" overdue" if overdue else ""))
        return
    for row in rows:
        late = " (late)" if row["late"] else ""
        typer.echo(
            f"{row['id']}  {row['state']:<7}{late} L{row['level']} {row['owner']:<18} "
            f"due {row['deadline']}  {row['instrument']}/{row['obligation']}"
        )


@app.command("meet")
def meet_command(
    ctx: typer.Context,
    obligation_id: Annotated[str, typer.Argument(help="The obligation id (O-...).")],
    evidence: Annotated[
        str, typer.Option("--evidence", help="What shows it is met (record, order, minutes).")
    ],
    by: Annotated[str, typer.Option("--by", help="Who records it.")] = "HQ",
    at: Annotated[
        str | None,
        typer.Option("--at", help="When it was met (RFC 3339; default: now)."),
    ] = None,
) -> None:
    """Record that an obligation is met, with its evidence."""
    from ceasefire.guarantees.obligations import meet  # noqa: PLC0415

    clock = SystemClock()
    when = parse_when(at, "--at") or clock.now()
    with guarantees_store(ctx) as record:
        found = [(o, e) for o, e in record.read_obligations() if o.id == obligation_id]
        if not found:
            raise NotFoundError(f"no obligation {obligation_id!r}")
        obligation, events = found[0]
        event = meet(obligation, events, at=when, by=by, evidence=evidence)
        record.append_obligation_events([event], clock=clock)
    late = " (late)" if event.at >= obligation.deadline else ""
    typer.echo(f"{obligation.id} met{late} at {iso_z(event.at)} by {by}: {event.evidence}")
