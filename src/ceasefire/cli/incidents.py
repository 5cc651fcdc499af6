"""``ceasefire incidents`` and ``ceasefire incident show|verify|dispute|reject``.

Incidents are what fusion made of the reports (one per physical event); an analyst's
decision is appended to the incident's state history with name, time and note.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ceasefire.cli.monitoring_common import cli_stores, echo_json, fail, iso_z, parse_when
from ceasefire.cli.progress import steps_on_stderr
from ceasefire.clock import SystemClock
from ceasefire.errors import InputError
from ceasefire.fusion.verification import VerificationState, decide

if TYPE_CHECKING:
    pass

# The store and fusion modules are imported inside the commands: they pull in SQLAlchemy,
# shapely and scipy, which would slow every ``ceasefire`` invocation (even --help).

app = typer.Typer(name="incident", help="One incident: show it, or record an analyst's decision.")


def _when(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    return None if value is None else iso_z(datetime.fromtimestamp(float(value), UTC))


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        lo_x, lo_y, hi_x, hi_y = (float(p) for p in text.split(","))
    except ValueError as exc:
        raise typer.BadParameter("MINLON,MINLAT,MAXLON,MAXLAT", param_hint="--bbox") from exc
    return lo_x, lo_y, hi_x, hi_y


def _point(lon: float | None, lat: float | None) -> dict[str, object] | None:
    return None if lon is None or lat is None else {"type": "Point", "coordinates": [lon, lat]}


def incident_json(row: dict[str, Any]) -> dict[str, Any]:
    """The ``--json`` shape of one listed incident: the API's field names (``IncidentOut``),
    and what only the CLI shows (fusion id, end time, ellipse, independent sources)."""
    return {
        "id": row["pk"],
        "fusion_id": row.get("fusion_id"),
        "observed_at": _when(row, "observed_at"),
        "observed_until": _when(row, "observed_until"),
        "category": row["category"],
        "weapon_class": row["weapon_class"],
        "count_low": row.get("count_low"),
        "count_best": row["count"],
        "count_high": row.get("count_high"),
        "lon": row["lon"],
        "lat": row["lat"],
        "ellipse": {
            "semi_major_m": row.get("semi_major_m"),
            "semi_minor_m": row.get("semi_minor_m"),
            "angle_deg": row.get("orientation_deg"),
        },
        "reports": row["reports"],
        "independent_sources": row.get("independent_sources"),
        "confidence": row.get("confidence"),
        "state": row.get("state"),
    }


def _ids(row: dict[str, Any], **renamed: str) -> dict[str, Any]:
    """``row`` with ``pk`` as ``id`` and each ``old=new`` key renamed, in order."""
    names = {"pk": "id", **renamed}
    return {names.get(k, k): v for k, v in row.items()}


def detail_json(detail: dict[str, Any]) -> dict[str, Any]:
    """The ``--json`` shape of ``incident show``: the API's names (``IncidentDetailOut``:
    ``id``, ``members``, ``violations[].id``, ``attributions[].violation_id``); times become
    RFC 3339 in ``echo_json``."""
    head = {k: v for k, v in detail["incident"].items() if k != "incident_pk"}  # the join's
    return {
        **_ids(head),
        "members": detail["reports"],  # pk and id, as the API's reports (``ReportOut``)
        "violations": [_ids(v, incident_pk="incident_id") for v in detail["violations"]],
        "history": detail["history"],
        "attributions": [_ids(a, violation_pk="violation_id") for a in detail["attributions"]],
    }


def incidents(
    ctx: typer.Context,
    *,
    since: Annotated[
        str | None, typer.Option("--since", help="From (YYYY-MM-DD or RFC 3339).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="To (YYYY-MM-DD or RFC 3339).")
    ] = None,
    bbox: Annotated[
        str | None, typer.Option("--bbox", help="MINLON,MINLAT,MAXLON,MAXLAT (degrees).")
    ] = None,
    state: Annotated[
        VerificationState | None, typer.Option("--state", help="Only incidents in this state.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    as_geojson: Annotated[
        bool, typer.Option("--geojson", help="A GeoJSON FeatureCollection.")
    ] = False,
) -> None:
    """List active (fused) incidents: where, when, what, how sure, and their state."""
    from ceasefire.store.fusion_queries import IncidentFilter  # noqa: PLC0415

    start, end = parse_when(since, "--since"), parse_when(until, "--until", end_of_day=True)
    flt = IncidentFilter(
        since_s=start.timestamp() if start else None,
        until_s=end.timestamp() if end else None,
        bbox=_bbox(bbox),
        state=state.value if state else None,
    )
    with cli_stores(ctx) as stores, steps_on_stderr("incidents"):
        rows = stores.incidents.matching(flt)
    shaped = [incident_json(r) for r in rows]
    if as_geojson:
        echo_json(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": _point(s["lon"], s["lat"]),
                        "properties": {k: val for k, val in s.items() if k not in {"lon", "lat"}},
                    }
                    for s in shaped
                ],
            }
        )
        return
    if as_json:
        echo_json(shaped)
        return
    for s in shaped:
        where = "-" if s["lat"] is None else f"{s['lat']:.4f},{s['lon']:.4f}"
        ellipse = s["ellipse"]["semi_major_m"]
        radius = f" ±{ellipse:.0f} m" if ellipse is not None else ""
        confidence = s["confidence"]
        conf = f"{confidence:.2f}" if confidence is not None else "-"
        typer.echo(
            f"#{s['id']}  {s['observed_at']}  {s['category']}"
            f"{' ' + s['weapon_class'] if s['weapon_class'] else ''}  x{s['count_best']}  "
            f"at {where}{radius}  {s['reports']} reports, {s['independent_sources'] or 1} "
            f"independent  confidence {conf}  {s['state'] or '-'}"
        )
    typer.echo(f"{len(shaped):,} incidents")


@app.command("show")
def show(
    ctx: typer.Context,
    incident: Annotated[int, typer.Argument(help="Incident number (from `ceasefire incidents`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Reports, sources, grades, location ellipse, rules broken, state history, attribution."""
    with cli_stores(ctx) as stores:
        detail = stores.incidents.detail(incident)
    if as_json:
        echo_json(detail_json(detail))
        return
    head = detail["incident"]
    typer.echo(
        f"incident #{head['pk']} ({head['status']})  {head['category']}  count {head['count']}"
    )
    if head.get("semi_major_m") is not None:
        typer.echo(
            f"  at {head['lat']:.5f},{head['lon']:.5f}  ellipse {head['semi_major_m']:.0f} x "
            f"{head['semi_minor_m']:.0f} m, major axis {head['orientation_deg']:.0f}°"
        )
        typer.echo(
            f"  {head['sources']} sources, {head['independent_sources']} independent, "
            f"confidence {head['confidence']:.2f}; counts {head['count_low']}-{head['count_high']}"
        )
    typer.echo("reports:")
    for r in detail["reports"]:
        typer.echo(
            f"  {r['source']}/{r['id']}  {r['source_type']} {r['reliability']}{r['credibility']}  "
            f"{r['category']} x{r['count']}  {r['location_form'] or 'unlocated'}  {r['status']}"
        )
    typer.echo("violations:")
    for v in detail["violations"]:
        flag = "" if v["active"] else "  (inactive)"
        zone = v["zone_id"] or "anywhere"
        typer.echo(f"  {v['rule_id']} ({v['article']}) {v['certainty']} zone {zone}{flag}")
    typer.echo("state history:")
    for h in detail["history"]:
        note = f"  — {h['note']}" if h["note"] else ""
        on = "  (on a tearline)" if h["tearline"] else ""
        typer.echo(
            f"  {h['at']}  {h['previous'] or '-'} → {h['state']}  by {h['author']}{on}{note}"
        )
    typer.echo("attribution:")
    for a in detail["attributions"]:
        decided = f"; {a['decision']} by {a['decided_by']}" if a["decision"] else "; undecided"
        typer.echo(
            f"  violation {a['violation_pk']}: {a['party']} ({a['basis']}, "
            f"confidence {a['confidence']:.2f}){decided}"
        )


def _decide(
    ctx: typer.Context, incident: int, target: VerificationState, by: str, note: str | None
) -> None:
    from ceasefire.pipeline.fuse import store_tearline_judge  # noqa: PLC0415
    from ceasefire.store.isotime import iso  # noqa: PLC0415

    clock = SystemClock()
    with cli_stores(ctx) as stores:
        state = stores.incidents.current_state(incident)
        try:
            change = decide(
                str(incident),
                VerificationState(state) if state else VerificationState.REPORTED,
                target,
                by=by,
                at=clock.now(),
                note=note,
            )
        except InputError as exc:
            fail(exc)
        stores.incidents.record_state(
            incident,
            change,
            iso(change.at),
            marking=stores.incidents.marking(incident),  # the HQ system sees every report
            judge=store_tearline_judge(stores.store),
        )
    typer.echo(f"incident #{incident}: {change.before} → {change.after} by {change.by}")


By = Annotated[str, typer.Option("--by", help="The analyst's name (recorded).")]
Note = Annotated[str | None, typer.Option("--note", help="Why (recorded).")]
IncidentArg = Annotated[int, typer.Argument(help="Incident number.")]


@app.command("verify")
def verify(ctx: typer.Context, incident: IncidentArg, by: By, note: Note = None) -> None:
    """Record that an analyst verified the incident."""
    _decide(ctx, incident, VerificationState.VERIFIED, by, note)


@app.command("dispute")
def dispute(ctx: typer.Context, incident: IncidentArg, by: By, note: Note = None) -> None:
    """Record that an analyst disputes the incident."""
    _decide(ctx, incident, VerificationState.DISPUTED, by, note)


@app.command("reject")
def reject(ctx: typer.Context, incident: IncidentArg, by: By, note: Note = None) -> None:
    """Record that an analyst rejected the incident (not an event)."""
    _decide(ctx, incident, VerificationState.REJECTED, by, note)
