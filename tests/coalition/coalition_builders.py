"""Builders for small coalition instances: ``make_pledge(**overrides)``, ``make_line(...)``."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ceasefire.coalition.catalogue import AreaKind, Capability, PledgeStatus, Task
from ceasefire.coalition.caveats import Caveat
from ceasefire.coalition.model import Area, Pledge, Requirement, Sourced, StatusChange

SOURCE = Sourced("test", date(2026, 1, 6), illustrative=True)

AREAS: dict[str, Area] = {
    a.id: a
    for a in (
        Area("ua-west", "west", AreaKind.UKRAINE, False, 800.0, SOURCE),
        Area("ua-line", "line", AreaKind.UKRAINE, False, 0.0, SOURCE),
        Area("ua-mid", "mid", AreaKind.UKRAINE, False, 150.0, SOURCE),
        Area("pol", "Poland", AreaKind.NEIGHBOUR, True, None, SOURCE),
        Area("mda", "Moldova", AreaKind.NEIGHBOUR, False, None, SOURCE),
        Area("sea", "Black Sea", AreaKind.SEA, False, None, SOURCE),
        Area("home", "home", AreaKind.HOME, True, None, SOURCE),
    )
}


def make_pledge(
    pid: str = "P1",
    *,
    nation: str = "GBR",
    capability: Capability = Capability.MECH_INFANTRY_BATTALION,
    units: int = 1,
    personnel: int | None = None,
    readiness_days: int = 0,
    rotations: int = 5,
    caveats: tuple[Caveat, ...] = (),
    status: PledgeStatus = PledgeStatus.COMMITTED,
) -> Pledge:
    """A pledge with sensible defaults: committed, ready at once, plenty of rotations."""
    return Pledge(
        id=pid,
        nation=nation,
        capability=capability,
        units=units,
        personnel=personnel if personnel is not None else units * 100,
        readiness_days=readiness_days,
        rotations=rotations,
        caveats=caveats,
        history=(StatusChange(status, datetime(2026, 1, 6, tzinfo=UTC), "test", "test"),),
        sourced=SOURCE,
    )


def make_line(
    rid: str = "R1",
    *,
    capability: Capability = Capability.MECH_INFANTRY_BATTALION,
    quantity: int = 1,
    area: str = "ua-west",
    task: Task = Task.REASSURANCE,
    start_month: int = 0,
    months: int = 3,
    priority: int = 1,
    tour_months: int = 1,
) -> Requirement:
    """A CJSOR line given in whole months (days = months × 30)."""
    return Requirement(
        id=rid,
        capability=capability,
        quantity=quantity,
        area=area,
        task=task,
        start_day=start_month * 30,
        duration_days=months * 30,
        priority=priority,
        tour_months=tour_months,
        sourced=SOURCE,
    )
