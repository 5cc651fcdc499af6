"""Attribution records: proposals, Special Commission decisions, remedies — append only.

Each step is also an ``attribution.recorded`` ledger entry in the same transaction, and
carries a ``marking`` (``access.marking``): the pairs of its incident's reports its author
saw, so that it is shown only to readers who see all of them. ``marking=None`` is the HQ
system writing, which sees every report of the incident. The workflow's rules live in
``assessment.attribution_service``; ``SqlAttributions`` is its store port here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, select, true

from ceasefire.access.marking import decode_marking, encode_marking, pairs_of
from ceasefire.access.model import Viewer
from ceasefire.access.releasability import Pairs
from ceasefire.assessment.attribution import Decision
from ceasefire.assessment.attribution_service import RecordRef, Stamp, ViolationContext
from ceasefire.errors import NotFoundError
from ceasefire.ledger.canonical import JsonValue
from ceasefire.ledger.model import EventType, LedgerEvent
from ceasefire.store import schema
from ceasefire.store.access_sql import stored_labels, visible_reports
from ceasefire.store.changes import DECISION, REMEDY, log_changes
from ceasefire.store.fusion import attribution_decisions, attributions, incident_fusion, remedies
from ceasefire.store.hq_queries import fully_visible_violation
from ceasefire.store.isotime import iso
from ceasefire.store.ledger import record_in


def violation_context(engine: Engine, violation_pk: int) -> ViolationContext:
    """The violation, its incident's fused position and confidence, its reports' directions
    and kinds; ``NotFoundError`` for a missing one."""
    with engine.connect() as conn:
        found = _violation_context(conn, violation_pk, true())
    if found is None:
        raise NotFoundError(f"no violation {violation_pk}")
    return found


def _violation_context(
    conn: Connection, violation_pk: int, visible: ColumnElement[bool]
) -> ViolationContext | None:
    """The violation, if every report of its incident passes ``visible``; else ``None``."""
    v, i, ir, r = schema.violations, schema.incidents, schema.incident_reports, schema.reports
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
        .where(v.c.pk == violation_pk, fully_visible_violation(visible))
    ).first()
    if row is None:
        return None
    reports = conn.execute(
        select(r.c.fire_direction, r.c.classification, r.c.releasable_to)
        .join(ir, ir.c.report_pk == r.c.pk)
        .where(ir.c.incident_pk == row.incident_pk)
    ).all()
    return ViolationContext(
        violation_pk=int(row.pk),
        incident_pk=int(row.incident_pk),
        rule_id=str(row.rule_id),
        observed_at_s=float(row.observed_at),
        category=str(row.category),
        lon=row.lon,
        lat=row.lat,
        uncertainty_m=row.uncertainty_m,
        confidence=0.5 if row.confidence is None else float(row.confidence),
        fire_directions=frozenset(str(d) for d, _, _ in reports if d is not None),
        pairs=pairs_of((str(c), label) for _, c, label in reports),
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
        kind = {"decision": DECISION, "remedy": REMEDY}.get(step)
        if kind is not None:  # what the guarantees refresh follows (``store/changes.py``)
            log_changes(conn, {kind: [pk]}, str(values[at_key]))
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


class SqlAttributions:
    """``assessment.attribution_service.AttributionStore`` on the SQL store.

    ``visible`` turns a viewer into the SQL condition on reports of what they may see (the
    HQ passes its per-viewer cache); by default it is built from the stored labels.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        visible: Callable[[Viewer], ColumnElement[bool]] | None = None,
    ) -> None:
        self._engine = engine
        self._visible = visible

    def _condition(self, viewer: Viewer | None) -> ColumnElement[bool]:
        if viewer is None:
            return true()
        if self._visible is not None:
            return self._visible(viewer)
        return visible_reports(viewer, stored_labels(self._engine))

    def violation(self, violation_pk: int, viewer: Viewer | None) -> ViolationContext | None:
        with self._engine.connect() as conn:
            return _violation_context(conn, violation_pk, self._condition(viewer))

    def proposal(self, attribution_pk: int) -> RecordRef | None:
        a = attributions
        with self._engine.connect() as conn:
            row = conn.execute(
                select(a.c.violation_pk, a.c.marking).where(a.c.pk == attribution_pk)
            ).first()
        return None if row is None else RecordRef(int(row[0]), decode_marking(row[1]))

    def decision(self, decision_pk: int) -> RecordRef | None:
        a, d = attributions, attribution_decisions
        with self._engine.connect() as conn:
            row = conn.execute(
                select(a.c.violation_pk, d.c.marking)
                .join(a, a.c.pk == d.c.attribution_pk)
                .where(d.c.pk == decision_pk)
            ).first()
        return None if row is None else RecordRef(int(row[0]), decode_marking(row[1]))

    def add_proposal(
        self, *, violation_pk: int, party: str, basis: str, confidence: float, stamp: Stamp
    ) -> int:
        values = {"violation_pk": violation_pk, "party": party, "basis": basis}
        values |= {"confidence": confidence, "proposed_by": stamp.by}
        values["proposed_at"] = iso(stamp.at)
        return add_attribution(self._engine, values, marking=stamp.marking)

    def add_decision(
        self, *, attribution_pk: int, decision: Decision, note: str | None, stamp: Stamp
    ) -> int:
        values = {"attribution_pk": attribution_pk, "decision": decision.value, "note": note}
        values |= {"decided_by": stamp.by, "decided_at": iso(stamp.at)}
        return add_decision(self._engine, values, marking=stamp.marking)

    def add_remedy(self, *, decision_pk: int, remedy: str, stamp: Stamp) -> int:
        values = {"decision_pk": decision_pk, "remedy": remedy}
        values |= {"recorded_by": stamp.by, "recorded_at": iso(stamp.at)}
        return add_remedy(self._engine, values, marking=stamp.marking)
