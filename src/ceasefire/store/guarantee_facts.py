"""The adapter from the monitoring tables to the guarantees' ``MonitoringFact``.

One fact per active incident: its time, place, category, weapon class and count; the most
severe of its active violations (rule, severity) and the zones they name; from its reports the
first moment it was known (``received_at``), the side of the line and distance, the attribution
a source gave, fire direction, and the report ids. The sector is the oblast (ISO 3166-2) the
incident lies in. A fact is never known before it happened: when ``received_at`` precedes the
observation (a simulated or replayed stream ingested in bulk), the observation time is taken
as the time it became known.

The incident's later life becomes revisions of the fact, each recorded at its own time
(``guarantees.revisions``), so a replay at a past moment sees the incident as it stood then:

- verification: fusion's first automatic state (reported/corroborated) holds from the
  moment the fact is known; every later state in ``incident_states`` (an analyst's verified,
  disputed, rejected; fusion's demotion) from its ``at``. A first state that is an analyst's
  decision carried over from a superseded incident holds from its ``at``, fusion's rule
  (``fusion.verification.automatic_state``) on its distinct sources before it; so does an
  incident with no state at all (ingested with fusion off).
- attribution: a Special Commission decision *upholding* a proposal on one of the
  incident's violations sets ``attributed_to`` (the party) and ``attribution_id``
  (``attribution-<pk>``, the proposal) from ``decided_at``; a later rejection withdraws it
  (the source's claim applies again). Proposals alone change nothing.
- remedy: the first remedy recorded for such a decision sets ``remedied_at``.

``refresh_guarantees`` is the service on top: evaluate, record, link the attribution
records to the Special Commission cases, note what became overdue.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, case, func, insert, inspect, or_, select, true

from ceasefire.clock import Clock
from ceasefire.fusion.grading import SECOND_HAND
from ceasefire.fusion.verification import SYSTEM as FUSION_AUTHOR
from ceasefire.fusion.verification import automatic_state
from ceasefire.guarantees.alerts import Alert
from ceasefire.guarantees.evaluate import replay
from ceasefire.guarantees.facts import MonitoringFact, VerificationState
from ceasefire.guarantees.incremental import replay_window, window_start
from ceasefire.guarantees.model import InstrumentSet
from ceasefire.guarantees.obligations import overdue_events
from ceasefire.guarantees.revisions import FactChange, revisions_of
from ceasefire.monitoring.oblasts import Oblasts
from ceasefire.reports.model import Category, FireDirection, WeaponClass
from ceasefire.store.fusion import (
    attribution_decisions,
    attributions,
    incident_states,
    remedies,
)
from ceasefire.store.guarantee_cases import link_attribution_records
from ceasefire.store.guarantee_supersession import successors_cover
from ceasefire.store.guarantees import (
    RecordSummary,
    append_obligation_events,
    from_iso,
    guarantee_evaluations,
    guarantee_files,
    guarantee_ratifications,
    iso,
    load_instrument_set,
    read_alerts,
    read_obligations,
    record_alerts,
    require_tables,
)
from ceasefire.store.schema import incident_reports, incidents, reports, violations


def read_facts(
    engine: Engine, *, until: datetime | None = None, touched_since: datetime | None = None
) -> list[MonitoringFact]:
    """Revisions of the facts of every active incident recorded by ``until`` (all when None),
    in recording order.

    ``touched_since``: only the facts with a revision recorded from then on — with all their
    revisions, as an incremental replay needs them (``guarantees.incremental``). One query
    selects their incidents (with a day's margin on the text timestamps); the others read
    just those incidents, by pk, so the cost follows the window, not the history.

    Returns an empty list when the monitoring tables do not exist yet.
    """
    if not inspect(engine).has_table("incidents"):
        return []
    keep: set[int] | None = None
    if touched_since is not None:
        keep = _touched(engine, touched_since)
        if not keep:
            return []
    # the touched incidents are read by their pks, in slices (bounded IN lists), so the cost
    # follows the window even when an old incident was touched; all of them otherwise
    slices: list[list[int] | None] = [None]
    if keep is not None:
        ordered = sorted(keep)
        slices = [ordered[k : k + _SLICE] for k in range(0, len(ordered), _SLICE)]
    rows: list[Any] = []
    worst: dict[int, Any] = {}
    zones: dict[int, set[str]] = defaultdict(set)
    firsts: dict[int, Any] = {}
    report_ids: dict[int, list[str]] = defaultdict(list)
    states: dict[int, list[tuple[str, str, datetime]]] = {}
    attribution: dict[int, list[FactChange]] = {}
    with engine.connect() as conn:
        for pks in slices:
            _read_slice(conn, pks, rows, worst, zones, firsts, report_ids)
            states |= _state_history(conn, pks)
            claims = {pk: firsts[pk].attributed_to for pk in _pks_in(firsts, pks)}
            attribution |= _attribution_changes(conn, claims, pks)
    lon = np.array([np.nan if x.lon is None else x.lon for x in rows], dtype=np.float64)
    lat = np.array([np.nan if x.lat is None else x.lat for x in rows], dtype=np.float64)
    oblasts = Oblasts.default()
    sector = oblasts.assign(lon, lat)
    facts = []
    for k, row in enumerate(rows):
        observed = datetime.fromtimestamp(row.observed_at, UTC)
        # Never known before it happened: a simulated or replayed stream ingested in bulk
        # counts as received when observed.
        recorded = max(from_iso(row.recorded), observed)
        if until is not None and recorded > until:
            continue
        first = firsts.get(row.pk)
        violation = worst.get(row.pk)
        base_state, changes = _verification_changes(states.get(row.pk, []), row.sources)
        base = MonitoringFact(
            id=f"I-{row.pk}",
            observed_at=observed,
            recorded_at=recorded,
            category=Category(row.category),
            count=int(row._mapping["count"]),
            weapon_class=WeaponClass(row.weapon_class) if row.weapon_class else None,
            fire_direction=(
                FireDirection(first.fire_direction) if first and first.fire_direction else None
            ),
            rule_id=violation.rule_id if violation is not None else None,
            severity=violation.severity if violation is not None else 0,
            zone_ids=frozenset(zones.get(row.pk, ())),
            side_party=first.party if first else None,
            distance_to_line_km=first.distance_to_line_km if first else None,
            sector=oblasts.iso[sector[k]] if sector[k] >= 0 else None,
            lon=row.lon,
            lat=row.lat,
            verification=base_state,
            attributed_to=first.attributed_to if first else None,
            report_ids=tuple(report_ids.get(row.pk, ())),
            first_hand=bool(row.first_hand),
        )
        revisions = revisions_of(base, [*changes, *attribution.get(row.pk, ())])
        if touched_since is not None and revisions[-1].recorded_at < touched_since:
            continue
        facts += [f for f in revisions if until is None or f.recorded_at <= until]
    facts.sort(key=lambda f: (f.recorded_at, f.id, f.revision))
    return facts


#: Source types that copy one another (fusion's second-hand witnesses): not first-hand.
_SECOND_HAND = sorted(str(t) for t in SECOND_HAND)

#: Incident pks per IN list when reading a window's facts.
_SLICE = 5_000


def _only(column: Any, pks: list[int] | None) -> Any:
    """``column IN pks``, or no condition when reading every incident."""
    return true() if pks is None else column.in_(pks)


def _pks_in(by_pk: dict[int, Any], pks: list[int] | None) -> list[int]:
    return list(by_pk) if pks is None else [pk for pk in pks if pk in by_pk]


def _read_slice(  # noqa: PLR0917 - the accumulators of read_facts, filled in place
    conn: Connection,
    pks: list[int] | None,
    rows: list[Any],
    worst: dict[int, Any],
    zones: dict[int, set[str]],
    firsts: dict[int, Any],
    report_ids: dict[int, list[str]],
) -> None:
    """The active incidents among ``pks`` (all when None) with their worst active violation,
    zones, first report and report ids."""
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
    rows += conn.execute(
        select(i, known.c.recorded, known.c.sources, known.c.first_hand)
        .join(known, known.c.incident_pk == i.c.pk)
        .where(i.c.status == "active", _only(i.c.pk, pks))
        .order_by(i.c.pk)
    ).all()
    active = select(v).where(v.c.active.is_(True), _only(v.c.incident_pk, pks))
    for row in conn.execute(active):
        if row.zone_id:
            zones[row.incident_pk].add(row.zone_id)
        if row.incident_pk not in worst or row.severity > worst[row.incident_pk].severity:
            worst[row.incident_pk] = row
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
        firsts.setdefault(row.incident_pk, row)
        report_ids[row.incident_pk].append(f"{row.source}/{row.id}")


def _touched(engine: Engine, since: datetime) -> set[int]:
    """Active incidents that may have a revision recorded from ``since``: observed or first
    received since then, or with a state, decision or remedy since then. Text times are
    compared a day early, so that a differently written offset cannot hide one; the caller
    checks the exact times."""
    i, ir, r, v = incidents, incident_reports, reports, violations
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


def _verification_changes(
    history: list[tuple[str, str, datetime]], sources: int
) -> tuple[VerificationState, list[FactChange]]:
    """The state the fact starts with, and the later states as changes at their times.

    Fusion's own first state holds from the start (it was assigned when the incident was
    formed); an analyst's state (carried over from a superseded incident, or any later one)
    holds from when it was recorded.
    """
    if history and history[0][1] == FUSION_AUTHOR:
        start, later = VerificationState(history[0][0]), history[1:]
    else:
        start, later = _verification(None, sources), history
    return start, [FactChange(at, verification=VerificationState(state)) for state, _, at in later]


def _attribution_changes(
    conn: Connection, claims: dict[int, str | None], pks: list[int] | None
) -> dict[int, list[FactChange]]:
    """Incident pk → the changes the Special Commission's decisions and remedies make.

    ``claims``: the attribution a source gave, per incident, which applies while no proposal
    is upheld.
    """
    if not inspect(conn).has_table("attribution_decisions"):
        return {}
    a, d, m, v = attributions, attribution_decisions, remedies, violations
    only = [_only(v.c.incident_pk, pks)]
    decisions = conn.execute(
        select(v.c.incident_pk, a.c.pk, a.c.party, d.c.decision, d.c.decided_at)
        .join(a, a.c.violation_pk == v.c.pk)
        .join(d, d.c.attribution_pk == a.c.pk)
        .where(*only)
        .order_by(d.c.decided_at, d.c.pk)
    ).all()
    upheld: dict[int, dict[int, str]] = defaultdict(dict)
    out: dict[int, list[FactChange]] = defaultdict(list)
    for incident_pk, proposal, party, decision, decided_at in decisions:
        mine = upheld[incident_pk]
        mine.pop(proposal, None)
        if decision == "upheld":
            mine[proposal] = party  # the latest upheld decision names the party
        current: tuple[str | None, str | None] = (claims.get(incident_pk), None)
        if mine:
            last = next(reversed(mine))
            current = (mine[last], f"attribution-{last}")
        out[incident_pk].append(FactChange(from_iso(decided_at), attribution=current))
    for incident_pk, recorded_at in conn.execute(
        select(v.c.incident_pk, m.c.recorded_at)
        .join(a, a.c.violation_pk == v.c.pk)
        .join(d, d.c.attribution_pk == a.c.pk)
        .join(m, m.c.decision_pk == d.c.pk)
        .where(d.c.decision == "upheld", *only)
    ):
        at = from_iso(recorded_at)
        out[incident_pk].append(FactChange(at, remedied_at=at))
    return out


def _verification(state: str | None, sources: int) -> VerificationState:
    """Fusion's latest state, or its automatic rule when the incident has no state yet."""
    if state is not None:
        return VerificationState(state)
    return VerificationState(automatic_state(sources).value)


def guarantees_loaded(engine: Engine) -> bool:
    """True when the guarantees tables exist and a guarantees file has been loaded."""
    if not inspect(engine).has_table("guarantee_files"):
        return False
    with engine.connect() as conn:
        return conn.execute(select(guarantee_files.c.pk).limit(1)).first() is not None


@dataclass(frozen=True, slots=True)
class RefreshSummary:
    """What :func:`refresh_guarantees` found and added.

    ``facts``: revisions evaluated (the window's only, when incremental); ``alerts``: those
    fired in it (recorded or not); ``linked``: case events appended from attribution records.
    """

    facts: int
    alerts: int
    new: RecordSummary
    overdue: int
    linked: int = 0


def refresh_guarantees(
    engine: Engine, *, clock: Clock, until: datetime | None = None
) -> RefreshSummary:
    """Bring the guarantees record up to ``until`` (default: now, or the last fact's recording
    when a simulated stream runs ahead of the clock): evaluate every trigger over
    the monitoring facts known by then, store new alerts, obligations and cases, link the
    attribution records to the cases, and note the obligations that became overdue. Safe to
    run again (nothing is recorded twice).

    Ingest calls this once per run, after fusion, when guarantees are loaded. Live (``until``
    None) it is incremental: it replays only the window the revisions recorded since the last
    live run can affect (``guarantees.incremental``), and falls back to the whole history on
    the first run, when the guarantees file or a ratification changed (entry into force
    moves), when re-fusion superseded an incident in a way that may rewrite the past
    (``guarantee_supersession``: a report amended, withdrawn or left in an older incident),
    or when a fact predates the monitoring start. ``--at`` (``until``) replays the whole history
    up to then.
    """
    require_tables(engine)
    instruments = load_instrument_set(engine, as_of=until)
    if until is None:
        facts, alerts, at = _evaluate_live(engine, instruments, clock)
    else:
        facts = read_facts(engine, until=until)
        at = until
        alerts = replay(instruments, facts, at=at)
    new = record_alerts(engine, alerts, instruments, clock=clock)
    stored = read_obligations(engine)
    due = overdue_events([o for o, _ in stored], [e for _, history in stored for e in history], at)
    append_obligation_events(engine, due, clock=clock)
    linked = link_attribution_records(engine, clock=clock, until=until)
    return RefreshSummary(len(facts), len(alerts), new, len(due), linked)


def _evaluate_live(
    engine: Engine, instruments: InstrumentSet, clock: Clock
) -> tuple[list[MonitoringFact], list[Alert], datetime]:
    """Evaluate up to now, incrementally when the last mark allows it; write the new mark."""
    marks = _marks(engine)
    last = _last_mark(engine)
    window = None
    if (
        last is not None
        and all(last._mapping[k] == marks[k] for k in ("file_pk", "ratifications"))
        and (
            last.superseded == marks["superseded"]
            or successors_cover(engine, last, marks["superseded"])
        )
    ):
        window = _window(engine, instruments, clock, last)
    if window is None:
        facts = read_facts(engine)
        at = max([clock.now(), *(f.recorded_at for f in facts[-1:])])
        alerts = replay(instruments, facts, at=at)
        since = facts[0].recorded_at if facts else None
    else:
        facts, alerts, at = window
        since = from_iso(last.monitoring_since) if last is not None else None
    with engine.begin() as conn:
        conn.execute(
            insert(guarantee_evaluations).values(
                evaluated_until=iso(at),
                monitoring_since=iso(since) if since else None,
                recorded_at=iso(clock.now()),
                **marks,
            )
        )
    return facts, alerts, at


def _window(
    engine: Engine, instruments: InstrumentSet, clock: Clock, last: Any
) -> tuple[list[MonitoringFact], list[Alert], datetime] | None:
    """The incremental evaluation since ``last`` (None: it cannot be done safely)."""
    if last.monitoring_since is None:
        return None
    since = from_iso(last.monitoring_since)
    emit_from = min([from_iso(last.evaluated_until), *_changed_since(engine, last)])
    firsts = _first_revisions_since(engine, emit_from)
    if any(recorded < since for _, recorded in firsts):
        return None  # a fact before the monitoring start: baselines start elsewhere
    observed = min((o for o, _ in firsts), default=emit_from)
    start = window_start(instruments, emit_from=emit_from, observed_from=observed)
    facts = read_facts(engine, touched_since=start)
    at = max([clock.now(), *(f.recorded_at for f in facts[-1:])])
    earlier = [a for a in read_alerts(engine) if a.fired_at < emit_from]
    alerts = replay_window(
        instruments, facts, at=at, emit_from=emit_from, monitoring_since=since, earlier=earlier
    )
    return facts, alerts, at


def _first_revisions_since(engine: Engine, since: datetime) -> list[tuple[datetime, datetime]]:
    """(observed, recorded) of the active incidents first recorded from ``since`` on (their
    first revisions: the ones rate triggers count)."""
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
    out = []
    with engine.connect() as conn:
        for observed_s, first_received in conn.execute(query):
            observed = datetime.fromtimestamp(observed_s, UTC)
            recorded = max(from_iso(first_received), observed)
            if recorded >= since:
                out.append((observed, recorded))
    return out


def _marks(engine: Engine) -> dict[str, int]:
    """What the record has seen: the file, ratifications, incidents, states, decisions."""
    tables = inspect(engine)
    i = incidents
    queries = {
        "file_pk": select(func.max(guarantee_files.c.pk)),
        "ratifications": select(func.count()).select_from(guarantee_ratifications),
        "incidents_max": select(func.max(i.c.pk)),
        "superseded": select(func.count()).select_from(i).where(i.c.status != "active"),
        "states_max": select(func.max(incident_states.c.pk)),
        "decisions_max": select(func.max(attribution_decisions.c.pk)),
        "remedy_max": select(func.max(remedies.c.pk)),
    }
    needs = {"incidents_max": "incidents", "superseded": "incidents"}
    needs |= {"states_max": "incident_states", "decisions_max": "attribution_decisions"}
    needs["remedy_max"] = "remedies"
    with engine.connect() as conn:
        return {
            key: (conn.execute(query).scalar() or 0)
            if tables.has_table(needs.get(key, "guarantee_files"))
            else 0
            for key, query in queries.items()
        }


def _last_mark(engine: Engine) -> Any:
    g = guarantee_evaluations
    with engine.connect() as conn:
        return conn.execute(select(g).order_by(g.c.pk.desc()).limit(1)).first()


def _changed_since(engine: Engine, last: Any) -> list[datetime]:
    """The earliest times at which what changed since ``last`` may count: first receipt of
    new incidents' reports, new states, decisions and remedies (parsed here: few rows)."""
    i, ir, r = incidents, incident_reports, reports
    queries = [
        select(r.c.received_at)
        .join(ir, ir.c.report_pk == r.c.pk)
        .join(i, i.c.pk == ir.c.incident_pk)
        .where(i.c.pk > last.incidents_max, i.c.status == "active")
    ]
    tables = inspect(engine)
    if tables.has_table("incident_states"):
        s = incident_states
        queries.append(select(s.c.at).where(s.c.pk > last.states_max))
    if tables.has_table("attribution_decisions"):
        d, m = attribution_decisions, remedies
        queries.append(select(d.c.decided_at).where(d.c.pk > last.decisions_max))
        queries.append(select(m.c.recorded_at).where(m.c.pk > last.remedy_max))
    with engine.connect() as conn:
        texts = [t for q in queries for t in conn.execute(q).scalars()]
    return [min(from_iso(t) for t in texts)] if texts else []
