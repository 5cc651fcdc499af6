"""Trigger evaluation: live as facts arrive, and on demand for any past moment.

:class:`TriggerEvaluator` takes facts in the order they were recorded and fires alerts:
rate triggers vectorised per batch (``rates``), fact triggers on the few candidate facts a
numpy prefilter lets through, persistence by timers that fire at their exact deadline, and
combinators over the alerts of their children. :func:`replay` runs a fresh evaluator over
the facts recorded up to ``at``; since the evaluator's answers do not depend on how the facts
are batched or when the clock ticks (tested), live and replay name the same alerts, with the
same ids, times and evidence.

A fact whose ``recorded_at`` is earlier than what the evaluator has already seen is treated
as recorded at that later instant (a late delivery cannot rewrite the past); a fact recorded
after the clock's ``now`` is an error.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from datetime import datetime
from itertools import chain

import numpy as np
from numpy.typing import NDArray

from ceasefire.clock import Clock, FixedClock
from ceasefire.errors import InputError
from ceasefire.guarantees.activation import Activation, activation_of
from ceasefire.guarantees.alerts import Alert, alert_id
from ceasefire.guarantees.combine import Bound, Combinators
from ceasefire.guarantees.conditions import (
    categories_of,
    is_breach,
    matches,
    measures_of,
    prefilter_masks,
)
from ceasefire.guarantees.facts import (
    DAY_S,
    FactColumns,
    MonitoringFact,
    category_mask,
    utc_from_s,
)
from ceasefire.guarantees.model import InstrumentSet
from ceasefire.guarantees.rates import RateCounter, RateHit, epoch_day
from ceasefire.guarantees.triggers import (
    AllOf,
    AnyOf,
    Breach,
    FactTrigger,
    PersistentBreach,
    RateTrigger,
    SectorBy,
    Surge,
    TriggerKind,
    VerificationDenial,
    clause_of,
)
from ceasefire.reports.model import Category

_Signature = tuple[frozenset[Category], int, SectorBy, float, bool]


_Cell = tuple[int, int]  # (sector code, epoch day observed)
_Evidence = dict[_Cell, list[MonitoringFact]]


class TriggerEvaluator:
    """Evaluates every trigger of an instrument set over a stream of facts.

    ``monitoring_since``: the first monitored instant (default: the first fact's recording
    day); rate baselines need ``baseline_days`` whole days after it. ``retain_days``: how long
    counted facts are kept to name a surge's evidence (counts are kept for good).
    ``emit_from``: alerts firing earlier are computed (they set the state) but neither
    returned nor passed to combinators — for a replay of a window whose earlier alerts are
    already known (see ``incremental``); :meth:`seed` gives combinators those instead.
    """

    def __init__(
        self,
        instruments: InstrumentSet,
        *,
        clock: Clock,
        monitoring_since: datetime | None = None,
        retain_days: int = 3,
        emit_from: datetime | None = None,
    ) -> None:
        self._clock = clock
        self._emit_from_s = emit_from.timestamp() if emit_from is not None else -math.inf
        self._since = monitoring_since
        self._retain_days = retain_days
        self.activations: dict[str, Activation] = {}
        self._airspaces = {a.id: a.polygon for a in instruments.airspaces}
        self._rate: dict[_Signature, list[tuple[Bound, RateTrigger]]] = {}
        self._counters: dict[_Signature, RateCounter] = {}
        self._evidence: dict[_Signature, _Evidence] = {}
        self._fact: list[tuple[Bound, FactTrigger]] = []
        self._persistent: list[tuple[Bound, PersistentBreach]] = []
        self._combinators = Combinators()
        for instrument in instruments.instruments:
            activation = activation_of(instrument, instruments.ceasefire_in_force_from)
            self.activations[instrument.id] = activation
            from_s = activation.active_from.timestamp() if activation.active_from else math.inf
            until_s = activation.active_until.timestamp() if activation.active_until else math.inf
            for trigger in instrument.triggers:
                bound = Bound.of(instrument, trigger, from_s, until_s)
                if isinstance(trigger, PersistentBreach):
                    self._persistent.append((bound, trigger))
                elif isinstance(trigger, AllOf | AnyOf):
                    for child in trigger.of:
                        self._combinators.add(f"{instrument.id}/{child}", bound, trigger)
                elif isinstance(trigger, Surge | VerificationDenial):
                    sig = (
                        trigger.categories,
                        trigger.min_verification.rank,
                        trigger.sector_by,
                        trigger.grid_deg,
                        isinstance(trigger, Surge) and trigger.first_hand_only,
                    )
                    self._rate.setdefault(sig, []).append((bound, trigger))
                else:
                    self._fact.append((bound, trigger))
        triggers = [t for _, t in self._fact]
        masks = prefilter_masks(triggers)
        self._candidate_categories, self._heavy_categories, self._heavy_weapons = masks
        self._fact_filtered = [(b, t, categories_of(t)) for b, t in self._fact]
        breach: list[Breach | PersistentBreach] = [t for _, t in self._persistent]
        breach += [t for _, t in self._fact if isinstance(t, Breach)]
        self._breach_severity = min((t.min_severity for t in breach), default=1 << 14)
        self._breach_rank = min((t.min_verification.rank for t in breach), default=9)
        self._fired: set[tuple[str, str]] = set()
        self._timers: list[tuple[float, int, int, str]] = []
        self._latest: dict[str, MonitoringFact] = {}
        self._seq = 0
        self._last_s = -math.inf
        self.alerts: list[Alert] = []

    def ingest(self, facts: Sequence[MonitoringFact]) -> list[Alert]:
        """Evaluate a batch of facts (in recording order), then advance to the clock's now.

        Alerts come back in the order they fired (ties by id), combinators after the alert
        that completed them.
        """
        now_s = self._clock.now().timestamp()
        leaves: list[Alert] = []
        if facts:
            cols = FactColumns.of(facts)
            recorded = np.maximum.accumulate(np.maximum(cols.recorded_s, self._last_s))
            if recorded[-1] > now_s:
                raise InputError("recorded_at", "not_future", "a fact is recorded after now")
            days = epoch_day(recorded)
            cuts = np.flatnonzero(days[1:] != days[:-1]) + 1
            for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(facts)], strict=True):
                leaves += self._day_batch(
                    facts=facts,
                    cols=cols,
                    recorded=recorded,
                    lo=int(lo),
                    hi=int(hi),
                    day=int(days[lo]),
                )
        return self._finish(leaves, now_s)

    def seed(self, earlier: Sequence[Alert]) -> None:
        """Give the combinators the alerts fired before ``emit_from`` (as recorded), so that
        ``all`` windows, rests and episode numbers continue where they stood."""
        combined = {TriggerKind.ALL, TriggerKind.ANY}
        self._combinators.propagate([a for a in earlier if a.kind not in combined])

    def tick(self) -> list[Alert]:
        """Advance to the clock's now: persistence deadlines that have passed fire."""
        return self._finish([], self._clock.now().timestamp())

    def _finish(self, leaves: list[Alert], now_s: float) -> list[Alert]:
        # Whatever arrives after this call counts as recorded no earlier than now, so
        # alerts leave the evaluator in time order across calls as within one.
        leaves += self._due(now_s)
        leaves = [a for a in leaves if a.fired_at.timestamp() >= self._emit_from_s]
        self._last_s = max(self._last_s, now_s)
        new = self._combinators.propagate(leaves)
        self.alerts += new
        return new

    def _day_batch(
        self,
        *,
        facts: Sequence[MonitoringFact],
        cols: FactColumns,
        recorded: NDArray[np.float64],
        lo: int,
        hi: int,
        day: int,
    ) -> list[Alert]:
        observed = np.minimum(cols.observed_s[lo:hi], recorded[lo:hi])
        leaves = self._rates(
            facts=facts, cols=cols, recorded=recorded, observed=observed, lo=lo, hi=hi, day=day
        )
        cand = self._candidate_categories[cols.category[lo:hi]] | cols.remedied[lo:hi]
        cand |= (
            self._heavy_categories[cols.category[lo:hi]]
            & self._heavy_weapons[cols.weapon[lo:hi] + 1]
        )
        cand |= (cols.severity[lo:hi] >= self._breach_severity) & (
            cols.rank[lo:hi] >= self._breach_rank
        )
        for i in (np.flatnonzero(cand) + lo).tolist():
            leaves += self._due(float(recorded[i]), strict=True)
            leaves += self._one_fact(facts[i], float(recorded[i]), float(observed[i - lo]))
        return leaves

    # -- rate triggers ------------------------------------------------------------------

    def _rates(
        self,
        *,
        facts: Sequence[MonitoringFact],
        cols: FactColumns,
        recorded: NDArray[np.float64],
        observed: NDArray[np.float64],
        lo: int,
        hi: int,
        day: int,
    ) -> list[Alert]:
        out: list[Alert] = []
        obs_day = epoch_day(observed)
        for sig, bounds in self._rate.items():
            counter = self._counter(sig, day)
            mask = counter.category_mask[cols.category[lo:hi]] & cols.first[lo:hi]
            mask &= (cols.rank[lo:hi] >= counter.min_rank) & (obs_day >= counter.day0)
            if sig[4]:  # first-hand facts only
                mask &= cols.first_hand[lo:hi]
            idx = np.flatnonzero(mask)
            counter.roll_to(day, {t.baseline_days for _, t in bounds})
            sectors = counter.sector_codes(
                cols.sector[lo:hi][idx], cols.lon[lo:hi][idx], cols.lat[lo:hi][idx]
            )
            positions = idx + lo
            allowed = {
                b.key: (observed[idx] >= b.from_s)
                & (observed[idx] < b.until_s)
                & (recorded[positions] >= b.from_s)
                & (recorded[positions] < b.until_s)
                for b, _ in bounds
            }
            pairs = [(b.key, t) for b, t in bounds]
            hits = counter.count(
                triggers=pairs,
                sector=sectors,
                day=obs_day[idx],
                weight=cols.count[lo:hi][idx],
                positions=positions,
                allowed=allowed,
            )
            by_key = {b.key: b for b, _ in bounds}
            out += [
                self._rate_alert(
                    bound=by_key[h.trigger_key],
                    hit=h,
                    counter=counter,
                    sig=sig,
                    batch=(facts, positions, sectors, obs_day[idx]),
                    fired_s=float(recorded[h.position]),
                )
                for h in hits
            ]
            self._keep_evidence(
                sig=sig,
                facts=facts,
                positions=positions,
                sectors=sectors,
                days=obs_day[idx],
                today=day,
            )
        return out

    def _keep_evidence(
        self,
        *,
        sig: _Signature,
        facts: Sequence[MonitoringFact],
        positions: NDArray[np.int64],
        sectors: NDArray[np.int64],
        days: NDArray[np.int64],
        today: int,
    ) -> None:
        """Index the counted facts by (sector, day) for ``retain_days`` to name a surge's facts."""
        cells = self._evidence.setdefault(sig, {})
        if len(positions):
            first = int(days.min())
            key = sectors * 100_000 + (days - first)
            order = np.argsort(key, kind="stable")
            uniques, starts = np.unique(key[order], return_index=True)
            groups = np.split(positions[order], starts[1:])
            for cell_key, group in zip(uniques.tolist(), groups, strict=True):
                cell = (cell_key // 100_000, cell_key % 100_000 + first)
                cells.setdefault(cell, []).extend([facts[p] for p in group.tolist()])
        for cell in [c for c in cells if c[1] < today - self._retain_days]:
            del cells[cell]

    def _counter(self, sig: _Signature, day: int) -> RateCounter:
        counter = self._counters.get(sig)
        if counter is None:
            day0 = day if self._since is None else int(self._since.timestamp() // DAY_S)
            categories, rank, sector_by, grid, _ = sig
            counter = RateCounter(category_mask(categories), rank, sector_by, grid, day0)
            self._counters[sig] = counter
        return counter

    def _rate_alert(
        self,
        *,
        bound: Bound,
        hit: RateHit,
        counter: RateCounter,
        sig: _Signature,
        batch: tuple[
            Sequence[MonitoringFact], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]
        ],
        fired_s: float,
    ) -> Alert:
        """The alert of a crossing; evidence = earlier batches' facts of the cell, then this
        batch's up to the crossing fact (``batch``: facts, positions, sectors, days)."""
        code = counter.sectors[hit.sector]
        facts, positions, sectors, days = batch
        now = (sectors == code) & (days == hit.day) & (positions <= hit.position)
        evidence = self._evidence.get(sig, {}).get((code, hit.day), [])
        evidence = evidence + [facts[p] for p in positions[now].tolist()]
        date = utc_from_s(hit.day * DAY_S).date().isoformat()
        key = f"{hit.sector}@{date}"
        return Alert(
            id=alert_id(bound.instrument.id, bound.trigger.id, key),
            instrument_id=bound.instrument.id,
            trigger_id=bound.trigger.id,
            kind=bound.trigger.kind,
            level=bound.trigger.level,
            fired_at=utc_from_s(fired_s),
            key=key,
            clause=clause_of(bound.trigger),
            measures={
                "sector": hit.sector,
                "day": date,
                "count": hit.count,
                "median": hit.median,
                "threshold": hit.threshold,
            },
            fact_ids=tuple([f.id for f in evidence]),
            report_ids=tuple(dict.fromkeys(chain.from_iterable([f.report_ids for f in evidence]))),
            sector=hit.sector,
        )

    # -- fact triggers and persistence --------------------------------------------------

    def _one_fact(self, fact: MonitoringFact, recorded_s: float, observed_s: float) -> list[Alert]:
        out: list[Alert] = []
        if fact.id in self._latest:
            self._latest[fact.id] = fact
        for bound, trigger, categories in self._fact_filtered:
            if categories is not None and fact.category not in categories:
                continue
            mark = (bound.key, fact.id)
            if mark in self._fired or not (bound.active(observed_s) and bound.active(recorded_s)):
                continue
            if matches(trigger, fact, self._airspaces):
                self._fired.add(mark)
                out.append(self._fact_alert(bound, fact, recorded_s, measures_of(trigger, fact)))
        for index, (bound, persistent) in enumerate(self._persistent):
            mark = (bound.key, fact.id)
            if mark in self._fired or not bound.active(observed_s):
                continue
            if is_breach(persistent, fact) and fact.remedied_at is None:
                self._fired.add(mark)
                self._latest[fact.id] = fact
                deadline = recorded_s + persistent.hours * 3600.0
                heapq.heappush(self._timers, (deadline, self._next(), index, fact.id))
        return out

    def _due(self, now_s: float, *, strict: bool = False) -> list[Alert]:
        """Fire persistence timers with deadline <= now (< now when ``strict``)."""
        out: list[Alert] = []
        while self._timers and (
            self._timers[0][0] < now_s or (not strict and self._timers[0][0] <= now_s)
        ):
            deadline, _, index, fact_id = heapq.heappop(self._timers)
            bound, persistent = self._persistent[index]
            fact = self._latest[fact_id]
            remedied = fact.remedied_at is not None and fact.remedied_at.timestamp() <= deadline
            if not remedied and bound.active(deadline):
                measures = measures_of(Breach(persistent.id), fact)
                measures["hours_unremedied"] = persistent.hours
                out.append(self._fact_alert(bound, fact, deadline, measures))
        return out

    def _fact_alert(
        self, bound: Bound, fact: MonitoringFact, fired_s: float, measures: dict[str, float | str]
    ) -> Alert:
        return Alert(
            id=alert_id(bound.instrument.id, bound.trigger.id, fact.id),
            instrument_id=bound.instrument.id,
            trigger_id=bound.trigger.id,
            kind=bound.trigger.kind,
            level=bound.trigger.level,
            fired_at=utc_from_s(fired_s),
            key=fact.id,
            clause=clause_of(bound.trigger),
            measures=measures,
            fact_ids=(fact.id,),
            report_ids=fact.report_ids,
            sector=fact.sector,
        )

    def _next(self) -> int:
        self._seq += 1
        return self._seq


def replay(
    instruments: InstrumentSet,
    facts: Sequence[MonitoringFact],
    *,
    at: datetime,
    monitoring_since: datetime | None = None,
) -> list[Alert]:
    """Every alert that had fired by ``at``, from the facts recorded up to ``at``.

    Facts are taken in recording order (stable for ties), exactly as the live evaluator
    would have received them.
    """
    known = sorted((f for f in facts if f.recorded_at <= at), key=lambda f: f.recorded_at)
    evaluator = TriggerEvaluator(
        instruments, clock=FixedClock(at), monitoring_since=monitoring_since
    )
    evaluator.ingest(known)
    return evaluator.alerts
