"""The daily report's words: the notable incidents per region, and each listed report's details.

The SMM opened every region of its daily report with a few sentences before the tables; an
analyst reads those first. The facts come from ``monitoring.narrative.RegionNotes`` (computed
from the same columns as the tables, so no figure here disagrees with one there); this module
only writes them down. "Details" of a listed report are the observer's own words when there
are any, else what the store knows of it: who saw it and how, how it was located, on whose
side of the line and how far from it.
"""

from __future__ import annotations

from ceasefire.monitoring.daily import MISSION_TZ, DailySummary
from ceasefire.monitoring.narrative import RegionNotes
from ceasefire.monitoring.sightings import Sighting
from ceasefire.monitoring.tables import CATEGORY_LABELS
from ceasefire.reporting.document import Block, Paragraph, fmt_int
from ceasefire.reporting.places import describe_position

#: Regions told in the narrative (the gravest first); the tables hold the rest.
NARRATIVE_REGIONS = 8
#: Weapon sightings named per region before "and N more".
WEAPONS_NAMED = 3

_SOURCE_KIND = {
    "uav": "UAV",
    "camera": "camera",
    "observation_post": "observation post",
    "patrol": "patrol",
    "satellite": "satellite imagery",
    "acoustic": "acoustic sensor",
    "radar": "radar",
    "osint": "open source",
    "tak": "TAK client",
    "party_notification": "party notification",
}
_LOCATED = {"point": "position reported", "bearing": "located by bearing", "place": "place named"}


def _times(n: int, what: str) -> str:
    """``"3 incidents"``, ``"1 incident"``."""
    return f"{fmt_int(n)} {what if n != 1 else what.removesuffix('s')}"


def _weapon(w: Sighting) -> str:
    what = (w.weapon_class or CATEGORY_LABELS.get(w.category, w.category.value)).replace("_", " ")
    at = w.observed_at.astimezone(MISSION_TZ).strftime("%H:%M")
    where = describe_position(w.lon, w.lat, w.place).split(" (")[0]
    rule = f", {w.rule_id}" if w.rule_id else ""
    return f"{fmt_int(w.count)} × {what} at {at} ({where}{rule})"


def _region(n: RegionNotes) -> str:
    parts: list[str] = []
    if n.gravest is not None:
        g = n.gravest
        parts.append(
            f"Gravest: {g.rule_id} ({g.article}; severity {g.severity}), broken by "
            f"{_times(g.incidents, 'incidents')} ({fmt_int(g.certain)} certain)."
        )
    fire = f"{fmt_int(n.fire)} instances of fire observed (previous day {fmt_int(n.fire_previous)})"
    if n.largest is not None:
        label = CATEGORY_LABELS.get(n.largest.category, n.largest.category.value).lower()
        at = n.largest.observed_at.astimezone(MISSION_TZ).strftime("%H:%M")
        fire += f", the largest single report {fmt_int(n.largest.count)} {label} at {at}"
    parts.append(
        f"{fire}; {_times(n.incidents, 'incidents')}, {_times(n.violations, 'violations')}."
    )
    if n.weapons:
        named = "; ".join(_weapon(w) for w in n.weapons[:WEAPONS_NAMED])
        more = len(n.weapons) - WEAPONS_NAMED
        parts.append(
            "Heavy weapons in violation of withdrawal lines: "
            + named
            + (f"; and {fmt_int(more)} more." if more > 0 else ".")
        )
    access = []
    if n.restrictions:
        access.append(f"monitors' movement restricted {_times(n.restrictions, 'times')}")
    if n.sensors_impeded:
        access.append(f"sensors impeded {_times(n.sensors_impeded, 'times')}")
    if n.attacks:
        access.append(f"{_times(n.attacks, 'attacks')} on monitors or the force")
    if access:
        parts.append("Access: " + "; ".join(access) + ".")
    if n.civilian:
        parts.append(f"Civilian casualties or damage: {fmt_int(n.civilian)} (sum of counts).")
    return f"{n.oblast}. " + " ".join(parts)


def narrative_blocks(s: DailySummary) -> tuple[Block, ...]:
    """One paragraph per region with anything to tell, the gravest first."""
    notes = s.regions_notes
    if not notes:
        return (Paragraph("Nothing was observed in any oblast on this day."),)
    told = tuple(Paragraph(_region(n)) for n in notes[:NARRATIVE_REGIONS])
    rest = len(notes) - NARRATIVE_REGIONS
    if rest > 0:
        told += (Paragraph(f"{fmt_int(rest)} more oblast(s) in the tables below."),)
    return told


def sighting_details(s: Sighting) -> str:
    """The observer's words, else who saw it, how it was located, side and distance to line."""
    if s.description:
        return s.description[:200]
    note = s.note
    if note is None:
        return ""
    bits: list[str] = []
    if note.source_type:
        bits.append(f"{_SOURCE_KIND.get(note.source_type, note.source_type)} {note.source}")
    if note.location_form:
        bits.append(_LOCATED.get(note.location_form, note.location_form))
    if note.party:
        bits.append(f"{note.party} side")
    if note.distance_to_line_km is not None:
        bits.append(f"{note.distance_to_line_km:.1f} km from the contact line")
    if s.zone:
        bits.append(f"in {s.zone}")
    return "; ".join(bits)
