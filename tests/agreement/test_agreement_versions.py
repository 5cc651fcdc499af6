"""Picking the version in force, and when zones and rules start."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ceasefire.agreement import Agreement, load_agreement, version_in_force
from ceasefire.scenarios import scenario_dir

BASE = load_agreement(scenario_dir("minsk-2015") / "agreement.yaml")


def version(number: int, start: datetime | None) -> Agreement:
    return dataclasses.replace(BASE, version=number, in_force_from=start)


def test_version_in_force_picks_latest_started() -> None:
    v1 = version(1, datetime(2015, 2, 15, tzinfo=UTC))
    v2 = version(2, datetime(2016, 9, 21, tzinfo=UTC))
    draft = version(3, None)
    versions = [v2, draft, v1]
    assert version_in_force(versions, datetime(2015, 1, 1, tzinfo=UTC)) is None
    assert version_in_force(versions, datetime(2015, 2, 15, tzinfo=UTC)) is v1
    assert version_in_force(versions, datetime(2016, 9, 20, tzinfo=UTC)) is v1
    assert version_in_force(versions, datetime(2020, 1, 1, tzinfo=UTC)) is v2
    with pytest.raises(ValueError, match="timezone"):
        version_in_force(versions, datetime(2020, 1, 1))


@given(
    starts=st.lists(st.integers(0, 50), min_size=1, max_size=6),
    at=st.integers(0, 60),
)
def test_version_in_force_does_not_depend_on_order(starts: list[int], at: int) -> None:
    day0 = datetime(2015, 1, 1, tzinfo=UTC)
    versions = [
        version(i + 1, day0.replace(day=1 + s % 28, month=1 + s // 28))
        for i, s in enumerate(starts)
    ]
    moment = day0.replace(day=1 + at % 28, month=1 + at // 28)
    forward = version_in_force(versions, moment)
    backward = version_in_force(list(reversed(versions)), moment)
    assert forward is backward
    if forward is not None:
        assert forward.in_force_from is not None
        assert forward.in_force_from <= moment


def test_zone_and_rule_start_later_than_agreement() -> None:
    addendum = BASE.zone("withdrawal-addendum-15km")
    assert BASE.zone_in_force_from(addendum) == datetime(2015, 9, 28, 21, tzinfo=UTC)
    r1 = next(r for r in BASE.rules if r.id == "R1")
    assert BASE.rule_in_force_from(r1) == BASE.in_force_from
    draft = dataclasses.replace(BASE, in_force_from=None)
    assert draft.zone_in_force_from(addendum) is None
