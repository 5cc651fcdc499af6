"""The flash (spot) report: one incident, told at once, apart from the daily report.

Missions sent a spot report for an urgent event (shelling of a town, an attack on monitors)
rather than wait for the next day's report. This module holds the typed rows a flash report
is made of and the few numbers it states: when, where, how many (low/best/high over the
reports, since several sources seeing the same explosions must not add up), who reported it,
and which rules it breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from ceasefire.monitoring.daily import MISSION_TZ
from ceasefire.reports.model import Category


@dataclass(frozen=True, slots=True)
class FlashIncident:
    """An incident as stored: fused (or, for now, single-report) location and count."""

    id: int
    status: str
    observed_at: datetime
    category: Category
    weapon_class: str | None
    count: int
    lon: float | None
    lat: float | None
    uncertainty_m: float | None


@dataclass(frozen=True, slots=True)
class FlashReportLine:
    """One report behind the incident, with its placement."""

    source: str
    source_id: str
    source_type: str
    reliability: str
    credibility: int
    observed_at: datetime
    category: Category
    weapon_class: str | None
    count: int
    status: str
    location_form: str | None
    lon: float | None
    lat: float | None
    uncertainty_m: float | None
    party_side: str | None
    distance_to_line_km: float | None
    zones_inside: tuple[str, ...]
    zones_possibly_inside: tuple[str, ...]
    place: str | None
    description: str | None


@dataclass(frozen=True, slots=True)
class FlashViolation:
    """A rule the incident breaks (``active`` False once the incident was superseded)."""

    rule_id: str
    article: str
    severity: int
    certainty: str
    zone_id: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class FlashSummary:
    """What the flash report states up front."""

    incident: FlashIncident
    reports: tuple[FlashReportLine, ...]
    violations: tuple[FlashViolation, ...]
    oblast: str
    count_low: int
    count_best: int
    count_high: int
    sources: tuple[str, ...]
    worst_severity: int
    headline: str


def summarise_incident(
    incident: FlashIncident,
    reports: tuple[FlashReportLine, ...],
    violations: tuple[FlashViolation, ...],
    *,
    oblast: str,
) -> FlashSummary:
    """Low/best/high count over the current reports (best = median), sources, worst rule.

    Withdrawn or amended reports are listed but do not count; with no current report the
    incident's own count is used for all three.
    """
    current = [r.count for r in reports if r.status == "active"]
    if current:
        low, high = min(current), max(current)
        best = int(np.median(np.asarray(current, dtype=np.float64)))
    else:
        low = best = high = incident.count
    active = [v for v in violations if v.active]
    worst = max((v.severity for v in active), default=0)
    what = incident.category.value.replace("_", " ")
    if incident.weapon_class:
        what = f"{what} ({incident.weapon_class.replace('_', ' ')})"
    rules = ", ".join(dict.fromkeys(v.rule_id for v in active)) or "no rule"
    headline = (
        f"{best} × {what} at {incident.observed_at.astimezone(MISSION_TZ):%d %b %Y %H:%M} "
        f"Kyiv time in {oblast}; "
        f"breaks {rules}" + (f" (worst severity {worst})" if worst else "")
    )
    return FlashSummary(
        incident=incident,
        reports=reports,
        violations=violations,
        oblast=oblast,
        count_low=low,
        count_best=best,
        count_high=high,
        sources=tuple(dict.fromkeys(r.source for r in reports)),
        worst_severity=worst,
        headline=headline,
    )
