"""Obligations: what a trigger firing obliges whom to do, by when, and the record of it.

Each alert creates the obligations its instrument attaches to that trigger (consult within
24 h; response level 1 at 24 h, 2 if the breach persists, 3 at 72 h). Nothing is overwritten:
an obligation's life is a list of :class:`ObligationEvent` (``open`` → ``met`` with the
evidence, or ``open`` → ``overdue`` → ``met`` late), and its state at any instant is derived
from the events up to that instant. The deadline is the first instant of lateness: an
obligation not met before its deadline is overdue *at* the deadline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ceasefire.errors import InputError
from ceasefire.guarantees.alerts import Alert
from ceasefire.guarantees.model import Instrument, ObligationKind

#: Who records what the system itself observes (creation, lapse of a deadline).
SYSTEM = "system"


class ObligationState(StrEnum):
    """Open until met; overdue from the deadline on; met (on time or late) with evidence."""

    OPEN = "open"
    MET = "met"
    OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class Obligation:
    """One obligation created by one alert; ``deadline = created_at + due_h``."""

    id: str
    alert_id: str
    instrument_id: str
    template_id: str
    owner: str
    kind: ObligationKind
    level: int
    text: str
    created_at: datetime
    deadline: datetime


@dataclass(frozen=True, slots=True)
class ObligationEvent:
    """One entry of an obligation's history, appended, never edited."""

    obligation_id: str
    state: ObligationState
    at: datetime
    by: str
    evidence: str | None = None


@dataclass(frozen=True, slots=True)
class ObligationStatus:
    """An obligation's state at one instant; ``late`` when met at or after the deadline."""

    state: ObligationState
    met_at: datetime | None
    late: bool
    evidence: str | None


def obligations_for(alert: Alert, instrument: Instrument) -> list[Obligation]:
    """The obligations ``alert`` creates under ``instrument`` (ids deterministic)."""
    out = []
    for template in instrument.obligations:
        if template.on != alert.trigger_id or instrument.id != alert.instrument_id:
            continue
        digest = hashlib.sha256(f"{alert.id}\x1f{template.id}".encode()).hexdigest()
        out.append(
            Obligation(
                id=f"O-{digest[:16]}",
                alert_id=alert.id,
                instrument_id=instrument.id,
                template_id=template.id,
                owner=template.owner,
                kind=template.kind,
                level=template.level,
                text=template.text,
                created_at=alert.fired_at,
                deadline=alert.fired_at + timedelta(hours=template.due_h),
            )
        )
    return out


def opened(obligation: Obligation) -> ObligationEvent:
    """The first event of every obligation."""
    return ObligationEvent(obligation.id, ObligationState.OPEN, obligation.created_at, SYSTEM)


def status_at(
    obligation: Obligation, events: Sequence[ObligationEvent], at: datetime
) -> ObligationStatus:
    """The state at ``at`` from the events recorded up to ``at`` (and the deadline)."""
    met = [e for e in events if e.state is ObligationState.MET and e.at <= at]
    if met:
        first = min(met, key=lambda e: e.at)
        return ObligationStatus(
            ObligationState.MET, first.at, first.at >= obligation.deadline, first.evidence
        )
    state = ObligationState.OVERDUE if at >= obligation.deadline else ObligationState.OPEN
    return ObligationStatus(state, None, False, None)


def meet(
    obligation: Obligation,
    events: Sequence[ObligationEvent],
    *,
    at: datetime,
    by: str,
    evidence: str,
) -> ObligationEvent:
    """Record that the obligation is met, with its evidence (e.g. the consultation record).

    Raises InputError when the evidence is empty, the time precedes the obligation, or it is
    already met (a second record would blur which evidence counts).
    """
    if not evidence.strip():
        raise InputError("evidence", "required", "an obligation is met only with evidence")
    if at < obligation.created_at:
        raise InputError("at", "after_creation", "cannot be met before it existed")
    if status_at(obligation, events, at).state is ObligationState.MET:
        raise InputError("state", "already_met", f"obligation {obligation.id} is already met")
    return ObligationEvent(obligation.id, ObligationState.MET, at, by, evidence.strip())


def overdue_events(
    obligations: Sequence[Obligation], events: Sequence[ObligationEvent], now: datetime
) -> list[ObligationEvent]:
    """The ``overdue`` events to append at ``now``: deadline passed, not met, not yet noted.

    Each is stamped with the deadline itself, the instant the obligation became overdue.
    """
    by_obligation: dict[str, list[ObligationEvent]] = {}
    for event in events:
        by_obligation.setdefault(event.obligation_id, []).append(event)
    out = []
    for obligation in obligations:
        history = by_obligation.get(obligation.id, [])
        if now < obligation.deadline or any(e.state is ObligationState.OVERDUE for e in history):
            continue
        if status_at(obligation, history, obligation.deadline).state is ObligationState.OVERDUE:
            out.append(
                ObligationEvent(obligation.id, ObligationState.OVERDUE, obligation.deadline, SYSTEM)
            )
    return out
