"""Instruments of guarantee as data: parties, legal form, entry into force, triggers, obligations.

An instrument is what a guarantee text says in the terms software can check: who guarantees
whom, whether it binds in law, which conditions bring it into force (the ceasefire, national
ratifications), how long it lasts and how it ends, what sets it off and what each party must
then do by when. Every fact that is not on the public record is marked ``illustrative``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shapely import Polygon

from ceasefire.guarantees.triggers import Trigger


class LegalForm(StrEnum):
    """Political commitment or legally binding (a treaty, or approved by parliaments)."""

    POLITICAL = "political"
    LEGALLY_BINDING = "legally_binding"
    POLITICAL_AND_LEGALLY_BINDING = "political_and_legally_binding"


class RatificationStatus(StrEnum):
    """A party's national procedure for the instrument; only ``ratified`` satisfies a condition."""

    PENDING = "pending"
    SIGNED = "signed"
    RATIFIED = "ratified"
    REFUSED = "refused"
    NOT_REQUIRED = "not_required"


class ConditionKind(StrEnum):
    """Entry-into-force conditions."""

    CEASEFIRE_IN_FORCE = "ceasefire_in_force"
    RATIFICATION = "ratification"


class ObligationKind(StrEnum):
    """What an obligation asks for; ``respond`` carries a response level (1-3)."""

    CONSULT = "consult"
    RESPOND = "respond"
    REPORT = "report"
    ATTRIBUTE = "attribute"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a fact comes from; ``illustrative`` when it is our assumption, not the record."""

    url: str | None = None
    note: str | None = None
    illustrative: bool = False


@dataclass(frozen=True, slots=True)
class Ratification:
    """One party's procedure: status, when it reached that status, and the source."""

    party: str
    status: RatificationStatus
    date: datetime | None
    source: Source

    @property
    def satisfied_from(self) -> datetime | None:
        """The instant from which this ratification counts (None: it does not)."""
        if self.status in (RatificationStatus.RATIFIED, RatificationStatus.NOT_REQUIRED):
            return self.date
        return None


@dataclass(frozen=True, slots=True)
class Condition:
    """An entry-into-force condition.

    ``ceasefire_in_force``: the agreement's ceasefire is in force (its ``in_force_from``).
    ``ratification``: at least ``quorum`` of ``parties`` (all when None) have ratified.
    """

    kind: ConditionKind
    parties: tuple[str, ...] = ()
    quorum: int | None = None


@dataclass(frozen=True, slots=True)
class Termination:
    """Notice of termination given by a party; effective ``notice`` later."""

    party: str
    notice_given: datetime
    source: Source


@dataclass(frozen=True, slots=True)
class ObligationTemplate:
    """What a firing of trigger ``on`` obliges ``owner`` to do within ``due_h`` hours.

    ``level`` is the response level (0 consultation, 1-3 the tiers of the reported plan).
    """

    id: str
    on: str
    owner: str
    kind: ObligationKind
    level: int
    due_h: float
    text: str
    source: Source


@dataclass(frozen=True, slots=True)
class Party:
    """A party to the instrument and its role."""

    id: str
    role: str


@dataclass(frozen=True, slots=True)
class Instrument:
    """One guarantee instrument; ``duration_months`` None means indefinite.

    ``special_commission``: breach-type alerts open a Special Commission case
    (breach → attribution → remedy).
    """

    id: str
    title: str
    guarantors: tuple[str, ...]
    beneficiary: str
    legal_form: LegalForm
    conditions: tuple[Condition, ...]
    ratifications: tuple[Ratification, ...]
    duration_months: int | None
    termination_notice_months: int | None
    terminations: tuple[Termination, ...]
    triggers: tuple[Trigger, ...]
    obligations: tuple[ObligationTemplate, ...]
    special_commission: bool
    as_reported: bool
    sources: tuple[Source, ...]

    def trigger(self, trigger_id: str) -> Trigger:
        """The trigger with this id (KeyError when absent: the loader checked references)."""
        for trigger in self.triggers:
            if trigger.id == trigger_id:
                return trigger
        raise KeyError(trigger_id)


@dataclass(frozen=True, slots=True)
class Airspace:
    """A named airspace polygon (WGS 84 lon/lat) that ``airspace_incursion`` watches."""

    id: str
    name: str
    polygon: Polygon


@dataclass(frozen=True, slots=True)
class InstrumentSet:
    """Everything one guarantees file defines; ``ceasefire_in_force_from`` None: not in force."""

    instruments: tuple[Instrument, ...]
    airspaces: tuple[Airspace, ...]
    ceasefire_in_force_from: datetime | None

    def instrument(self, instrument_id: str) -> Instrument:
        """The instrument with this id."""
        for instrument in self.instruments:
            if instrument.id == instrument_id:
                return instrument
        raise KeyError(instrument_id)
