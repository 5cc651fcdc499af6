"""``ceasefire pledges list|add|import|set-status``: who pledged what, on which conditions, when.

Pledges are never overwritten: ``import`` refuses a file with any bad item (printing every
problem with file, line and rule) and stores nothing; ``set-status`` appends a rung to the
pledge's ladder with who, when and on what evidence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ceasefire.cli.coalition import coalition_stores
from ceasefire.cli.monitoring_common import echo_json, fail
from ceasefire.cli.output import print_table
from ceasefire.coalition.catalogue import Capability, PledgeStatus
from ceasefire.coalition.caveats import (
    Caveat,
    caveat_label,
    caveat_to_dict,
    parse_caveat,
)
from ceasefire.coalition.model import Pledge, Sourced, StatusChange
from ceasefire.errors import InputError

# The store (SQLAlchemy) is imported inside the commands: every ``ceasefire`` invocation
# (even --help) imports this module.

app = typer.Typer(name="pledges", help="Pledges to the multinational force.", no_args_is_help=True)


@app.command("list")
def list_pledges(
    ctx: typer.Context,
    nation: Annotated[str | None, typer.Option(help="Only this nation (ISO alpha-3).")] = None,
    history: Annotated[bool, typer.Option("--history", help="Show every status rung.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """List pledges with capability, strength, caveats and current status."""
    with coalition_stores(ctx) as stores:
        items = [
            p for p in stores.coalition_reads.pledges() if nation is None or p.nation == nation
        ]
    if as_json:
        echo_json([_pledge_dict(p) for p in items])
        return
    table = Table(title=f"Pledges ({len(items)})")
    for col in ("id", "nation", "capability", "units", "pers.", "ready d", "rot.", "caveats"):
        table.add_column(col, overflow="fold")
    table.add_column("status" if not history else "status history", overflow="fold")
    for p in items:
        status = (
            "\n".join(f"{c.at.date()} {c.status} ({c.by})" for c in p.history)
            if history
            else f"{p.status} since {p.history[-1].at.date()}"
        )
        table.add_row(
            p.id,
            p.nation,
            str(p.capability),
            str(p.units),
            str(p.personnel),
            str(p.readiness_days),
            str(p.rotations),
            ", ".join(caveat_label(c) for c in p.caveats),
            status,
        )
    print_table(table)


def _pledge_dict(p: Pledge) -> dict[str, object]:
    return {
        "id": p.id,
        "nation": p.nation,
        "capability": str(p.capability),
        "domain": str(p.domain),
        "units": p.units,
        "personnel": p.personnel,
        "readiness_days": p.readiness_days,
        "rotations": p.rotations,
        "caveats": [caveat_to_dict(c) for c in p.caveats],
        "status": str(p.status),
        "history": [
            {"status": str(c.status), "at": c.at.isoformat(), "by": c.by, "source": c.source}
            for c in p.history
        ],
        "source": p.sourced.source,
        "as_of": p.sourced.as_of.isoformat(),
        "illustrative": p.sourced.illustrative,
    }


def parse_caveat_option(text: str) -> Caveat:
    """``type`` or ``type:key=value,key=value`` (lists with ``;``): the CLI's caveat syntax.

    >>> parse_caveat_option("min_distance_from_line:km=100")
    MinDistanceFromLine(km=100.0)
    """
    kind, _, rest = text.partition(":")
    raw: dict[str, object] = {"type": kind.strip()}
    for part in filter(None, rest.split(",")):
        key, _, value = part.partition("=")
        raw[key.strip()] = _scalar(key.strip(), value.strip())
    return parse_caveat(raw, field="--caveat")


def _scalar(key: str, value: str) -> object:
    if key == "areas":
        return [v for v in value.split(";") if v]
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            continue
    return value


@app.command("add")
def add(
    ctx: typer.Context,
    *,
    pledge_id: Annotated[str, typer.Option("--id", help="New pledge id.")],
    nation: Annotated[str, typer.Option(help="Nation code from the registry.")],
    capability: Annotated[Capability, typer.Option(help="Catalogue entry.")],
    units: Annotated[int, typer.Option(min=1, help="Formed units pledged.")],
    source: Annotated[str, typer.Option(help="URL or citation the pledge rests on.")],
    by: Annotated[str, typer.Option(help="Who recorded the pledge.")],
    personnel: Annotated[int | None, typer.Option(min=0, help="Total personnel.")] = None,
    readiness_days: Annotated[int, typer.Option(min=0, help="Days from the ceasefire.")] = 30,
    rotations: Annotated[int, typer.Option(min=1, help="Tours each unit can serve.")] = 1,
    caveat: Annotated[
        list[str] | None,
        typer.Option(help="Caveat, e.g. nato_soil_only or min_distance_from_line:km=100."),
    ] = None,
    status: Annotated[PledgeStatus, typer.Option(help="First rung.")] = PledgeStatus.INTENT,
    illustrative: Annotated[bool, typer.Option(help="The numbers are not public.")] = False,
) -> None:
    """Record one pledge (checked against the registry and the caveat vocabulary)."""
    from ceasefire.coalition.service import add_pledge  # noqa: PLC0415

    now = datetime.now(UTC)
    try:
        caveats = tuple(parse_caveat_option(c) for c in caveat or [])
    except InputError as exc:
        fail(exc)
    pledge = Pledge(
        id=pledge_id,
        nation=nation,
        capability=capability,
        units=units,
        personnel=personnel if personnel is not None else units * capability.typical_personnel,
        readiness_days=readiness_days,
        rotations=rotations,
        caveats=caveats,
        history=(StatusChange(status, now, by, source),),
        sourced=Sourced(source, now.date(), illustrative),
    )
    with coalition_stores(ctx) as stores:
        add_pledge(stores.coalition, pledge, now=now)
    typer.echo(f"pledge {pledge_id} recorded ({status})")


@app.command("import")
def import_file(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="YAML file with a 'pledges:' list.")],
) -> None:
    """Import pledges from a file: all of them, or — on any error — none."""
    from ceasefire.coalition.service import import_pledge_file  # noqa: PLC0415

    with coalition_stores(ctx) as stores:
        items = import_pledge_file(stores.coalition, file, now=datetime.now(UTC))
    typer.echo(f"imported {len(items)} pledges from {file}")


@app.command("set-status")
def set_status(
    ctx: typer.Context,
    *,
    pledge_id: Annotated[str, typer.Argument(help="Pledge id.")],
    status: Annotated[PledgeStatus, typer.Argument(help="The new rung.")],
    by: Annotated[str, typer.Option(help="Who says so (office, person).")],
    source: Annotated[str, typer.Option(help="Evidence: URL, document, minute.")],
    at: Annotated[
        str | None, typer.Option(help="When (YYYY-MM-DD or ISO 8601 with offset); default now.")
    ] = None,
    note: Annotated[str, typer.Option(help="Free text.")] = "",
) -> None:
    """Append a status rung (the ladder only climbs; withdrawn ends it)."""
    from ceasefire.coalition.service import append_status  # noqa: PLC0415

    when = _when(at)
    with coalition_stores(ctx) as stores:
        change = StatusChange(status, when, by, source, note)
        seq = append_status(stores.coalition, pledge_id, change)
    typer.echo(f"pledge {pledge_id}: {status} at {when.isoformat()} (rung {seq})")


def _when(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(InputError("--at", "format", f"{text!r} is not YYYY-MM-DD or ISO 8601"))
    if moment.tzinfo is None:
        fail(InputError("--at", "timezone", "give an offset, e.g. 2026-01-06T12:00:00+00:00"))
    return moment.astimezone(UTC)
