"""One capability block of the force-generation MILP, built as a sparse matrix and solved by HiGHS.

Pledges serve only lines of their own capability, so the model splits exactly into one
block per capability: coverage (the objective) is a sum over blocks and no constraint links
two blocks. Solving block by block is the same optimum, reached far faster (each block is
small and HiGHS proves it quickly); the relative gaps add up to at most the largest one.

Fair burden sharing is measured inside the block, where nations can stand in for each other:
``z`` is the largest share of its pledged personnel × horizon that any nation serves on this
capability (see ``solver`` for the objective and why it is lexicographic).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import highspy
import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # solver imports this module; the annotation alone needs Problem
    from ceasefire.coalition.solver import Problem


@dataclass(slots=True)
class Block:
    """One capability's model in a HiGHS instance, and its current answer.

    ``primal`` and ``dual_bound`` are stage 1's (coverage, as HiGHS minimises it: negative).
    """

    h: highspy.Highs
    cols: list[tuple[int, int, int, int]]
    c_cols: NDArray[np.int32]
    c_weights: NDArray[np.float64]
    z_col: int
    values: NDArray[np.float64]
    primal: float = 0.0
    dual_bound: float = 0.0
    optimal: bool = False

    @property
    def units(self) -> NDArray[np.int64]:
        """Units per column ``(pledge, line, start, served)``."""
        return np.rint(self.values[: len(self.cols)]).astype(np.int64)


def build_block(
    problem: Problem,
    cols: list[tuple[int, int, int, int]],
    demand: NDArray[np.float64],
    weights: NDArray[np.float64],
    *,
    mip_rel_gap: float,
    threads: int = 0,
) -> Block:
    """The stage-1 model of the columns ``(pledge, line, start, served)`` of one block."""
    horizon = problem.horizon_months
    nx = len(cols)
    lines = sorted({j for (_i, j, _t, _s) in cols})
    active = [(j, m) for j in lines for m in range(horizon) if demand[j, m] > 0]
    c_index = {key: nx + k for k, key in enumerate(active)}
    z_col = nx + len(active)
    n_cols = z_col + 1
    pledge_ids = sorted({i for (i, _j, _t, _s) in cols})
    nations = sorted({problem.pledges[i].nation for i in pledge_ids})
    capacity = dict.fromkeys(nations, 0.0)
    for i in pledge_ids:
        p = problem.pledges[i]
        capacity[p.nation] += p.personnel * max(horizon, 1)

    rows: list[int] = []
    colv: list[int] = []
    vals: list[float] = []
    row_upper: list[float] = []

    def new_row(upper: float) -> int:
        row_upper.append(upper)
        return len(row_upper) - 1

    def put(row: int, col: int, value: float) -> None:
        rows.append(row)
        colv.append(col)
        vals.append(value)

    # cover: c[j, m] - Σ x over tours running in m <= 0
    cover_row = {key: new_row(0.0) for key in c_index}
    for key, col in c_index.items():
        put(cover_row[key], col, 1.0)
    busy_row: dict[tuple[int, int], int] = {}
    budget_row: dict[int, int] = {}
    burden_row = {n: new_row(0.0) for n in nations}
    for k, (i, j, t, s) in enumerate(cols):
        p = problem.pledges[i]
        for m in range(t, t + s):
            put(cover_row[(j, m)], k, -1.0)
        # thirds: a tour and two tours' rest hold a unit for 3s months
        for m in range(t, min(t + 3 * s, horizon)):
            if (i, m) not in busy_row:
                busy_row[(i, m)] = new_row(float(p.units))
            put(busy_row[(i, m)], k, 1.0)
        if i not in budget_row:
            budget_row[i] = new_row(float(p.units * p.rotations))
        put(budget_row[i], k, 1.0)
        put(burden_row[p.nation], k, s * p.personnel / p.units / capacity[p.nation])
    for n in nations:
        put(burden_row[n], z_col, -1.0)

    upper = np.zeros(n_cols)
    for k, (i, j, _t, _s) in enumerate(cols):
        upper[k] = min(problem.pledges[i].units, problem.requirements[j].quantity)
    c_cols = np.array(list(c_index.values()), dtype=np.int32)
    c_weights = np.array([weights[j] for (j, _m) in c_index])
    upper[c_cols] = [demand[j, m] for (j, m) in c_index]
    upper[z_col] = 1.0
    coverage_cost = np.zeros(n_cols)
    coverage_cost[c_cols] = -c_weights

    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = len(row_upper)
    lp.col_cost_ = coverage_cost
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = upper
    lp.row_lower_ = np.full(len(row_upper), -highspy.kHighsInf)
    lp.row_upper_ = np.array(row_upper)
    col_arr = np.array(colv, dtype=np.int64)
    order = np.lexsort((np.array(rows), col_arr))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.searchsorted(col_arr[order], np.arange(n_cols + 1)).astype(np.int32)
    lp.a_matrix_.index_ = np.array(rows, dtype=np.int32)[order]
    lp.a_matrix_.value_ = np.array(vals)[order]
    integer, continuous = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
    lp.integrality_ = [integer] * nx + [continuous] * (n_cols - nx)
    h = new_highs()
    h.setOptionValue("mip_rel_gap", mip_rel_gap)
    if threads:
        h.setOptionValue("threads", threads)
    h.passModel(lp)
    return Block(h, cols, c_cols, c_weights, z_col, np.zeros(n_cols))


def solve_coverage(block: Block, time_limit_s: float) -> None:
    """Stage 1: maximise priority-weighted coverage (to the relative gap set at build)."""
    h = block.h
    h.setOptionValue("time_limit", max(float(time_limit_s), 0.05))
    h.run()
    info = h.getInfo()
    values = np.asarray(h.getSolution().col_value)
    if len(values) != len(block.values):  # nothing found in time: x = 0 is always feasible
        return
    block.values = values
    block.primal = float(info.objective_function_value)
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else block.primal
    block.dual_bound = min(bound, block.primal)
    block.optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal


#: Relative gap at which the fairness stage stops: a near-fairest plan is enough, and proving
#: the exact min-max share can take far longer than finding it.
FAIRNESS_GAP = 0.05


def share_burden(block: Block, time_limit_s: float) -> None:
    """Stage 2: keep the coverage found, minimise the largest burden share, then idle tours.

    Coverage is held at (at least) stage 1's value by one added row, so fairness never costs
    coverage; the stage starts from stage 1's plan and keeps the best plan found in
    ``time_limit_s`` (stage 1's plan if none is better).
    """
    if time_limit_s <= 0.05:
        return
    h, values, c_cols, c_weights = block.h, block.values, block.c_cols, block.c_weights
    nx = len(block.cols)
    achieved = float(c_weights @ values[c_cols])
    h.addRow(achieved - 1e-6, highspy.kHighsInf, len(c_cols), c_cols, c_weights)
    n_cols = len(values)
    cost = np.zeros(n_cols)
    cost[block.z_col] = 1.0
    # idle-tour hairs sum to at most 1e-3 of z's unit: they only break ties
    served = np.array([s for (_i, _j, _t, s) in block.cols], dtype=float)
    cost[:nx] = 1e-3 * served / (float(served.sum()) + 1.0)
    h.changeColsCost(n_cols, np.arange(n_cols, dtype=np.int32), cost)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", FAIRNESS_GAP)
    start = highspy.HighsSolution()
    start.col_value = list(values)
    start.value_valid = True
    h.setSolution(start)
    h.run()
    again = np.asarray(h.getSolution().col_value)
    if len(again) == n_cols and float(c_weights @ again[c_cols]) >= achieved - 1e-6:
        block.values = again


_BANNER_SHOWN = False


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance.

    HiGHS writes its copyright banner to C-level stdout when the first instance of a process
    is built, before any option can turn output off; that would corrupt ``--json`` output, so
    the first construction runs with file descriptor 1 pointed at ``/dev/null``.
    """
    global _BANNER_SHOWN  # noqa: PLW0603  (once per process, like HiGHS's own banner)
    if _BANNER_SHOWN:
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "wb") as sink:
                os.dup2(sink.fileno(), 1)
                h = highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN = True
    h.silent()
    return h
