"""Grading, verification states and attribution proposals: the rules analysts rely on."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from ceasefire.assessment.attribution import Basis, propose_attribution
from ceasefire.errors import InputError
from ceasefire.fusion.grading import grade_groups
from ceasefire.fusion.model import SOURCE_TYPES
from ceasefire.fusion.verification import (
    SYSTEM,
    VerificationState,
    current_state,
    decide,
    refresh,
)
from ceasefire.reports.model import Category, FireDirection, SourceType

AT = datetime(2026, 12, 10, tzinfo=UTC)


def _grade(
    sources: list[int], types: list[SourceType], grades: list[tuple[int, int]]
) -> tuple[float, int]:
    confidence, witnesses = grade_groups(
        np.zeros(len(sources), dtype=np.int64),
        1,
        source=np.array(sources, dtype=np.int64),
        source_type=np.array([SOURCE_TYPES.index(t) for t in types], dtype=np.int8),
        reliability=np.array([g[0] for g in grades], dtype=np.int8),
        credibility=np.array([g[1] for g in grades], dtype=np.int8),
    )
    return float(confidence[0]), int(witnesses[0])


def test_independent_witnesses_raise_confidence_repeats_do_not() -> None:
    post = SourceType.OBSERVATION_POST
    one = _grade([1], [post], [(1, 2)])
    two = _grade([1, 2], [post, post], [(1, 2), (1, 2)])
    same_post_twice = _grade([1, 1], [post, post], [(1, 2), (1, 2)])
    feeds = _grade([5, 6, 7], [SourceType.OSINT] * 3, [(3, 4)] * 3)
    assert one[0] == pytest.approx(0.64)
    assert one[1] == 1
    assert two[0] == pytest.approx(1 - 0.36**2)
    assert two[1] == 2
    assert same_post_twice == one
    assert feeds[0] == pytest.approx(0.16)
    assert feeds[1] == 1


def test_states_are_history_and_analysts_win() -> None:
    first = refresh("I1", None, 1, at=AT)
    assert first is not None
    assert (first.after, first.by) == (VerificationState.REPORTED, SYSTEM)
    second = refresh("I1", first.after, 2, at=AT)
    assert second is not None
    assert second.after is VerificationState.CORROBORATED
    verified = decide("I1", second.after, VerificationState.VERIFIED, by="Ana", at=AT, note="ok")
    history = [first, second, verified]
    assert current_state(history) is VerificationState.VERIFIED
    assert refresh("I1", VerificationState.VERIFIED, 1, at=AT) is None  # fusion never overrides
    with pytest.raises(InputError) as err:
        decide("I1", VerificationState.VERIFIED, VerificationState.CORROBORATED, by="Ana", at=AT)
    assert err.value.rule == "analyst_states"
    with pytest.raises(InputError):
        decide("I1", VerificationState.REPORTED, VerificationState.VERIFIED, by=" ", at=AT)


def test_attribution_follows_where_fire_came_from() -> None:
    parties = ("UKR", "RUS")
    weapons = propose_attribution(
        category=Category.HEAVY_WEAPON,
        directions=frozenset(),
        side="UKR",
        side_certain=True,
        parties=parties,
        incident_confidence=0.9,
    )
    flash = propose_attribution(
        category=Category.EXPLOSION,
        directions=frozenset({FireDirection.OUTGOING}),
        side="RUS",
        side_certain=False,
        parties=parties,
        incident_confidence=0.9,
    )
    impact = propose_attribution(
        category=Category.EXPLOSION,
        directions=frozenset({FireDirection.IMPACT}),
        side="RUS",
        side_certain=True,
        parties=parties,
        incident_confidence=0.9,
    )
    assert weapons is not None
    assert (weapons.party, weapons.basis, weapons.confidence) == ("UKR", Basis.PRESENCE, 0.9)
    assert flash is not None
    assert (flash.party, flash.basis) == ("RUS", Basis.FIRE_ORIGIN)
    assert flash.confidence < weapons.confidence
    assert impact is not None
    assert (impact.party, impact.basis) == ("UKR", Basis.IMPACT_ACROSS)
    assert propose_attribution(
        category=Category.EXPLOSION, directions=frozenset(), side=None, side_certain=False,
        parties=parties, incident_confidence=0.9,
    ) is None  # fmt: skip
