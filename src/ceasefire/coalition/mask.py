"""Which pledge may serve which CJSOR line: the 0/1 feasibility mask, with the reasons why not.

A pledge fits a line when the capability matches (the catalogue entry fixes the domain), its
status is one the planners count, and none of its caveats blocks the line's area, task or the
scenario's assumptions. The reasons are kept, not just the bit: a shortfall report must name
the caveats that excluded each pledge, and the what-if lifts them one by one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ceasefire.coalition.catalogue import PledgeStatus
from ceasefire.coalition.caveats import blocks, caveat_label
from ceasefire.coalition.model import Area, Pledge, Requirement


@dataclass(frozen=True, slots=True)
class Exclusion:
    """Why one pledge cannot serve one line: a status not counted, or a caveat (by index)."""

    label: str
    caveat_index: int | None  # None: the pledge's status is not counted


def exclusions(
    pledge: Pledge,
    requirement: Requirement,
    area: Area,
    *,
    assumptions: Mapping[str, bool],
    counted: frozenset[PledgeStatus],
) -> tuple[Exclusion, ...]:
    """Every reason ``pledge`` is ruled out of ``requirement``; empty means it fits.

    The capability must already match (callers only ask about same-capability pairs).
    """
    out: list[Exclusion] = []
    if pledge.status is PledgeStatus.WITHDRAWN:  # never counted, whatever the caller asks
        out.append(Exclusion("withdrawn", None))
    elif pledge.status not in counted:
        out.append(Exclusion(f"status {pledge.status} not counted", None))
    for i, caveat in enumerate(pledge.caveats):
        if blocks(
            caveat,
            requirement=requirement,
            area=area,
            assumptions=assumptions,
            status=pledge.status,
        ):
            out.append(Exclusion(caveat_label(caveat), i))
    return tuple(out)


def feasibility(
    pledges: tuple[Pledge, ...],
    requirements: tuple[Requirement, ...],
    areas: Mapping[str, Area],
    *,
    assumptions: Mapping[str, bool],
    counted: frozenset[PledgeStatus],
) -> dict[tuple[int, int], tuple[Exclusion, ...]]:
    """Exclusions for every same-capability (pledge index, requirement index) pair.

    Pairs of different capabilities are absent; a present pair with an empty tuple is feasible.
    """
    by_capability: dict[str, list[int]] = {}
    for i, p in enumerate(pledges):
        by_capability.setdefault(p.capability, []).append(i)
    out: dict[tuple[int, int], tuple[Exclusion, ...]] = {}
    for j, r in enumerate(requirements):
        area = areas[r.area]
        for i in by_capability.get(r.capability, ()):
            out[(i, j)] = exclusions(pledges[i], r, area, assumptions=assumptions, counted=counted)
    return out
