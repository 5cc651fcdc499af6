"""What-if: which single caveat, condition or status rung, if lifted, gains most coverage.

Candidates are only the lifts that exclude some pledge from a line with a shortfall (lifting
anything else cannot add coverage): each scenario condition set true, each uncounted status
counted, each caveat of each such pledge removed. A lift changes the feasibility mask of its
pledges' capabilities only, and the model splits exactly by capability, so each candidate
re-solves only the capabilities it touches and keeps the base plan's coverage elsewhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ceasefire.coalition.catalogue import Capability, PledgeStatus
from ceasefire.coalition.caveats import (
    US_BACKSTOP,
    Conditional,
    RequiresParliament,
    RequiresUsBackstop,
    caveat_label,
)
from ceasefire.coalition.model import Pledge, priority_weight
from ceasefire.coalition.solver import Plan, SolveOptions, build_problem, solve_problem


class LiftKind(StrEnum):
    """What a what-if lifts: one caveat of one pledge, a scenario condition, a status rung."""

    CAVEAT = "caveat"
    CONDITION = "condition"
    STATUS = "status"


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The effect of lifting one thing: weighted coverage share after, its gain, unit-months."""

    kind: LiftKind
    label: str
    coverage: float
    gain: float
    gain_unit_months: float


@dataclass(frozen=True, slots=True)
class _Lift:
    kind: LiftKind
    label: str
    pledges: tuple[Pledge, ...]
    counted: frozenset[PledgeStatus]
    assumptions: Mapping[str, bool]
    capabilities: frozenset[Capability]


def _condition_key(pledge: Pledge, index: int) -> str | None:
    match pledge.caveats[index]:
        case RequiresUsBackstop():
            return US_BACKSTOP
        case RequiresParliament(assumption=key) | Conditional(assumption=key):
            return key
        case _:
            return None


def _lifts(plan: Plan) -> list[_Lift]:
    """One lift per condition, status or caveat that excludes a pledge from a short line."""
    problem = plan.problem
    short = {
        j for j in range(len(problem.requirements)) if (plan.demand[j] > plan.covered[j]).any()
    }
    caveats: set[tuple[int, int]] = set()
    conditions: dict[str, set[Capability]] = {}
    statuses: dict[PledgeStatus, set[Capability]] = {}
    for (i, j), exclusions in problem.mask.items():
        if j not in short:
            continue
        p = problem.pledges[i]
        for e in exclusions:
            if e.caveat_index is None:
                statuses.setdefault(p.status, set()).add(p.capability)
                continue
            caveats.add((i, e.caveat_index))
            key = _condition_key(p, e.caveat_index)
            if key is not None:
                conditions.setdefault(key, set()).add(p.capability)
    base = (problem.pledges, problem.counted, problem.assumptions)
    out: list[_Lift] = []
    for key, caps in sorted(conditions.items()):
        assumed = {**problem.assumptions, key: True}
        out.append(
            _Lift(LiftKind.CONDITION, f"{key}=true", base[0], base[1], assumed, frozenset(caps))
        )
    for status, caps in sorted(statuses.items(), key=lambda kv: str(kv[0])):
        if status is not PledgeStatus.WITHDRAWN:
            counted = problem.counted | {status}
            label = f"count {status} pledges"
            out.append(_Lift(LiftKind.STATUS, label, base[0], counted, base[2], frozenset(caps)))
    for i, c in sorted(caveats):
        p = problem.pledges[i]
        lifted = dataclasses.replace(p, caveats=p.caveats[:c] + p.caveats[c + 1 :])
        pledges = (*problem.pledges[:i], lifted, *problem.pledges[i + 1 :])
        label = f"{p.id} ({p.nation}): {caveat_label(p.caveats[c])}"
        out.append(
            _Lift(LiftKind.CAVEAT, label, pledges, base[1], base[2], frozenset({p.capability}))
        )
    return out


def what_if(plan: Plan, *, time_limit_s: float = 10.0) -> list[WhatIf]:
    """Re-solve once per single lift; best gain first (ties: conditions, statuses, caveats).

    ``gain`` is the change of the priority-weighted coverage share; ``gain_unit_months`` the
    change of plain unit-months covered (it can be negative when a lift moves units to
    higher-priority lines).
    """
    problem = plan.problem
    weights = [priority_weight(r.priority) for r in problem.requirements]
    wanted = float((plan.demand.sum(axis=1) * weights).sum())
    results: list[WhatIf] = []
    for lift in _lifts(plan):
        lines = [j for j, r in enumerate(problem.requirements) if r.capability in lift.capabilities]
        sub_pledges = tuple(p for p in lift.pledges if p.capability in lift.capabilities)
        options = SolveOptions(
            counted=lift.counted,
            assumptions=lift.assumptions,
            horizon_months=problem.horizon_months,
            time_limit_s=time_limit_s,
            share_burden=False,
        )
        sub = build_problem(
            sub_pledges, tuple(problem.requirements[j] for j in lines), problem.areas, options
        )
        alt = solve_problem(sub, options)
        before = float(sum(plan.covered[j].sum() * weights[j] for j in lines))
        gain = (alt.weighted_covered - before) / wanted if wanted else 0.0
        unit_months = float(alt.covered.sum() - sum(plan.covered[j].sum() for j in lines))
        results.append(WhatIf(lift.kind, lift.label, plan.coverage + gain, gain, unit_months))
    order = {LiftKind.CONDITION: 0, LiftKind.STATUS: 1, LiftKind.CAVEAT: 2}
    results.sort(key=lambda w: (-round(w.gain, 9), order[w.kind], w.label))
    return results
