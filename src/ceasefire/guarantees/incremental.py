"""Incremental evaluation: replay only the window new facts can affect.

Live evaluation after each ingest used to replay the whole history. But every trigger looks
back a bounded time, so the alerts that fire from an instant ``W`` on (``W``: the earliest
recording time among the new revisions, or the previous evaluation's horizon if earlier)
depend only on revisions recorded from a start ``S`` before it:

- fact triggers (``breach``, ``heavy_weapons_use`` …) on the revision itself; a fact fires
  at most once, so every revision of a fact that has one in the window is replayed (its
  earlier revisions set the "already fired" mark, and the persistence timer of its first
  breach revision);
- ``persistent_breach``: a timer firing at or after ``W`` was set at most ``hours`` before;
- rate triggers: a day's count and its median over the ``baseline_days`` before, all from
  first revisions observed — hence recorded — on those days: so ``S`` goes back
  ``baseline_days`` + 1 days before the earliest observation day of a first revision
  recorded from ``W``;
- combinators (``all``/``any``): their state is not bounded in time (an ``all`` rests after
  each episode, and episodes are numbered), so it is not replayed but *seeded* with the alerts
  already recorded before ``W``.

Alerts before ``W`` are computed (they set the state) and dropped: they are already on
record. A property test checks that recording the window's alerts after each ingest gives
exactly what recording a full replay after each ingest gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from ceasefire.clock import FixedClock
from ceasefire.guarantees.alerts import Alert
from ceasefire.guarantees.evaluate import TriggerEvaluator
from ceasefire.guarantees.facts import MonitoringFact
from ceasefire.guarantees.model import InstrumentSet
from ceasefire.guarantees.triggers import PersistentBreach, Surge, VerificationDenial


def window_start(
    instruments: InstrumentSet, *, emit_from: datetime, observed_from: datetime
) -> datetime:
    """The earliest recording time a replay must include to compute, exactly as a full
    replay does, every alert firing at or after ``emit_from``.

    ``observed_from``: the earliest observation (clamped to its recording) among the *first*
    revisions recorded from ``emit_from`` — rate triggers count first revisions only, and a
    late report counts towards an old day, whose baseline goes further back.
    """
    hours = [
        t.hours
        for i in instruments.instruments
        for t in i.triggers
        if isinstance(t, PersistentBreach)
    ]
    days = [
        t.baseline_days
        for i in instruments.instruments
        for t in i.triggers
        if isinstance(t, Surge | VerificationDenial)
    ]
    by_timers = emit_from - timedelta(hours=max(hours, default=0.0))
    first = min(observed_from, emit_from).astimezone(UTC)
    midnight = datetime(first.year, first.month, first.day, tzinfo=UTC)
    by_rates = midnight - timedelta(days=max(days, default=0) + 1)
    return min(by_timers, by_rates)


def replay_window(
    instruments: InstrumentSet,
    facts: Sequence[MonitoringFact],
    *,
    at: datetime,
    emit_from: datetime,
    monitoring_since: datetime,
    earlier: Sequence[Alert],
) -> list[Alert]:
    """The alerts firing in ``[emit_from, at]``.

    ``facts`` must hold every revision of every fact that has a revision recorded from
    :func:`window_start` on (earlier facts may be present; they change nothing after
    ``emit_from``). ``monitoring_since`` must be the one of the full history (the first
    fact's recording day, as a full replay takes it), ``earlier`` the alerts recorded
    before ``emit_from``.
    """
    evaluator = TriggerEvaluator(
        instruments,
        clock=FixedClock(at),
        monitoring_since=monitoring_since,
        emit_from=emit_from,
    )
    evaluator.seed(sorted(earlier, key=lambda a: (a.fired_at, a.id)))
    known = sorted((f for f in facts if f.recorded_at <= at), key=lambda f: f.recorded_at)
    evaluator.ingest(known)
    return evaluator.alerts
