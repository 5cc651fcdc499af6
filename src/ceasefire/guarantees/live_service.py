"""The guarantees record kept live: the evaluator in memory, told what changed in the store.

:func:`catch_up` is the one entry point, for the ingest (in process, through
:data:`LIVE`) and for the bus's ``guarantees`` worker (which keeps the returned
:class:`LiveGuarantees` between messages and calls it again after each one):

1. resume: the evaluator held in memory if it is still this database's (its checkpoint
   token is the stored one) and the guarantees file and ratifications are unchanged; else
   the stored checkpoint (``LiveEvaluator.restore``); else, once, the whole history
   (``refresh.read_facts``), checkpointed at once;
2. tell it what changed since its marks (``ports.EvaluationMarks``): the active incidents
   stated (new reports, re-fusion's successors) or given a state, decision or remedy since,
   read from the change log in commit order (``fact_build`` builds every revision of those
   facts), and the facts whose incident is no longer active; it evaluates up to now
   (``LiveEvaluator.apply``);
3. record what it names for the first time, with obligations and cases (``refresh.record_alerts``,
   idempotent by id), the obligations that became overdue and the cases fusion's attribution
   records move, and an evaluation mark (the record's horizon, which ``status`` and
   ``obligations`` count up to);
4. checkpoint every ``checkpoint_every_s``, or when ``CHECKPOINT_EVERY_CHANGES`` were
   logged since the last one (plain JSON, ``live_checkpoint``: not after every ingest).
   A process that dies loses only the work since then: the next one restores the
   checkpoint and is told everything after its marks again.

The record is written before the checkpoint, so a crash in between only re-names alerts
that are already recorded (skipped by id).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ceasefire.clock import Clock
from ceasefire.errors import InputError
from ceasefire.guarantees.fact_build import build_facts
from ceasefire.guarantees.live import FactDelta, LiveEvaluator
from ceasefire.guarantees.obligations import overdue_events
from ceasefire.guarantees.ports import (
    Evaluation,
    EvaluationMarks,
    GuaranteesStore,
    LiveCheckpoint,
)
from ceasefire.guarantees.refresh import (
    RefreshSummary,
    link_attribution_records,
    load_instrument_set,
    read_facts,
    record_alerts,
)

_log = logging.getLogger(__name__)

#: Seconds between checkpoints of a live evaluator that keeps running.
CHECKPOINT_EVERY_S = 300.0
#: Changes logged since the checkpoint (incidents stated, states, decisions, remedies) after
#: which one is taken anyway: short-lived processes (``ceasefire ingest``) each resume from
#: the checkpoint and are told everything after its marks, so that tail is kept short.
CHECKPOINT_EVERY_CHANGES = 5_000


@dataclass(slots=True)
class LiveGuarantees:
    """A live evaluator of one database: the marks it has been told up to, the token of the
    checkpoint it continues, and when (monotonic s) it was last checkpointed."""

    evaluator: LiveEvaluator
    marks: EvaluationMarks
    token: str
    saved_s: float
    #: The change log's seq when it was last checkpointed.
    saved_seq: int = 0
    #: The earliest deadline of an open obligation at the last read (None: read next time).
    next_deadline: datetime | None = None


def catch_up(
    store: GuaranteesStore,
    live: LiveGuarantees | None = None,
    *,
    clock: Clock,
    checkpoint_every_s: float = CHECKPOINT_EVERY_S,
    monotonic: Callable[[], float] = time.monotonic,
) -> tuple[LiveGuarantees, RefreshSummary]:
    """Bring the guarantees record up to now from ``live`` (None: resume from the store);
    returns the evaluator to keep and what was added. See the module docstring."""
    store.require_tables()
    marks = store.evaluation_marks()  # before any row is read: later rows are read again
    resumed = live is None or not _still_valid(store, live, marks)
    if resumed:
        live = _resume(store, marks, clock, monotonic)
    assert live is not None  # resumed above
    retired: frozenset[str] = frozenset()
    if marks.superseded != live.marks.superseded:
        held = [int(fact_id[2:]) for fact_id in live.evaluator.fact_ids()]
        retired = frozenset(f"I-{pk}" for pk in store.inactive_among(held))
    touched = sorted(store.touched_after(live.marks))
    revisions = build_facts(store.fact_rows(touched)) if touched else []
    step = live.evaluator.apply(FactDelta(revisions, retired), at=clock.now())
    at = live.evaluator.at or clock.now()
    instruments = live.evaluator.instruments
    # A resumed evaluator may name alerts a process that died never recorded: offer them all
    # (recording skips those stored, by id).
    named = live.evaluator.alerts if resumed else step.alerts
    new = record_alerts(store, named, instruments, clock=clock)
    due = _overdue(store, live, at, clock=clock, opened=new.obligations > 0)
    linked = link_attribution_records(store, clock=clock)
    store.add_evaluation(Evaluation(marks, at, live.evaluator.first_recorded(), clock.now()))
    live.marks = marks
    behind = marks.change_seq - live.saved_seq >= CHECKPOINT_EVERY_CHANGES
    if behind or monotonic() - live.saved_s >= checkpoint_every_s:
        _checkpoint(store, live, clock, monotonic)
    summary = RefreshSummary(step.applied, len(named), new, due, linked)
    return live, summary


def _overdue(
    store: GuaranteesStore, live: LiveGuarantees, at: datetime, *, clock: Clock, opened: bool
) -> int:
    """Mark the obligations whose deadline passed by ``at``; returns how many.

    Reading every obligation costs ~0.4 s on the demo's record, so it is skipped while no
    open obligation can have fallen due: none was opened since the last read and ``at`` is
    before the earliest open deadline then. Obligations met meanwhile only make that bound
    early (a needless read); ones opened by another process are seen at the next read, at the
    latest at the next checkpoint (``next_deadline`` is reset there).
    """
    if not opened and live.next_deadline is not None and at < live.next_deadline:
        return 0
    stored = store.read_obligations()
    due = overdue_events([o for o, _ in stored], [e for _, history in stored for e in history], at)
    store.append_obligation_events(due, clock=clock)
    closed = {e.obligation_id for _, history in stored for e in history if e.state != "open"}
    closed |= {e.obligation_id for e in due}
    deadlines = [o.deadline for o, _ in stored if o.id not in closed]
    live.next_deadline = min(deadlines, default=datetime.max.replace(tzinfo=at.tzinfo))
    return len(due)


def _still_valid(store: GuaranteesStore, live: LiveGuarantees, marks: EvaluationMarks) -> bool:
    """The held evaluator is this database's, on the same file and ratifications."""
    same_file = (live.marks.file_pk, live.marks.ratifications) == (
        marks.file_pk,
        marks.ratifications,
    )
    return same_file and store.checkpoint_token() == live.token


def _resume(
    store: GuaranteesStore, marks: EvaluationMarks, clock: Clock, monotonic: Callable[[], float]
) -> LiveGuarantees:
    """The stored checkpoint when it fits the file and ratifications; else the history."""
    saved = store.latest_checkpoint()
    if saved is not None and (saved.marks.file_pk, saved.marks.ratifications) == (
        marks.file_pk,
        marks.ratifications,
    ):
        try:
            evaluator = LiveEvaluator.restore(saved.state, load_instrument_set(store))
        except InputError as exc:
            _log.warning("checkpoint %s refused, rebuilt from history: %s", saved.token, exc)
            evaluator = None
        if evaluator is not None:
            return LiveGuarantees(
                evaluator, saved.marks, saved.token, monotonic(), saved.marks.change_seq
            )
    evaluator = LiveEvaluator(load_instrument_set(store))
    evaluator.apply(FactDelta(read_facts(store)), at=clock.now())
    live = LiveGuarantees(evaluator, marks, "", monotonic())
    _checkpoint(store, live, clock, monotonic)
    return live


def _checkpoint(
    store: GuaranteesStore, live: LiveGuarantees, clock: Clock, monotonic: Callable[[], float]
) -> None:
    at = live.evaluator.at or clock.now()
    token = secrets.token_hex(16)
    store.save_checkpoint(
        LiveCheckpoint(token, live.marks, at, live.evaluator.checkpoint(), clock.now())
    )
    live.token = token
    live.saved_s = monotonic()
    live.saved_seq = live.marks.change_seq
    live.next_deadline = None


class LiveRegistry:
    """One live evaluator per database in this process (the ingest's, the HQ's feed).

    ``key`` names the database (its URL); an evaluator that fails mid-way is dropped, so the
    next call resumes from the store rather than from a state ahead of the record.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, LiveGuarantees] = {}

    def refresh(self, key: str, store: GuaranteesStore, *, clock: Clock) -> RefreshSummary:
        """:func:`catch_up` with the evaluator held for ``key``."""
        with self._lock:
            live = self._held.pop(key, None)
            live, summary = catch_up(store, live, clock=clock)
            self._held[key] = live
            return summary

    def forget(self, key: str) -> None:
        """Drop the evaluator held for ``key`` (tests; a database deleted)."""
        with self._lock:
            self._held.pop(key, None)


#: The process's evaluators (``pipeline.ingest`` refreshes through it).
LIVE = LiveRegistry()


def horizon(store: GuaranteesStore, now: datetime) -> datetime:
    """The moment the record counts up to: now, or later when the latest evaluation went
    beyond it (a simulated stream recorded ahead of the clock). ``evaluate``, ``status`` and
    ``obligations`` all count as of this moment by default, so their totals agree."""
    last = store.last_evaluation()
    return max(now, last.evaluated_until) if last is not None else now
