"""RFC 3339 timestamps with a mandatory offset, normalised to UTC, cached for speed.

Report streams repeat timestamps a lot (minute resolution, many sensors), so the parsed value is
cached per string; a miss costs one regular-expression check and ``datetime.fromisoformat``.
A timestamp without an offset is rejected (``offset_required``): a naive time in a ceasefire
that spans time zones and daylight-saving changes is ambiguous by up to three hours.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ceasefire.errors import InputError

_RFC3339 = re.compile(
    r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:[Zz]|[+-]\d\d:\d\d)",
    re.ASCII,
)
_NAIVE = re.compile(r"\d{4}-\d\d-\d\d(?:[Tt ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)?", re.ASCII)
_FRACTION = re.compile(r"\.(\d{7,9})")
#: Years a report's time may fall in (UTC). Not before 1900 (no monitoring record is older)
#: and not after 2099: far-future times are typos or attacks, and day windows and coverage
#: baselines stay ordinary dates. A fixed bound, not "now + a margin": whether a report is
#: quarantined must not depend on the day its file is ingested (re-ingest is idempotent).
FIRST_YEAR = 1900
LAST_YEAR = 2099
_YEARS = f"years {FIRST_YEAR}-{LAST_YEAR}"
_CACHE: dict[str, datetime] = {}
_CACHE_MAX = 65_536


def parse_timestamp(value: str, field: str) -> datetime:
    """Parse an RFC 3339 timestamp that carries ``Z`` or ``±HH:MM``; return it in UTC.

    Rules (named in the ``InputError``): ``offset_required`` for a date or time without an
    offset, ``rfc3339`` for anything else that is not RFC 3339 (week dates, basic format,
    ``24:00``, a leap second ``:60`` — Python cannot represent it). Fractions beyond
    microseconds are truncated, not rounded, so a time never moves forward.

    >>> parse_timestamp("2015-02-15T00:00:00+02:00", "observed_at").isoformat()
    '2015-02-14T22:00:00+00:00'
    """
    cached = _CACHE.get(value)
    if cached is not None:
        return cached
    if _RFC3339.fullmatch(value) is None:
        if _NAIVE.fullmatch(value) is not None:
            raise InputError(
                field, "offset_required", f"{value!r} has no UTC offset (add Z or +HH:MM)"
            )
        raise InputError(field, "rfc3339", f"{value!r} is not an RFC 3339 timestamp")
    text = value
    if value[10] == "t" or value[-1] == "z":
        text = value.upper()
    if len(text) > 26 and "." in text:
        text = _FRACTION.sub(lambda m: "." + m.group(1)[:6], text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(field, "rfc3339", f"{value!r} is not a valid time: {exc}") from None
    try:
        result = parsed.astimezone(UTC)
    except OverflowError:
        raise InputError(field, "range", f"{value!r} is outside {_YEARS} in UTC") from None
    if not FIRST_YEAR <= result.year <= LAST_YEAR:
        raise InputError(field, "range", f"{value!r} is outside {_YEARS} in UTC")
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[value] = result
    return result


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z``; microseconds only when present (round-trips exactly)."""
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"
