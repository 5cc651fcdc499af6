"""UCDP GED rows → observation reports (``source_type: osint``, ``source: osint:ucdp``).

The mapping, field by field, with its reasons, is in docs/importers.md ("UCDP GED"). In short:
``id`` is UCDP's event id; the report covers whole Kyiv days ``date_start``..``date_end``;
``where_prec`` becomes an uncertainty radius (an exact place is as large as its settlement);
the category comes from the headlines' words (shelling → explosion, sniper → shots, clashes →
burst of fire), else a fatal state-based event is a ``burst_of_fire`` of unstated kind and a
one-sided one a ``civilian_casualty``; deaths go to the description.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import BinaryIO, Final

from ceasefire.errors import InputError
from ceasefire.reports import eventdata as ev
from ceasefire.reports.model import Category
from ceasefire.reports.records import ParsedChunk

SOURCE: Final = "osint:ucdp"

#: the columns the importer reads (a GED export has more; they are ignored)
COLUMNS: Final = frozenset(
    {
        "id", "relid", "type_of_violence", "dyad_name", "number_of_sources", "source_article",
        "source_headline", "where_prec", "where_coordinates", "where_description", "adm_1",
        "latitude", "longitude", "event_clarity", "date_prec", "date_start", "date_end",
        "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "best", "high", "low",
    }
)  # fmt: skip
#: columns whose presence identifies a UCDP GED header
SIGNATURE: Final = frozenset({"id", "where_prec", "date_start", "date_end", "type_of_violence"})

#: where_prec -> uncertainty radius, m (1 is the settlement's own size, found by the importer)
WHERE_PREC_RADIUS_M: Final[dict[int, float]] = {
    1: ev.EXACT_PLACE_DEFAULT_M,
    2: ev.NEAR_PLACE_M,
    3: ev.ADM2_M,
    4: ev.ADM1_M,
    5: ev.REGION_M,
    6: ev.COUNTRY_M,
    7: ev.SEA_M,
}


def read_ucdp(stream: BinaryIO, *, chunk_size: int) -> Iterator[ParsedChunk]:
    """Chunks of reports from a UCDP GED CSV export, in file order."""
    return ev.read_event_csv(stream, chunk_size=chunk_size, required=COLUMNS, mapper=map_row)


def map_row(row: dict[str, str]) -> ev.Mapped:
    """One GED row as a report object (validated afterwards by ``parse_report``)."""
    event_id = row["id"].strip()
    if not event_id:
        raise InputError("id", "required", "the UCDP event id is empty")
    where_prec = ev.parse_int(row, "where_prec", 1, 7)
    violence = ev.parse_int(row, "type_of_violence", 1, 3)
    clarity = ev.parse_int(row, "event_clarity", 1, 2)
    sources = ev.parse_int(row, "number_of_sources", 0, 10_000)
    first, last = _date(row, "date_start"), _date(row, "date_end")
    if last < first:
        raise InputError("date_end", "order", "date_end is before date_start")
    observed_at, observed_until = ev.day_window(first, last)
    text = f"{row['source_headline']} {row['source_article']} {row['where_description']}"
    category = ev.fire_category_from_text(text)
    if category is None:
        category = Category.CIVILIAN_CASUALTY if violence == 3 else Category.BURST_OF_FIRE
    obj: dict[str, object] = {
        "id": event_id,
        "source": SOURCE,
        "source_type": "osint",
        "reliability": "B",
        "credibility": 2 if sources >= 2 and clarity == 1 else 3,
        "observed_at": observed_at,
        "observed_until": observed_until,
        "lat": ev.parse_coordinate(row, "latitude"),
        "lon": ev.parse_coordinate(row, "longitude"),
        "uncertainty_m": WHERE_PREC_RADIUS_M[where_prec],
        "category": category.value,
        "description": ev.clip_description(_description(row)),
    }
    weapon = ev.weapon_from_text(text)
    if weapon is not None:
        obj["weapon_class"] = weapon.value
    return ev.Mapped(obj, exact_place=where_prec == 1)


def _date(row: dict[str, str], column: str) -> date:
    text = row[column].strip()[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(column, "date", f"{row[column]!r} is not a YYYY-MM-DD date") from None


def _description(row: dict[str, str]) -> str:
    deaths = (
        f"deaths: side A {row['deaths_a']}, side B {row['deaths_b']}, "
        f"civilians {row['deaths_civilians']}, unknown {row['deaths_unknown']}; "
        f"best {row['best']} (low {row['low']}, high {row['high']})"
    )
    return (
        f"UCDP GED {row['relid']}: {row['dyad_name']}. {row['where_description']} "
        f"[{row['where_coordinates']}; {row['adm_1']}; where_prec {row['where_prec']}, "
        f"date_prec {row['date_prec']}]. {deaths}. Sources: {row['source_headline']}"
    )
