"""Write a flash report on one incident: headline, rules broken, reports behind it, a local map."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ceasefire.monitoring.daily import MISSION_TZ, MapPoints
from ceasefire.monitoring.flash import FlashSummary, summarise_incident
from ceasefire.monitoring.oblasts import Oblasts
from ceasefire.monitoring.tables import UNLOCATED
from ceasefire.pipeline.agreements import AgreementBook
from ceasefire.reporting.charts import render_map
from ceasefire.reporting.document import Bullets, Document, Figure, Paragraph, Section, Table
from ceasefire.reporting.layers import map_layers
from ceasefire.reporting.reads import ReportReads
from ceasefire.reporting.render import write_document

#: Half-size of the local map around the incident, degrees of latitude (≈ 55 km).
LOCAL_MAP_HALF_DEG = 0.5

FLASH_SECTIONS: tuple[str, ...] = ("summary", "rules", "reports", "map")


def build_flash_report(
    reads: ReportReads,
    incident_id: int,
    out_dir: Path,
    *,
    book: AgreementBook | None = None,
    oblasts: Oblasts | None = None,
) -> Path:
    """Write ``report.html``/``report.md``/``map.png`` for one incident; returns the HTML path.

    ``NotFoundError`` when the incident does not exist. ``book`` (``daily.agreement_book``)
    draws the agreement's line and zones on the map.
    """
    oblasts = oblasts or Oblasts.default()
    incident, lines, violations = reads.incident(incident_id)
    oblast = UNLOCATED
    if incident.lon is not None and incident.lat is not None:
        code = int(oblasts.assign(np.asarray([incident.lon]), np.asarray([incident.lat]))[0])
        oblast = oblasts.names[code] if code >= 0 else UNLOCATED
    summary = summarise_incident(incident, lines, violations, oblast=oblast)
    layers = map_layers(oblasts, None)
    if book is not None:
        at = np.asarray([incident.observed_at.timestamp()])
        version = book.versions[int(book.assign(at)[0])]
        layers = map_layers(
            oblasts, version.geography, east_party_name=version.agreement.parties[-1].name
        )
    if incident.lon is not None and incident.lat is not None:
        half_lon = LOCAL_MAP_HALF_DEG / max(np.cos(np.radians(incident.lat)), 0.2)
        layers = dataclasses.replace(
            layers,
            extent=(
                incident.lon - half_lon,
                incident.lat - LOCAL_MAP_HALF_DEG,
                incident.lon + half_lon,
                incident.lat + LOCAL_MAP_HALF_DEG,
            ),
        )
    located = [r for r in lines if r.lon is not None and r.lat is not None]
    certain = any(v.certainty == "certain" for v in violations if v.active)
    points = MapPoints(
        lon=np.asarray([r.lon for r in located], dtype=np.float64),
        lat=np.asarray([r.lat for r in located], dtype=np.float64),
        severity=np.full(len(located), summary.worst_severity, dtype=np.int8),
        certain=np.full(len(located), certain or summary.worst_severity == 0, dtype=np.bool_),
        count=np.asarray([r.count for r in located], dtype=np.int64),
    )
    map_png = render_map(
        layers,
        points,
        title=f"Flash report — incident {incident.id}",
        subtitle=f"{incident.observed_at.astimezone(MISSION_TZ):%d %B %Y %H:%M} Kyiv time, "
        f"{oblast}",
    )
    return write_document(flash_document(summary, map_png), out_dir)


def flash_document(s: FlashSummary, map_png: bytes, *, now: datetime | None = None) -> Document:
    """The flash report's sections: summary, rules broken, reports, map."""
    inc = s.incident
    where = (
        f"{inc.lat:.4f}°N {inc.lon:.4f}°E ± {inc.uncertainty_m or 0:,.0f} m"
        if inc.lon is not None and inc.lat is not None
        else "not located"
    )
    bullets = (
        s.headline,
        f"Time: {inc.observed_at.astimezone(MISSION_TZ):%Y-%m-%d %H:%M} Kyiv time "
        f"({inc.observed_at:%H:%M} UTC) · Location: {where} ({s.oblast})",
        f"Count: best {s.count_best} (low {s.count_low}, high {s.count_high}) over "
        f"{len(s.reports)} report(s) from {len(s.sources)} source(s): {', '.join(s.sources)}",
        f"Incident status: {inc.status}",
    )
    rules = (
        Table(
            ("Rule", "Article", "Severity", "Zone", "Certainty", "Counts"),
            tuple(
                (
                    v.rule_id,
                    v.article,
                    str(v.severity),
                    v.zone_id or "anywhere",
                    v.certainty,
                    "yes" if v.active else "no (superseded)",
                )
                for v in s.violations
            ),
            (False, False, True, False, False, False),
        )
        if s.violations
        else Paragraph("The incident breaks no rule of the agreement in force.")
    )
    reports = Table(
        (
            "Time (Kyiv)",
            "Source",
            "Type",
            "Grade",
            "What",
            "Count",
            "Located by",
            "Side",
            "To line (km)",
            "Zones inside",
            "Possibly inside",
            "Status",
            "Details",
        ),
        tuple(
            (
                r.observed_at.astimezone(MISSION_TZ).strftime("%d %b %H:%M"),
                f"{r.source} / {r.source_id}",
                r.source_type,
                f"{r.reliability}{r.credibility}",
                r.category.value + (f" ({r.weapon_class})" if r.weapon_class else ""),
                str(r.count),
                r.location_form or "—",
                r.party_side or "—",
                f"{r.distance_to_line_km:.1f}" if r.distance_to_line_km is not None else "—",
                ", ".join(r.zones_inside) or "—",
                ", ".join(r.zones_possibly_inside) or "—",
                r.status,
                " ".join(x for x in (r.place, r.description) if x)[:300],
            )
            for r in s.reports
        ),
        (False, False, False, False, False, True, False, False, True, False, False, False, False),
    )
    generated = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    return Document(
        title=f"Flash report — incident {inc.id}",
        subtitle=f"{inc.observed_at.astimezone(MISSION_TZ):%Y-%m-%d %H:%M} Kyiv time · "
        f"{s.oblast} · generated {generated}",
        sections=(
            Section("summary", "Summary", (Bullets(bullets),)),
            Section("rules", "Rules broken", (rules,)),
            Section("reports", "Reports", (reports,)),
            Section(
                "map",
                "Map",
                (
                    Figure(
                        "map.png",
                        map_png,
                        f"Incident {inc.id}",
                        "Reports of the incident on the agreement's zones (about 110 km across).",
                    ),
                ),
            ),
        ),
    )
