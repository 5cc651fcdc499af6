"""Shortfall reasons and the what-if ranking on hand-made instances."""

from __future__ import annotations

from coalition_builders import AREAS, make_line, make_pledge

from ceasefire.coalition.catalogue import Capability, PledgeStatus
from ceasefire.coalition.caveats import MinDistanceFromLine, NatoSoilOnly, RequiresUsBackstop
from ceasefire.coalition.diagnose import ShortfallReason, shortfalls
from ceasefire.coalition.solver import SolveOptions, solve
from ceasefire.coalition.whatif import LiftKind, what_if


def test_no_pledge_of_the_capability() -> None:
    plan = solve((make_pledge(),), (make_line(capability=Capability.FRIGATE, area="sea"),), AREAS)
    (gap,) = shortfalls(plan)
    assert gap.reason is ShortfallReason.NO_PLEDGE
    assert "frigate" in gap.detail
    assert (gap.first_month, gap.last_month, gap.missing) == (0, 2, 1)


def test_all_excluded_names_each_pledge_and_caveat() -> None:
    pledges = (
        make_pledge("DEU-1", nation="DEU", units=3, caveats=(NatoSoilOnly(), RequiresUsBackstop())),
        make_pledge("FRA-1", nation="FRA", units=3, caveats=(MinDistanceFromLine(100),)),
    )
    plan = solve(pledges, (make_line(area="ua-line"),), AREAS)
    (gap,) = shortfalls(plan)
    assert gap.reason is ShortfallReason.EXCLUDED
    assert "DEU-1 (DEU): nato_soil_only, requires_us_backstop" in gap.detail
    assert "FRA-1 (FRA): min_distance_from_line(km=100)" in gap.detail


def test_not_ready_in_time() -> None:
    plan = solve((make_pledge(units=3, readiness_days=45),), (make_line(months=4),), AREAS)
    gaps = shortfalls(plan)
    assert [(g.first_month, g.last_month, g.reason) for g in gaps] == [
        (0, 1, ShortfallReason.NOT_READY)
    ]
    assert "ready day 45" in gaps[0].detail


def test_rotations_exhausted() -> None:
    plan = solve((make_pledge(units=3, rotations=1),), (make_line(months=6),), AREAS)
    gaps = shortfalls(plan)
    assert plan.covered.sum() == 3
    assert {g.reason for g in gaps} == {ShortfallReason.ROTATIONS_EXHAUSTED}
    assert sum(g.last_month - g.first_month + 1 for g in gaps) == 3


def test_rule_of_thirds_gap() -> None:
    """One unit, plenty of rotations: it serves a month, rests two, serves again."""
    plan = solve((make_pledge(units=1, rotations=9),), (make_line(months=6),), AREAS)
    gaps = shortfalls(plan)
    assert plan.covered.sum() == 2
    assert {g.reason for g in gaps} == {ShortfallReason.RULE_OF_THIRDS}


def test_what_if_finds_the_caveat_that_matters_most() -> None:
    # the priority-1 line near the line of contact is blocked by FRA's distance caveat
    # (3 unit-months × 16); DEU's NATO-soil caveat blocks only a priority-4 engineer line in
    # Moldova (3 × 2); GBR's single unit is not counted (intent): 1 unit-month × 16
    eng = Capability.ENGINEER_COMPANY
    near = make_line("NEAR", area="ua-line", priority=1, months=3)
    far = make_line("FAR", capability=eng, area="mda", priority=4, months=3)
    pledges = (
        make_pledge("FRA-1", nation="FRA", units=3, caveats=(MinDistanceFromLine(100),)),
        make_pledge("DEU-1", nation="DEU", capability=eng, units=3, caveats=(NatoSoilOnly(),)),
        make_pledge("GBR-1", nation="GBR", units=1, status=PledgeStatus.INTENT),
    )
    plan = solve(pledges, (near, far), AREAS)
    ranked = what_if(plan)
    best = ranked[0]
    assert best.kind is LiftKind.CAVEAT
    assert best.label == "FRA-1 (FRA): min_distance_from_line(km=100)"
    assert best.gain > 0
    labels = [w.label for w in ranked]
    assert labels == [
        "FRA-1 (FRA): min_distance_from_line(km=100)",
        "count intent pledges",
        "DEU-1 (DEU): nato_soil_only",
    ]
    assert [w.gain_unit_months for w in ranked] == [3.0, 1.0, 3.0]
    gains = [w.gain for w in ranked]
    assert gains == sorted(gains, reverse=True)


def test_what_if_condition_switches_conditional_pledges() -> None:
    pledges = (make_pledge("DEU-1", nation="DEU", units=3, caveats=(RequiresUsBackstop(),)),)
    line = make_line(area="pol", months=3)
    plan = solve(pledges, (line,), AREAS, SolveOptions(assumptions={"us_backstop": False}))
    ranked = what_if(plan)
    assert ranked[0].kind is LiftKind.CONDITION
    assert ranked[0].label == "us_backstop=true"
    assert ranked[0].coverage == 1.0
    assert plan.coverage == 0.0
