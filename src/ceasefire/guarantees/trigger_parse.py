"""Parse one trigger clause of a guarantees file into its typed trigger (errors name the path)."""

from __future__ import annotations

from ceasefire.guarantees.facts import VerificationState
from ceasefire.guarantees.node import Node
from ceasefire.guarantees.triggers import (
    HEAVY_CLASSES,
    AirspaceIncursion,
    AlertLevel,
    AllOf,
    AnyOf,
    AttackOnForce,
    Attribution,
    Breach,
    GroundAdvance,
    HeavyWeaponsUse,
    PersistentBreach,
    SectorBy,
    Surge,
    Trigger,
    TriggerKind,
    VerificationDenial,
)
from ceasefire.reports.model import FIRE_CATEGORIES, Category, WeaponClass

_COMMON = {"id", "kind", "level", "min_verification", "description", "source"}
_KEYS: dict[TriggerKind, set[str]] = {
    TriggerKind.BREACH: {"min_severity", "attribution", "against"},
    TriggerKind.PERSISTENT_BREACH: {"hours", "min_severity", "attribution", "against"},
    TriggerKind.SURGE: {
        "k",
        "baseline_days",
        "baseline_floor",
        "min_count",
        "categories",
        "sector_by",
        "grid_deg",
        "first_hand_only",
    },
    TriggerKind.VERIFICATION_DENIAL: {
        "k",
        "baseline_days",
        "baseline_floor",
        "min_count",
        "sector_by",
        "grid_deg",
    },
    TriggerKind.HEAVY_WEAPONS_USE: {"zones", "weapon_classes"},
    TriggerKind.GROUND_ADVANCE: {"min_distance_km", "categories"},
    TriggerKind.ATTACK_ON_FORCE: {"targets", "include_monitors"},
    TriggerKind.AIRSPACE_INCURSION: {"airspaces", "min_count", "categories"},
    TriggerKind.ALL: {"of", "window_h"},
    TriggerKind.ANY: {"of"},
}


def parse_trigger(node: Node, airspace_ids: set[str]) -> Trigger:
    """One entry of ``triggers:``; ``kind`` selects the type, its keys are checked exactly."""
    kind = node.get("kind").enum(TriggerKind)
    node.only_keys(_COMMON | _KEYS[kind])
    trigger_id = node.get("id").string()
    level = node.get("level")
    verification = node.get("min_verification")
    if kind is TriggerKind.BREACH:
        return Breach(
            trigger_id,
            min_severity=node.get("min_severity").integer(default=1, minimum=0),
            min_verification=verification.enum(
                VerificationState, default=VerificationState.VERIFIED
            ),
            attribution=node.get("attribution").enum(Attribution, default=Attribution.ANY),
            against=node.get("against").opt_string(),
            level=level.enum(AlertLevel, default=AlertLevel.RED),
        )
    if kind is TriggerKind.PERSISTENT_BREACH:
        return PersistentBreach(
            trigger_id,
            hours=node.get("hours").number(default=24.0, minimum=0.0),
            min_severity=node.get("min_severity").integer(default=1, minimum=0),
            min_verification=verification.enum(
                VerificationState, default=VerificationState.VERIFIED
            ),
            attribution=node.get("attribution").enum(Attribution, default=Attribution.ANY),
            against=node.get("against").opt_string(),
            level=level.enum(AlertLevel, default=AlertLevel.RED),
        )
    if kind in (TriggerKind.SURGE, TriggerKind.VERIFICATION_DENIAL):
        return _rate(node, kind, trigger_id)
    if kind is TriggerKind.HEAVY_WEAPONS_USE:
        zones = frozenset(n.string() for n in node.get("zones").items())
        if not zones:
            node.get("zones").fail("non_empty", "name the withdrawal zones")
        classes = node.get("weapon_classes")
        return HeavyWeaponsUse(
            trigger_id,
            zones=zones,
            weapon_classes=(
                HEAVY_CLASSES
                if classes.missing
                else frozenset(n.enum(WeaponClass) for n in classes.items())
            ),
            min_verification=verification.enum(
                VerificationState, default=VerificationState.CORROBORATED
            ),
            level=level.enum(AlertLevel, default=AlertLevel.RED),
        )
    if kind is TriggerKind.GROUND_ADVANCE:
        default = GroundAdvance("x").categories
        return GroundAdvance(
            trigger_id,
            min_distance_km=node.get("min_distance_km").number(default=1.0, minimum=0.0),
            categories=_categories(node.get("categories"), default),
            min_verification=verification.enum(
                VerificationState, default=VerificationState.VERIFIED
            ),
            level=level.enum(AlertLevel, default=AlertLevel.RED),
        )
    if kind is TriggerKind.ATTACK_ON_FORCE:
        return AttackOnForce(
            trigger_id,
            targets=frozenset(n.string() for n in node.get("targets").items(default=[])),
            include_monitors=node.get("include_monitors").boolean(default=False),
            min_verification=verification.enum(
                VerificationState, default=VerificationState.CORROBORATED
            ),
            level=level.enum(AlertLevel, default=AlertLevel.RED),
        )
    if kind is TriggerKind.AIRSPACE_INCURSION:
        names = node.get("airspaces")
        airspaces = frozenset(n.string() for n in names.items())
        for i, name in enumerate(sorted(airspaces)):
            if name not in airspace_ids:
                names.get(i).fail("reference", f"no airspace {name!r} in this file")
        if not airspaces:
            names.fail("non_empty", "name at least one airspace")
        return AirspaceIncursion(
            trigger_id,
            airspaces=airspaces,
            min_count=node.get("min_count").integer(default=1, minimum=1),
            categories=_categories(
                node.get("categories"), AirspaceIncursion("x", frozenset()).categories
            ),
            min_verification=verification.enum(
                VerificationState, default=VerificationState.CORROBORATED
            ),
            level=level.enum(AlertLevel, default=AlertLevel.AMBER),
        )
    children = tuple(n.string() for n in node.get("of").items())
    if len(children) < 2:
        node.get("of").fail("non_empty", "a combinator needs at least two triggers")
    if kind is TriggerKind.ALL:
        return AllOf(
            trigger_id,
            of=children,
            window_h=node.get("window_h").number(default=24.0, minimum=0.0),
            level=level.enum(AlertLevel, default=AlertLevel.RED),
        )
    return AnyOf(trigger_id, of=children, level=level.enum(AlertLevel, default=AlertLevel.RED))


def _rate(node: Node, kind: TriggerKind, trigger_id: str) -> Surge | VerificationDenial:
    defaults: Surge | VerificationDenial = (
        Surge(trigger_id) if kind is TriggerKind.SURGE else VerificationDenial(trigger_id)
    )
    k = node.get("k").number(default=defaults.k, minimum=1.0)
    baseline_days = node.get("baseline_days").integer(default=defaults.baseline_days, minimum=1)
    floor = node.get("baseline_floor").number(default=defaults.baseline_floor, minimum=0.0)
    min_count = node.get("min_count").integer(default=defaults.min_count, minimum=1)
    sector_by = node.get("sector_by").enum(SectorBy, default=defaults.sector_by)
    grid_deg = node.get("grid_deg").number(default=defaults.grid_deg, minimum=0.01)
    verification = node.get("min_verification").enum(
        VerificationState, default=defaults.min_verification
    )
    level = node.get("level").enum(AlertLevel, default=defaults.level)
    if isinstance(defaults, VerificationDenial):
        return VerificationDenial(
            trigger_id,
            k,
            baseline_days,
            floor,
            min_count,
            defaults.categories,
            verification,
            sector_by,
            grid_deg,
            level,
        )
    categories = _categories(node.get("categories"), FIRE_CATEGORIES)
    return Surge(
        trigger_id,
        k,
        baseline_days,
        floor,
        min_count,
        categories,
        verification,
        sector_by,
        grid_deg,
        level,
        first_hand_only=node.get("first_hand_only").boolean(default=False),
    )


def _categories(node: Node, default: frozenset[Category]) -> frozenset[Category]:
    if node.missing:
        return default
    values = frozenset(n.enum(Category) for n in node.items())
    if not values:
        node.fail("non_empty", "at least one category")
    return values
