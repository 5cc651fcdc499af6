"""What the UCDP and ACLED importers share: text keywords, day windows, precision radii.

Every choice here is documented field by field in docs/importers.md; the constants are the
single source of the numbers quoted there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import BinaryIO, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from ceasefire.errors import InputError
from ceasefire.reports.csvrecords import CsvRecord, header_of, iter_records, row_mapping
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.model import Category, WeaponClass
from ceasefire.reports.records import ChunkBuilder, ParsedChunk, parse_report
from ceasefire.reports.validate import MAX_DESCRIPTION_CHARS


def _kyiv() -> ZoneInfo:
    for key in ("Europe/Kyiv", "Europe/Kiev"):
        try:
            return ZoneInfo(key)
        except ZoneInfoNotFoundError:
            continue
    raise ZoneInfoNotFoundError("neither Europe/Kyiv nor Europe/Kiev is known (install tzdata)")


#: Event datasets give calendar days; a day is a day where the events happened, in Kyiv.
KYIV: Final = _kyiv()

#: an "exact place" with no settlement of >= 500 people within reach: a hamlet, a checkpoint
EXACT_PLACE_DEFAULT_M: Final = 2_000.0
#: how far an "exact place" coordinate may lie from the GeoNames point of its settlement
SETTLEMENT_SNAP_M: Final = 5_000.0
#: UCDP where_prec 2 / ACLED geo_precision 2: "within ca 25 km of a known point"
NEAR_PLACE_M: Final = 25_000.0
#: only the raion (ADM2) known: 1.5 x the equal-area radius of a mean pre-2020 raion
#: (603,628 km^2 / 490 raions = 1,232 km^2 -> 19.8 km), centroids sit far from the edges
ADM2_M: Final = 30_000.0
#: only the oblast (ADM1) known: 1.5 x the equal-area radius of Donetsk or Luhansk oblast
#: (26,517 / 26,684 km^2 -> 92 km)
ADM1_M: Final = 140_000.0
#: UCDP 5: a region larger than an oblast, or a line (border, river) across several
REGION_M: Final = 250_000.0
#: UCDP 6: only the country: 1.5 x Ukraine's equal-area radius (603,628 km^2 -> 438 km)
COUNTRY_M: Final = 660_000.0
#: UCDP 7: international waters or airspace: the Sea of Azov / north-western Black Sea
SEA_M: Final = 300_000.0

_WEAPONS: Final[tuple[tuple[re.Pattern[str], WeaponClass], ...]] = tuple(
    (re.compile(pattern), weapon)
    for pattern, weapon in (
        (
            r"\b(tochka|iskander|ballistic|cruise missile|kalibr|kh-\d+|missiles?)\b",
            WeaponClass.TACTICAL_MISSILE,
        ),
        (r"\b(uragan|smerch|tornado)\b", WeaponClass.HEAVY_MLRS),
        (
            r"\b(grads?|mlrs|multiple[- ]rocket|rocket launchers?|rockets?|bm-21)\b",
            WeaponClass.MLRS,
        ),
        (
            r"\b(howitzers?|152[- ]?mm|122[- ]?mm|artillery|msta|akatsiya|gvozdika|giatsint)\b",
            WeaponClass.ARTILLERY_GE_100,
        ),
        (r"\b(120[- ]?mm mortars?|mortars? of 120)\b", WeaponClass.MORTAR_120),
        (r"\bmortars?\b", WeaponClass.MORTAR),
        (r"\btanks?\b", WeaponClass.TANK),
        (r"\b(bmp|btr|apcs?|ifvs?|armou?red personnel|infantry fighting)\b", WeaponClass.APC_IFV),
        (r"\b(drones?|uavs?|shahed|geran|lancet|fpv)\b", WeaponClass.ATTACK_UAV),
        (
            r"\b(air ?strikes?|aircraft|jets?|bombers?|glide bombs?|kab)\b",
            WeaponClass.COMBAT_AIRCRAFT,
        ),
        (
            r"\b(grenade launchers?|rpgs?|ags|atgms?|anti-tank|recoilless)\b",
            WeaponClass.LIGHT_WEAPON,
        ),
        (
            r"\b(snipers?|small arms|machine[- ]guns?|rifles?|automatic weapons?|gunfire)\b",
            WeaponClass.SMALL_ARMS,
        ),
    )
)
_EXPLOSION: Final = re.compile(
    r"\b(shell(s|ings?|ed)?|artillery|mortars?|grads?|rockets?|missiles?|bomb(s|ings?|ed)?|"
    r"explosions?|explosives?|blasts?|exploded|howitzers?|mlrs|uragan|smerch|air ?strikes?|"
    r"drone strikes?|landmines?|land mines?|tripwire|ied)\b"
)
_SHOTS: Final = re.compile(r"\bsnipers?\b")
_FIRE: Final = re.compile(
    r"\b(clash(es|ed)?|fighting|firefights?|gunfire|exchange of fire|skirmish(es)?|battles?|"
    r"attack(s|ed)?|assaults?|small arms|machine[- ]guns?|fired|shoot(ing|out)?|shot)\b"
)


def weapon_from_text(text: str) -> WeaponClass | None:
    """The heaviest weapon class the text names (rules depend on the heaviest), else ``None``."""
    lowered = text.lower()
    for pattern, weapon in _WEAPONS:
        if pattern.search(lowered):
            return weapon
    return None


def fire_category_from_text(text: str) -> Category | None:
    """``explosion`` > ``shots`` (sniper) > ``burst_of_fire`` (clashes, gunfire), else ``None``."""
    lowered = text.lower()
    if _EXPLOSION.search(lowered):
        return Category.EXPLOSION
    if _SHOTS.search(lowered):
        return Category.SHOTS
    if _FIRE.search(lowered):
        return Category.BURST_OF_FIRE
    return None


def day_window(first: date, last: date) -> tuple[str, str]:
    """``[first 00:00, last+1 00:00)`` in Kyiv time, as RFC 3339 UTC strings (whole days)."""
    start = datetime.combine(first, time(0), KYIV).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), KYIV).astimezone(UTC)
    return start.isoformat(), end.isoformat()


def parse_int(row: Mapping[str, str], column: str, low: int, high: int) -> int:
    """An integer cell within ``low..high`` (the column's codebook range)."""
    text = row[column].strip()
    try:
        value = int(float(text)) if text.endswith(".0") else int(text)
    except ValueError:
        raise InputError(column, "type", f"{text!r} is not an integer") from None
    if not low <= value <= high:
        raise InputError(column, "enum", f"{value} is not a code {low}..{high}")
    return value


def parse_coordinate(row: Mapping[str, str], column: str) -> float:
    """A decimal degree cell (range checked by the report validator)."""
    text = row[column].strip()
    try:
        return float(text)
    except ValueError:
        raise InputError(column, "type", f"{text!r} is not a number") from None


def clip_description(text: str) -> str:
    """At most the spec's 4,000 characters, cut with an ellipsis."""
    if len(text) <= MAX_DESCRIPTION_CHARS:
        return text
    return text[: MAX_DESCRIPTION_CHARS - 1] + "…"


@dataclass(frozen=True, slots=True)
class Mapped:
    """A dataset row turned into a report object, and whether it names an exact place."""

    obj: dict[str, object]
    exact_place: bool


RowMapper = Callable[[dict[str, str]], Mapped]


def read_event_csv(
    stream: BinaryIO,
    *,
    chunk_size: int,
    required: frozenset[str],
    mapper: RowMapper,
    gazetteer: Callable[[], Gazetteer] = Gazetteer.default,
) -> Iterator[ParsedChunk]:
    """Stream an event dataset's CSV through ``mapper``; exact places get settlement sizes.

    Rows are mapped a chunk at a time so that the settlement-size lookup of every exact-place
    row in the chunk is one vectorised nearest-neighbour query.
    """
    records = iter_records(stream)
    header = header_of(next(records, None))
    missing = sorted(required - set(header))
    if missing:
        raise InputError(missing[0], "required", f"the header lacks columns {missing}")
    batch: list[CsvRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) >= chunk_size:
            yield _map_batch(header, batch, mapper, gazetteer)
            batch = []
    if batch:
        yield _map_batch(header, batch, mapper, gazetteer)


def _map_batch(
    header: list[str],
    batch: list[CsvRecord],
    mapper: RowMapper,
    gazetteer: Callable[[], Gazetteer],
) -> ParsedChunk:
    builder = ChunkBuilder()
    staged: list[tuple[CsvRecord, Mapped]] = []
    for record in batch:
        if record.error is not None:
            builder.reject(record.raw, record.line_no, record.error)
            continue
        try:
            staged.append((record, mapper(row_mapping(header, record))))
        except InputError as exc:
            builder.reject(record.raw, record.line_no, exc)
    exact = [m.obj for _, m in staged if m.exact_place]
    if exact:
        lon = np.array([float(o["lon"]) for o in exact])  # type: ignore[arg-type]
        lat = np.array([float(o["lat"]) for o in exact])  # type: ignore[arg-type]
        radius = gazetteer().nearest_radius_m(lon, lat, max_distance_m=SETTLEMENT_SNAP_M)
        for obj, r in zip(exact, radius.tolist(), strict=True):
            obj["uncertainty_m"] = EXACT_PLACE_DEFAULT_M if math.isnan(r) else r
    for record, mapped in staged:
        try:
            builder.accept(parse_report(mapped.obj), record.raw)
        except InputError as exc:
            builder.reject(record.raw, record.line_no, exc)
    builder.rejected.sort(key=lambda rejected: rejected.line_no or 0)  # file order
    return builder.take()
