"""The MILP's answer equals a brute-force enumeration on small random instances, and every
plan it returns keeps the rules it claims to keep (rule of thirds, rotations, readiness)."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from coalition_builders import AREAS, make_line, make_pledge

from ceasefire.coalition.catalogue import Capability
from ceasefire.coalition.caveats import Caveat, Geographic, NotInUkraine, TimeLimited
from ceasefire.coalition.model import Pledge, Requirement, priority_weight
from ceasefire.coalition.solver import Plan, SolveStatus, assign_lanes, solve

MECH = Capability.MECH_INFANTRY_BATTALION
ENG = Capability.ENGINEER_COMPANY


def random_instance(seed: int) -> tuple[tuple[Pledge, ...], tuple[Requirement, ...]]:
    """2–3 pledges and 2 lines over 5 months: small enough to enumerate every assignment."""
    rng = random.Random(seed)
    caps = [MECH, ENG]
    pledges = []
    for i in range(rng.randint(2, 3)):
        caveats: list[Caveat] = []
        if rng.random() < 0.3:
            caveats.append(Geographic(frozenset({"ua-west"})))
        if rng.random() < 0.2:
            caveats.append(TimeLimited(until_day=rng.choice([60, 90])))
        if rng.random() < 0.15:
            caveats.append(NotInUkraine())
        pledges.append(
            make_pledge(
                f"P{i}",
                nation=rng.choice(["GBR", "FRA"]),
                capability=rng.choice(caps),
                units=rng.randint(1, 2),
                readiness_days=rng.choice([0, 0, 20, 45]),
                rotations=rng.randint(1, 2),
                caveats=tuple(caveats),
            )
        )
    lines = []
    for j in range(2):
        start = rng.randint(0, 2)
        lines.append(
            make_line(
                f"R{j}",
                capability=rng.choice(caps),
                quantity=rng.randint(1, 2),
                area=rng.choice(["ua-west", "ua-mid", "pol"]),
                start_month=start,
                months=rng.randint(2, 5 - start),
                priority=rng.randint(1, 4),
                tour_months=rng.randint(1, 2),
            )
        )
    return tuple(pledges), tuple(lines)


def _fits(p: Pledge, r: Requirement) -> bool:
    """Independent restatement of the caveats used in ``random_instance``."""
    if p.capability != r.capability:
        return False
    for c in p.caveats:
        if isinstance(c, Geographic) and r.area not in c.areas:
            return False
        if isinstance(c, NotInUkraine) and r.area.startswith("ua-"):
            return False
    return True


def brute_force(pledges: tuple[Pledge, ...], lines: tuple[Requirement, ...], horizon: int) -> float:
    """Best priority-weighted covered unit-months over every admissible set of tours."""
    options: list[tuple[int, int, int, int]] = []  # pledge, line, start, served
    for i, p in enumerate(pledges):
        limit = min(
            (c.until_day // 30 for c in p.caveats if isinstance(c, TimeLimited)), default=99
        )
        ready = -(-p.readiness_days // 30)
        for j, r in enumerate(lines):
            if not _fits(p, r):
                continue
            end = min(r.end_month, horizon, limit)
            for t in range(max(r.start_month, ready), end):
                options.append((i, j, t, min(r.tour_months, end - t)))

    def value(chosen: list[tuple[int, tuple[int, int, int, int]]]) -> float:
        cover = np.zeros((len(lines), horizon))
        for n, (_i, j, t, s) in chosen:
            cover[j, t : t + s] += n
        total = 0.0
        for j, r in enumerate(lines):
            need = np.zeros(horizon)
            need[r.start_month : min(r.end_month, horizon)] = r.quantity
            total += priority_weight(r.priority) * float(np.minimum(cover[j], need).sum())
        return total

    def admissible(chosen: list[tuple[int, tuple[int, int, int, int]]]) -> bool:
        for i, p in enumerate(pledges):
            busy = np.zeros(horizon + 20)
            tours = 0
            for n, (ii, _j, t, s) in chosen:
                if ii == i:
                    busy[t : t + 3 * s] += n
                    tours += n
            if busy.max() > p.units or tours > p.units * p.rotations:
                return False
        return True

    best = 0.0

    def search(k: int, chosen: list[tuple[int, tuple[int, int, int, int]]]) -> None:
        nonlocal best
        if k == len(options):
            best = max(best, value(chosen))
            return
        i, j, _t, _s = options[k]
        for n in range(min(pledges[i].units, lines[j].quantity) + 1):
            nxt = [*chosen, (n, options[k])] if n else chosen
            if admissible(nxt):  # prune: constraints only tighten as tours are added
                search(k + 1, nxt)

    search(0, [])
    return best


def check_plan(plan: Plan) -> None:
    """The plan keeps the rule of thirds, the rotation budgets, readiness and coverage."""
    by_id = {p.id: p for p in plan.problem.pledges}
    for p in plan.problem.pledges:
        tours = tuple(t for t in plan.tours if t.pledge_id == p.id)
        assert sum(t.units for t in tours) <= p.units * p.rotations
        assert all(t.start_month >= p.ready_month for t in tours)
        lanes = assign_lanes(tours, p.units)  # raises if the rule of thirds is broken
        for lane in range(p.units):
            mine = sorted((t for k, t in lanes if k == lane), key=lambda t: t.start_month)
            for a, b in itertools.pairwise(mine):
                assert b.start_month >= a.end_month + 2 * (a.end_month - a.start_month)
    recomputed = np.zeros_like(plan.demand)
    reqs = {r.id: j for j, r in enumerate(plan.problem.requirements)}
    for t in plan.tours:
        assert (
            by_id[t.pledge_id].capability
            == plan.problem.requirements[reqs[t.requirement_id]].capability
        )
        recomputed[reqs[t.requirement_id], t.start_month : t.end_month] += t.units
    assert np.array_equal(np.minimum(recomputed, plan.demand), plan.covered)


@pytest.mark.parametrize("seed", range(14))
def test_milp_equals_brute_force(seed: int) -> None:
    pledges, lines = random_instance(seed)
    plan = solve(pledges, lines, AREAS)
    expected = brute_force(pledges, lines, plan.problem.horizon_months)
    assert plan.status in (SolveStatus.OPTIMAL, SolveStatus.EMPTY)
    assert plan.weighted_covered == pytest.approx(expected)
    check_plan(plan)


def test_random_instances_are_not_trivial() -> None:
    """Guard against a generator whose instances are all empty or all fully covered."""
    shares = [solve(*random_instance(s), AREAS).coverage for s in range(14)]
    assert any(0 < x < 1 for x in shares)
    assert any(x == 0 for x in shares) or any(x == 1 for x in shares)


def test_rule_of_thirds_needs_three_units_for_a_permanent_line() -> None:
    line = make_line(months=12, tour_months=4)
    for units, expected in ((1, 4), (2, 8), (3, 12)):
        plan = solve((make_pledge(units=units),), (line,), AREAS)
        assert plan.covered.sum() == expected, units
        check_plan(plan)


def test_rotations_limit_tours() -> None:
    line = make_line(months=12, tour_months=2)
    plan = solve((make_pledge(units=3, rotations=1),), (line,), AREAS)
    assert plan.covered.sum() == 6  # three units, one two-month tour each
    check_plan(plan)


def test_priority_wins_over_lower_lines() -> None:
    high = make_line("HIGH", priority=1, months=1)
    low = make_line("LOW", priority=4, months=1, area="ua-mid")
    plan = solve((make_pledge(units=1),), (low, high), AREAS)
    assert [t.requirement_id for t in plan.tours] == ["HIGH"]


def test_burden_is_shared_when_coverage_is_equal() -> None:
    """Two nations can each cover the line; the plan splits it instead of using one."""
    line = make_line(months=2, tour_months=1, quantity=1)
    pledges = (make_pledge("A", nation="GBR", units=2), make_pledge("B", nation="FRA", units=2))
    plan = solve(pledges, (line,), AREAS)
    assert plan.coverage == 1.0
    assert {t.nation for t in plan.tours} == {"GBR", "FRA"}


def test_no_idle_tours() -> None:
    plan = solve((make_pledge(units=3),), (make_line(months=1),), AREAS)
    assert sum(t.units for t in plan.tours) == 1


def test_empty_instance() -> None:
    plan = solve((), (make_line(),), AREAS)
    assert plan.status is SolveStatus.EMPTY
    assert plan.coverage == 0.0
