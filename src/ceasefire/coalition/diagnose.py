"""Why a CJSOR line is short: every shortfall with its reason (what-if is in ``whatif``).

For every line-month the plan leaves short, the reason is the first that applies:

1. ``no_pledge``        no pledge of that capability at all;
2. ``excluded``         every pledge of it is ruled out (status not counted, caveats) — named;
3. ``not_ready``        the fitting pledges are not ready by that month (readiness days);
4. ``rotations_exhausted`` the ready, fitting pledges have used their ``units × rotations``;
5. ``rule_of_thirds``   their units are on tour elsewhere, resting, or held for a later tour:
   one more tour now would break the rule of thirds somewhere in the horizon.

Time-limited pledges past their limit count as excluded by ``time_limited``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from ceasefire.coalition.caveats import month_limit
from ceasefire.coalition.mask import Exclusion
from ceasefire.coalition.model import MONTH_DAYS, Pledge
from ceasefire.coalition.solver import Plan


class ShortfallReason(StrEnum):
    """Why a line-month is not (fully) covered; see the module docstring for the order."""

    NO_PLEDGE = "no_pledge"
    EXCLUDED = "excluded"
    NOT_READY = "not_ready"
    ROTATIONS_EXHAUSTED = "rotations_exhausted"
    RULE_OF_THIRDS = "rule_of_thirds"


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A run of months ``first_month..last_month`` on one line missing ``missing`` units."""

    requirement_id: str
    first_month: int
    last_month: int
    missing: int
    reason: ShortfallReason
    detail: str


def _reason(
    plan: Plan,
    j: int,
    m: int,
    pairs: list[tuple[int, tuple[Exclusion, ...]]],
    used: dict[str, int],
) -> tuple[ShortfallReason, str]:
    """The first reason that applies to line ``j`` in month ``m`` (see the module docstring).

    ``pairs`` are the line's same-capability pledges with their exclusions; ``used`` the
    unit-tours the plan draws from each pledge.
    """
    problem = plan.problem
    if not pairs:
        cap = problem.requirements[j].capability
        return ShortfallReason.NO_PLEDGE, f"no pledge of {cap}"
    fitting: list[Pledge] = []
    excluded: list[str] = []
    for i, ex in pairs:
        p = problem.pledges[i]
        limit = month_limit(p.caveats, MONTH_DAYS)
        labels = [e.label for e in ex]
        if limit is not None and m >= limit:
            labels.append(f"time_limited(until_day={limit * MONTH_DAYS})")
        if labels:
            excluded.append(f"{p.id} ({p.nation}): {', '.join(labels)}")
        else:
            fitting.append(p)
    if not fitting:
        return ShortfallReason.EXCLUDED, "; ".join(excluded)
    ready = [p for p in fitting if p.ready_month <= m]
    if not ready:
        late = ", ".join(f"{p.id} ready day {p.readiness_days}" for p in fitting)
        return ShortfallReason.NOT_READY, late
    spent = [p for p in ready if used.get(p.id, 0) >= p.units * p.rotations]
    if len(spent) == len(ready):
        names = ", ".join(f"{p.id} ({p.units}x{p.rotations} tours)" for p in spent)
        return ShortfallReason.ROTATIONS_EXHAUSTED, names
    busy = ", ".join(p.id for p in ready if p not in spent)
    return ShortfallReason.RULE_OF_THIRDS, f"on tour, resting or held for a later tour: {busy}"


def shortfalls(plan: Plan) -> list[Shortfall]:
    """Every uncovered line-month, merged into runs of equal reason and size."""
    out: list[Shortfall] = []
    missing = plan.demand - plan.covered
    pairs: dict[int, list[tuple[int, tuple[Exclusion, ...]]]] = {}
    for (i, j), exclusions in sorted(plan.problem.mask.items()):
        pairs.setdefault(j, []).append((i, exclusions))
    used: dict[str, int] = {}
    for t in plan.tours:
        used[t.pledge_id] = used.get(t.pledge_id, 0) + t.units
    for j, r in enumerate(plan.problem.requirements):
        run: Shortfall | None = None
        for m in range(missing.shape[1]):
            gap = round(float(missing[j, m]))
            if gap <= 0:
                if run is not None:
                    out.append(run)
                    run = None
                continue
            reason, detail = _reason(plan, j, m, pairs.get(j, []), used)
            same = (
                run is not None
                and run.last_month == m - 1
                and (run.reason, run.detail, run.missing) == (reason, detail, gap)
            )
            if same and run is not None:
                run = dataclasses.replace(run, last_month=m)
            else:
                if run is not None:
                    out.append(run)
                run = Shortfall(r.id, m, m, gap, reason, detail)
        if run is not None:
            out.append(run)
    return out
