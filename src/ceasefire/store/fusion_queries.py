"""Read queries over fused incidents: lists with filters, one incident in full, its history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from ceasefire.access.marking import decode_marking, pairs_of
from ceasefire.access.releasability import Pairs
from ceasefire.errors import NotFoundError
from ceasefire.fusion.verification import ANALYST
from ceasefire.store import schema
from ceasefire.store.dialect import is_postgresql
from ceasefire.store.fusion import (
    attribution_decisions,
    attributions,
    incident_fusion,
    incident_states,
)
from ceasefire.store.grid import incidents_in_box


@dataclass(frozen=True)
class IncidentFilter:
    """Filters of ``ceasefire incidents``; times epoch seconds, bbox degrees, inclusive."""

    since_s: float | None = None
    until_s: float | None = None
    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat
    state: str | None = None


def _latest_state() -> Any:
    """The incident's own state: its latest row that is no verdict on a tearline."""
    s = incident_states
    last = (
        select(s.c.incident_pk, func.max(s.c.pk).label("pk"))
        .where(s.c.tearline.is_(False))
        .group_by(s.c.incident_pk)
    )
    return last.subquery()


def list_incidents(engine: Engine, flt: IncidentFilter) -> list[dict[str, Any]]:
    """Active incidents with their fusion details and current state, by time then pk."""
    i, f, s = schema.incidents, incident_fusion, incident_states
    last = _latest_state()
    reports = (
        select(schema.incident_reports.c.incident_pk, func.count().label("n"))
        .group_by(schema.incident_reports.c.incident_pk)
        .subquery()
    )
    query = (
        select(i, f, s.c.state, reports.c.n.label("reports"))
        .join(f, f.c.incident_pk == i.c.pk, isouter=True)
        .join(last, last.c.incident_pk == i.c.pk, isouter=True)
        .join(s, s.c.pk == last.c.pk, isouter=True)
        .join(reports, reports.c.incident_pk == i.c.pk)
        .where(i.c.status == "active")
        .order_by(i.c.observed_at, i.c.pk)
    )
    if flt.since_s is not None:
        query = query.where(i.c.observed_at >= flt.since_s)
    if flt.until_s is not None:
        query = query.where(i.c.observed_at <= flt.until_s)
    if flt.bbox is not None:
        lo_x, lo_y, hi_x, hi_y = flt.bbox
        query = query.where(
            incidents_in_box(lo_x, lo_y, hi_x, hi_y, postgresql=is_postgresql(engine))
        )
    if flt.state is not None:
        query = query.where(s.c.state == flt.state)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def incident_detail(engine: Engine, pk: int) -> dict[str, Any]:
    """One incident (any status) with reports, violations, state history and attributions."""
    i, ir, r, v = schema.incidents, schema.incident_reports, schema.reports, schema.violations
    with engine.connect() as conn:
        head = conn.execute(
            select(i, incident_fusion)
            .join(incident_fusion, incident_fusion.c.incident_pk == i.c.pk, isouter=True)
            .where(i.c.pk == pk)
        ).first()
        if head is None:
            raise NotFoundError(f"no incident {pk}")
        members = conn.execute(
            select(
                r.c.pk,
                r.c.source,
                r.c.id,
                r.c.source_type,
                r.c.reliability,
                r.c.credibility,
                r.c.observed_at,
                r.c.category,
                r.c.weapon_class,
                r.c.count,
                r.c.location_form,
                r.c.located_lon,
                r.c.located_lat,
                r.c.located_uncertainty_m,
                r.c.status,
            )
            .join(ir, ir.c.report_pk == r.c.pk)
            .where(ir.c.incident_pk == pk)
            .order_by(r.c.observed_at, r.c.pk)
        ).all()
        broken = conn.execute(select(v).where(v.c.incident_pk == pk).order_by(v.c.pk)).all()
        history = conn.execute(
            select(incident_states)
            .where(incident_states.c.incident_pk == pk)
            .order_by(incident_states.c.pk)
        ).all()
        a, d = attributions, attribution_decisions
        attributed = conn.execute(
            select(
                a,
                d.c.decision,
                d.c.decided_by,
                d.c.decided_at,
                d.c.note,
                d.c.marking.label("decision_marking"),
            )
            .join(d, d.c.attribution_pk == a.c.pk, isouter=True)
            .where(a.c.violation_pk.in_([row.pk for row in broken]))
            .order_by(a.c.pk, d.c.pk)
        ).all()
    return {
        "incident": dict(head._mapping),
        "reports": [dict(row._mapping) for row in members],
        "violations": [dict(row._mapping) for row in broken],
        "history": [dict(row._mapping) for row in history],
        "attributions": [dict(row._mapping) for row in attributed],
    }


def current_state(engine: Engine, pk: int) -> str | None:
    """The incident's own latest verification state (``None`` before fusion ran); verdicts
    on a tearline are not the incident's state."""
    s = incident_states
    with engine.connect() as conn:
        if (
            conn.execute(select(schema.incidents.c.pk).where(schema.incidents.c.pk == pk)).first()
            is None
        ):
            raise NotFoundError(f"no incident {pk}")
        row = conn.execute(
            select(s.c.state)
            .where(s.c.incident_pk == pk, s.c.tearline.is_(False))
            .order_by(s.c.pk.desc())
            .limit(1)
        ).first()
    return None if row is None else str(row.state)


def incident_marking(engine: Engine, pk: int) -> Pairs:
    """The marking of all the incident's reports: what the HQ system (the CLI) sees of it,
    and what a reader of the whole incident sees. ``NotFoundError`` for an unknown one."""
    ir, r = schema.incident_reports, schema.reports
    with engine.connect() as conn:
        kinds = conn.execute(
            select(r.c.classification, r.c.releasable_to)
            .join(ir, ir.c.report_pk == r.c.pk)
            .where(ir.c.incident_pk == pk)
        ).all()
    if not kinds:
        raise NotFoundError(f"no incident {pk}")
    return pairs_of((str(c), label) for c, label in kinds)


def incident_verdicts(engine: Engine, pks: Sequence[int]) -> dict[int, list[tuple[str, Pairs]]]:
    """Incident pk → its analyst states and their markings, in recording order (what
    ``fusion.tearline.shown_verdict`` chooses from)."""
    s = incident_states
    out: dict[int, list[tuple[str, Pairs]]] = {int(pk): [] for pk in pks}
    if not out:
        return out
    with engine.connect() as conn:
        for incident_pk, state, marking in conn.execute(
            select(s.c.incident_pk, s.c.state, s.c.marking)
            .where(s.c.incident_pk.in_(list(out)), s.c.state.in_([a.value for a in ANALYST]))
            .order_by(s.c.pk)
        ):
            out[int(incident_pk)].append((str(state), decode_marking(marking)))
    return out
