"""Analyst decisions across re-fusion (``fusion.carryover``): which decision a new incident
inherits, and whether it is the incident's state or a verdict on a tearline."""

from __future__ import annotations

import doctest

from ceasefire.fusion import carryover
from ceasefire.fusion.carryover import Decision, first_states, standing_decision
from ceasefire.fusion.verification import SYSTEM, VerificationState

OPEN = (("UNCLASSIFIED", ""),)
WIDER = (("SECRET", "FRA"), ("UNCLASSIFIED", ""))


def test_the_examples_hold() -> None:
    result = doctest.testmod(carryover)
    assert result.attempted >= 6
    assert result.failed == 0


def test_a_later_automatic_state_means_no_decision_stands() -> None:
    history = [("verified", "ana", OPEN), ("disputed", "bob", OPEN), ("reported", SYSTEM, OPEN)]
    assert standing_decision(3, history) is None
    assert standing_decision(3, history[:2]) == Decision(VerificationState.DISPUTED, "bob", 3, OPEN)
    assert standing_decision(3, []) is None


def test_merged_decisions_resolve_the_same_way_whatever_their_order() -> None:
    rejected = Decision(VerificationState.REJECTED, "ana", 12, OPEN)
    verified = Decision(VerificationState.VERIFIED, "bob", 9, OPEN)
    disputed = Decision(VerificationState.DISPUTED, "cem", 10, WIDER)
    found = {
        tuple(first_states(1, WIDER, order))
        for order in ([rejected, verified, disputed], [disputed, verified, rejected])
    }
    assert len(found) == 1
    (only,) = first_states(1, WIDER, [rejected, verified, disputed])
    # 'disputed' sorts first; its author saw all the incident's kinds: the incident's state
    assert (only.state, only.author, only.tearline) == (VerificationState.DISPUTED, "cem", False)
    assert only.note == "carried over from incident 10"


def test_a_decision_on_less_than_the_incident_stays_on_its_tearline() -> None:
    decided = Decision(VerificationState.REJECTED, "ana", 4, OPEN)
    automatic, verdict = first_states(2, WIDER, [decided])
    assert (automatic.state, automatic.author, automatic.marking) == (
        VerificationState.CORROBORATED,
        SYSTEM,
        WIDER,
    )
    assert (verdict.state, verdict.previous, verdict.marking, verdict.tearline) == (
        VerificationState.REJECTED,
        VerificationState.CORROBORATED,
        OPEN,
        True,
    )
