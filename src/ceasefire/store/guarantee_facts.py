"""The monitoring rows guarantee facts are built from, and the guarantees' evaluation marks.

Rows only: which incidents, violations, reports, states, decisions and remedies there are
(``guarantees.ports.FactRows``). The rules that turn them into monitoring facts are
``guarantees.fact_build``; the refresh that evaluates them is ``guarantees.refresh``. The
store never imports either (import-linter). ``SqlGuarantees`` (``guarantees_sql.py``) hands
these functions to the services as the ``GuaranteesStore`` port.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, case, func, insert, inspect, or_, select, true

from ceasefire.fusion.grading import SECOND_HAND
from ceasefire.guarantees.ports import (
    DecisionRow,
    Evaluation,
    EvaluationMarks,
    FactRows,
    FirstReport,
    IncidentRow,
)
from ceasefire.store.changes import (
    DECISION,
    INCIDENT,
    REMEDY,
    STATE,
    changes_after,
    last_seq,
)
from ceasefire.store.fusion import (
    attribution_decisions,
    attributions,
    incident_states,
    remedies,
)
from ceasefire.store.guarantee_rows import from_iso, iso
from ceasefire.store.guarantee_supersession import successors_cover
from ceasefire.store.guarantees import (
    guarantee_evaluations,
    guarantee_files,
    guarantee_ratifications,
)
from ceasefire.store.schema import incident_reports, incidents, reports, violations
from ceasefire.store.slices import pk_slices


def fact_rows(engine: Engine, pks: Sequence[int] | None) -> FactRows:
    """The rows the facts of the active incidents among ``pks`` (all when None) are built
    from (``guarantees.fact_build``). The incidents are read by their pks, in slices
    (bounded IN lists), so the cost follows a window even when an old incident was touched.

    Empty when the monitoring tables do not exist yet.
    """
    out = FactRows()
    if not inspect(engine).has_table("incidents"):
        return out
    slices: list[list[int] | None] = [None]
    if pks is not None:
        ordered = sorted(pks)
        slices = [ordered[k : k + _SLICE] for k in range(0, len(ordered), _SLICE)]
    with engine.connect() as conn:
        for part in slices:
            _read_slice(conn, part, out)
            out.states |= _state_history(conn, part)
            _attribution_rows(conn, part, out)
    return out


#: Source types that copy one another (fusion's second-hand witnesses): not first-hand.
_SECOND_HAND = sorted(str(t) for t in SECOND_HAND)

#: Incident pks per IN list when reading a window's facts.
_SLICE = 5_000


def _only(column: Any, pks: list[int] | None) -> Any:
    """``column IN pks``, or no condition when reading every incident."""
    return true() if pks is None else column.in_(pks)


def _read_slice(conn: Connection, pks: list[int] | None, out: FactRows) -> None:
    """The active incidents among ``pks`` (all when None) with their worst active violation,
    zones, first report and report ids, added to ``out``."""
    i, ir, r, v = incidents, incident_reports, reports, violations
    known = (
        select(
            ir.c.incident_pk,
            func.min(r.c.received_at).label("recorded"),
            func.count(func.distinct(r.c.source)).label("sources"),
            func.sum(case((r.c.source_type.in_(_SECOND_HAND), 0), else_=1)).label("first_hand"),
        )
        .join(r, r.c.pk == ir.c.report_pk)
        .where(_only(ir.c.incident_pk, pks))
        .group_by(ir.c.incident_pk)
        .subquery()
    )
    for row in conn.execute(
        select(i, known.c.recorded, known.c.sources, known.c.first_hand)
        .join(known, known.c.incident_pk == i.c.pk)
        .where(i.c.status == "active", _only(i.c.pk, pks))
        .order_by(i.c.pk)
    ):
        out.incidents.append(
            IncidentRow(
                pk=int(row.pk),
                observed_at_s=float(row.observed_at),
                lon=row.lon,
                lat=row.lat,
                category=row.category,
                count=int(row._mapping["count"]),
                weapon_class=row.weapon_class,
                first_received=from_iso(row.recorded),
                sources=int(row.sources),
                first_hand=int(row.first_hand),
            )
        )
    active = select(v).where(v.c.active.is_(True), _only(v.c.incident_pk, pks))
    for row in conn.execute(active):
        if row.zone_id:
            out.zones.setdefault(row.incident_pk, set()).add(row.zone_id)
        worst = out.worst.get(row.incident_pk)
        if worst is None or row.severity > worst[1]:
            out.worst[row.incident_pk] = (row.rule_id, int(row.severity))
    members = (
        select(
            ir.c.incident_pk,
            r.c.source,
            r.c.id,
            r.c.party,
            r.c.distance_to_line_km,
            r.c.attributed_to,
            r.c.fire_direction,
        )
        .join(r, r.c.pk == ir.c.report_pk)
        .where(_only(ir.c.incident_pk, pks))
        .order_by(ir.c.incident_pk, r.c.received_at, r.c.pk)  # pk: one chunk's shared time
    )
    for row in conn.execute(members):
        if row.incident_pk not in out.firsts:
            out.firsts[row.incident_pk] = FirstReport(
                row.party, row.distance_to_line_km, row.attributed_to, row.fire_direction
            )
        out.report_ids.setdefault(row.incident_pk, []).append(f"{row.source}/{row.id}")


def touched_incidents(engine: Engine, since: datetime) -> set[int]:
    """Active incidents that may have a revision recorded from ``since``: observed or first
    received since then, or with a state, decision or remedy since then. Text times are
    compared a day early, so that a differently written offset cannot hide one; the caller
    checks the exact times. Empty when the monitoring tables do not exist yet."""
    i, ir, r, v = incidents, incident_reports, reports, violations
    if not inspect(engine).has_table("incidents"):
        return set()
    text = iso(since - timedelta(days=1))
    queries = [
        select(i.c.pk).where(i.c.observed_at >= since.timestamp()),
        select(ir.c.incident_pk).join(r, r.c.pk == ir.c.report_pk).where(r.c.received_at >= text),
    ]
    tables = inspect(engine)
    if tables.has_table("incident_states"):
        s = incident_states
        queries.append(select(s.c.incident_pk).where(s.c.at >= text))
    if tables.has_table("attribution_decisions"):
        a, d, m = attributions, attribution_decisions, remedies
        decided = select(v.c.incident_pk).join(a, a.c.violation_pk == v.c.pk)
        decided = decided.join(d, d.c.attribution_pk == a.c.pk)
        queries.append(decided.where(d.c.decided_at >= text))
        queries.append(decided.join(m, m.c.decision_pk == d.c.pk).where(m.c.recorded_at >= text))
    with engine.connect() as conn:
        found = {pk for q in queries for pk in conn.execute(q).scalars()}
        if not found:
            return set()
        active = select(i.c.pk).where(i.c.status == "active", i.c.pk >= min(found))
        return found & set(conn.execute(active).scalars())


def _state_history(
    conn: Connection, pks: list[int] | None
) -> dict[int, list[tuple[str, str, datetime]]]:
    """Incident pk → its states in recording order: (state, author, at), for ``pks`` (all
    incidents when None). Verdicts on a tearline are not the incident's state: left out."""
    if not inspect(conn).has_table("incident_states"):
        return {}
    s = incident_states
    out: dict[int, list[tuple[str, str, datetime]]] = defaultdict(list)
    query = (
        select(s.c.incident_pk, s.c.state, s.c.author, s.c.at)
        .where(_only(s.c.incident_pk, pks), s.c.tearline.is_(False))
        .order_by(s.c.pk)
    )
    for pk, state, author, at in conn.execute(query):
        out[pk].append((state, author, from_iso(at)))
    return out


def _attribution_rows(conn: Connection, pks: list[int] | None, out: FactRows) -> None:
    """The Special Commission's decisions on the violations of the incidents among ``pks``
    (all when None), in decision order, and the remedies recorded for upheld ones."""
    if not inspect(conn).has_table("attribution_decisions"):
        return
    a, d, m, v = attributions, attribution_decisions, remedies, violations
    only = [_only(v.c.incident_pk, pks)]
    for incident_pk, proposal, party, decision, decided_at in conn.execute(
        select(v.c.incident_pk, a.c.pk, a.c.party, d.c.decision, d.c.decided_at)
        .join(a, a.c.violation_pk == v.c.pk)
        .join(d, d.c.attribution_pk == a.c.pk)
        .where(*only)
        .order_by(d.c.decided_at, d.c.pk)
    ):
        out.decisions.append(
            DecisionRow(int(incident_pk), int(proposal), party, decision, from_iso(decided_at))
        )
    for incident_pk, recorded_at in conn.execute(
        select(v.c.incident_pk, m.c.recorded_at)
        .join(a, a.c.violation_pk == v.c.pk)
        .join(d, d.c.attribution_pk == a.c.pk)
        .join(m, m.c.decision_pk == d.c.pk)
        .where(d.c.decision == "upheld", *only)
    ):
        out.remedies.append((int(incident_pk), from_iso(recorded_at)))


def guarantees_loaded(engine: Engine) -> bool:
    """True when the guarantees tables exist and a guarantees file has been loaded."""
    if not inspect(engine).has_table("guarantee_files"):
        return False
    with engine.connect() as conn:
        return conn.execute(select(guarantee_files.c.pk).limit(1)).first() is not None


def first_receipts_since(engine: Engine, since: datetime) -> list[tuple[datetime, datetime]]:
    """(observed, first received) of the active incidents observed from ``since`` on or with
    a report received from a day before it (the text times' margin; the caller checks)."""
    i, ir, r = incidents, incident_reports, reports
    received = select(ir.c.incident_pk).join(r, r.c.pk == ir.c.report_pk)
    received = received.where(r.c.received_at >= iso(since - timedelta(days=1)))
    query = (
        select(i.c.observed_at, func.min(r.c.received_at))
        .join(ir, ir.c.incident_pk == i.c.pk)
        .join(r, r.c.pk == ir.c.report_pk)
        .where(
            i.c.status == "active",
            or_(i.c.observed_at >= since.timestamp(), i.c.pk.in_(received)),
        )
        .group_by(i.c.pk, i.c.observed_at)
    )
    with engine.connect() as conn:
        return [
            (datetime.fromtimestamp(observed_s, UTC), from_iso(first_received))
            for observed_s, first_received in conn.execute(query)
        ]


def evaluation_marks(engine: Engine) -> EvaluationMarks:
    """What the record has seen: the file, ratifications, inactive incidents, and the change
    log's last ``seq`` (read first: what commits while the facts are read is after it)."""
    tables = inspect(engine)
    i = incidents
    with engine.connect() as conn:
        change_seq = last_seq(conn)

        def count(query: Any, table: str) -> int:
            return int(conn.execute(query).scalar() or 0) if tables.has_table(table) else 0

        return EvaluationMarks(
            file_pk=count(select(func.max(guarantee_files.c.pk)), "guarantee_files"),
            ratifications=count(
                select(func.count()).select_from(guarantee_ratifications), "guarantee_files"
            ),
            superseded=count(
                select(func.count()).select_from(i).where(i.c.status != "active"), "incidents"
            ),
            change_seq=change_seq,
        )


_MARK_KEYS = EvaluationMarks.__slots__


def last_evaluation(engine: Engine) -> Evaluation | None:
    """The latest live evaluation recorded (None: none yet, or the latest was recorded before
    the change log was followed: revision 0020, no ``change_seq``, nothing to go on from)."""
    g = guarantee_evaluations
    with engine.connect() as conn:
        row = conn.execute(select(g).order_by(g.c.pk.desc()).limit(1)).first()
    if row is None or row.change_seq is None:
        return None
    return Evaluation(
        EvaluationMarks(**{key: int(row._mapping[key]) for key in _MARK_KEYS}),
        from_iso(row.evaluated_until),
        from_iso(row.monitoring_since) if row.monitoring_since else None,
        from_iso(row.recorded_at),
    )


def add_evaluation(engine: Engine, evaluation: Evaluation) -> None:
    """Record a live evaluation (its marks, what it evaluated up to, the monitoring start)."""
    since = evaluation.monitoring_since
    with engine.begin() as conn:
        conn.execute(
            insert(guarantee_evaluations).values(
                evaluated_until=iso(evaluation.evaluated_until),
                monitoring_since=iso(since) if since else None,
                recorded_at=iso(evaluation.recorded_at),
                **{key: getattr(evaluation.marks, key) for key in _MARK_KEYS},
            )
        )


def covered_by_successors(engine: Engine, last: Evaluation, superseded_now: int) -> bool:
    """``guarantee_supersession.successors_cover`` (looked up here, so tests can watch it)."""
    return successors_cover(engine, last, superseded_now)


def changed_since(engine: Engine, last: Evaluation) -> list[datetime]:
    """The earliest times at which what changed since ``last`` may count: first receipt of
    the incidents fusion stated since, new states, decisions and remedies (parsed here: few
    rows). "Since" is the change log after ``last``'s mark, in commit order: a row with a
    low pk committed after the evaluation is found (a pk high-water mark skipped it)."""
    i, ir, r = incidents, incident_reports, reports
    s, d, m = incident_states, attribution_decisions, remedies
    texts: list[str] = []
    with engine.connect() as conn:
        upto = last_seq(conn)
        logged = changes_after(
            conn, [INCIDENT, STATE, DECISION, REMEDY], last.marks.change_seq, upto
        )
        by_kind: dict[str, list[int]] = defaultdict(list)
        for kind, pk in logged:
            by_kind[kind].append(pk)
        reads = (
            (
                INCIDENT,
                ir.c.incident_pk,
                select(r.c.received_at)
                .join(ir, ir.c.report_pk == r.c.pk)
                .join(i, i.c.pk == ir.c.incident_pk)
                .where(i.c.status == "active"),
            ),
            (STATE, s.c.pk, select(s.c.at)),
            (DECISION, d.c.pk, select(d.c.decided_at)),
            (REMEDY, m.c.pk, select(m.c.recorded_at)),
        )
        for kind, key, query in reads:
            for part in pk_slices(sorted(set(by_kind[kind]))):
                texts.extend(conn.execute(query.where(key.in_(part))).scalars())
    return [min(from_iso(t) for t in texts)] if texts else []
