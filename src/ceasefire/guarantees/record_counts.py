"""One count of the guarantees record, the same for every command that reports it.

``guarantees evaluate`` printed "60 alerts (0 new)" while the ledger gained 60 ``trigger.fired``
entries, ``status`` listed 6 alerts and ``obligations`` 4 (issue 17): each counted something
else — the alerts of the window evaluated, the alerts fired by the wall clock (the demo's
simulated month lies ahead of it), the last five per instrument. Now every command counts
:func:`count_record` as of the same moment, ``live_service.horizon`` by default (now, or the
latest evaluation when a simulated stream ran ahead of the clock):

- ``alerts``: stored alerts fired by then — one ``trigger.fired`` ledger entry each;
- ``obligations``: stored obligations created by then — one ``obligation.state`` entry with
  state ``open`` each — split by their state then (open, overdue, met);
- ``new`` (``evaluate``, ingest): what this run recorded, nothing else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ceasefire.guarantees.alerts import Alert
from ceasefire.guarantees.obligations import Obligation, ObligationEvent, status_at


@dataclass(frozen=True, slots=True)
class RecordCounts:
    """The record as of ``at``: alert and obligation totals, obligations by state."""

    at: datetime
    alerts: int
    obligations: int
    by_state: dict[str, int] = field(default_factory=dict)


def count_record(
    alerts: Sequence[Alert],
    obligations: Sequence[tuple[Obligation, Sequence[ObligationEvent]]],
    at: datetime,
) -> RecordCounts:
    """Count ``alerts`` fired and ``obligations`` created by ``at``, with their states then.

    >>> from datetime import UTC
    >>> count_record([], [], datetime(2026, 12, 1, tzinfo=UTC)).alerts
    0
    """
    fired = sum(1 for a in alerts if a.fired_at <= at)
    states = Counter(
        str(status_at(o, events, at).state) for o, events in obligations if o.created_at <= at
    )
    return RecordCounts(at, fired, sum(states.values()), dict(sorted(states.items())))
