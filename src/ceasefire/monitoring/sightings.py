"""The single reports a daily report lists by name: weapons in and beyond the withdrawal
lines, restrictions of movement, civilian harm; each with where, when, what and who saw it.

Pure functions of the day's columns (``monitoring.columns``), in time order, at most
``LIST_LIMIT`` per list (the report says how many more).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from ceasefire.monitoring.columns import (
    CATEGORIES,
    WEAPON_CLASSES,
    ReportNote,
    ViolationColumns,
    WindowReports,
    WithdrawalPolicy,
    category_code,
)
from ceasefire.monitoring.tables import UNLOCATED
from ceasefire.reports.model import Category

#: Report categories that carry weapons the withdrawal rules count.
WEAPON_CATEGORIES: tuple[Category, ...] = (Category.HEAVY_WEAPON, Category.ARMOUR)

#: How many single events a section lists by name before it says "and N more".
LIST_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Sighting:
    """One listed report: a weapon, a restriction, a casualty ... with where and what it broke."""

    observed_at: datetime
    category: Category
    weapon_class: str | None
    count: int
    oblast: str
    lon: float | None
    lat: float | None
    rule_id: str | None
    zone: str | None
    certain: bool
    source: str | None
    place: str | None
    description: str | None
    note: ReportNote | None = None


def _sighting(
    today: WindowReports,
    i: int,
    oblast_names: tuple[str, ...],
    *,
    rule_id: str | None = None,
    zone: str | None = None,
    certain: bool = True,
) -> Sighting:
    note = today.notes.get(i)
    code = int(today.weapon_class[i])
    ob = int(today.oblast[i])
    lon, lat = float(today.lon[i]), float(today.lat[i])
    located = bool(np.isfinite(lon) and np.isfinite(lat))
    return Sighting(
        observed_at=datetime.fromtimestamp(float(today.observed_at_s[i]), UTC),
        category=CATEGORIES[int(today.category[i])],
        weapon_class=WEAPON_CLASSES[code].value if code >= 0 else None,
        count=int(today.count[i]),
        oblast=oblast_names[ob] if ob >= 0 else UNLOCATED,
        lon=lon if located else None,
        lat=lat if located else None,
        rule_id=rule_id,
        zone=zone,
        certain=certain,
        source=note.source if note else None,
        place=note.place if note else None,
        description=note.description if note else None,
        note=note,
    )


def weapon_sightings(
    today: WindowReports,
    violations: ViolationColumns,
    policy: WithdrawalPolicy,
    oblast_names: tuple[str, ...],
) -> tuple[tuple[Sighting, ...], tuple[Sighting, ...], dict[str, int], dict[str, int]]:
    """Heavy weapons: in violation of withdrawal lines / beyond them but not stored / stored.

    A weapon report is one of ``WEAPON_CATEGORIES`` (a tank is reported as armour).
    "In violation" = a weapon report with a violation of a zone rule that orders weapons
    out (the most severe, certain first, is named). "Beyond, outside storage" = a located
    heavy-weapon report of a class some rule orders out, with no such violation, not at a
    storage site — the SMM's "weapons beyond withdrawal lines but outside storage sites".
    """
    heavy = np.isin(today.category, [category_code(c) for c in WEAPON_CATEGORIES])
    zone_rule = np.isin(
        violations.rule,
        [i for i, r in enumerate(violations.rule_ids) if r in policy.zone_rule_ids],
    )
    order = np.lexsort((-violations.certain.astype(np.int8), -violations.severity))
    best: dict[int, int] = {}
    for v in order[zone_rule[order]]:
        best.setdefault(int(violations.report_row[v]), int(v))
    in_violation = []
    violating_heavy = sorted(
        (r for r in best if heavy[r]), key=lambda r: (today.observed_at_s[r], r)
    )
    for i in violating_heavy[:LIST_LIMIT]:
        v = best[i]
        zone = int(violations.zone[v])
        in_violation.append(
            _sighting(
                today,
                i,
                oblast_names,
                rule_id=violations.rule_ids[int(violations.rule[v])],
                zone=violations.zone_ids[zone] if zone >= 0 else None,
                certain=bool(violations.certain[v]),
            )
        )
    violating = np.zeros(len(today), dtype=np.bool_)
    violating[list(best)] = True
    withdrawn_class = np.isin(today.weapon_class, sorted(policy.weapon_codes))
    located = np.isfinite(today.lon) & np.isfinite(today.lat)
    beyond_rows = np.flatnonzero(
        heavy & withdrawn_class & located & ~violating & ~today.at_storage_site
    )
    beyond_rows = beyond_rows[np.argsort(today.observed_at_s[beyond_rows], kind="stable")]
    beyond = tuple(_sighting(today, int(i), oblast_names) for i in beyond_rows[:LIST_LIMIT])
    stored = heavy & today.at_storage_site
    at_storage: dict[str, int] = {}
    for code in np.unique(today.weapon_class[stored]):
        label = WEAPON_CLASSES[int(code)].value if code >= 0 else "unspecified"
        at_storage[label] = int(today.count[stored & (today.weapon_class == code)].sum())
    more = {
        "weapons_in_violation": max(0, len(violating_heavy) - LIST_LIMIT),
        "weapons_outside_storage": max(0, int(beyond_rows.size) - LIST_LIMIT),
    }
    return tuple(in_violation), beyond, at_storage, more


def listed_events(
    today: WindowReports, categories: tuple[Category, ...], oblast_names: tuple[str, ...]
) -> tuple[tuple[Sighting, ...], int]:
    """Reports of ``categories`` in time order, at most ``LIST_LIMIT``, and how many more."""
    mask = np.isin(today.category, [category_code(c) for c in categories])
    rows = np.flatnonzero(mask)
    rows = rows[np.argsort(today.observed_at_s[rows], kind="stable")]
    listed = tuple(_sighting(today, int(i), oblast_names) for i in rows[:LIST_LIMIT])
    return listed, max(0, rows.size - LIST_LIMIT)
