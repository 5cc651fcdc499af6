"""The per-fact conditions of the fact triggers, as pure predicates.

Each answers "does this revision of a fact make the trigger true?" from the fact alone
(airspace polygons aside). State across revisions (fire once, persistence timers) is the
evaluator's business, not theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import Polygon

from ceasefire.guarantees.facts import MonitoringFact, category_mask, weapon_mask
from ceasefire.guarantees.triggers import (
    FIRING_FROM,
    AirspaceIncursion,
    AttackOnForce,
    Attribution,
    Breach,
    FactTrigger,
    GroundAdvance,
    HeavyWeaponsUse,
    PersistentBreach,
)
from ceasefire.reports.model import FIRE_CATEGORIES, Category, WeaponClass


def is_breach(trigger: Breach | PersistentBreach, fact: MonitoringFact) -> bool:
    """A violation of enough severity, verified enough, attributed as the trigger asks."""
    if fact.rule_id is None or fact.severity < trigger.min_severity:
        return False
    if fact.verification.rank < trigger.min_verification.rank:
        return False
    attributed = fact.attributed_to not in (None, "unknown")
    if trigger.attribution is Attribution.ATTRIBUTED and not attributed:
        return False
    if trigger.attribution is Attribution.UNATTRIBUTED and attributed:
        return False
    return trigger.against is None or fact.attributed_to == trigger.against


def matches(trigger: FactTrigger, fact: MonitoringFact, airspaces: Mapping[str, Polygon]) -> bool:
    """True when this revision of ``fact`` makes ``trigger`` true."""
    if isinstance(trigger, Breach):
        return is_breach(trigger, fact)
    if fact.verification.rank < trigger.min_verification.rank:
        return False
    if isinstance(trigger, HeavyWeaponsUse):
        firing = fact.category in FIRE_CATEGORIES and fact.fire_direction in FIRING_FROM
        return (
            (fact.category is Category.HEAVY_WEAPON or firing)
            and fact.weapon_class in trigger.weapon_classes
            and not trigger.zones.isdisjoint(fact.zone_ids)
        )
    if isinstance(trigger, GroundAdvance):
        return (
            fact.category in trigger.categories
            and fact.attributed_to not in (None, "unknown")
            and fact.side_party is not None
            and fact.attributed_to != fact.side_party
            and fact.distance_to_line_km is not None
            and fact.distance_to_line_km > trigger.min_distance_km
        )
    if isinstance(trigger, AttackOnForce):
        hit = fact.category is Category.ATTACK_ON_FORCE or (
            trigger.include_monitors and fact.category is Category.ATTACK_ON_MONITORS
        )
        return hit and (not trigger.targets or fact.target in trigger.targets)
    return _in_airspace(trigger, fact, airspaces)


def _in_airspace(
    trigger: AirspaceIncursion, fact: MonitoringFact, airspaces: Mapping[str, Polygon]
) -> bool:
    if fact.category not in trigger.categories or fact.count < trigger.min_count:
        return False
    if fact.lon is None or fact.lat is None:
        return False
    return any(
        bool(shapely.contains_xy(airspaces[name], fact.lon, fact.lat)) for name in trigger.airspaces
    )


def measures_of(trigger: FactTrigger, fact: MonitoringFact) -> dict[str, float | str]:
    """The values the condition compared, for the explanation."""
    out: dict[str, float | str] = {"category": str(fact.category), "count": fact.count}
    if fact.rule_id is not None:
        out["rule"] = fact.rule_id
        out["severity"] = fact.severity
    out["verification"] = str(fact.verification)
    if fact.attributed_to is not None:
        out["attributed_to"] = fact.attributed_to
    if isinstance(trigger, GroundAdvance) and fact.distance_to_line_km is not None:
        out["side"] = fact.side_party or ""
        out["distance_to_line_km"] = round(fact.distance_to_line_km, 3)
    if isinstance(trigger, HeavyWeaponsUse):
        out["weapon_class"] = str(fact.weapon_class)
        out["zones"] = ",".join(sorted(fact.zone_ids & trigger.zones))
    if fact.target is not None:
        out["target"] = fact.target
    return out


def categories_of(trigger: FactTrigger) -> frozenset[Category] | None:
    """The only categories that can make ``trigger`` true (None: any category can)."""
    if isinstance(trigger, GroundAdvance | AirspaceIncursion):
        return trigger.categories
    if isinstance(trigger, HeavyWeaponsUse):
        return FIRE_CATEGORIES | {Category.HEAVY_WEAPON}
    if isinstance(trigger, AttackOnForce):
        return frozenset({Category.ATTACK_ON_FORCE, Category.ATTACK_ON_MONITORS})
    return None


def prefilter_masks(
    triggers: Sequence[FactTrigger],
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """Lookup tables that let numpy pick the few facts a fact trigger could fire on.

    Returns (categories that suffice on their own, heavy-weapon categories, heavy weapon
    classes indexed by weapon index + 1): a heavy-weapons candidate needs both of the latter,
    so ordinary fire of unknown or light weapons never reaches the per-fact loop. Breaches
    are picked by severity and verification rank, outside these tables.
    """
    alone: set[Category] = set()
    classes: set[WeaponClass] = set()
    for trigger in triggers:
        if isinstance(trigger, HeavyWeaponsUse):
            classes |= trigger.weapon_classes
        elif not isinstance(trigger, Breach):
            alone |= categories_of(trigger) or frozenset()
    heavy = FIRE_CATEGORIES | {Category.HEAVY_WEAPON} if classes else frozenset()
    return category_mask(frozenset(alone)), category_mask(heavy), weapon_mask(frozenset(classes))
