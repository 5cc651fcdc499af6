"""What the COP needs to draw a picture an analyst can read: the time its data spans for the
caller, and the names of the places on the map.

``/api/time/extent`` anchors the COP's windows ("last 24 h") to the newest incident the
caller is shown, not to the machine's clock: a replayed month, or a feed that stopped an hour
ago, still fills the window. It is computed from what the reader is shown (``api.shown``: whole
incidents at their time, tearlines at their earliest visible report's), so it never reveals
the time of a report the reader may not see.

``/api/geo/places`` is public geography (GeoNames, shipped in ``data/gazetteer.tsv.gz``): the
settlements of the theatre with their population, largest first, for labels chosen by zoom.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Response

from ceasefire.access.model import User
from ceasefire.api.auth import CurrentUser, hq
from ceasefire.api.shown import reader_daily_counts, reader_incidents
from ceasefire.api.state import HQState
from ceasefire.fusion.items import iso_s
from ceasefire.reports.gazetteer import DEFAULT_PATH

router = APIRouter(prefix="/api", tags=["picture"])
HQ = Annotated[HQState, Depends(hq)]

#: The theatre of the gazetteer's dense part (every place of 500 or more there): lon, lat.
THEATRE = (20.0, 43.0, 42.0, 57.0)
#: Places smaller than this are left out: 3,506 remain, ~450 kB of GeoJSON, fetched once per
#: login (with 2,000 it was 7,604 and 1 MB, for villages only named at zoom 10 and beyond).
MIN_POPULATION = 5_000
_FAR_FUTURE_S = 4.0e9
_DAY_S = 86_400.0


def _day_start_s(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp()


def shown_extent(state: HQState, user: User) -> tuple[float, float] | None:
    """Earliest and latest shown time (epoch s) of the incidents ``user`` is shown, or None.

    Two steps, each on what the reader is shown: the days with incidents (grouped in SQL,
    as the daily chart is), then the shown times of the first and last of those days only.
    """
    days = [d for d, (n, _) in reader_daily_counts(state, user, 0.0, _FAR_FUTURE_S).items() if n]
    if not days:
        return None
    first, last = _day_start_s(min(days)), _day_start_s(max(days))
    times_first = reader_incidents(state, user, first, first + _DAY_S, detail=False)
    times_last = reader_incidents(state, user, last, last + _DAY_S, detail=False)
    return (
        float(times_first.incidents.observed_at_s.min()),
        float(times_last.incidents.observed_at_s.max()),
    )


@router.get("/time/extent")
def time_extent(state: HQ, user: CurrentUser) -> dict[str, str | None]:
    """``first`` and ``last``: the shown times of the caller's earliest and newest incidents
    (ISO 8601 UTC; both null when the caller is shown none)."""
    extent = shown_extent(state, user)
    if extent is None:
        return {"first": None, "last": None}
    return {"first": iso_s(extent[0]), "last": iso_s(extent[1])}


@cache
def _places() -> bytes:
    """The theatre's places as GeoJSON bytes, largest first (read once)."""
    text = gzip.decompress(DEFAULT_PATH.read_bytes()).decode("utf-8")
    lo_x, lo_y, hi_x, hi_y = THEATRE
    rows: list[tuple[int, str, float, float]] = []
    for row in csv.DictReader(io.StringIO(text), delimiter="\t"):
        lon, lat = float(row["longitude"]), float(row["latitude"])
        population = int(row["population"] or 0)
        if population >= MIN_POPULATION and lo_x <= lon <= hi_x and lo_y <= lat <= hi_y:
            rows.append((population, row["name"], lon, lat))
    rows.sort(key=lambda r: (-r[0], r[1]))
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(lon, 4), round(lat, 4)]},
            "properties": {"name": name, "population": population},
        }
        for population, name, lon, lat in rows
        if math.isfinite(lon) and math.isfinite(lat)
    ]
    return orjson.dumps({"type": "FeatureCollection", "features": features})


@router.get("/geo/places")
def places(user: CurrentUser) -> Response:
    """Settlements of the theatre with 5,000 inhabitants or more (GeoNames, CC BY 4.0),
    largest first: ``name`` and ``population`` per point. The page labels the largest at
    small zooms and more as it zooms in."""
    return Response(
        _places(),
        media_type="application/geo+json",
        headers={"Cache-Control": "private, max-age=86400"},
    )
