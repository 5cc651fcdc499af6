"""The Multinational Force on the COP: the force plan's units deployed in one planning month,
at their areas, and the plan's coverage gaps there.

The plan is what ``ceasefire force solve`` computes from the stored pledges and CJSOR (HiGHS,
seconds): solved once per distinct input and kept, so the map does not pay for it on every
view. Planning months count from the ceasefire (the first agreement version's entry into
force; month 0 = its first 30 days), so ``at`` (the COP sends its window's end) picks the
month. An area is placed at the first settlement of 50,000 or more its name mentions
("Western Ukraine (Lviv, ...)" → Lviv, "Kyiv region" → Kyiv); an area naming none (a sea, "the
line of contact", home territory) is listed in ``unplaced``, not guessed. Coalition planning
data carries no releasability markings: every HQ user sees it, as with the CLI.
"""

from __future__ import annotations

import math
import re
import threading
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query

from ceasefire.api.auth import CurrentUser, hq
from ceasefire.api.params import parse_time
from ceasefire.api.state import HQState

if TYPE_CHECKING:
    from ceasefire.coalition.diagnose import Shortfall
    from ceasefire.coalition.model import Area
    from ceasefire.coalition.solver import Plan

router = APIRouter(prefix="/api", tags=["force"])
HQ = Annotated[HQState, Depends(hq)]

#: A place an area's name mentions must be at least this large to stand for the area.
MIN_ANCHOR_POPULATION = 50_000
_MONTH_S = 30 * 86_400.0
_QUALIFIERS = re.compile(r"\b(region|rear|hub|area)\b", re.IGNORECASE)
_lock = threading.Lock()
_plans: dict[tuple[int, int], tuple[Plan, list[Shortfall]]] = {}


def _names(area_name: str) -> list[str]:
    """Place names an area's name mentions: first inside brackets, then the rest, split on
    commas and "and", qualifiers ("region", "rear", "hub") dropped."""
    inside = [p for group in re.findall(r"\(([^)]*)\)", area_name) for p in group.split(",")]
    outside = re.split(r",|\band\b", re.sub(r"\([^)]*\)", "", area_name))
    names = (" ".join(_QUALIFIERS.sub("", p).split()) for p in inside + outside)
    return [n for n in names if n]


def area_anchor(state: HQState, area: Area) -> tuple[float, float, str] | None:
    """``(lon, lat, place)`` standing for ``area``, or None when its name names no town."""
    gazetteer = state.gazetteer()
    for name in _names(area.name):
        hit = gazetteer.lookup(name)
        if hit is not None and hit.population >= MIN_ANCHOR_POPULATION:
            return hit.lon, hit.lat, hit.name
    return None


def _solved(state: HQState) -> tuple[Plan, list[Shortfall], dict[str, Area]] | None:
    """The stored coalition's plan and shortfalls (solved once per distinct input)."""
    from ceasefire.coalition.diagnose import shortfalls  # noqa: PLC0415 - HiGHS is heavy
    from ceasefire.coalition.model import DEFAULT_COUNTED  # noqa: PLC0415
    from ceasefire.coalition.solver import SolveOptions, solve  # noqa: PLC0415

    registry, pledge_list, requirement_list = state.stores.coalition_reads.all()
    pledges, requirements = tuple(pledge_list), tuple(requirement_list)
    if not pledges or not requirements:
        return None
    areas = registry.area_by_id()
    key = (id(state), hash(repr((pledges, requirements, registry))))
    with _lock:  # one solve at a time; the others wait for its answer
        if key not in _plans:
            options = SolveOptions(
                counted=DEFAULT_COUNTED, assumptions=registry.assumptions, time_limit_s=60.0
            )
            plan = solve(pledges, requirements, areas, options)
            _plans[key] = (plan, shortfalls(plan))
        plan, gaps = _plans[key]
    return plan, gaps, areas


def _month(state: HQState, at_s: float) -> int:
    start = state.book().versions[0].agreement.in_force_from
    start_s = start.timestamp() if start is not None else at_s
    return math.floor((at_s - start_s) / _MONTH_S)


@router.get("/force/deployed")
def deployed(
    state: HQ,
    user: CurrentUser,
    at: Annotated[str | None, Query(description="ISO 8601; default now")] = None,
) -> dict[str, Any]:
    """Units of the force plan on tour in the planning month of ``at``, each at its area's
    anchor, and the lines short of units that month (``gaps``). Empty lists when no coalition
    is loaded or ``at`` lies outside the plan's horizon."""
    at_s = parse_time(at, "at")
    month = _month(state, state.clock.now().timestamp() if at_s is None else at_s)
    solved = _solved(state)
    if solved is None:
        return {"month": month, "coverage": None, "units": [], "gaps": [], "unplaced": []}
    plan, gaps, areas = solved
    lines = {r.id: r for r in plan.problem.requirements}
    anchors = {a: area_anchor(state, areas[a]) for a in {r.area for r in lines.values()}}
    units: list[dict[str, Any]] = []
    for tour in plan.tours:
        if not tour.start_month <= month < tour.end_month:
            continue
        line = lines[tour.requirement_id]
        anchor = anchors[line.area]
        units.append(
            {
                "nation": tour.nation,
                "pledge": tour.pledge_id,
                "requirement": line.id,
                "capability": str(line.capability),
                "task": str(line.task),
                "units": tour.units,
                "area": line.area,
                "area_name": areas[line.area].name,
                "until_month": tour.end_month,
                **_position(anchor),
            }
        )
    short = [
        {
            "requirement": s.requirement_id,
            "capability": str(lines[s.requirement_id].capability),
            "area": lines[s.requirement_id].area,
            "missing": s.missing,
            "reason": str(s.reason),
            "detail": s.detail,
            **_position(anchors[lines[s.requirement_id].area]),
        }
        for s in gaps
        if s.first_month <= month <= s.last_month
    ]
    unplaced = sorted({u["area"] for u in units + short if u["lon"] is None})
    return {
        "month": month,
        "coverage": round(plan.coverage, 3),
        "units": units,
        "gaps": short,
        "unplaced": unplaced,
    }


def _position(anchor: tuple[float, float, str] | None) -> dict[str, Any]:
    if anchor is None:
        return {"lon": None, "lat": None, "place": None}
    return {"lon": round(anchor[0], 4), "lat": round(anchor[1], 4), "place": anchor[2]}
