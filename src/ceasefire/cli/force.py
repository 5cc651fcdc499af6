"""``ceasefire force solve``: can we man this plan, for how long, and what if a caveat is lifted?

Reads the pledges and registry from the store and the CJSOR from ``--requirements`` (or the
stored CJSOR), solves (HiGHS), and prints the plan, the coverage per line, every shortfall
with its reason and the what-if ranking — as Rich tables or ``--json``; ``--out DIR`` also
writes ``coverage.png`` (heat map, lines × months), ``rotations.png`` (Gantt) and
``plan.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from ceasefire.cli.coalition import coalition_stores
from ceasefire.cli.monitoring_common import echo_json, fail
from ceasefire.cli.output import json_ready, print_table
from ceasefire.cli.progress import steps_on_stderr
from ceasefire.coalition.catalogue import PledgeStatus
from ceasefire.errors import CeasefireError, InputError

if TYPE_CHECKING:
    from ceasefire.coalition.diagnose import Shortfall
    from ceasefire.coalition.solver import Plan

# The solver (HiGHS), the figures (matplotlib) and the store (SQLAlchemy) are imported inside
# the command: every ``ceasefire`` invocation (even --help) imports this module.

app = typer.Typer(name="force", help="Force generation against a CJSOR.", no_args_is_help=True)

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def parse_assumptions(items: list[str]) -> dict[str, bool]:
    """``key=true|false`` pairs from ``--assume``; anything else is refused (rule ``format``).

    >>> parse_assumptions(["us_backstop=true", "bundestag_mandate=no"])
    {'us_backstop': True, 'bundestag_mandate': False}
    """
    out: dict[str, bool] = {}
    for item in items:
        key, sep, value = item.partition("=")
        low = value.strip().lower()
        if not sep or not key.strip() or low not in _TRUE | _FALSE:
            raise InputError("--assume", "format", f"{item!r} is not key=true|false")
        out[key.strip()] = low in _TRUE
    return out


@app.command("solve")
def solve_command(
    ctx: typer.Context,
    *,
    requirements: Annotated[
        Path | None,
        typer.Option("--requirements", help="CJSOR YAML file (default: the stored CJSOR)."),
    ] = None,
    assume: Annotated[
        list[str] | None,
        typer.Option("--assume", help="Scenario condition, e.g. us_backstop=true (repeatable)."),
    ] = None,
    count: Annotated[
        list[PledgeStatus] | None,
        typer.Option("--count", help="Pledge statuses that count (default committed and up)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write coverage.png, rotations.png, plan.json.")
    ] = None,
    with_what_if: Annotated[
        bool, typer.Option("--what-if/--no-what-if", help="Rank single lifts.")
    ] = True,
    time_limit: Annotated[float, typer.Option(help="Solver time limit, seconds.")] = 60.0,
) -> None:
    """Assign pledged units to CJSOR lines month by month and explain every gap."""
    from ceasefire.coalition.diagnose import shortfalls  # noqa: PLC0415
    from ceasefire.coalition.export import plan_to_dict  # noqa: PLC0415
    from ceasefire.coalition.figures import coverage_heatmap, rotation_gantt  # noqa: PLC0415
    from ceasefire.coalition.loader import parse_requirements  # noqa: PLC0415
    from ceasefire.coalition.model import DEFAULT_COUNTED  # noqa: PLC0415
    from ceasefire.coalition.solver import SolveOptions, solve  # noqa: PLC0415
    from ceasefire.coalition.whatif import what_if  # noqa: PLC0415

    try:
        assumed = parse_assumptions(assume or [])
    except InputError as exc:
        fail(exc)
    with coalition_stores(ctx) as stores, steps_on_stderr("force solve") as step:
        registry, pledge_list, stored_reqs = stores.coalition_reads.all()
        pledges = tuple(pledge_list)
        reqs = (
            tuple(parse_requirements(requirements, registry))
            if requirements is not None
            else tuple(stored_reqs)
        )
        if not reqs:
            raise CeasefireError("no requirement lines: give --requirements FILE")
        options = SolveOptions(
            counted=frozenset(count) if count else DEFAULT_COUNTED,
            assumptions={**registry.assumptions, **assumed},
            time_limit_s=time_limit,
        )
        step(f"assigning {len(pledges)} pledges to {len(reqs)} lines")
        plan = solve(pledges, reqs, registry.area_by_id(), options)
        gaps = shortfalls(plan)
        if with_what_if:
            step("ranking single lifts (what if)")
        ranked = what_if(plan) if with_what_if else None
        data = plan_to_dict(plan, gaps, ranked)
        if out is not None:
            step("drawing the heat map and the rotations")
            out.mkdir(parents=True, exist_ok=True)
            coverage_heatmap(plan, out / "coverage.png")
            rotation_gantt(plan, out / "rotations.png")
            (out / "plan.json").write_bytes(
                orjson.dumps(json_ready(data), option=orjson.OPT_INDENT_2)
            )
    if as_json:
        echo_json(data)
        return
    _print(plan, gaps, data, out)


def _print(
    plan: Plan, gaps_found: list[Shortfall], data: dict[str, object], out: Path | None
) -> None:
    from ceasefire.coalition.export import burden_by_nation  # noqa: PLC0415

    console = Console()
    console.print(
        f"[bold]Force generation[/bold]: {plan.status}, gap {plan.gap:.3%}, "
        f"{plan.seconds:.2f} s; weighted coverage [bold]{plan.coverage:.1%}[/bold]; "
        f"assumptions {dict(plan.problem.assumptions)}; counted "
        f"{', '.join(sorted(plan.problem.counted))}"
    )
    lines = Table(title="Coverage per CJSOR line (unit-months covered / required)")
    for col in ("line", "capability", "area", "P", "covered", "months short"):
        lines.add_column(col)
    for j, r in enumerate(plan.problem.requirements):
        need = float(plan.demand[j].sum())
        got = float(plan.covered[j].sum())
        short = int((plan.covered[j] < plan.demand[j]).sum())
        share = f"{got:.0f}/{need:.0f} ({got / need:.0%})" if need else "-"
        style = "green" if short == 0 else ("red" if got == 0 else "yellow")
        lines.add_row(
            r.id, str(r.capability), r.area, str(r.priority), f"[{style}]{share}[/]", str(short)
        )
    print_table(lines, console=console)
    tours = Table(title=f"Plan: {len(plan.tours)} tours")
    for col in ("line", "pledge", "nation", "months", "units"):
        tours.add_column(col)
    for t in plan.tours:
        tours.add_row(
            t.requirement_id,
            t.pledge_id,
            t.nation,
            f"{t.start_month}–{t.end_month - 1}",
            str(t.units),
        )
    print_table(tours, console=console)
    burden = Table(title="Burden by nation (personnel-months)")
    burden.add_column("nation")
    burden.add_column("personnel-months", justify="right")
    for nation, pm in burden_by_nation(plan).items():
        burden.add_row(nation, f"{pm:,.0f}")
    print_table(burden, console=console)
    gaps = Table(title="Shortfalls and why")
    for col in ("line", "months", "missing", "reason", "detail"):
        gaps.add_column(col, overflow="fold")
    for s in gaps_found:
        gaps.add_row(
            s.requirement_id,
            f"{s.first_month}–{s.last_month}",
            str(s.missing),
            str(s.reason),
            s.detail,
        )
    print_table(gaps, console=console)
    ranked = data.get("what_if")
    if isinstance(ranked, list):
        table = Table(title="What if one thing were lifted? (best first)")
        for col in ("lift", "kind", "coverage", "gain", "unit-months"):
            table.add_column(col, overflow="fold")
        for w in ranked[:15]:
            table.add_row(
                str(w["lift"]),
                str(w["kind"]),
                f"{w['coverage']:.1%}",
                f"{w['gain']:+.1%}",
                f"{w['gain_unit_months']:+.0f}",
            )
        print_table(table, console=console)
    if out is not None:
        console.print(f"wrote {out / 'coverage.png'}, {out / 'rotations.png'}, {out / 'plan.json'}")
