"""Attribution, apart from observation: a *proposal* of which party is responsible for a
violation, for the Special Commission to decide (Paris Declaration: the Commission "addresses
breaches, attributes responsibility, determines remedies"). Monitors never attribute; this
module only states what the observations suggest and why, with a confidence.

Bases, strongest first (each a plain reading of where fire came from, not of who it hit):

* ``presence``: heavy weapons, armour or troops stand where they were seen — the party on
  whose side they stand (certainly inside its area, not only possibly) is responsible;
* ``fire_origin``: an outgoing fire (a muzzle flash, fire direction ``outgoing``) located on a
  party's side was fired from there;
* ``impact_across``: an impact on one side, with no origin observed, most likely came from the
  other side of the line — a weaker basis (half weight), because both parties can hit their
  own side and impacts are where the firing party *aimed*.

The proposal's confidence is the incident's confidence (``fusion.grading``) times the basis
weight; ``None`` when nothing supports any party (unlocated, no side, another category).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from ceasefire.reports.model import FIRE_CATEGORIES, Category, FireDirection


class Basis(StrEnum):
    """Why a party is proposed (see the module docstring)."""

    PRESENCE = "presence"
    FIRE_ORIGIN = "fire_origin"
    IMPACT_ACROSS = "impact_across"
    ANALYST = "analyst"


class Decision(StrEnum):
    """What the Special Commission decided on a proposal."""

    UPHELD = "upheld"
    REJECTED = "rejected"


BASIS_WEIGHT: Final[dict[Basis, float]] = {
    Basis.PRESENCE: 1.0,
    Basis.FIRE_ORIGIN: 0.9,
    Basis.IMPACT_ACROSS: 0.5,
    Basis.ANALYST: 1.0,
}
PRESENCE_CATEGORIES: Final = frozenset(
    {Category.HEAVY_WEAPON, Category.ARMOUR, Category.TROOP_MOVEMENT}
)


@dataclass(frozen=True)
class Proposal:
    """A proposed attribution of one violation: party, basis in words, confidence 0-1."""

    party: str
    basis: Basis
    explanation: str
    confidence: float


def propose_attribution(
    *,
    category: Category,
    directions: frozenset[FireDirection],
    side: str | None,
    side_certain: bool,
    parties: tuple[str, ...],
    incident_confidence: float,
) -> Proposal | None:
    """Propose the responsible party of a violation by an incident.

    ``side`` is the party whose area holds the incident's fused location (``side_certain``:
    the whole uncertainty ellipse lies inside it); ``directions`` are the fire directions its
    reports gave; ``parties`` every party of the agreement (two, for the line's two sides).

    >>> propose_attribution(category=Category.HEAVY_WEAPON, directions=frozenset(),
    ...     side="RUS", side_certain=True, parties=("UKR", "RUS"), incident_confidence=0.9).party
    'RUS'
    """
    if side is None:
        return None
    certainty = 1.0 if side_certain else 0.6
    if category in PRESENCE_CATEGORIES:
        basis, party = Basis.PRESENCE, side
        why = f"{category.value} located on {side}'s side of the line"
    elif category is Category.MUZZLE_FLASH or FireDirection.OUTGOING in directions:
        basis, party = Basis.FIRE_ORIGIN, side
        why = f"outgoing fire located on {side}'s side of the line"
    elif category in FIRE_CATEGORIES and len(parties) == 2:
        basis, party = Basis.IMPACT_ACROSS, next(p for p in parties if p != side)
        why = f"impact on {side}'s side with no origin observed: fire from across the line"
    else:
        return None
    confidence = round(incident_confidence * BASIS_WEIGHT[basis] * certainty, 3)
    return Proposal(party, basis, why, confidence)
