"""Backtest: when each trigger would have fired over a stretch of history, step by step.

One replay of the facts recorded by the end of the stretch (``evaluate.replay``, the same
as-of evaluation as ``guarantees status --at``), its alerts then cut into steps by firing
time. The evaluator is causal — an alert fired at *t* depends only on facts recorded by *t*,
and a late delivery cannot rewrite the past — so the alerts of the steps up to *t* are
exactly those a replay at *t* names (tested), at the cost of one replay instead of one per
step.

History must carry its own receipt times for this to mean anything: a file ingested today
is known today. ``ceasefire ingest --received-at observed`` stamps each report as received
when observed (``pipeline.receipt``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ceasefire.errors import InputError
from ceasefire.guarantees.alerts import Alert
from ceasefire.guarantees.evaluate import replay
from ceasefire.guarantees.facts import MonitoringFact
from ceasefire.guarantees.model import InstrumentSet

_STEP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def parse_step(text: str) -> timedelta:
    """``"6h"`` → 6 hours; units s, m, h, d. Raises ``InputError`` for anything else or 0.

    >>> parse_step("6h")
    datetime.timedelta(seconds=21600)
    """
    match = _STEP.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise InputError("step", "format", f"{text!r} is not a positive duration such as 6h")
    return timedelta(seconds=float(match.group(1)) * _UNIT_S[match.group(2)])


@dataclass(frozen=True, slots=True)
class BacktestStep:
    """The alerts fired in ``(start, end]`` (the first step also holds its ``start``)."""

    start: datetime
    end: datetime
    alerts: tuple[Alert, ...]


@dataclass(frozen=True, slots=True)
class Backtest:
    """A backtest from ``start`` to ``end``: alerts fired before ``start`` (``earlier``),
    then every step in order (empty ones included)."""

    start: datetime
    end: datetime
    step: timedelta
    earlier: tuple[Alert, ...]
    steps: tuple[BacktestStep, ...]

    def first_firings(self) -> dict[tuple[str, str], Alert]:
        """(instrument, trigger) → its first alert in the stretch."""
        out: dict[tuple[str, str], Alert] = {}
        for step in self.steps:
            for alert in step.alerts:
                out.setdefault((alert.instrument_id, alert.trigger_id), alert)
        return out


def run_backtest(
    instruments: InstrumentSet,
    facts: Sequence[MonitoringFact],
    *,
    start: datetime,
    end: datetime,
    step: timedelta,
) -> Backtest:
    """Replay ``facts`` up to ``end`` and cut the alerts into steps of ``step`` from
    ``start``; the last step ends at ``end`` (it may be shorter)."""
    if end < start:
        raise InputError("to", "order", "the end of a backtest precedes its start")
    if step <= timedelta(0):
        raise InputError("step", "range", "the step must be positive")
    alerts = sorted(replay(instruments, facts, at=end), key=lambda a: (a.fired_at, a.id))
    earlier = tuple(a for a in alerts if a.fired_at < start)
    steps: list[BacktestStep] = []
    lower = start
    pending = [a for a in alerts if a.fired_at >= start]
    k = 0
    while True:
        upper = min(lower + step, end)
        inside = tuple(a for a in pending[k:] if a.fired_at <= upper)
        k += len(inside)
        steps.append(BacktestStep(lower, upper, inside))
        if upper >= end:
            break
        lower = upper
    return Backtest(start, end, step, earlier, tuple(steps))
