"""Reading reports for fusion and writing its result: SQLAlchemy Core on the store's engine.

``replace_incidents`` turns the 1:1 incidents the ingest wrote into fused ones: incidents
whose report set fusion no longer produces are marked ``superseded`` (their violations
inactive); new report sets become new incidents with their fusion details, violations and a
first verification state. Incidents whose report set is unchanged are kept as they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import Connection, Engine, func, select

from ceasefire.fusion.model import CATEGORIES, SOURCE_TYPES, WEAPONS, FusionBatch, Incident
from ceasefire.fusion.verification import ANALYST, SYSTEM, StateChange, automatic_state
from ceasefire.ledger.canonical import JsonValue
from ceasefire.ledger.model import EventType, LedgerEvent
from ceasefire.reports.model import LocationForm, Reliability
from ceasefire.store import schema
from ceasefire.store.fusion import incident_fusion, incident_states
from ceasefire.store.ledger import record_in

_CAT = {c.value: i for i, c in enumerate(CATEGORIES)}
_WEAPON = {w.value: i for i, w in enumerate(WEAPONS)}
_SOURCE = {s.value: i for i, s in enumerate(SOURCE_TYPES)}
_RELIABILITY = {r.value: i for i, r in enumerate(Reliability)}
_FORM = {f.value: i for i, f in enumerate(LocationForm)}


def load_active_reports(engine: Engine) -> tuple[list[int], FusionBatch]:
    """Every active observation report (not amended, not withdrawn) as fusion columns, in
    arrival order, with the report pks in the same order."""
    r = schema.reports
    query = (
        select(
            r.c.pk,
            r.c.source,
            r.c.id,
            r.c.source_type,
            r.c.reliability,
            r.c.credibility,
            r.c.observed_at,
            r.c.observed_until,
            r.c.category,
            r.c.weapon_class,
            r.c.count,
            r.c.located_lon,
            r.c.located_lat,
            r.c.located_uncertainty_m,
            r.c.location_form,
            r.c.observer_lon,
            r.c.observer_lat,
            r.c.bearing_deg,
            r.c.bearing_error_deg,
            r.c.distance_min_m,
            r.c.distance_max_m,
            r.c.heading_deg,
        )
        .where(r.c.status == "active", r.c.withdrawn.is_(False))
        .order_by(r.c.pk)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if rows else [()] * 22

    def floats(k: int) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
        return np.array([np.nan if v is None else v for v in cols[k]], dtype=np.float64).reshape(n)

    observed = floats(6)
    until = floats(7)
    batch = FusionBatch(
        keys=list(zip(cols[1], cols[2], strict=True)),
        amends=[None] * n,
        withdrawn=np.zeros(n, dtype=bool),
        source_type=np.array([_SOURCE[v] for v in cols[3]], np.int8).reshape(n),
        observed_at_s=observed,
        until_s=np.where(np.isnan(until), observed, np.maximum(until, observed)),
        category=np.array([_CAT[v] for v in cols[8]], np.int16).reshape(n),
        weapon_class=np.array([_WEAPON.get(v, -1) for v in cols[9]], np.int16).reshape(n),
        count=np.array(cols[10], dtype=np.int64).reshape(n),
        reliability=np.array([_RELIABILITY[v] for v in cols[4]], np.int8).reshape(n),
        credibility=np.array(cols[5], dtype=np.int8).reshape(n),
        lon=floats(11),
        lat=floats(12),
        uncertainty_m=floats(13),
        observer_lon=floats(15),
        observer_lat=floats(16),
        bearing_deg=floats(17),
        bearing_error_deg=floats(18),
        distance_min_m=floats(19),
        distance_max_m=floats(20),
        location_form=np.array([_FORM.get(v, -1) for v in cols[14]], np.int8).reshape(n),
        heading_deg=floats(21),
    )
    return [int(p) for p in cols[0]], batch


@dataclass(frozen=True)
class NewIncident:
    """A fused incident to write: its reports' pks, judgement and its violations."""

    incident: Incident
    report_pks: frozenset[int]
    agreement_version_pk: int
    violations: Sequence[tuple[str, str, int, str, str | None]]  # rule, article, sev, cert, zone


def active_report_sets(engine: Engine) -> dict[frozenset[int], int]:
    """Report pks of every active incident → its pk."""
    i, ir = schema.incidents, schema.incident_reports
    members: defaultdict[int, set[int]] = defaultdict(set)
    with engine.connect() as conn:
        for incident_pk, report_pk in conn.execute(
            select(ir.c.incident_pk, ir.c.report_pk)
            .join(i, i.c.pk == ir.c.incident_pk)
            .where(i.c.status == "active")
        ):
            members[incident_pk].add(report_pk)
    return {frozenset(v): k for k, v in members.items()}


def replace_incidents(
    engine: Engine,
    *,
    keep: Sequence[tuple[int, NewIncident]],
    add: Sequence[NewIncident],
    supersede: Sequence[int],
    at: datetime,
    at_iso: str,
) -> None:
    """One transaction: supersede, add, and complete kept incidents that lack fusion rows.

    The changes go on the ledger in the same transaction as one ``incident.state`` entry
    (subject ``incidents``) listing the superseded incident pks and ``[pk, state, author]`` of
    every first state; a run that changes nothing chains nothing.
    """
    i, ir, v = schema.incidents, schema.incident_reports, schema.violations
    states: list[list[JsonValue]] = []
    with engine.begin() as conn:
        if supersede:
            ids = list(supersede)
            conn.execute(i.update().where(i.c.pk.in_(ids)).values(status="superseded"))
            conn.execute(v.update().where(v.c.incident_pk.in_(ids)).values(active=False))
        fused = set(conn.execute(select(incident_fusion.c.incident_pk)).scalars())
        carried = _carried_states(conn, supersede)
        for pk, new in keep:
            if pk not in fused:
                conn.execute(incident_fusion.insert().values(**_fusion_row(pk, new.incident)))
                states.append([pk, *_first_state(conn, pk, new, carried, at_iso)])
        next_incident = (conn.execute(select(func.max(i.c.pk))).scalar() or 0) + 1
        next_violation = (conn.execute(select(func.max(v.c.pk))).scalar() or 0) + 1
        for new in add:
            inc = new.incident
            pk = next_incident
            next_incident += 1
            conn.execute(
                i.insert().values(
                    pk=pk,
                    status="active",
                    observed_at=inc.observed_at_s,
                    lon=inc.lon,
                    lat=inc.lat,
                    uncertainty_m=inc.uncertainty_m,
                    category=inc.category.value,
                    weapon_class=inc.weapon_class.value if inc.weapon_class else None,
                    count=inc.count_best,
                    agreement_version_pk=new.agreement_version_pk,
                )
            )
            conn.execute(ir.insert(), [{"incident_pk": pk, "report_pk": r} for r in new.report_pks])
            conn.execute(incident_fusion.insert().values(**_fusion_row(pk, inc)))
            for rule_id, article, severity, certainty, zone_id in new.violations:
                conn.execute(
                    v.insert().values(
                        pk=next_violation,
                        incident_pk=pk,
                        rule_id=rule_id,
                        article=article,
                        severity=severity,
                        certainty=certainty,
                        zone_id=zone_id,
                        agreement_version_pk=new.agreement_version_pk,
                        observed_at=inc.observed_at_s,
                        active=True,
                    )
                )
                next_violation += 1
            states.append([pk, *_first_state(conn, pk, new, carried, at_iso)])
        if supersede or states:
            payload: dict[str, JsonValue] = {
                "superseded": [int(x) for x in supersede],
                "states": states,
            }
            record_in(conn, [LedgerEvent(EventType.INCIDENT_STATE, "incidents", payload)], at=at)


def _fusion_row(pk: int, inc: Incident) -> dict[str, object]:
    return {
        "incident_pk": pk,
        "fusion_id": inc.id,
        "observed_until": inc.observed_until_s,
        "count_low": inc.count_low,
        "count_best": inc.count_best,
        "count_high": inc.count_high,
        "sources": inc.sources,
        "independent_sources": inc.independent_sources,
        "confidence": inc.confidence,
        "semi_major_m": _finite(inc.ellipse.semi_major_m),
        "semi_minor_m": _finite(inc.ellipse.semi_minor_m),
        "orientation_deg": _finite(inc.ellipse.orientation_deg),
        "bearing_observers": inc.bearing_observers,
    }


def _finite(x: float) -> float | None:
    return x if np.isfinite(x) else None


def _carried_states(conn: Connection, superseded: Sequence[int]) -> dict[int, tuple[str, str, str]]:
    """Report pk → (state, author, old incident pk) of an analyst decision on a superseded
    incident holding it: a decision survives re-fusion of the same event."""
    if not superseded:
        return {}
    s, ir = incident_states, schema.incident_reports
    latest: dict[int, tuple[str, str]] = {}
    for incident_pk, state, author in conn.execute(
        select(s.c.incident_pk, s.c.state, s.c.author)
        .where(s.c.incident_pk.in_(list(superseded)))
        .order_by(s.c.pk)
    ):
        latest[incident_pk] = (state, author)
    decided = {k: val for k, val in latest.items() if val[0] in {st.value for st in ANALYST}}
    if not decided:
        return {}
    out: dict[int, tuple[str, str, str]] = {}
    for incident_pk, report_pk in conn.execute(
        select(ir.c.incident_pk, ir.c.report_pk).where(ir.c.incident_pk.in_(list(decided)))
    ):
        state, author = decided[incident_pk]
        out[report_pk] = (state, author, str(incident_pk))
    return out


def _first_state(
    conn: Connection,
    pk: int,
    new: NewIncident,
    carried: dict[int, tuple[str, str, str]],
    at_iso: str,
) -> tuple[str, str]:
    """Insert the incident's first state; return it as (state, author)."""
    inherited = sorted({carried[r] for r in new.report_pks if r in carried})
    if inherited:
        state, author, old = inherited[0]
        row = {"state": state, "author": author, "note": f"carried over from incident {old}"}
    else:
        row = {"state": automatic_state(new.incident.independent_sources).value, "author": SYSTEM}
    conn.execute(incident_states.insert().values(incident_pk=pk, at=at_iso, previous=None, **row))
    return str(row["state"]), str(row["author"])


def record_state(engine: Engine, incident_pk: int, change: StateChange, at_iso: str) -> None:
    """Append an analyst's state change to the incident's history, and to the ledger (subject
    ``I-<pk>``) in the same transaction when the ledger tables exist."""
    payload: dict[str, JsonValue] = {
        "state": change.after.value,
        "previous": change.before.value if change.before else None,
        "by": change.by,
        "note": change.note,
    }
    with engine.begin() as conn:
        record_in(
            conn,
            [LedgerEvent(EventType.INCIDENT_STATE, f"I-{incident_pk}", payload)],
            at=datetime.fromisoformat(at_iso),
        )
        conn.execute(
            incident_states.insert().values(
                incident_pk=incident_pk,
                state=change.after.value,
                previous=change.before.value if change.before else None,
                author=change.by,
                at=at_iso,
                note=change.note,
            )
        )
