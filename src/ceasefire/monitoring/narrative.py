"""What was notable in each oblast on the day: the facts behind the report's narrative.

The SMM's daily reports opened each region with a few sentences — the gravest event, how much
fire, weapons seen where they should not be, where monitors were stopped — before any table.
This module picks those facts per oblast from the day's columns (pure, numpy); the words are
written by ``reporting.daily_narrative``. It reads the same columns as the tables, so the
narrative cannot quote a figure the tables do not show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from ceasefire.monitoring.columns import CATEGORIES, WindowReports, category_code
from ceasefire.monitoring.shown import ShownIncidents
from ceasefire.monitoring.tables import FIRE_ORDER, CountTable
from ceasefire.reports.model import Category

if TYPE_CHECKING:
    from ceasefire.monitoring.sightings import Sighting


@dataclass(frozen=True, slots=True)
class GravestRule:
    """The most severe rule broken in an oblast: how many incidents broke it, how many surely."""

    rule_id: str
    article: str
    severity: int
    incidents: int
    certain: int


@dataclass(frozen=True, slots=True)
class LargestReport:
    """The single report with the largest count of fire in an oblast."""

    count: int
    category: Category
    observed_at: datetime


@dataclass(frozen=True, slots=True)
class RegionNotes:
    """One oblast's notable facts of the day (``oblast`` spelt as in every table)."""

    oblast: str
    fire: int
    fire_previous: int
    incidents: int
    violations: int
    gravest: GravestRule | None
    largest: LargestReport | None
    weapons: tuple[Sighting, ...]
    restrictions: int
    sensors_impeded: int
    attacks: int
    civilian: int


def _count(today: WindowReports, rows: np.ndarray, *categories: Category) -> int:
    mask = np.isin(today.category[rows], [category_code(c) for c in categories])
    return int(today.count[rows][mask].sum())


def _gravest(shown: ShownIncidents, in_oblast: np.ndarray) -> GravestRule | None:
    judged = shown.judged
    if not len(judged):
        return None
    mine = in_oblast[judged.report_row]
    if not mine.any():
        return None
    sev = judged.severity.astype(np.int64)
    top = int(sev[mine].max())
    pick = mine & (sev == top)
    rules = judged.rule[pick]
    # Of the rules at the top severity, the one broken most often names the oblast's gravest.
    values, counts = np.unique(rules, return_counts=True)
    rule = int(values[int(np.argmax(counts))])
    chosen = pick & (judged.rule == rule)
    return GravestRule(
        rule_id=judged.rule_ids[rule],
        article=judged.rule_articles[rule],
        severity=top,
        incidents=int(np.unique(judged.report_row[chosen]).size),
        certain=int(judged.certain[chosen].sum()),
    )


def _largest(today: WindowReports, rows: np.ndarray) -> LargestReport | None:
    fire = rows[np.isin(today.category[rows], [category_code(c) for c in FIRE_ORDER])]
    if not fire.size:
        return None
    i = int(fire[np.lexsort((today.observed_at_s[fire], -today.count[fire]))[0]])
    return LargestReport(
        count=int(today.count[i]),
        category=CATEGORIES[int(today.category[i])],
        observed_at=datetime.fromtimestamp(float(today.observed_at_s[i]), UTC),
    )


def region_notes(
    today: WindowReports,
    shown: ShownIncidents,
    *,
    oblast_names: tuple[str, ...],
    fire: CountTable,
    fire_previous: CountTable,
    weapons: Sequence[Sighting],
) -> tuple[RegionNotes, ...]:
    """Per oblast with anything to say, gravest first: by the severity of the worst rule
    broken there, then by fire observed. ``shown``'s incidents must be placed (``oblast``);
    unlocated reports and incidents are left out (no region to tell them under)."""
    per_fire = fire.row_totals()
    per_previous = fire_previous.row_totals()
    notes: list[RegionNotes] = []
    for code, name in enumerate(oblast_names):
        rows = np.flatnonzero(today.oblast == code)
        in_oblast = shown.incidents.oblast == code
        k = fire.rows.index(name) if name in fire.rows else -1
        note = RegionNotes(
            oblast=name,
            fire=int(per_fire[k]) if k >= 0 else 0,
            fire_previous=int(per_previous[k]) if k >= 0 else 0,
            incidents=int(in_oblast.sum()),
            violations=int(shown.incidents.violations[in_oblast].sum()),
            gravest=_gravest(shown, in_oblast),
            largest=_largest(today, rows),
            weapons=tuple(w for w in weapons if w.oblast == name),
            restrictions=_count(today, rows, Category.MOVEMENT_RESTRICTION),
            sensors_impeded=_count(today, rows, Category.SENSOR_IMPEDED),
            attacks=_count(today, rows, Category.ATTACK_ON_MONITORS, Category.ATTACK_ON_FORCE),
            civilian=_count(
                today, rows, Category.CIVILIAN_CASUALTY, Category.INFRASTRUCTURE_DAMAGE
            ),
        )
        if note.fire or note.incidents or note.restrictions or note.sensors_impeded or note.attacks:
            notes.append(note)
    notes.sort(key=lambda n: (-(n.gravest.severity if n.gravest else 0), -n.fire, n.oblast))
    return tuple(notes)
