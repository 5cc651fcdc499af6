"""``ceasefire reports``: each stored report with its placement, to see why it counts or not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ceasefire.cli.monitoring_common import cli_store, echo_json, iso_z, parse_when
from ceasefire.cli.progress import steps_on_stderr

if TYPE_CHECKING:
    from ceasefire.store.base import StoredReport


def report_json(report: StoredReport) -> dict[str, object]:
    """The ``--json`` shape of one report (stable keys; null where unknown)."""
    return {
        "source": report.source,
        "id": report.id,
        "source_type": report.source_type,
        "observed_at": iso_z(report.observed_at),
        "category": report.category,
        "weapon_class": report.weapon_class,
        "count": report.count,
        "status": str(report.status),
        "amends": report.amends,
        "withdrawn": report.withdrawn,
        "location": {
            "lon": report.located_lon,
            "lat": report.located_lat,
            "uncertainty_m": report.located_uncertainty_m,
            "form": report.location_form,
        },
        "party": report.party,
        "distance_to_line_km": report.distance_to_line_km,
        "zones_inside": list(report.zones_inside),
        "zones_possibly_inside": list(report.zones_possibly_inside),
        "agreement": {"id": report.agreement_id, "version": report.agreement_version},
        "incident_id": report.incident_pk,
    }


def _line(report: StoredReport) -> str:
    where = "unlocated"
    if report.located_lon is not None and report.located_lat is not None:
        where = f"{report.located_lat:.4f},{report.located_lon:.4f}"
        if report.located_uncertainty_m is not None:
            where += f" ±{report.located_uncertainty_m:,.0f} m"
        where += f" ({report.location_form})"
    distance = (
        f"{report.distance_to_line_km:.1f} km from line"
        if report.distance_to_line_km is not None
        else "distance unknown"
    )
    zones = ", ".join(report.zones_inside) or "-"
    maybe = ", ".join(report.zones_possibly_inside) or "-"
    return (
        f"{iso_z(report.observed_at)}  {report.source}/{report.id}  {report.category}"
        f"{'/' + report.weapon_class if report.weapon_class else ''} x{report.count}"
        f"  [{report.status}]\n"
        f"    at {where}; side {report.party or 'unknown'}; {distance}; "
        f"inside: {zones}; possibly inside: {maybe}"
    )


def reports(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option("--since", help="From (YYYY-MM-DD or RFC 3339), inclusive.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="To (YYYY-MM-DD or RFC 3339), inclusive.")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this source.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List reports with their placement, to see why each counts or not.

    Placement: zones inside / possibly inside, party side, distance to the line in km,
    located position and its uncertainty.
    """
    from ceasefire.store.base import ReportQuery  # noqa: PLC0415 - SQLAlchemy is slow to import

    query = ReportQuery(
        since=parse_when(since, "--since"),
        until=parse_when(until, "--until", end_of_day=True),
        source=source,
    )
    with cli_store(ctx) as store, steps_on_stderr("reports"):
        found = store.list_reports(query)
    if as_json:
        echo_json([report_json(report) for report in found])
        return
    for report in found:
        typer.echo(_line(report))
    typer.echo(f"{len(found):,} reports")
