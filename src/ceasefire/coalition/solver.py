"""Force generation as a mixed-integer programme solved by HiGHS.

Variables: ``x[p, r, t]`` = units of pledge ``p`` starting a tour on CJSOR line ``r`` in month
``t`` (integer), for feasible pairs only (``mask.feasibility``) and for ``t`` from the later of
the line's start and the pledge's readiness to the earlier of the line's end and the pledge's
time limit. A tour serves ``s = min(tour_months, months left)`` months; ``c[r, m]`` is the
coverage credited to line ``r`` in month ``m`` (continuous, ``<= quantity``); ``z`` is the
largest burden share of any nation.

Constraints:

* cover   ``c[r, m] <= Σ x[p, r, t]`` over tours running in month ``m``;
* thirds  for every pledge and month, ``Σ x[p, r, t] <= units_p`` over tours whose *busy
  window* ``[t, t + 3s)`` holds the month — a tour, then two tours' rest (rule of thirds).
  Units of one pledge are interchangeable and busy windows are intervals, so this aggregate
  bound is exactly what ``units_p`` separate units can do (interval graphs are perfect);
  ``assign_lanes`` recovers the unit-by-unit schedule;
* budget  ``Σ x[p, ·, ·] <= units_p × rotations_p`` (limited rotations);
* burden  for every nation, personnel-months served / (personnel pledged × horizon) ``<= z``.

Objective, lexicographic in two stages (``milp``): first maximise ``Σ w_r c[r, m]`` with
``w_r = priority_weight`` to a relative gap of ``mip_rel_gap``; then, with that coverage held
by one added row, minimise ``z`` and, a hair below it, the unit-months on tour (no idle
tours). The second stage starts from the first stage's plan and keeps its best answer within
its time budget, so fairness can never cost coverage.

The model splits exactly into one block per capability (a pledge serves only lines of its
own capability); blocks are solved one after another, smallest first, and the reported gap is
``(Σ primal − Σ dual bound) / |Σ primal|`` over the blocks' first stages.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from ceasefire.coalition.catalogue import PledgeStatus
from ceasefire.coalition.caveats import month_limit
from ceasefire.coalition.mask import Exclusion, feasibility
from ceasefire.coalition.milp import build_block, share_burden, solve_coverage
from ceasefire.coalition.model import (
    DEFAULT_COUNTED,
    MONTH_DAYS,
    Area,
    Pledge,
    Requirement,
    priority_weight,
)

#: Longest the fairness stage may run per capability block, seconds (best answer kept), and
#: the share of the whole time limit all fairness stages together may use.
FAIRNESS_S = 1.0
FAIRNESS_SHARE = 0.2


class SolveStatus(StrEnum):
    """How the solve ended: proven optimal (within ``mip_rel_gap``), or stopped by the clock."""

    OPTIMAL = "optimal"
    TIME_LIMIT = "time_limit"
    EMPTY = "empty"  # nothing to assign: no feasible pair


@dataclass(frozen=True, slots=True)
class SolveOptions:
    """Solver knobs; ``mip_rel_gap`` 1e-3 is the issue's "within 0.1 %"."""

    counted: frozenset[PledgeStatus] = DEFAULT_COUNTED
    assumptions: Mapping[str, bool] | None = None
    horizon_months: int | None = None
    time_limit_s: float = 60.0
    mip_rel_gap: float = 1e-3
    threads: int = 0  # 0: HiGHS chooses
    share_burden: bool = True  # stage 2 (fairness); what-if skips it, coverage is the same


@dataclass(frozen=True, slots=True)
class Tour:
    """``units`` units of one pledge on one line from ``start_month`` to ``end_month`` (excl.)."""

    pledge_id: str
    nation: str
    requirement_id: str
    start_month: int
    end_month: int
    units: int


@dataclass(frozen=True, slots=True)
class Problem:
    """The instance the solver saw (kept for diagnosis and what-if)."""

    pledges: tuple[Pledge, ...]
    requirements: tuple[Requirement, ...]
    areas: Mapping[str, Area]
    assumptions: Mapping[str, bool]
    counted: frozenset[PledgeStatus]
    horizon_months: int
    mask: dict[tuple[int, int], tuple[Exclusion, ...]]


@dataclass(frozen=True, slots=True)
class Plan:
    """The solver's answer.

    ``covered[r, m]`` and ``demand[r, m]`` are units (lines × months); ``coverage`` is the
    priority-weighted share of demand met, ``gap`` HiGHS's relative MIP gap at the end.
    """

    problem: Problem
    tours: tuple[Tour, ...]
    covered: NDArray[np.float64]
    demand: NDArray[np.float64]
    objective: float
    coverage: float
    gap: float
    status: SolveStatus
    seconds: float

    @property
    def weighted_covered(self) -> float:
        """Σ w_r × covered unit-months."""
        return float((self.covered * self._weights()[:, None]).sum())

    def _weights(self) -> NDArray[np.float64]:
        return np.array([priority_weight(r.priority) for r in self.problem.requirements])

    def used_tours(self, pledge_index: int) -> int:
        """Unit-tours the plan draws from a pledge (against its ``units × rotations`` budget)."""
        pid = self.problem.pledges[pledge_index].id
        return sum(t.units for t in self.tours if t.pledge_id == pid)


def build_problem(
    pledges: tuple[Pledge, ...],
    requirements: tuple[Requirement, ...],
    areas: Mapping[str, Area],
    options: SolveOptions,
) -> Problem:
    """Compute the feasibility mask and horizon for an instance."""
    assumptions = dict(options.assumptions or {})
    horizon = options.horizon_months or max((r.end_month for r in requirements), default=0)
    mask = feasibility(
        pledges, requirements, areas, assumptions=assumptions, counted=options.counted
    )
    return Problem(pledges, requirements, areas, assumptions, options.counted, horizon, mask)


def demand_matrix(problem: Problem) -> NDArray[np.float64]:
    """Units demanded per line and month (0 outside a line's period or beyond the horizon)."""
    demand = np.zeros((len(problem.requirements), problem.horizon_months))
    for j, r in enumerate(problem.requirements):
        demand[j, r.start_month : min(r.end_month, problem.horizon_months)] = r.quantity
    return demand


def tour_starts(problem: Problem, i: int, j: int) -> list[tuple[int, int]]:
    """Admissible (start month, served months) for pledge ``i`` on line ``j``."""
    p, r = problem.pledges[i], problem.requirements[j]
    limit = month_limit(p.caveats, MONTH_DAYS)
    end = min(r.end_month, problem.horizon_months, limit if limit is not None else 1 << 30)
    first = max(r.start_month, p.ready_month)
    return [(t, min(r.tour_months, end - t)) for t in range(first, end)]


def solve(
    pledges: tuple[Pledge, ...],
    requirements: tuple[Requirement, ...],
    areas: Mapping[str, Area],
    options: SolveOptions | None = None,
) -> Plan:
    """Assign pledged units to CJSOR lines month by month (see the module docstring).

    Returns the plan, coverage per line per month and the MIP gap; an instance with no
    feasible pair returns an empty plan with status ``empty``.
    """
    options = options or SolveOptions()
    problem = build_problem(pledges, requirements, areas, options)
    return solve_problem(problem, options)


def solve_problem(problem: Problem, options: SolveOptions) -> Plan:
    """Solve a prepared ``Problem`` (what-if re-uses this with a changed mask)."""
    started = time.perf_counter()
    horizon = problem.horizon_months
    demand = demand_matrix(problem)
    weights = np.array([priority_weight(r.priority) for r in problem.requirements])
    # x columns: (pledge i, line j, start t, served s)
    cols: list[tuple[int, int, int, int]] = []
    for (i, j), excl in problem.mask.items():
        if not excl:
            cols.extend((i, j, t, s) for t, s in tour_starts(problem, i, j))
    if not cols or horizon == 0:
        return _plan(
            problem,
            tours=[],
            covered=np.zeros_like(demand),
            demand=demand,
            objective=0.0,
            gap=0.0,
            status=SolveStatus.EMPTY,
            started=started,
        )
    deadline = started + options.time_limit_s
    by_capability: dict[str, list[tuple[int, int, int, int]]] = {}
    for col in cols:
        by_capability.setdefault(problem.pledges[col[0]].capability, []).append(col)
    blocks = [
        build_block(
            problem,
            block_cols,
            demand,
            weights,
            mip_rel_gap=options.mip_rel_gap,
            threads=options.threads,
        )
        for block_cols in sorted(by_capability.values(), key=len)
    ]
    # smallest blocks first, each allowed twice its fair share of the time left
    for k, block in enumerate(blocks):
        left = deadline - time.perf_counter()
        solve_coverage(block, min(left, 2 * left / (len(blocks) - k)))
    if options.share_burden:
        fair_deadline = min(deadline, time.perf_counter() + FAIRNESS_SHARE * options.time_limit_s)
        for k, block in enumerate(blocks):
            left = fair_deadline - time.perf_counter()
            share_burden(block, min(FAIRNESS_S, left / (len(blocks) - k)))
    x_all = [(col, n) for b in blocks for col, n in zip(b.cols, b.units.tolist(), strict=True)]
    primal = sum(b.primal for b in blocks)
    dual = sum(b.dual_bound for b in blocks)
    optimal = all(b.optimal for b in blocks)
    status = SolveStatus.OPTIMAL if optimal else SolveStatus.TIME_LIMIT
    covered = np.zeros_like(demand)
    tours: list[Tour] = []
    for (i, j, t, s), n in x_all:
        if n > 0:
            p, r = problem.pledges[i], problem.requirements[j]
            tours.append(Tour(p.id, p.nation, r.id, t, t + s, n))
            covered[j, t : t + s] += n
    covered = np.minimum(covered, demand)
    objective = float((covered * weights[:, None]).sum())
    # HiGHS minimises (negative coverage): gap = (primal - dual bound) / |primal|; nothing
    # covered while more may be possible is a full gap
    gap = (primal - dual) / abs(primal) if primal < 0 else (0.0 if dual >= 0 else 1.0)
    return _plan(
        problem,
        tours=tours,
        covered=covered,
        demand=demand,
        objective=objective,
        gap=gap,
        status=status,
        started=started,
    )


def _plan(
    problem: Problem,
    *,
    tours: list[Tour],
    covered: NDArray[np.float64],
    demand: NDArray[np.float64],
    objective: float,
    gap: float,
    status: SolveStatus,
    started: float,
) -> Plan:
    weights = np.array([priority_weight(r.priority) for r in problem.requirements])
    wanted = float((demand * weights[:, None]).sum()) if len(weights) else 0.0
    coverage = objective / wanted if wanted > 0 else 1.0
    tours.sort(key=lambda t: (t.requirement_id, t.start_month, t.pledge_id))
    return Plan(
        problem,
        tuple(tours),
        covered,
        demand,
        objective,
        coverage,
        max(gap, 0.0),
        status,
        time.perf_counter() - started,
    )


def assign_lanes(tours: tuple[Tour, ...], units: int) -> list[tuple[int, Tour]]:
    """Give every unit of every tour of one pledge a lane (unit number 0..units-1).

    Busy windows ``[start, start + 3 × served)`` are intervals and the solver kept at most
    ``units`` of them open at once, so colouring by start time (earliest free lane, fewest
    tours first) always succeeds.
    """
    free_at = [0] * units
    count = [0] * units
    out: list[tuple[int, Tour]] = []
    for tour in sorted(tours, key=lambda t: t.start_month):
        served = tour.end_month - tour.start_month
        for _ in range(tour.units):
            lanes = [k for k in range(units) if free_at[k] <= tour.start_month]
            if not lanes:
                raise ValueError("tours overlap beyond the pledge's units")
            lane = min(lanes, key=lambda k: (count[k], k))
            free_at[lane] = tour.start_month + 3 * served
            count[lane] += 1
            out.append((lane, tour))
    return out
