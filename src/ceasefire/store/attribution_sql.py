"""Attribution records: proposals, Special Commission decisions, remedies — append only.

Each step is also an ``attribution.recorded`` ledger entry in the same transaction, and
carries a ``marking`` (``access.marking``): the pairs of its incident's reports its author
saw, so that it is shown only to readers who see all of them. ``marking=None`` is the HQ
system writing (the CLI), which sees every report of the incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from ceasefire.access.marking import encode_marking, pairs_of
from ceasefire.access.releasability import Pairs
from ceasefire.errors import NotFoundError
from ceasefire.ledger.canonical import JsonValue
from ceasefire.ledger.model import EventType, LedgerEvent
from ceasefire.store import schema
from ceasefire.store.fusion import attribution_decisions, attributions, incident_fusion, remedies
from ceasefire.store.ledger import record_in


@dataclass(frozen=True)
class ViolationContext:
    """What an attribution proposal reads about a violation and its incident."""

    violation_pk: int
    incident_pk: int
    rule_id: str
    observed_at_s: float
    category: str
    lon: float | None
    lat: float | None
    uncertainty_m: float | None
    confidence: float
    fire_directions: frozenset[str]


def violation_context(engine: Engine, violation_pk: int) -> ViolationContext:
    """The violation, its incident's fused position and confidence, its reports' directions."""
    v, i, ir, r = schema.violations, schema.incidents, schema.incident_reports, schema.reports
    with engine.connect() as conn:
        row = conn.execute(
            select(
                v.c.pk,
                v.c.incident_pk,
                v.c.rule_id,
                i.c.observed_at,
                i.c.category,
                i.c.lon,
                i.c.lat,
                i.c.uncertainty_m,
                incident_fusion.c.confidence,
            )
            .join(i, i.c.pk == v.c.incident_pk)
            .join(incident_fusion, incident_fusion.c.incident_pk == i.c.pk, isouter=True)
            .where(v.c.pk == violation_pk)
        ).first()
        if row is None:
            raise NotFoundError(f"no violation {violation_pk}")
        directions = conn.execute(
            select(r.c.fire_direction)
            .join(ir, ir.c.report_pk == r.c.pk)
            .where(ir.c.incident_pk == row.incident_pk, r.c.fire_direction.is_not(None))
        ).scalars()
        found = frozenset(str(d) for d in directions)
    return ViolationContext(
        violation_pk=row.pk,
        incident_pk=row.incident_pk,
        rule_id=row.rule_id,
        observed_at_s=row.observed_at,
        category=row.category,
        lon=row.lon,
        lat=row.lat,
        uncertainty_m=row.uncertainty_m,
        confidence=0.5 if row.confidence is None else float(row.confidence),
        fire_directions=found,
    )


def _insert(
    engine: Engine,
    table: Any,
    values: dict[str, Any],
    *,
    step: str,
    at_key: str,
    marking: Pairs | None,
) -> int:
    """Insert one row and chain it (``attribution.recorded``, subject ``attribution-<pk>`` of
    the proposal it belongs to) in the same transaction, when the ledger tables exist."""
    with engine.begin() as conn:
        pairs = marking if marking is not None else _incident_pairs(conn, step, values)
        result = conn.execute(table.insert().values(**values, marking=encode_marking(pairs)))
        key = result.inserted_primary_key
        assert key is not None
        pk = int(key[0])
        proposal = pk if step == "proposal" else _proposal_of(conn, step, values)
        payload: dict[str, JsonValue] = {"step": step, "pk": pk, **values}
        event = LedgerEvent(
            EventType.ATTRIBUTION,
            f"attribution-{proposal}",
            payload,
            marking=pairs,
        )
        record_in(conn, [event], at=datetime.fromisoformat(str(values[at_key])))
    return pk


def _incident_pairs(conn: Connection, step: str, values: dict[str, Any]) -> Pairs:
    """The marking of all the reports of the incident a record is about (the system's)."""
    a, d, v = attributions, attribution_decisions, schema.violations
    ir, r = schema.incident_reports, schema.reports
    if step == "proposal":
        violation = select(v.c.incident_pk).where(v.c.pk == values["violation_pk"])
    elif step == "decision":
        violation = (
            select(v.c.incident_pk)
            .join(a, a.c.violation_pk == v.c.pk)
            .where(a.c.pk == values["attribution_pk"])
        )
    else:
        violation = (
            select(v.c.incident_pk)
            .join(a, a.c.violation_pk == v.c.pk)
            .join(d, d.c.attribution_pk == a.c.pk)
            .where(d.c.pk == values["decision_pk"])
        )
    kinds = conn.execute(
        select(r.c.classification, r.c.releasable_to)
        .join(ir, ir.c.report_pk == r.c.pk)
        .where(ir.c.incident_pk.in_(violation.scalar_subquery()))
    ).all()
    if not kinds:
        raise NotFoundError(f"no incident with reports for this {step}")
    return pairs_of((str(c), label) for c, label in kinds)


def _proposal_of(conn: Connection, step: str, values: dict[str, Any]) -> int:
    if step == "decision":
        return int(values["attribution_pk"])
    d = attribution_decisions
    return int(
        conn.execute(select(d.c.attribution_pk).where(d.c.pk == values["decision_pk"])).scalar_one()
    )


def add_attribution(engine: Engine, values: dict[str, Any], *, marking: Pairs | None) -> int:
    """Record a proposal (violation_pk, party, basis, confidence, proposed_by, proposed_at)
    marked ``marking`` (None: the system's, all the incident's reports)."""
    return _insert(
        engine, attributions, values, step="proposal", at_key="proposed_at", marking=marking
    )


def add_decision(engine: Engine, values: dict[str, Any], *, marking: Pairs | None) -> int:
    """Record a decision on a proposal; raises ``NotFoundError`` for an unknown proposal."""
    with engine.connect() as conn:
        a = attributions
        if conn.execute(select(a.c.pk).where(a.c.pk == values["attribution_pk"])).first() is None:
            raise NotFoundError(f"no attribution {values['attribution_pk']}")
    return _insert(
        engine,
        attribution_decisions,
        values,
        step="decision",
        at_key="decided_at",
        marking=marking,
    )


def add_remedy(engine: Engine, values: dict[str, Any], *, marking: Pairs | None) -> int:
    """Record a remedy for a decision; raises ``NotFoundError`` for an unknown decision."""
    with engine.connect() as conn:
        d = attribution_decisions
        if conn.execute(select(d.c.pk).where(d.c.pk == values["decision_pk"])).first() is None:
            raise NotFoundError(f"no decision {values['decision_pk']}")
    return _insert(engine, remedies, values, step="remedy", at_key="recorded_at", marking=marking)


def list_attributions(engine: Engine) -> list[dict[str, Any]]:
    """Every proposal with its decisions and remedies, in order."""
    a, d, m = attributions, attribution_decisions, remedies
    query = (
        select(
            a,
            d.c.pk.label("decision_pk"),
            d.c.decision,
            d.c.decided_by,
            d.c.decided_at,
            d.c.note,
            d.c.marking.label("decision_marking"),
            m.c.remedy,
            m.c.recorded_by,
            m.c.recorded_at,
            m.c.marking.label("remedy_marking"),
        )
        .join(d, d.c.attribution_pk == a.c.pk, isouter=True)
        .join(m, m.c.decision_pk == d.c.pk, isouter=True)
        .order_by(a.c.pk, d.c.pk, m.c.pk)
    )
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]
