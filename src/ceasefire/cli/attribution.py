"""``ceasefire attribution propose|decide|remedy|list``: the Special Commission's workflow.

Proposals, decisions and remedies are separate, append-only records with author and time;
none of them edits an observation, an incident or a violation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ceasefire.assessment.attribution import Basis, Decision
from ceasefire.cli.incidents import store_engine
from ceasefire.cli.monitoring_common import cli_store, echo_json
from ceasefire.clock import SystemClock

if TYPE_CHECKING:
    from sqlalchemy import Engine

# The store, geometry and agreement modules are imported inside the commands: they pull in
# SQLAlchemy, shapely and scipy, which would slow every ``ceasefire`` invocation (even --help).

app = typer.Typer(name="attribution", help="Propose, decide and remedy attributions of violations.")

By = Annotated[str, typer.Option("--by", help="Who records this (name).")]


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
    import numpy as np  # noqa: PLC0415

    from ceasefire.assessment.attribution import propose_attribution  # noqa: PLC0415
    from ceasefire.geo.placement import place_points  # noqa: PLC0415
    from ceasefire.pipeline.agreements import AgreementBook  # noqa: PLC0415
    from ceasefire.reports.model import Category, FireDirection  # noqa: PLC0415
    from ceasefire.store.attribution_sql import add_attribution, violation_context  # noqa: PLC0415
    from ceasefire.store.isotime import iso  # noqa: PLC0415

    with cli_store(ctx) as store:
        engine = store_engine(store)
        context = violation_context(engine, violation)
        if party is None:
            book = AgreementBook.from_store(store)
            version = book.versions[int(book.assign(np.array([context.observed_at_s]))[0])]
            lon, lat = context.lon, context.lat
            if lon is None or lat is None:
                typer.echo("no proposal: the incident is not located", err=True)
                raise typer.Exit(code=1)
            placed = place_points(
                version.geography,
                np.array([lon]),
                np.array([lat]),
                np.array([context.uncertainty_m or 0.0]),
            )
            index = int(placed.party_index[0])
            side = version.geography.party_ids[index] if index >= 0 else None
            distance_m = float(placed.distance_to_line_km[0]) * 1000.0
            proposal = propose_attribution(
                category=Category(context.category),
                directions=frozenset(FireDirection(d) for d in context.fire_directions),
                side=side,
                side_certain=distance_m > (context.uncertainty_m or 0.0),
                parties=version.geography.party_ids,
                incident_confidence=context.confidence,
            )
            if proposal is None:
                typer.echo("no proposal: the observations support no party", err=True)
                raise typer.Exit(code=1)
            party, why, confidence = proposal.party, proposal.explanation, proposal.confidence
            basis_text = f"{proposal.basis.value}: {why}"
        else:
            basis_text = f"{Basis.ANALYST.value}: {basis or 'stated by the proposer'}"
        pk = add_attribution(
            engine,
            {
                "violation_pk": violation,
                "party": party,
                "basis": basis_text,
                "confidence": confidence,
                "proposed_by": by,
                "proposed_at": iso(SystemClock().now()),
            },
            marking=None,  # the HQ system: every report of the incident
        )
        _advance_cases(engine)
    typer.echo(
        f"attribution #{pk}: violation {violation} → {party} ({basis_text}, {confidence:.2f})"
    )


def _advance_cases(engine: Engine) -> None:
    """Move the Special Commission cases along the record just made (at once, not at the
    next ingest), each step chained in the ledger."""
    from ceasefire.guarantees.refresh import link_attribution_records  # noqa: PLC0415
    from ceasefire.store.guarantees_sql import SqlGuarantees  # noqa: PLC0415

    link_attribution_records(SqlGuarantees(engine), clock=SystemClock())


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
    from ceasefire.store.attribution_sql import add_decision  # noqa: PLC0415
    from ceasefire.store.isotime import iso  # noqa: PLC0415

    with cli_store(ctx) as store:
        pk = add_decision(
            store_engine(store),
            {
                "attribution_pk": attribution,
                "decision": decision.value,
                "decided_by": by,
                "decided_at": iso(SystemClock().now()),
                "note": note,
            },
            marking=None,  # the HQ system: every report of the incident
        )
        _advance_cases(store_engine(store))
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
    from ceasefire.store.attribution_sql import add_remedy  # noqa: PLC0415
    from ceasefire.store.isotime import iso  # noqa: PLC0415

    with cli_store(ctx) as store:
        pk = add_remedy(
            store_engine(store),
            {
                "decision_pk": decision,
                "remedy": text,
                "recorded_by": by,
                "recorded_at": iso(SystemClock().now()),
            },
            marking=None,  # the HQ system: every report of the incident
        )
        _advance_cases(store_engine(store))
    typer.echo(f"remedy #{pk} for decision {decision}")


@app.command("list")
def list_all(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Every proposal with its decisions and remedies."""
    from ceasefire.store.attribution_sql import list_attributions  # noqa: PLC0415

    with cli_store(ctx) as store:
        rows = list_attributions(store_engine(store))
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        decided = f"  {r['decision']} by {r['decided_by']}" if r["decision"] else "  undecided"
        remedy_text = f"  remedy: {r['remedy']}" if r["remedy"] else ""
        typer.echo(
            f"#{r['pk']} violation {r['violation_pk']} → {r['party']} ({r['basis']}, "
            f"{r['confidence']:.2f}) by {r['proposed_by']}{decided}{remedy_text}"
        )
