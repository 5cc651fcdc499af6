"""Special Commission cases: breach → attribution → remedy (Paris Declaration, component 1).

The Paris text gives the coalition's Special Commission three jobs: "address any breaches,
attribute responsibility, and determine remedies". Minsk II had no such body, and failed
there. A case opens when a breach-type alert fires under an instrument with a commission;
it then moves forward only along the workflow below, each step an appended event with its
author, linking fusion's attribution record when there is one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ceasefire.errors import InputError
from ceasefire.guarantees.alerts import Alert
from ceasefire.guarantees.model import Instrument
from ceasefire.guarantees.obligations import SYSTEM
from ceasefire.guarantees.triggers import TriggerKind


class CaseStage(StrEnum):
    """Where a case stands; ``closed`` ends it (with a note when no remedy was determined)."""

    BREACH = "breach"
    ATTRIBUTION_PROPOSED = "attribution_proposed"
    ATTRIBUTED = "attributed"
    REMEDY_DETERMINED = "remedy_determined"
    CLOSED = "closed"


#: Stages each stage may move to.
NEXT: dict[CaseStage, frozenset[CaseStage]] = {
    CaseStage.BREACH: frozenset({CaseStage.ATTRIBUTION_PROPOSED, CaseStage.ATTRIBUTED}),
    CaseStage.ATTRIBUTION_PROPOSED: frozenset(
        {CaseStage.ATTRIBUTION_PROPOSED, CaseStage.ATTRIBUTED}
    ),
    CaseStage.ATTRIBUTED: frozenset({CaseStage.REMEDY_DETERMINED}),
    CaseStage.REMEDY_DETERMINED: frozenset({CaseStage.CLOSED}),
    CaseStage.CLOSED: frozenset(),
}

#: Alert kinds that are breaches of the ceasefire and so open a case.
CASE_KINDS = frozenset(
    {
        TriggerKind.BREACH,
        TriggerKind.PERSISTENT_BREACH,
        TriggerKind.HEAVY_WEAPONS_USE,
        TriggerKind.GROUND_ADVANCE,
        TriggerKind.ATTACK_ON_FORCE,
    }
)


@dataclass(frozen=True, slots=True)
class Case:
    """One case per breach (fact) per instrument; later alerts on the same fact join it."""

    id: str
    instrument_id: str
    fact_id: str
    alert_id: str
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """A step of a case; ``attribution_id`` links fusion's attribution record."""

    case_id: str
    stage: CaseStage
    at: datetime
    by: str
    party: str | None = None
    attribution_id: str | None = None
    remedy: str | None = None
    note: str | None = None


def cases_for(alerts: Sequence[Alert], instrument: Instrument) -> list[tuple[Case, CaseEvent]]:
    """The cases these alerts open (first alert per fact), each with its opening event."""
    if not instrument.special_commission:
        return []
    seen: set[str] = set()
    out = []
    for alert in sorted(alerts, key=lambda a: (a.fired_at, a.id)):
        if alert.instrument_id != instrument.id or alert.kind not in CASE_KINDS:
            continue
        fact_id = alert.fact_ids[0]
        digest = hashlib.sha256(f"{instrument.id}\x1f{fact_id}".encode()).hexdigest()
        case_id = f"C-{digest[:16]}"
        if case_id in seen:
            continue
        seen.add(case_id)
        case = Case(case_id, instrument.id, fact_id, alert.id, alert.fired_at)
        out.append((case, CaseEvent(case_id, CaseStage.BREACH, alert.fired_at, SYSTEM)))
    return out


def stage_of(events: Sequence[CaseEvent], at: datetime | None = None) -> CaseStage:
    """The stage reached by the events recorded up to ``at`` (all when None)."""
    relevant = [e for e in events if at is None or e.at <= at]
    return relevant[-1].stage if relevant else CaseStage.BREACH


def advance(
    case: Case,
    events: Sequence[CaseEvent],
    *,
    stage: CaseStage,
    at: datetime,
    by: str,
    party: str | None = None,
    attribution_id: str | None = None,
    remedy: str | None = None,
    note: str | None = None,
) -> CaseEvent:
    """The next event of the case, checked against the workflow.

    Attribution names a party; a remedy needs an attribution first and says what it is;
    closing before a remedy needs a note saying why. Raises InputError naming the rule.
    """
    current = stage_of(events)
    allowed = NEXT[current] | ({CaseStage.CLOSED} if note else frozenset())
    if current is CaseStage.CLOSED or stage not in allowed:
        raise InputError("stage", "workflow", f"case {case.id}: {current} cannot go to {stage}")
    if events and at < events[-1].at:
        raise InputError("at", "ordered", "a case event cannot precede the previous one")
    if stage in (CaseStage.ATTRIBUTION_PROPOSED, CaseStage.ATTRIBUTED) and not party:
        raise InputError("party", "required", "an attribution names the party responsible")
    if stage is CaseStage.REMEDY_DETERMINED and not remedy:
        raise InputError("remedy", "required", "say what the remedy is")
    return CaseEvent(case.id, stage, at, by, party, attribution_id, remedy, note)


@dataclass(frozen=True, slots=True)
class AttributionStep:
    """One record of fusion's attribution workflow on a violation of the case's incident.

    ``ref`` names the record: ``attribution-<pk>`` for a proposal,
    ``attribution-<pk>/decision-<pk>`` for a decision, ``…/remedy-<pk>`` for a remedy.
    ``decision`` is ``upheld`` or ``rejected`` for decisions, None otherwise.
    """

    ref: str
    at: datetime
    by: str
    party: str
    decision: str | None = None
    remedy: str | None = None

    @property
    def stage(self) -> CaseStage | None:
        """The case stage this record moves to (None: a rejection, which moves nothing)."""
        if self.remedy is not None:
            return CaseStage.REMEDY_DETERMINED
        if self.decision is None:
            return CaseStage.ATTRIBUTION_PROPOSED
        return CaseStage.ATTRIBUTED if self.decision == "upheld" else None


def link_steps(
    case: Case, events: Sequence[CaseEvent], steps: Sequence[AttributionStep]
) -> list[CaseEvent]:
    """The case events the attribution records not yet linked add, in time order.

    A record is linked once (its ``ref`` is kept as the event's ``attribution_id``). One the
    workflow does not allow at that point (a second upheld decision, a remedy before any
    decision was upheld) is left unlinked, so it is tried again once the case has moved. A
    record made before the case opened (a proposal before the breach was verified) is linked
    at the case's latest time, the note keeping its own.
    """
    linked = {e.attribution_id for e in events if e.attribution_id}
    history = list(events)
    out: list[CaseEvent] = []
    for step in sorted(steps, key=lambda s: (s.at, s.ref)):
        stage = step.stage
        if step.ref in linked or stage is None:
            continue
        last = history[-1].at if history else case.opened_at
        at, note = step.at, None
        if at < last:
            at, note = last, f"recorded {step.at.isoformat()}, before this step of the case"
        try:
            event = advance(
                case,
                history,
                stage=stage,
                at=at,
                by=step.by,
                party=step.party,
                attribution_id=step.ref,
                remedy=step.remedy,
                note=note,
            )
        except InputError:
            continue
        history.append(event)
        out.append(event)
        linked.add(step.ref)
    return out
