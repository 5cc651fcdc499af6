"""The solver's answer as plain data (for ``--json``, the HQ page and files), one mapper.

Months are planning months from the ceasefire (month 0 = days 0–29). Coverage per line per
month is in units; ``coverage`` is the priority-weighted share of demand met (0..1).
"""

from __future__ import annotations

from ceasefire.coalition.diagnose import Shortfall
from ceasefire.coalition.solver import Plan
from ceasefire.coalition.whatif import WhatIf


def plan_to_dict(
    plan: Plan, shortfalls: list[Shortfall], what_ifs: list[WhatIf] | None
) -> dict[str, object]:
    """Everything a reader needs: summary, plan, coverage grid, shortfalls, what-if."""
    problem = plan.problem
    return {
        "status": str(plan.status),
        "seconds": round(plan.seconds, 3),
        "gap": plan.gap,
        "coverage": plan.coverage,
        "horizon_months": problem.horizon_months,
        "assumptions": dict(problem.assumptions),
        "counted_statuses": sorted(str(s) for s in problem.counted),
        "tours": [
            {
                "pledge": t.pledge_id,
                "nation": t.nation,
                "requirement": t.requirement_id,
                "start_month": t.start_month,
                "end_month": t.end_month,
                "units": t.units,
            }
            for t in plan.tours
        ],
        "lines": [
            {
                "id": r.id,
                "capability": str(r.capability),
                "area": r.area,
                "priority": r.priority,
                "demand": plan.demand[j].tolist(),
                "covered": plan.covered[j].tolist(),
            }
            for j, r in enumerate(problem.requirements)
        ],
        "shortfalls": [
            {
                "requirement": s.requirement_id,
                "first_month": s.first_month,
                "last_month": s.last_month,
                "missing": s.missing,
                "reason": str(s.reason),
                "detail": s.detail,
            }
            for s in shortfalls
        ],
        "what_if": None
        if what_ifs is None
        else [
            {
                "kind": str(w.kind),
                "lift": w.label,
                "coverage": w.coverage,
                "gain": w.gain,
                "gain_unit_months": w.gain_unit_months,
            }
            for w in what_ifs
        ],
    }


def burden_by_nation(plan: Plan) -> dict[str, float]:
    """Personnel-months each nation serves in the plan (its share of the burden)."""
    per_unit = {p.id: p.personnel / p.units for p in plan.problem.pledges}
    out: dict[str, float] = {}
    for t in plan.tours:
        months = t.end_month - t.start_month
        out[t.nation] = out.get(t.nation, 0.0) + t.units * months * per_unit[t.pledge_id]
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))
