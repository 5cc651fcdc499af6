"""ACLED CSV export rows → observation reports (``source_type: osint``, ``source: osint:acled``).

The mapping, field by field, with its reasons, is in docs/importers.md ("ACLED"). In short:
``id`` is ``event_id_cnty``; ``time_precision`` widens the Kyiv-day window to the week or the
month ACLED says it knows; ``geo_precision`` becomes an uncertainty radius; the category comes
from ``event_type``/``sub_event_type`` refined by the words of ``notes``; ``actor1``,
``source``, ``fatalities`` and ``notes`` go to the description (attribution is a later,
separate decision, never copied from a dataset).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import BinaryIO, Final

from ceasefire.errors import InputError
from ceasefire.reports import eventdata as ev
from ceasefire.reports.model import Category, WeaponClass
from ceasefire.reports.records import ParsedChunk

SOURCE: Final = "osint:acled"

COLUMNS: Final = frozenset(
    {
        "event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type",
        "actor1", "latitude", "longitude", "geo_precision", "source", "notes", "fatalities",
    }
)  # fmt: skip
SIGNATURE: Final = frozenset({"event_id_cnty", "event_type", "geo_precision"})

GEO_PRECISION_RADIUS_M: Final[dict[int, float]] = {
    1: ev.EXACT_PLACE_DEFAULT_M,
    2: ev.NEAR_PLACE_M,
    3: ev.ADM1_M,
}

#: (event_type, sub_event_type) -> category when the notes name no kind of fire;
#: sub-event None = the event type's default
_CATEGORIES: Final[dict[tuple[str, str | None], Category]] = {
    ("battles", None): Category.BURST_OF_FIRE,
    ("battles", "government regains territory"): Category.TROOP_MOVEMENT,
    ("battles", "non-state actor overtakes territory"): Category.TROOP_MOVEMENT,
    ("explosions/remote violence", None): Category.EXPLOSION,
    ("explosions/remote violence", "chemical weapon"): Category.OTHER,
    ("violence against civilians", None): Category.CIVILIAN_CASUALTY,
    ("violence against civilians", "abduction/forced disappearance"): Category.OTHER,
    ("violence against civilians", "sexual violence"): Category.OTHER,
    ("protests", None): Category.OTHER,
    ("riots", None): Category.OTHER,
    ("strategic developments", None): Category.OTHER,
    ("strategic developments", "disrupted weapons use"): Category.PROJECTILE_IN_FLIGHT,
    ("strategic developments", "looting/property destruction"): Category.INFRASTRUCTURE_DAMAGE,
    ("strategic developments", "headquarters or base established"): Category.TROOP_MOVEMENT,
    ("strategic developments", "non-violent transfer of territory"): Category.TROOP_MOVEMENT,
}
#: sub-event types whose weapon is known without reading the notes
_SUB_EVENT_WEAPONS: Final[dict[str, WeaponClass]] = {
    "grenade": WeaponClass.LIGHT_WEAPON,
}
#: event types whose category the notes' words may refine (fighting of any kind)
_FIGHTING: Final = frozenset(
    {"battles", "explosions/remote violence", "violence against civilians"}
)
_DATE_FORMATS: Final = ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d %b %Y", "%d-%b-%y")


def read_acled(stream: BinaryIO, *, chunk_size: int) -> Iterator[ParsedChunk]:
    """Chunks of reports from an ACLED CSV export, in file order."""
    return ev.read_event_csv(stream, chunk_size=chunk_size, required=COLUMNS, mapper=map_row)


def map_row(row: dict[str, str]) -> ev.Mapped:
    """One ACLED row as a report object (validated afterwards by ``parse_report``)."""
    event_id = row["event_id_cnty"].strip()
    if not event_id:
        raise InputError("event_id_cnty", "required", "the ACLED event id is empty")
    day = _event_date(row["event_date"])
    observed_at, observed_until = ev.day_window(
        *_window(day, ev.parse_int(row, "time_precision", 1, 3))
    )
    geo_precision = ev.parse_int(row, "geo_precision", 1, 3)
    fatalities = ev.parse_int(row, "fatalities", 0, 1_000_000)
    event_type = row["event_type"].strip().lower()
    sub_event = row["sub_event_type"].strip().lower()
    category = _CATEGORIES.get((event_type, sub_event)) or _CATEGORIES.get((event_type, None))
    if category is None:
        raise InputError("event_type", "enum", f"{row['event_type']!r} is not an ACLED event type")
    notes = row["notes"]
    if event_type in _FIGHTING and category in (Category.BURST_OF_FIRE, Category.CIVILIAN_CASUALTY):
        category = ev.fire_category_from_text(notes) or category
    weapon = _SUB_EVENT_WEAPONS.get(sub_event) or ev.weapon_from_text(notes)
    obj: dict[str, object] = {
        "id": event_id,
        "source": SOURCE,
        "source_type": "osint",
        "reliability": "B",
        "credibility": 3,
        "observed_at": observed_at,
        "observed_until": observed_until,
        "lat": ev.parse_coordinate(row, "latitude"),
        "lon": ev.parse_coordinate(row, "longitude"),
        "uncertainty_m": GEO_PRECISION_RADIUS_M[geo_precision],
        "category": category.value,
        "description": ev.clip_description(
            f"ACLED {row['event_type']} / {row['sub_event_type']}; actor1: {row['actor1']}; "
            f"fatalities: {fatalities}; time_precision {row['time_precision']}, "
            f"geo_precision {geo_precision}; source: {row['source']}. Notes: {notes}"
        ),
    }
    if weapon is not None and category not in (Category.OTHER, Category.TROOP_MOVEMENT):
        obj["weapon_class"] = weapon.value
    return ev.Mapped(obj, exact_place=geo_precision == 1)


def _event_date(text: str) -> date:
    value = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise InputError("event_date", "date", f"{text!r} is not an ACLED event date")


def _window(day: date, time_precision: int) -> tuple[date, date]:
    """ACLED codes an uncertain date at the middle of the week/month it knows; widen back."""
    if time_precision == 1:
        return day, day
    if time_precision == 2:
        return day - timedelta(days=3), day + timedelta(days=3)
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)
