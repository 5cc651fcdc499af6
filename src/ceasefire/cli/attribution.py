"""``ceasefire attribution propose|decide|remedy|list``: the Special Commission's workflow.

Proposals, decisions and remedies are separate, append-only records with author and time;
none of them edits an observation, an incident or a violation. The rules are those of
``assessment.attribution_service``, shared with the HQ API; errors exit 2 naming the field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ceasefire.assessment.attribution import Decision
from ceasefire.cli.monitoring_common import cli_stores, echo_json
from ceasefire.cli.progress import steps_on_stderr
from ceasefire.clock import SystemClock

if TYPE_CHECKING:
    from ceasefire.assessment.attribution_service import AttributionService
    from ceasefire.store.stores import Stores

# The store, geometry and agreement modules are imported inside the commands: they pull in
# SQLAlchemy, shapely and scipy, which would slow every ``ceasefire`` invocation (even --help).

app = typer.Typer(name="attribution", help="Propose, decide and remedy attributions of violations.")

By = Annotated[str, typer.Option("--by", help="Who records this (name).")]


def _service(stores: Stores) -> AttributionService:
    """The one attribution workflow (``assessment.attribution_service``) on the CLI's store,
    as the HQ system: it sees every report."""
    from ceasefire.assessment.attribution_service import AttributionService  # noqa: PLC0415
    from ceasefire.guarantees.refresh import link_attribution_records  # noqa: PLC0415
    from ceasefire.pipeline.agreements import AgreementBook  # noqa: PLC0415

    return AttributionService(
        stores.attributions(),
        lambda: AgreementBook.from_store(stores.store),
        SystemClock(),
        advance_cases=lambda clock: link_attribution_records(stores.guarantees, clock=clock),
    )


@app.command("propose")
def propose(
    ctx: typer.Context,
    *,
    violation: Annotated[int, typer.Argument(help="Violation number.")],
    by: By,
    party: Annotated[
        str | None, typer.Option("--party", help="Party (default: proposed from observations).")
    ] = None,
    basis: Annotated[str | None, typer.Option("--basis", help="Why, with --party.")] = None,
    confidence: Annotated[float, typer.Option("--confidence", min=0.0, max=1.0)] = 0.5,
) -> None:
    """Propose who is responsible for a violation (from observations, or stated by hand)."""
    from ceasefire.assessment.attribution_service import Author  # noqa: PLC0415

    with cli_stores(ctx) as stores:
        done = _service(stores).propose(
            violation, Author(by), party=party, basis=basis, confidence=confidence
        )
    typer.echo(
        f"attribution #{done.pk}: violation {violation} → {done.party} "
        f"({done.basis}, {done.confidence:.2f})"
    )


@app.command("decide")
def decide(
    ctx: typer.Context,
    *,
    attribution: Annotated[int, typer.Argument(help="Attribution number.")],
    decision: Annotated[Decision, typer.Option("--decision", help="upheld or rejected.")],
    by: By,
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Record a Special Commission member's decision on a proposal."""
    from ceasefire.assessment.attribution_service import Author  # noqa: PLC0415

    with cli_stores(ctx) as stores:
        pk = _service(stores).decide(attribution, Author(by), decision=decision, note=note)
    typer.echo(f"decision #{pk}: attribution {attribution} {decision.value} by {by}")


@app.command("remedy")
def remedy(
    ctx: typer.Context,
    *,
    decision: Annotated[int, typer.Argument(help="Decision number.")],
    text: Annotated[str, typer.Option("--remedy", help="The remedy determined.")],
    by: By,
) -> None:
    """Record the remedy the Commission determined for a decision."""
    from ceasefire.assessment.attribution_service import Author  # noqa: PLC0415

    with cli_stores(ctx) as stores:
        pk = _service(stores).remedy(decision, Author(by), remedy=text)
    typer.echo(f"remedy #{pk} for decision {decision}")


@app.command("list")
def list_all(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Every proposal with its decisions and remedies."""
    with cli_stores(ctx) as stores, steps_on_stderr("attribution list"):
        rows = stores.incidents.attributions()
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("no attribution proposed yet (`ceasefire attribution propose VIOLATION`)")
        return
    for r in rows:
        decided = f"  {r['decision']} by {r['decided_by']}" if r["decision"] else "  undecided"
        remedy_text = f"  remedy: {r['remedy']}" if r["remedy"] else ""
        typer.echo(
            f"#{r['pk']} violation {r['violation_pk']} → {r['party']} ({r['basis']}, "
            f"{r['confidence']:.2f}) by {r['proposed_by']}{decided}{remedy_text}"
        )
    typer.echo(f"{len(rows):,} attribution proposals")
