"""Agreement rules over a batch of placed reports, vectorised: one numpy pass per rule.

A report breaks a rule when

* its category is one of the rule's, and its weapon class one of the rule's when the rule names
  any (a report without a weapon class never matches such a rule);
* it was observed at or after the rule's start: the latest of the agreement's, the rule's and
  its zone's ``in_force_from``. An agreement with no ``in_force_from`` (a draft) is never
  broken: nothing is a violation before the ceasefire;
* it lies ``anywhere`` (certain, located or not), or inside the rule's zone: ``certain`` when
  certainly inside, ``possible`` when its uncertainty circle crosses the zone's edge;
* or, for a *withdrawal rule* (a zone rule for ``heavy_weapon`` sightings of named weapon
  classes: these weapons must not be in this zone), it is fire (``FIRE_CATEGORIES``) of one of
  those weapon classes located in the zone: a weapon that fires from the zone is in the zone.
  Muzzle flashes, bursts and shots are located at the weapon, so they break the rule as a
  sighting would; explosions, projectiles in flight and flares may be located where the round
  landed or flew, so they break it at most ``possible``. (Impacts are not told apart here:
  the columns carry no fire direction; the heavy-weapons trigger drops them itself.)
* and it is not at the rule's exemption (``except_at``: the storage sites, or a zone id).
  Certainly at the exemption: no violation. Possibly at it: a certain violation becomes
  ``possible``, because the report may be where the weapon is allowed.

The loop runs over the agreement's rules (a handful), never over reports.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ceasefire.agreement.model import STORAGE_SITES, Agreement, Rule
from ceasefire.assessment.violations import (
    Certainty,
    RuleColumns,
    RulePlacements,
    ViolationBatch,
)
from ceasefire.errors import AgreementError
from ceasefire.reports.model import FIRE_CATEGORIES, Category, WeaponClass

_CATEGORY_CODE = {category: code for code, category in enumerate(Category)}
_WEAPON_CODE = {weapon: code for code, weapon in enumerate(WeaponClass)}
#: Fire located at the weapon itself (the flash, the gun): it places the weapon in the zone.
_FIRE_AT_WEAPON = frozenset({Category.MUZZLE_FLASH, Category.BURST_OF_FIRE, Category.SHOTS})
#: Fire that may be located where the round went (impact, trajectory, flare): at most possible.
_FIRE_AWAY = FIRE_CATEGORIES - _FIRE_AT_WEAPON


def evaluate_rules(
    agreement: Agreement, columns: RuleColumns, placements: RulePlacements
) -> ViolationBatch:
    """Every (report, rule) violation in the batch, certain or possible.

    ``columns`` and ``placements`` describe the same ``n`` reports in the same order.

    Examples
    --------
    A rule that holds anywhere is broken with certainty by a matching report after the start;
    see ``tests/assessment/test_rules.py`` for zones, exemptions and start dates.
    """
    parts: list[tuple[NDArray[np.int64], int, NDArray[np.bool_]]] = []
    for position, rule in enumerate(agreement.rules):
        certain, possible = _rule_masks(agreement, rule, columns, placements)
        for mask, is_certain in ((certain, True), (possible, False)):
            index = np.flatnonzero(mask)
            if len(index):
                parts.append((index.astype(np.int64), position, np.full(len(index), is_certain)))
    if not parts:
        return ViolationBatch.empty()
    report_index = np.concatenate([index for index, _, _ in parts])
    rule_pos = np.concatenate([np.full(len(index), pos) for index, pos, _ in parts])
    certain_flag = np.concatenate([flags for _, _, flags in parts])
    order = np.lexsort((rule_pos, report_index))
    report_index, rule_pos, certain_flag = report_index[order], rule_pos[order], certain_flag[order]
    rules = agreement.rules
    rule_ids = np.array([r.id for r in rules], dtype=object)
    articles = np.array([r.article for r in rules], dtype=object)
    severities = np.array([r.severity for r in rules], dtype=np.int16)
    zones = np.array([None if r.anywhere else r.inside_zone for r in rules], dtype=object)
    certainty = np.where(certain_flag, Certainty.CERTAIN.value, Certainty.POSSIBLE.value)
    return ViolationBatch(
        report_index=report_index,
        rule_id=rule_ids[rule_pos],
        article=articles[rule_pos],
        severity=severities[rule_pos],
        certainty=certainty.astype(object),
        zone_id=zones[rule_pos],
    )


def _rule_masks(
    agreement: Agreement, rule: Rule, columns: RuleColumns, placements: RulePlacements
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(certain, possible) masks of one rule over the batch; exclusive of each other."""
    n = len(columns.category)
    nothing = np.zeros(n, dtype=bool)
    column = (
        None
        if rule.anywhere or rule.inside_zone is None
        else _zone_column(placements, rule.inside_zone, rule)
    )
    start = agreement.rule_in_force_from(rule)
    if start is None:
        return nothing, nothing
    match = np.isin(columns.category, [_CATEGORY_CODE[c] for c in rule.categories])
    if rule.weapon_classes is not None:
        match &= np.isin(columns.weapon_class, [_WEAPON_CODE[w] for w in rule.weapon_classes])
    match &= columns.observed_at_s >= start.timestamp()
    if rule.anywhere:
        certain, possible = match, nothing
    elif column is not None:
        at_weapon, away = _fire_of_banned_weapon(rule, columns)
        match |= at_weapon & (columns.observed_at_s >= start.timestamp())
        away &= columns.observed_at_s >= start.timestamp()
        inside, edge = placements.inside[:, column], placements.possibly_inside[:, column]
        certain = match & inside
        possible = (match & edge) | (away & (inside | edge))
    else:
        return nothing, nothing
    if rule.except_at is not None:
        at, near = _exemption(placements, rule)
        certain, possible = certain & ~at & ~near, (possible & ~at) | (certain & near & ~at)
    return certain, possible


def _fire_of_banned_weapon(
    rule: Rule, columns: RuleColumns
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(fire at the weapon, fire possibly away from it) of the weapon classes a withdrawal
    rule bans from its zone; nothing for any other rule."""
    n = len(columns.category)
    if (
        rule.weapon_classes is None
        or rule.inside_zone is None
        or Category.HEAVY_WEAPON not in rule.categories
    ):
        return np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    banned = np.isin(columns.weapon_class, [_WEAPON_CODE[w] for w in rule.weapon_classes])
    own = rule.categories
    at_weapon = np.isin(columns.category, [_CATEGORY_CODE[c] for c in _FIRE_AT_WEAPON - own])
    away = np.isin(columns.category, [_CATEGORY_CODE[c] for c in _FIRE_AWAY - own])
    return banned & at_weapon, banned & away


def _exemption(
    placements: RulePlacements, rule: Rule
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """(certainly at, possibly at) the rule's exemption."""
    assert rule.except_at is not None
    if rule.except_at == STORAGE_SITES:
        return placements.at_storage_site, placements.near_storage_site
    column = _zone_column(placements, rule.except_at, rule)
    return placements.inside[:, column], placements.possibly_inside[:, column]


def _zone_column(placements: RulePlacements, zone_id: str, rule: Rule) -> int:
    try:
        return placements.zone_ids.index(zone_id)
    except ValueError:
        raise AgreementError(
            f"rules[{rule.id}]",
            "unknown_zone",
            f"rule {rule.id} names zone {zone_id!r}, which the geography does not have",
        ) from None
