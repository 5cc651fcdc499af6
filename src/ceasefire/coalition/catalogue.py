"""The catalogue of capabilities a pledge or a CJSOR line may name, and the tasks lines serve.

A CJSOR lists capabilities "independent of nationality or service"; matching a pledge to a
line is by catalogue entry, so both sides must use the same closed vocabulary. Personnel
figures are typical establishment strengths, used only when a pledge gives no personnel.
"""

from __future__ import annotations

from enum import StrEnum


class Domain(StrEnum):
    """Land, air or maritime; decides which kinds of area a capability can serve in."""

    LAND = "land"
    AIR = "air"
    MARITIME = "maritime"


class Capability(StrEnum):
    """One entry of the force catalogue; ``domain`` and ``typical_personnel`` follow."""

    MECH_INFANTRY_BATTALION = "mech_infantry_battalion"
    INFANTRY_COMPANY = "infantry_company"
    ENGINEER_COMPANY = "engineer_company"
    DEMINING_GROUP = "demining_group"
    LOGISTICS_BATTALION = "logistics_battalion"
    ROLE2_MEDICAL = "role2_medical"
    HQ_STAFF = "hq_staff"
    TRAINING_TEAM = "training_team"
    MONITORING_TEAM = "monitoring_team"
    AIR_DEFENCE_BATTERY = "air_defence_battery"
    FIGHTER_DETACHMENT = "fighter_detachment"
    TANKER = "tanker"
    ISR_AIRCRAFT = "isr_aircraft"
    ISR_UAV_UNIT = "isr_uav_unit"
    FRIGATE = "frigate"
    MCM_VESSEL = "mcm_vessel"

    @property
    def domain(self) -> Domain:
        """The domain the capability fights in."""
        return _DOMAIN[self]

    @property
    def typical_personnel(self) -> int:
        """Typical strength of one unit (people), when a pledge does not say."""
        return _PERSONNEL[self]


_DOMAIN: dict[Capability, Domain] = {
    Capability.MECH_INFANTRY_BATTALION: Domain.LAND,
    Capability.INFANTRY_COMPANY: Domain.LAND,
    Capability.ENGINEER_COMPANY: Domain.LAND,
    Capability.DEMINING_GROUP: Domain.LAND,
    Capability.LOGISTICS_BATTALION: Domain.LAND,
    Capability.ROLE2_MEDICAL: Domain.LAND,
    Capability.HQ_STAFF: Domain.LAND,
    Capability.TRAINING_TEAM: Domain.LAND,
    Capability.MONITORING_TEAM: Domain.LAND,
    Capability.AIR_DEFENCE_BATTERY: Domain.LAND,
    Capability.FIGHTER_DETACHMENT: Domain.AIR,
    Capability.TANKER: Domain.AIR,
    Capability.ISR_AIRCRAFT: Domain.AIR,
    Capability.ISR_UAV_UNIT: Domain.AIR,
    Capability.FRIGATE: Domain.MARITIME,
    Capability.MCM_VESSEL: Domain.MARITIME,
}

_PERSONNEL: dict[Capability, int] = {
    Capability.MECH_INFANTRY_BATTALION: 650,
    Capability.INFANTRY_COMPANY: 150,
    Capability.ENGINEER_COMPANY: 150,
    Capability.DEMINING_GROUP: 40,
    Capability.LOGISTICS_BATTALION: 500,
    Capability.ROLE2_MEDICAL: 80,
    Capability.HQ_STAFF: 50,
    Capability.TRAINING_TEAM: 60,
    Capability.MONITORING_TEAM: 30,
    Capability.AIR_DEFENCE_BATTERY: 120,
    Capability.FIGHTER_DETACHMENT: 100,
    Capability.TANKER: 40,
    Capability.ISR_AIRCRAFT: 30,
    Capability.ISR_UAV_UNIT: 60,
    Capability.FRIGATE: 180,
    Capability.MCM_VESSEL: 45,
}


class Task(StrEnum):
    """What a CJSOR line is for; ``no_combat_tasks`` and ``training_only`` caveats read it."""

    REASSURANCE = "reassurance"
    QUICK_REACTION = "quick_reaction"
    AIR_POLICING = "air_policing"
    AIR_DEFENCE = "air_defence"
    MARITIME_SECURITY = "maritime_security"
    MONITORING = "monitoring"
    TRAINING = "training"
    LOGISTICS = "logistics"
    DEMINING = "demining"
    ENGINEERING = "engineering"
    MEDICAL = "medical"
    COMMAND = "command"
    ISR = "isr"
    AIR_REFUELLING = "air_refuelling"

    @property
    def combat(self) -> bool:
        """Whether the task may involve combat (what a "no combat tasks" caveat excludes)."""
        return self in _COMBAT_TASKS


_COMBAT_TASKS = frozenset(
    {
        Task.REASSURANCE,
        Task.QUICK_REACTION,
        Task.AIR_POLICING,
        Task.AIR_DEFENCE,
        Task.MARITIME_SECURITY,
    }
)


class AreaKind(StrEnum):
    """Where a requirement sits; decides domain fit and which caveats bite."""

    UKRAINE = "ukraine"
    NEIGHBOUR = "neighbour"  # a state next to Ukraine (NATO soil or not: see ``nato_soil``)
    SEA = "sea"
    HOME = "home"  # contribution from the nation's own territory (training, reach-back)


class PledgeStatus(StrEnum):
    """The ladder a pledge climbs; ``withdrawn`` ends it from any rung."""

    INTENT = "intent"
    COMMITTED = "committed"
    APPROVED = "approved"  # parliamentary approval where the constitution needs it
    GENERATED = "generated"  # the unit is named, trained and certified
    DEPLOYED = "deployed"
    WITHDRAWN = "withdrawn"


#: Order of the ladder; a transition may skip rungs forward, never go back.
STATUS_RANK: dict[PledgeStatus, int] = {
    PledgeStatus.INTENT: 0,
    PledgeStatus.COMMITTED: 1,
    PledgeStatus.APPROVED: 2,
    PledgeStatus.GENERATED: 3,
    PledgeStatus.DEPLOYED: 4,
    PledgeStatus.WITHDRAWN: 5,
}
