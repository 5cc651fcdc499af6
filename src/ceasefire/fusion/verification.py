"""Verification states of an incident, as history: who changed what, when, and why.

``reported`` (one independent witness) → ``corroborated`` (>= 2 independent witnesses,
automatic, by ``SYSTEM``) → ``verified`` / ``disputed`` / ``rejected`` (an analyst, by name).
Nothing is overwritten: every change is a new :class:`StateChange`; the current state is the
last one. Fusion may demote an automatic ``corroborated`` back to ``reported`` when a report is
withdrawn, but never touches an analyst's decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from ceasefire.errors import InputError
from ceasefire.fusion.grading import CORROBORATION_WITNESSES


class VerificationState(StrEnum):
    """Where an incident stands; the last three are analysts' decisions."""

    REPORTED = "reported"
    CORROBORATED = "corroborated"
    VERIFIED = "verified"
    DISPUTED = "disputed"
    REJECTED = "rejected"


#: author of automatic changes
SYSTEM: Final = "fusion"
AUTOMATIC: Final = frozenset({VerificationState.REPORTED, VerificationState.CORROBORATED})
ANALYST: Final = frozenset(
    {VerificationState.VERIFIED, VerificationState.DISPUTED, VerificationState.REJECTED}
)


@dataclass(frozen=True)
class StateChange:
    """One change of state; ``before`` is ``None`` for an incident's first state."""

    incident_id: str
    before: VerificationState | None
    after: VerificationState
    by: str
    at: datetime
    note: str | None = None


def automatic_state(independent_sources: int) -> VerificationState:
    """The state fusion alone assigns from the number of independent witnesses."""
    if independent_sources >= CORROBORATION_WITNESSES:
        return VerificationState.CORROBORATED
    return VerificationState.REPORTED


def refresh(
    incident_id: str,
    current: VerificationState | None,
    independent_sources: int,
    *,
    at: datetime,
) -> StateChange | None:
    """The automatic change after re-fusion, or ``None`` (no change, or an analyst decided)."""
    if at.tzinfo is None:
        raise InputError("at", "timezone", "state changes need a UTC-aware time")
    if current in ANALYST:
        return None
    target = automatic_state(independent_sources)
    if target == current:
        return None
    return StateChange(incident_id, current, target, SYSTEM, at)


def decide(
    incident_id: str,
    current: VerificationState,
    target: VerificationState,
    *,
    by: str,
    at: datetime,
    note: str | None = None,
) -> StateChange:
    """An analyst's decision. Raises ``InputError`` for a non-analyst target, an empty
    author, a naive time, or a decision equal to the current state."""
    if target not in ANALYST:
        raise InputError("state", "analyst_states", f"{target} is set by fusion, not by hand")
    if not by.strip() or by == SYSTEM:
        raise InputError("by", "required", "a decision names the analyst who takes it")
    if at.tzinfo is None:
        raise InputError("at", "timezone", "state changes need a UTC-aware time")
    if target == current:
        raise InputError("state", "no_change", f"incident {incident_id} is already {target}")
    return StateChange(incident_id, current, target, by, at, note)


def current_state(history: list[StateChange]) -> VerificationState | None:
    """The state after ``history`` (in the order recorded)."""
    return history[-1].after if history else None
