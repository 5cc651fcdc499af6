"""The live guarantees evaluator: trigger windows kept in memory, fed fact revisions.

``refresh_guarantees`` reads the monitoring facts back from the store after every ingest (a
window of days, ~5 s on the 30-day demo store, loaded machine). :class:`LiveEvaluator` instead
keeps one :class:`~ceasefire.guarantees.evaluate.TriggerEvaluator` alive with the facts it
was given, and is told only what changed (:class:`FactDelta`: every revision of the facts
that were touched, and the facts that were retired). Two cases:

- **in order** (the usual one): every new revision is recorded after the instant the
  evaluator last advanced to, and no known revision changed. The new revisions are ingested
  into the living evaluator: milliseconds, whatever the history's length.
- **rewrite**: a late revision (recorded before that instant), a known revision that reads
  differently (a re-assessment), or a retired fact (re-fusion superseded its incident). The
  evaluator is rebuilt by replaying the facts it keeps in memory (~0.25 s for the demo's
  20,000 facts), not by reading the store.

Either way its alerts equal those of :func:`~ceasefire.guarantees.evaluate.replay` over the
same facts at the same instant (tested on both backends, across a checkpoint): the evaluator
does not depend on how the facts are batched, and a rebuild *is* that replay.

:meth:`LiveEvaluator.checkpoint` gives its state as bytes the store keeps
(``store/guarantee_checkpoints.py``); :meth:`LiveEvaluator.restore` takes them back. The bytes
are plain versioned JSON (``live_checkpoint``): the facts held and the instant, never a
pickle, since they are read back from a shared database. Restoring replays those facts
from memory; a checkpoint of another format, or one that does not parse, is refused, so the
caller rebuilds from the store instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ceasefire.errors import InputError
from ceasefire.guarantees.alerts import Alert
from ceasefire.guarantees.evaluate import TriggerEvaluator
from ceasefire.guarantees.facts import MonitoringFact
from ceasefire.guarantees.live_checkpoint import decode_state, encode_state
from ceasefire.guarantees.model import InstrumentSet


@dataclass(frozen=True, slots=True)
class FactDelta:
    """What changed in the monitoring facts since the evaluator was last told.

    ``revisions``: *every* revision of each touched fact (as ``fact_build`` gives them),
    so the evaluator can tell an appended revision from a rewritten one; ``retired``: ids of
    facts whose incident is no longer active (superseded or withdrawn).
    """

    revisions: Sequence[MonitoringFact] = ()
    retired: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class LiveStep:
    """What one :meth:`LiveEvaluator.apply` did: the alerts it fired that the evaluator had
    not named before, the revisions it applied, and whether it had to rebuild."""

    alerts: list[Alert]
    applied: int
    rebuilt: bool


@dataclass(slots=True)
class _MovingClock:
    """The evaluator's clock: the instant the caller evaluates up to (``Clock`` protocol)."""

    at: datetime

    def now(self) -> datetime:
        return self.at


@dataclass(slots=True)
class _State:
    """The evaluator's state: what a checkpoint holds (``facts``, ``at``), the instruments
    the caller gives back, and the evaluator rebuilt from them."""

    instruments: InstrumentSet
    facts: dict[str, tuple[MonitoringFact, ...]] = field(default_factory=dict)
    at: datetime | None = None
    evaluator: TriggerEvaluator | None = None
    clock: _MovingClock | None = None


class LiveEvaluator:
    """Every trigger of ``instruments``, evaluated as fact revisions are recorded.

    >>> from ceasefire.guarantees.model import InstrumentSet
    >>> live = LiveEvaluator(InstrumentSet((), (), None))
    >>> live.alerts
    []
    """

    def __init__(self, instruments: InstrumentSet) -> None:
        self._state = _State(instruments)

    @property
    def instruments(self) -> InstrumentSet:
        """The instrument set it evaluates (a new file or ratification needs a new evaluator)."""
        return self._state.instruments

    @property
    def at(self) -> datetime | None:
        """The instant it has evaluated up to (None: never applied)."""
        return self._state.at

    @property
    def alerts(self) -> list[Alert]:
        """Every alert fired up to :attr:`at`, in firing order (a replay's list)."""
        evaluator = self._state.evaluator
        return list(evaluator.alerts) if evaluator is not None else []

    def facts(self) -> list[MonitoringFact]:
        """The revisions it holds, in recording order (as a replay takes them)."""
        return _in_order([f for revisions in self._state.facts.values() for f in revisions])

    def first_recorded(self) -> datetime | None:
        """The earliest recording among the facts held (the monitoring start; None: none)."""
        firsts = [revisions[0].recorded_at for revisions in self._state.facts.values()]
        return min(firsts, default=None)

    def fact_ids(self) -> set[str]:
        """Ids of the facts it holds (``I-<incident pk>``)."""
        return set(self._state.facts)

    def apply(self, delta: FactDelta, *, at: datetime) -> LiveStep:
        """Take ``delta`` and evaluate up to ``at`` (at least the latest revision's recording
        and the previous ``at``); returns the alerts not named before.

        InputError when ``at`` is not timezone-aware.
        """
        if at.tzinfo is None:
            raise InputError("at", "timezone", "the evaluation instant must be UTC-aware")
        state = self._state
        before = state.at
        rewrite = state.evaluator is None or bool(delta.retired & state.facts.keys())
        fresh: list[MonitoringFact] = []
        grouped: dict[str, list[MonitoringFact]] = {}
        for fact in delta.revisions:
            grouped.setdefault(fact.id, []).append(fact)
        for fact_id, revisions in grouped.items():
            revisions.sort(key=lambda f: f.revision)
            known = state.facts.get(fact_id, ())
            if tuple(revisions[: len(known)]) != known or len(revisions) < len(known):
                rewrite = True
            added = revisions[len(known) :]
            if before is not None and any(f.recorded_at <= before for f in added):
                rewrite = True  # late: a replay would place it before what was evaluated
            fresh += added
            state.facts[fact_id] = tuple(revisions)
        for fact_id in delta.retired:
            state.facts.pop(fact_id, None)
        moments = [at, *(f.recorded_at for f in fresh)]
        if before is not None:
            moments.append(before)
        until = max(moments)
        named = {a.id for a in self.alerts}
        if rewrite:
            self._rebuild(until)
            new = [a for a in self.alerts if a.id not in named]
        else:
            assert state.evaluator is not None  # not a rewrite: it exists
            assert state.clock is not None
            state.clock.at = until
            new = [a for a in state.evaluator.ingest(_in_order(fresh)) if a.id not in named]
        state.at = until
        return LiveStep(new, len(fresh), rewrite)

    def _rebuild(self, until: datetime) -> None:
        """A fresh evaluator over the facts held, up to ``until`` (a replay, from memory)."""
        state = self._state
        state.clock = _MovingClock(until)
        state.evaluator = TriggerEvaluator(state.instruments, clock=state.clock)
        state.evaluator.ingest(self.facts())

    def checkpoint(self) -> bytes:
        """The facts held and :attr:`at`, as compressed plain JSON (``live_checkpoint``)."""
        return encode_state(self.facts(), self._state.at)

    @classmethod
    def restore(cls, blob: bytes, instruments: InstrumentSet) -> LiveEvaluator:
        """The evaluator a :meth:`checkpoint` saved, over ``instruments`` (the caller checks
        they are the file and ratifications it was taken with): its facts replayed from
        memory up to its instant. InputError when the bytes are not a checkpoint of this
        format (the caller then rebuilds from the store); nothing in them is executed."""
        facts, at = decode_state(blob)
        live = cls(instruments)
        state = live._state
        grouped: dict[str, list[MonitoringFact]] = {}
        for fact in facts:
            grouped.setdefault(fact.id, []).append(fact)
        for fact_id, revisions in grouped.items():
            if len(revisions) > 1:
                revisions.sort(key=_revision)
            state.facts[fact_id] = tuple(revisions)
        if at is not None:
            live._rebuild(at)
            state.at = at
        return live


def _revision(fact: MonitoringFact) -> int:
    return fact.revision


def _in_order(facts: Sequence[MonitoringFact]) -> list[MonitoringFact]:
    """Recording order, ties by fact id then revision (``fact_build``'s order)."""
    return sorted(facts, key=lambda f: (f.recorded_at, f.id, f.revision))
