"""The columnar input of the daily report: one window of stored reports and their violations.

The store fills these arrays with one query each (``ceasefire.store.queries``); everything in
``ceasefire.monitoring`` is a pure function of them, so a 100,000-report day is a handful of
numpy reductions and the aggregation is testable without a database.

Codes, not strings, in the hot columns:

* ``category`` is the index into ``list(Category)``, ``weapon_class`` the index into
  ``list(WeaponClass)`` (``-1`` when absent), as ``ceasefire.reports.columns`` encodes them;
* ``rule`` indexes ``ViolationColumns.rule_ids`` and ``zone`` indexes ``zone_ids`` (``-1``: the
  rule applies anywhere, no zone);
* ``oblast`` indexes ``Oblasts.iso`` (``-1``: unlocated or outside Ukraine). It is computed at
  report time from the resolved location (``ceasefire.monitoring.oblasts.assign_oblasts``),
  so a change of boundaries never needs a re-ingest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import NDArray

from ceasefire.agreement.model import Rule
from ceasefire.errors import InputError
from ceasefire.reports.model import Category, WeaponClass

CATEGORIES: tuple[Category, ...] = tuple(Category)
WEAPON_CLASSES: tuple[WeaponClass, ...] = tuple(WeaponClass)


def category_code(category: Category) -> int:
    """The integer code of ``category`` in the columns (its position in ``Category``)."""
    return CATEGORIES.index(category)


def weapon_code(weapon_class: WeaponClass) -> int:
    """The integer code of ``weapon_class`` in the columns (its position in ``WeaponClass``)."""
    return WEAPON_CLASSES.index(weapon_class)


@dataclass(frozen=True, slots=True)
class ReportNote:
    """The human part of a report, fetched only for the few reports a report lists by name:
    who saw it, the place named, the observer's words, and what the placement found (the
    listing's "Details" when the observer wrote nothing)."""

    source: str
    place: str | None
    description: str | None
    source_type: str | None = None
    location_form: str | None = None
    party: str | None = None
    distance_to_line_km: float | None = None


@dataclass(frozen=True, eq=False)
class WindowReports:
    """The current (not withdrawn, not superseded) reports observed in a time window.

    All arrays have one entry per report, in the same order. ``lon``/``lat`` are the resolved
    location (NaN when none could be resolved); ``at_storage_site`` is True when the location
    is certainly within a designated storage site's radius. ``notes`` maps a row index to its
    source and free text for rows of the categories a report lists one by one (movement
    restrictions, casualties, heavy weapons ...); other rows have no entry.
    """

    row_id: NDArray[np.int64]
    observed_at_s: NDArray[np.float64]
    category: NDArray[np.int16]
    weapon_class: NDArray[np.int16]
    count: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    at_storage_site: NDArray[np.bool_]
    oblast: NDArray[np.int16]
    notes: dict[int, ReportNote] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.row_id.shape[0]
        for name in (
            "observed_at_s",
            "category",
            "weapon_class",
            "count",
            "lon",
            "lat",
            "at_storage_site",
            "oblast",
        ):
            if getattr(self, name).shape != (n,):
                raise InputError(name, "same-length", f"{name} must have {n} entries")

    def __len__(self) -> int:
        return int(self.row_id.shape[0])

    def take(self, mask: NDArray[np.bool_]) -> WindowReports:
        """The rows where ``mask`` is True (notes re-indexed to the new positions)."""
        positions = np.flatnonzero(mask)
        renumber = {int(old): new for new, old in enumerate(positions)}
        return WindowReports(
            row_id=self.row_id[positions],
            observed_at_s=self.observed_at_s[positions],
            category=self.category[positions],
            weapon_class=self.weapon_class[positions],
            count=self.count[positions],
            lon=self.lon[positions],
            lat=self.lat[positions],
            at_storage_site=self.at_storage_site[positions],
            oblast=self.oblast[positions],
            notes={renumber[i]: note for i, note in self.notes.items() if i in renumber},
        )


@dataclass(frozen=True, eq=False)
class ViolationColumns:
    """Violations of the window's reports: one entry per (report, rule) pair.

    ``report_row`` indexes the rows of the ``WindowReports`` they were loaded with;
    ``certain`` is False for a *possible* violation (the report's uncertainty circle crosses
    the zone's edge).
    """

    report_row: NDArray[np.int64]
    rule: NDArray[np.int16]
    zone: NDArray[np.int16]
    severity: NDArray[np.int8]
    certain: NDArray[np.bool_]
    rule_ids: tuple[str, ...]
    rule_articles: tuple[str, ...]
    zone_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        n = self.report_row.shape[0]
        for name in ("rule", "zone", "severity", "certain"):
            if getattr(self, name).shape != (n,):
                raise InputError(name, "same-length", f"{name} must have {n} entries")
        if len(self.rule_articles) != len(self.rule_ids):
            raise InputError("rule_articles", "same-length", "one article per rule id")

    def __len__(self) -> int:
        return int(self.report_row.shape[0])

    @classmethod
    def empty(
        cls,
        rule_ids: tuple[str, ...] = (),
        rule_articles: tuple[str, ...] = (),
        zone_ids: tuple[str, ...] = (),
    ) -> ViolationColumns:
        """No violations (a day without any, or a store without an agreement)."""
        return cls(
            report_row=np.zeros(0, np.int64),
            rule=np.zeros(0, np.int16),
            zone=np.zeros(0, np.int16),
            severity=np.zeros(0, np.int8),
            certain=np.zeros(0, np.bool_),
            rule_ids=rule_ids,
            rule_articles=rule_articles,
            zone_ids=zone_ids,
        )

    def concatenate(self, other: ViolationColumns) -> ViolationColumns:
        """These violations and ``other``'s (same report rows), rule and zone codes merged."""
        rule_ids = tuple(dict.fromkeys((*self.rule_ids, *other.rule_ids)))
        articles = dict(zip(other.rule_ids, other.rule_articles, strict=True))
        articles.update(zip(self.rule_ids, self.rule_articles, strict=True))
        zone_ids = tuple(dict.fromkeys((*self.zone_ids, *other.zone_ids)))
        rule_map = np.asarray([rule_ids.index(r) for r in other.rule_ids], dtype=np.int16)
        # the trailing -1 maps "no zone" (-1, the last index) to itself
        zone_map = np.asarray([zone_ids.index(z) for z in other.zone_ids] + [-1], dtype=np.int16)
        return ViolationColumns(
            report_row=np.concatenate([self.report_row, other.report_row]),
            rule=np.concatenate([self.rule, rule_map[other.rule] if len(other) else other.rule]),
            zone=np.concatenate([self.zone, zone_map[other.zone] if len(other) else other.zone]),
            severity=np.concatenate([self.severity, other.severity]),
            certain=np.concatenate([self.certain, other.certain]),
            rule_ids=rule_ids,
            rule_articles=tuple(articles[r] for r in rule_ids),
            zone_ids=zone_ids,
        )

    def for_reports(self, mask: NDArray[np.bool_]) -> ViolationColumns:
        """Keep the violations of the reports where ``mask`` is True, renumbered like ``take``."""
        new_index = np.cumsum(mask, dtype=np.int64) - 1
        keep = mask[self.report_row] if len(self) else np.zeros(0, np.bool_)
        return ViolationColumns(
            report_row=new_index[self.report_row[keep]],
            rule=self.rule[keep],
            zone=self.zone[keep],
            severity=self.severity[keep],
            certain=self.certain[keep],
            rule_ids=self.rule_ids,
            rule_articles=self.rule_articles,
            zone_ids=self.zone_ids,
        )


@dataclass(frozen=True, slots=True)
class RawWindow:
    """A window's reports before the oblast and storage-site columns are computed (the
    report's read port returns it; ``reporting.daily`` places the reports)."""

    reports: WindowReports
    violations: ViolationColumns
    uncertainty_m: NDArray[np.float64]
    agreement_version_pk: NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class DailySeries:
    """Per-day totals for the trend chart, one entry per calendar day (UTC), oldest first.

    ``fire`` sums the ``count`` of fire-category reports (the SMM's ceasefire violations);
    ``violations_by_severity`` has shape ``(days, 5)``: violation records of severity 1..5.
    """

    days: tuple[date, ...]
    fire: NDArray[np.int64]
    reports: NDArray[np.int64]
    violations_by_severity: NDArray[np.int64]


@dataclass(frozen=True)
class WithdrawalPolicy:
    """What the agreement says about heavy weapons, reduced to what the report needs.

    ``weapon_codes`` are the weapon classes some rule orders out of a zone (codes into
    ``WeaponClass``); ``zone_rule_ids`` are the ids of those zone rules, so that a violation of
    one of them is a weapon "in violation of withdrawal lines".
    """

    weapon_codes: frozenset[int] = frozenset()
    zone_rule_ids: frozenset[str] = frozenset()


def withdrawal_policy(rules: Iterable[Rule]) -> WithdrawalPolicy:
    """The weapon classes ordered out of zones, and the rules doing it, from an agreement.

    A withdrawal rule names weapon classes and a zone (``inside_zone``) and covers weapon
    reports (``heavy_weapon`` or ``armour``); rules valid anywhere are not withdrawal lines.
    """
    codes: set[int] = set()
    ids: set[str] = set()
    for rule in rules:
        if (
            rule.inside_zone is not None
            and rule.weapon_classes
            and rule.categories & {Category.HEAVY_WEAPON, Category.ARMOUR}
        ):
            ids.add(rule.id)
            codes.update(weapon_code(w) for w in rule.weapon_classes)
    return WithdrawalPolicy(weapon_codes=frozenset(codes), zone_rule_ids=frozenset(ids))
