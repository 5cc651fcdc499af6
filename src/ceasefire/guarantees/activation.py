"""Entry into force: from which instant an instrument binds, and until when.

The Paris Declaration's guarantees are "activated once a ceasefire enters into force", in
accordance with each state's constitutional arrangements (parliamentary approval in most).
So an instrument is active from the *latest* instant at which all its conditions hold: the
ceasefire's entry into force and the ratifications it needs. It lapses at the end of its
duration or when a notice of termination takes effect, whichever comes first.
The interval is half-open: active at ``active_from`` exactly, no longer at ``active_until``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime

from ceasefire.guarantees.model import ConditionKind, Instrument


@dataclass(frozen=True, slots=True)
class Activation:
    """When an instrument is in force; ``pending`` lists the conditions not (yet) met."""

    instrument_id: str
    active_from: datetime | None
    active_until: datetime | None
    pending: tuple[str, ...]

    def active_at(self, at: datetime) -> bool:
        """True when ``active_from <= at < active_until``."""
        if self.active_from is None or at < self.active_from:
            return False
        return self.active_until is None or at < self.active_until

    def explain_at(self, at: datetime) -> str:
        """One sentence saying whether and why the instrument is active at ``at``."""
        if self.active_from is None:
            return "not in force: " + "; ".join(self.pending)
        if at < self.active_from:
            return f"not yet in force: all conditions hold from {self.active_from.isoformat()}"
        if self.active_until is not None and at >= self.active_until:
            return f"lapsed at {self.active_until.isoformat()}"
        until = f" until {self.active_until.isoformat()}" if self.active_until else ""
        return f"in force since {self.active_from.isoformat()}{until}"


def add_months(when: datetime, months: int) -> datetime:
    """``when`` plus calendar months, the day clamped to the month's length (31 Aug + 6 = 28 Feb).

    >>> from datetime import UTC
    >>> add_months(datetime(2026, 8, 31, tzinfo=UTC), 6).date().isoformat()
    '2027-02-28'
    """
    month0 = when.month - 1 + months
    year = when.year + month0 // 12
    month = month0 % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def activation_of(instrument: Instrument, ceasefire_in_force_from: datetime | None) -> Activation:
    """Compute the instrument's interval of force from its conditions and the ceasefire.

    A ratification condition with a quorum q is met at the q-th earliest ratification date
    among its parties; one never met leaves the instrument not in force, with the reason.
    """
    starts: list[datetime] = []
    pending: list[str] = []
    satisfied = {r.party: r.satisfied_from for r in instrument.ratifications}
    for condition in instrument.conditions:
        if condition.kind is ConditionKind.CEASEFIRE_IN_FORCE:
            if ceasefire_in_force_from is None:
                pending.append("the ceasefire is not in force")
            else:
                starts.append(ceasefire_in_force_from)
            continue
        need = condition.quorum if condition.quorum is not None else len(condition.parties)
        dates = sorted(d for p in condition.parties if (d := satisfied.get(p)) is not None)
        if len(dates) < need:
            missing = [p for p in condition.parties if satisfied.get(p) is None]
            pending.append(
                f"ratification by {need} of {len(condition.parties)} parties "
                f"({len(dates)} done; not yet: {', '.join(missing)})"
            )
        else:
            starts.append(dates[need - 1])
    if pending:
        return Activation(instrument.id, None, None, tuple(pending))
    active_from = max(starts) if starts else None
    if active_from is None:
        return Activation(instrument.id, None, None, ("no entry-into-force condition",))
    ends: list[datetime] = []
    if instrument.duration_months is not None:
        ends.append(add_months(active_from, instrument.duration_months))
    notice = instrument.termination_notice_months or 0
    ends.extend(add_months(t.notice_given, notice) for t in instrument.terminations)
    return Activation(instrument.id, active_from, min(ends) if ends else None, ())
