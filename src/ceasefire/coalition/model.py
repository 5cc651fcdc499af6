"""The coalition as data: members, declarations, areas, pledges, status history, CJSOR lines.

Every fact carries the source and date it rests on, and ``illustrative`` where the number is
not public (per-country troop numbers were never published: Tusk called them "draft",
6 Jan 2026). Pledges are never edited in place: their status is a ladder kept as history, the
way the Kiel Institute tracker separates commitment from allocation from delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from ceasefire.coalition.catalogue import (
    STATUS_RANK,
    AreaKind,
    Capability,
    Domain,
    PledgeStatus,
    Task,
)
from ceasefire.coalition.caveats import Caveat
from ceasefire.errors import InputError

#: Days per planning month; the solver works in months of this length from the ceasefire.
MONTH_DAYS = 30


class MemberKind(StrEnum):
    """A sovereign state or an international organisation (EU, NATO)."""

    STATE = "state"
    ORGANISATION = "organisation"


class MemberRole(StrEnum):
    """What a participant does in the coalition, as the public record describes it."""

    LEAD = "lead"  # framework nation (UK, France)
    CONTRIBUTOR = "contributor"  # pledged forces or capabilities
    SUPPORTER = "supporter"  # attends, supports politically or from outside Ukraine
    OBSERVER = "observer"  # attends without a declared contribution
    BENEFICIARY = "beneficiary"  # Ukraine
    BACKSTOP = "backstop"  # the United States: "proposed support", did not sign


#: Statuses the solver counts unless told otherwise: a firm commitment or better.
DEFAULT_COUNTED: frozenset[PledgeStatus] = frozenset(
    {PledgeStatus.COMMITTED, PledgeStatus.APPROVED, PledgeStatus.GENERATED, PledgeStatus.DEPLOYED}
)


@dataclass(frozen=True, slots=True)
class Sourced:
    """Where a fact comes from: a URL or citation, the date it is as of, and whether made up."""

    source: str
    as_of: date
    illustrative: bool = False


@dataclass(frozen=True, slots=True)
class Member:
    """One participant: ISO 3166 alpha-3 code for a state, a short code for an organisation."""

    id: str
    name: str
    kind: MemberKind
    role: MemberRole
    sourced: Sourced
    note: str = ""


@dataclass(frozen=True, slots=True)
class Declaration:
    """A declaration or instrument and who signed it (Berlin, Paris, UK–FR–UA intent)."""

    id: str
    title: str
    signed_on: date
    signatories: tuple[str, ...]
    sourced: Sourced
    note: str = ""


@dataclass(frozen=True, slots=True)
class Area:
    """A deployment area: part of Ukraine, a neighbouring state, a sea, or home territory.

    ``distance_to_line_km`` is the shortest distance from the area to the line of contact
    (0 for areas touching it); ``None`` outside Ukraine, where distance caveats do not apply.
    """

    id: str
    name: str
    kind: AreaKind
    nato_soil: bool
    distance_to_line_km: float | None
    sourced: Sourced


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One rung of a pledge's ladder: who said so, when, and on what evidence."""

    status: PledgeStatus
    at: datetime
    by: str
    source: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Pledge:
    """What one nation offers: ``units`` formed units of one capability, with its conditions.

    ``personnel`` is the total for all units. ``rotations`` is how many tours each unit may
    serve over the horizon (enforced as the pledge's budget ``units × rotations``: units of
    one pledge are interchangeable, which formation goes is the nation's choice).
    ``readiness_days`` counts from the ceasefire's entry into force.
    """

    id: str
    nation: str
    capability: Capability
    units: int
    personnel: int
    readiness_days: int
    rotations: int
    caveats: tuple[Caveat, ...]
    history: tuple[StatusChange, ...]
    sourced: Sourced
    note: str = ""

    @property
    def domain(self) -> Domain:
        """Land, air or maritime, from the catalogue."""
        return self.capability.domain

    @property
    def status(self) -> PledgeStatus:
        """The latest rung of the ladder (history is in time order)."""
        return self.history[-1].status

    @property
    def ready_month(self) -> int:
        """First whole planning month in which the units can be on task."""
        return -(-self.readiness_days // MONTH_DAYS)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One CJSOR line: ``quantity`` units of a capability in an area, for a period.

    ``start_day`` and ``duration_days`` count from the ceasefire; a unit serves
    ``tour_months`` on the line before relief (rule of thirds: it then rests two tours).
    ``priority`` 1 (highest) to 5 weighs coverage in the objective (see ``priority_weight``).
    """

    id: str
    capability: Capability
    quantity: int
    area: str
    task: Task
    start_day: int
    duration_days: int
    priority: int
    tour_months: int
    sourced: Sourced
    note: str = ""

    @property
    def start_month(self) -> int:
        """Planning month in which the line opens."""
        return self.start_day // MONTH_DAYS

    @property
    def end_month(self) -> int:
        """First planning month after the line closes (exclusive)."""
        return self.start_month + max(1, -(-self.duration_days // MONTH_DAYS))


def priority_weight(priority: int) -> float:
    """Objective weight of one unit-month on a line: priority 1 → 16, 2 → 8, … 5 → 1.

    Doubling per rung means a higher-priority unit-month always beats a lower one, but two
    lower-priority unit-months equal one a rung higher; the scale is documented in
    ``docs/coalition.md``.
    """
    return float(2 ** (5 - priority))


@dataclass(frozen=True, slots=True)
class Registry:
    """Everything the coalition file declares: members, areas, declarations, assumptions."""

    members: tuple[Member, ...]
    areas: tuple[Area, ...]
    declarations: tuple[Declaration, ...]
    assumptions: dict[str, bool] = field(default_factory=dict)

    def member_ids(self) -> frozenset[str]:
        """Codes of every member, for checking that pledges name a known nation."""
        return frozenset(m.id for m in self.members)

    def area_by_id(self) -> dict[str, Area]:
        """Areas keyed by id."""
        return {a.id: a for a in self.areas}


def check_ladder(history: tuple[StatusChange, ...], change: StatusChange) -> None:
    """Refuse a status change that does not extend ``history`` (rule ``status-ladder``).

    A pledge climbs intent → committed → approved → generated → deployed, may skip rungs
    (not every state needs a vote), never steps back, and ``withdrawn`` ends it; a change
    may not predate the last one. Nothing is overwritten: a correction is a new rung.
    """
    if not history:
        return
    last = history[-1]
    if last.status is PledgeStatus.WITHDRAWN:
        raise InputError("status", "status-ladder", "the pledge is withdrawn; nothing follows")
    if STATUS_RANK[change.status] <= STATUS_RANK[last.status]:
        raise InputError(
            "status",
            "status-ladder",
            f"{change.status} cannot follow {last.status} (the ladder only climbs)",
        )
    if change.at < last.at:
        raise InputError(
            "at", "status-ladder", f"{change.at.isoformat()} is before {last.at.isoformat()}"
        )
