"""Each caveat type, hand-made: the case it allows is covered, the case it blocks is not."""

from __future__ import annotations

import pytest
from coalition_builders import AREAS, make_line, make_pledge

from ceasefire.coalition.catalogue import Capability, PledgeStatus, Task
from ceasefire.coalition.caveats import (
    Caveat,
    CaveatKind,
    Conditional,
    Geographic,
    MinDistanceFromLine,
    NatoSoilOnly,
    NoCombatTasks,
    NotInUkraine,
    RequiresParliament,
    RequiresUsBackstop,
    TimeLimited,
    TrainingOnly,
    caveat_to_dict,
    parse_caveat,
)
from ceasefire.coalition.diagnose import ShortfallReason, shortfalls
from ceasefire.coalition.solver import SolveOptions, solve
from ceasefire.errors import InputError

BUNDESTAG = RequiresParliament("Bundestag", "bundestag_mandate")
WEST = Geographic(frozenset({"ua-west"}))
LOG = Capability.LOGISTICS_BATTALION

CASES: list[tuple[str, Caveat, dict[str, object], dict[str, bool], PledgeStatus, int]] = [
    # id, caveat, line overrides, assumptions, pledge status, months covered of 3
    ("geo-in", WEST, {"area": "ua-west"}, {}, PledgeStatus.COMMITTED, 3),
    ("geo-out", WEST, {"area": "ua-mid"}, {}, PledgeStatus.COMMITTED, 0),
    ("dist-far", MinDistanceFromLine(100), {"area": "ua-mid"}, {}, PledgeStatus.COMMITTED, 3),
    ("dist-near", MinDistanceFromLine(100), {"area": "ua-line"}, {}, PledgeStatus.COMMITTED, 0),
    ("dist-abroad", MinDistanceFromLine(100), {"area": "pol"}, {}, PledgeStatus.COMMITTED, 3),
    ("nato-pol", NatoSoilOnly(), {"area": "pol"}, {}, PledgeStatus.COMMITTED, 3),
    ("nato-mda", NatoSoilOnly(), {"area": "mda"}, {}, PledgeStatus.COMMITTED, 0),
    ("nato-ua", NatoSoilOnly(), {"area": "ua-west"}, {}, PledgeStatus.COMMITTED, 0),
    ("notua-pol", NotInUkraine(), {"area": "pol"}, {}, PledgeStatus.COMMITTED, 3),
    ("notua-ua", NotInUkraine(), {"area": "ua-west"}, {}, PledgeStatus.COMMITTED, 0),
    ("nocombat-mon", NoCombatTasks(), {"task": Task.MONITORING}, {}, PledgeStatus.COMMITTED, 3),
    ("nocombat-qrf", NoCombatTasks(), {"task": Task.QUICK_REACTION}, {}, PledgeStatus.COMMITTED, 0),
    ("train-yes", TrainingOnly(), {"task": Task.TRAINING}, {}, PledgeStatus.COMMITTED, 3),
    ("train-no", TrainingOnly(), {"task": Task.LOGISTICS}, {}, PledgeStatus.COMMITTED, 0),
    ("us-yes", RequiresUsBackstop(), {}, {"us_backstop": True}, PledgeStatus.COMMITTED, 3),
    ("us-no", RequiresUsBackstop(), {}, {"us_backstop": False}, PledgeStatus.COMMITTED, 0),
    ("us-unset", RequiresUsBackstop(), {}, {}, PledgeStatus.COMMITTED, 0),
    ("parl-yes", BUNDESTAG, {}, {"bundestag_mandate": True}, PledgeStatus.COMMITTED, 3),
    ("parl-no", BUNDESTAG, {}, {"bundestag_mandate": False}, PledgeStatus.COMMITTED, 0),
    ("parl-approved", BUNDESTAG, {}, {}, PledgeStatus.APPROVED, 3),
    ("parl-committed", BUNDESTAG, {}, {}, PledgeStatus.COMMITTED, 0),
    ("parl-false-wins", BUNDESTAG, {}, {"bundestag_mandate": False}, PledgeStatus.APPROVED, 0),
    ("time-cut", TimeLimited(until_day=60), {}, {}, PledgeStatus.COMMITTED, 2),
    ("time-none", TimeLimited(until_day=0), {}, {}, PledgeStatus.COMMITTED, 0),
    ("cond-yes", Conditional("un_mandate"), {}, {"un_mandate": True}, PledgeStatus.COMMITTED, 3),
    ("cond-no", Conditional("un_mandate"), {}, {}, PledgeStatus.COMMITTED, 0),
]


@pytest.mark.parametrize(
    ("caveat", "line", "assumed", "status", "months"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_caveat_allows_or_blocks(
    caveat: Caveat,
    line: dict[str, object],
    assumed: dict[str, bool],
    status: PledgeStatus,
    months: int,
) -> None:
    # three units with one-month tours keep a line of 1 covered for 3 months on their own
    pledge = make_pledge(units=3, caveats=(caveat,), status=status)
    req = make_line(months=3, **line)  # type: ignore[arg-type]
    plan = solve((pledge,), (req,), AREAS, SolveOptions(assumptions=assumed))
    assert int(plan.covered.sum()) == months
    if months == 0:
        (gap,) = shortfalls(plan)
        assert gap.reason is ShortfallReason.EXCLUDED
        assert "P1 (GBR)" in gap.detail


def test_every_caveat_kind_has_a_hand_made_case() -> None:
    kinds = {c[1].kind for c in CASES}
    assert kinds == set(CaveatKind)


@pytest.mark.parametrize("caveat", [c[1] for c in CASES])
def test_caveat_round_trips_through_its_dict(caveat: Caveat) -> None:
    assert parse_caveat(caveat_to_dict(caveat)) == caveat


@pytest.mark.parametrize(
    ("raw", "rule", "field"),
    [
        ({"type": "no_night_flying"}, "caveat-type", "c.type"),
        ({"type": "min_distance_from_line"}, "caveat-parameter", "c.km"),
        ({"type": "min_distance_from_line", "km": "far"}, "caveat-parameter", "c.km"),
        ({"type": "min_distance_from_line", "km": -5}, "range", "c.km"),
        ({"type": "nato_soil_only", "areas": ["pol"]}, "caveat-parameter", "c.areas"),
        ({"type": "geographic", "areas": []}, "caveat-parameter", "c.areas"),
        ({"type": "time_limited", "until_day": True}, "caveat-parameter", "c.until_day"),
    ],
)
def test_bad_caveat_names_field_and_rule(raw: dict[str, object], rule: str, field: str) -> None:
    with pytest.raises(InputError) as info:
        parse_caveat(raw, field="c")
    assert info.value.rule == rule
    assert info.value.field == field


def test_status_not_counted_excludes_and_can_be_counted() -> None:
    pledge = make_pledge(units=3, status=PledgeStatus.INTENT)
    req = make_line(months=3)
    plan = solve((pledge,), (req,), AREAS)
    assert plan.covered.sum() == 0
    assert "status intent not counted" in shortfalls(plan)[0].detail
    counted = frozenset({PledgeStatus.INTENT})
    assert solve((pledge,), (req,), AREAS, SolveOptions(counted=counted)).covered.sum() == 3


def test_capability_must_match() -> None:
    pledge = make_pledge(units=3, capability=LOG)
    plan = solve((pledge,), (make_line(months=3),), AREAS)
    assert plan.covered.sum() == 0
    assert shortfalls(plan)[0].reason is ShortfallReason.NO_PLEDGE


def test_withdrawn_pledges_never_count() -> None:
    pledge = make_pledge(units=3, status=PledgeStatus.WITHDRAWN)
    counted = frozenset(PledgeStatus)
    plan = solve((pledge,), (make_line(months=3),), AREAS, SolveOptions(counted=counted))
    assert plan.covered.sum() == 0
    assert shortfalls(plan)[0].detail == "P1 (GBR): withdrawn"
