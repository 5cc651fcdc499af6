"""Query parameters shared by the list routes, parsed into a ``PageQuery``."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Query

from ceasefire.api.views import decode_cursor
from ceasefire.errors import InputError
from ceasefire.store.hq_queries import MAX_ROW_ID, Bbox, PageQuery

MAX_LIMIT = 5000

#: A row id in a path: positive and within the ids both backends hold (``MAX_ROW_ID``; a
#: larger one would overflow PostgreSQL's integer and answer 500; here it is a 422 naming
#: the parameter).
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def parse_time(value: str | None, field: str) -> float | None:
    """ISO 8601 (a date, or a time with zone; naive means UTC) → epoch seconds."""
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(field, "iso8601", f"{value!r} is not an ISO 8601 date or time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_bbox(value: str | None) -> Bbox | None:
    """``minlon,minlat,maxlon,maxlat`` in degrees, or ``InputError`` naming ``bbox``."""
    if value is None or value == "":
        return None
    parts = value.split(",")
    try:
        lo_x, lo_y, hi_x, hi_y = (float(p) for p in parts)
    except ValueError as exc:
        raise InputError("bbox", "bbox", "four numbers: minlon,minlat,maxlon,maxlat") from exc
    numbers = (lo_x, lo_y, hi_x, hi_y)
    if not all(math.isfinite(v) for v in numbers):
        raise InputError("bbox", "bbox", "coordinates must be finite numbers")
    if not (-180 <= lo_x <= hi_x <= 180 and -90 <= lo_y <= hi_y <= 90):
        raise InputError("bbox", "bbox", "need -180 <= minlon <= maxlon <= 180, same for lat")
    return numbers


def _no_nul(field: str, text: str | None) -> None:
    """Refuse a NUL character (U+0000) in a text filter on both backends alike: PostgreSQL
    cannot compare text with one (it would answer 500)."""
    if text is not None and "\x00" in text:
        raise InputError(field, "nul", "a NUL character (U+0000) is not accepted")


async def page_query(  # noqa: PLR0917 - one parameter per query parameter
    since: Annotated[str | None, Query(description="ISO 8601, inclusive")] = None,
    until: Annotated[str | None, Query(description="ISO 8601, inclusive")] = None,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    state: Annotated[str | None, Query(max_length=16)] = None,
    rule: Annotated[str | None, Query(max_length=64)] = None,
    source: Annotated[str | None, Query(max_length=256)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 1000,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> PageQuery:
    """The filters of a list request, validated."""
    for field, text in (
        ("category", category),
        ("state", state),
        ("rule", rule),
        ("source", source),
    ):
        _no_nul(field, text)
    return PageQuery(
        since_s=parse_time(since, "since"),
        until_s=parse_time(until, "until"),
        bbox=parse_bbox(bbox),
        category=category or None,
        state=state or None,
        rule=rule or None,
        source=source or None,
        after=decode_cursor(cursor),
        limit=limit,
    )


Page = Annotated[PageQuery, Depends(page_query)]
