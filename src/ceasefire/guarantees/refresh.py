"""The guarantees services: read the facts, bring the record up to date, move the cases.

They decide; the store (``ports.GuaranteesStore``) only reads and writes rows. The CLI, the
ingest pipeline and the API call these same functions with the store of their database
(``store.guarantees_sql.SqlGuarantees``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ceasefire.clock import Clock
from ceasefire.errors import NotFoundError
from ceasefire.guarantees.alerts import Alert
from ceasefire.guarantees.commission import cases_for, link_steps
from ceasefire.guarantees.evaluate import replay
from ceasefire.guarantees.fact_build import build_facts
from ceasefire.guarantees.facts import MonitoringFact
from ceasefire.guarantees.incremental import replay_window, window_start
from ceasefire.guarantees.loader import parse_instruments
from ceasefire.guarantees.model import InstrumentSet
from ceasefire.guarantees.obligations import obligations_for, overdue_events
from ceasefire.guarantees.ports import Evaluation, GuaranteesStore, RecordSummary
from ceasefire.guarantees.ratification import with_ratifications


def load_instrument_set(store: GuaranteesStore, *, as_of: datetime | None = None) -> InstrumentSet:
    """The latest stored guarantees file, parsed again, with the ratifications recorded by
    ``as_of`` (all when None) laid over its own (NotFoundError when no file is stored)."""
    stored = store.latest_file()
    if stored is None:
        raise NotFoundError("no guarantees loaded: run `ceasefire guarantees load FILE`")
    in_force = stored.ceasefire_in_force_from
    parsed = parse_instruments(stored.source_text, agreement_in_force_from=lambda _path: in_force)
    return with_ratifications(parsed, store.read_ratifications(), as_of=as_of)


def read_facts(
    store: GuaranteesStore,
    *,
    until: datetime | None = None,
    touched_since: datetime | None = None,
) -> list[MonitoringFact]:
    """Revisions of the facts of every active incident recorded by ``until`` (all when None),
    in recording order (``fact_build``).

    ``touched_since``: only the facts with a revision recorded from then on — with all their
    revisions, as an incremental replay needs them (``guarantees.incremental``). The store
    first selects their incidents, then reads just those, so the cost follows the window,
    not the history. Empty when the monitoring tables do not exist yet.
    """
    pks = None
    if touched_since is not None:
        pks = sorted(store.touched_incidents(touched_since))
        if not pks:
            return []
    return build_facts(store.fact_rows(pks), until=until, touched_since=touched_since)


def record_alerts(
    store: GuaranteesStore, alerts: Sequence[Alert], instruments: InstrumentSet, *, clock: Clock
) -> RecordSummary:
    """Store new alerts with the obligations and cases they create; idempotent by id."""
    known = store.alert_ids()
    new = [a for a in alerts if a.id not in known]
    if not new:
        return RecordSummary(0, 0, 0)
    obligations = [
        o for a in new for o in obligations_for(a, instruments.instrument(a.instrument_id))
    ]
    cases = [pair for instrument in instruments.instruments for pair in cases_for(new, instrument)]
    return store.add_alerts(new, obligations, cases, clock=clock)


def link_attribution_records(
    store: GuaranteesStore, *, clock: Clock, until: datetime | None = None
) -> int:
    """Move the Special Commission cases along fusion's attribution records made by ``until``
    (all when None): a proposal on a violation of the case's incident → ``attribution_proposed``,
    an upheld decision → ``attributed``, a remedy → ``remedy_determined``; each linked once,
    naming the record. Returns the number of case events appended.
    """
    steps = store.attribution_steps()
    events = []
    for case, history in store.read_cases():
        mine = steps.get(case.fact_id, [])
        if until is not None:
            mine = [s for s in mine if s.at <= until]
        events += link_steps(case, history, mine)
    store.append_case_events(events, clock=clock)
    return len(events)


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
    store: GuaranteesStore, *, clock: Clock, until: datetime | None = None
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
    (``store.guarantee_supersession``: a report amended, withdrawn or left in an older
    incident), or when a fact predates the monitoring start. ``--at`` (``until``) replays the
    whole history up to then.
    """
    store.require_tables()
    instruments = load_instrument_set(store, as_of=until)
    if until is None:
        facts, alerts, at = _evaluate_live(store, instruments, clock)
    else:
        facts = read_facts(store, until=until)
        at = until
        alerts = replay(instruments, facts, at=at)
    new = record_alerts(store, alerts, instruments, clock=clock)
    stored = store.read_obligations()
    due = overdue_events([o for o, _ in stored], [e for _, history in stored for e in history], at)
    store.append_obligation_events(due, clock=clock)
    linked = link_attribution_records(store, clock=clock, until=until)
    return RefreshSummary(len(facts), len(alerts), new, len(due), linked)


def _evaluate_live(
    store: GuaranteesStore, instruments: InstrumentSet, clock: Clock
) -> tuple[list[MonitoringFact], list[Alert], datetime]:
    """Evaluate up to now, incrementally when the last mark allows it; write the new mark."""
    marks = store.evaluation_marks()
    last = store.last_evaluation()
    window = None
    if (
        last is not None
        and (last.marks.file_pk, last.marks.ratifications) == (marks.file_pk, marks.ratifications)
        and (
            last.marks.superseded == marks.superseded
            or store.successors_cover(last, marks.superseded)
        )
    ):
        window = _window(store, instruments, clock, last)
    if window is None:
        facts = read_facts(store)
        at = max([clock.now(), *(f.recorded_at for f in facts[-1:])])
        alerts = replay(instruments, facts, at=at)
        since = facts[0].recorded_at if facts else None
    else:
        facts, alerts, at = window
        since = last.monitoring_since if last is not None else None
    store.add_evaluation(Evaluation(marks, at, since, clock.now()))
    return facts, alerts, at


def _window(
    store: GuaranteesStore, instruments: InstrumentSet, clock: Clock, last: Evaluation
) -> tuple[list[MonitoringFact], list[Alert], datetime] | None:
    """The incremental evaluation since ``last`` (None: it cannot be done safely)."""
    if last.monitoring_since is None:
        return None
    since = last.monitoring_since
    emit_from = min([last.evaluated_until, *store.changed_since(last)])
    firsts = _first_revisions_since(store, emit_from)
    if any(recorded < since for _, recorded in firsts):
        return None  # a fact before the monitoring start: baselines start elsewhere
    observed = min((o for o, _ in firsts), default=emit_from)
    start = window_start(instruments, emit_from=emit_from, observed_from=observed)
    facts = read_facts(store, touched_since=start)
    at = max([clock.now(), *(f.recorded_at for f in facts[-1:])])
    earlier = [a for a in store.read_alerts() if a.fired_at < emit_from]
    alerts = replay_window(
        instruments, facts, at=at, emit_from=emit_from, monitoring_since=since, earlier=earlier
    )
    return facts, alerts, at


def _first_revisions_since(
    store: GuaranteesStore, since: datetime
) -> list[tuple[datetime, datetime]]:
    """(observed, recorded) of the active incidents first recorded from ``since`` on (their
    first revisions: the ones rate triggers count); never recorded before observed."""
    out = []
    for observed, first_received in store.first_receipts_since(since):
        recorded = max(first_received, observed)
        if recorded >= since:
            out.append((observed, recorded))
    return out
