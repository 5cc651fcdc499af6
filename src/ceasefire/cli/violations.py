"""``ceasefire violations``: rules broken by active incidents, certain or possible."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ceasefire.cli.monitoring_common import cli_store, echo_json, iso_z, parse_when
from ceasefire.cli.progress import steps_on_stderr

if TYPE_CHECKING:
    from ceasefire.store.base import StoredViolation


def violation_json(violation: StoredViolation) -> dict[str, object]:
    """The ``--json`` shape of one violation: the API's field names (``ViolationOut``)."""
    return {
        "id": violation.pk,
        "incident_id": violation.incident_pk,
        "observed_at": iso_z(violation.observed_at),
        "rule_id": violation.rule_id,
        "article": violation.article,
        "severity": violation.severity,
        "certainty": violation.certainty,
        "zone_id": violation.zone_id,
        "lon": violation.lon,
        "lat": violation.lat,
        "agreement": {"id": violation.agreement_id, "version": violation.agreement_version},
        "reports": [{"source": s, "id": i} for s, i in violation.reports],
    }


def violations(
    ctx: typer.Context,
    *,
    since: Annotated[
        str | None, typer.Option("--since", help="From (YYYY-MM-DD or RFC 3339), inclusive.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="To (YYYY-MM-DD or RFC 3339), inclusive.")
    ] = None,
    zone: Annotated[str | None, typer.Option("--zone", help="Only this zone id.")] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List violations of active incidents (amended or withdrawn reports no longer count)."""
    from ceasefire.store.base import ViolationQuery  # noqa: PLC0415 - SQLAlchemy is slow to import

    query = ViolationQuery(
        since=parse_when(since, "--since"),
        until=parse_when(until, "--until", end_of_day=True),
        zone=zone,
        rule=rule,
    )
    with cli_store(ctx) as store, steps_on_stderr("violations"):
        found = store.list_violations(query)
    if as_json:
        echo_json([violation_json(v) for v in found])
        return
    for v in found:
        where = f"{v.lat:.4f},{v.lon:.4f}" if v.lat is not None and v.lon is not None else "-"
        reports = ", ".join(f"{s}/{i}" for s, i in v.reports)
        typer.echo(
            f"{iso_z(v.observed_at)}  {v.rule_id} ({v.article})  severity {v.severity}  "
            f"{v.certainty}  zone {v.zone_id or 'anywhere'}  at {where}  reports {reports}"
        )
    typer.echo(f"{len(found):,} violations")
