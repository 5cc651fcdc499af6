"""``validate_report``: the spec's validation of one report object, every rule named.

The rule names (``InputError.rule``) are the quarantine's vocabulary; docs/importers.md lists
them. Decisions where the spec is silent (documented there too):

* an unknown field is rejected (``unknown_field``) — a misspelt ``uncertainity_m`` must not
  silently turn into "no uncertainty";
* JSON ``null`` means "absent" (so a CSV's empty cell and an exporter's ``null`` agree); a
  required field that is ``null`` is ``required``;
* ``true``/``false`` are not numbers, ``2.0`` is not an integer (``type``);
* numbers must be finite (``finite``: NaN, ±Infinity), then in range (``range``);
* a partial location form is rejected (``required_with``): ``lat`` without ``lon``, a bearing
  without the observer's position, a range or bearing error without a bearing;
* ``releasable_to`` must not be an explicit empty list (``length``): absent means "every
  coalition member", an empty list would silently mean the same.

Speed: one pass over the object's own keys with a precomputed kind per field (no per-field
function call for numbers, strings and enums), timestamps cached, and the frozen report built by
filling its ``__dict__`` in one call. Range checks are written so that NaN fails them; only the
failure path works out which rule was broken.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime
from typing import Final

from ceasefire.errors import InputError
from ceasefire.reports.model import (
    Attachment,
    Category,
    Classification,
    FireDirection,
    ObservationReport,
    Reliability,
    SourceType,
    WeaponClass,
)
from ceasefire.reports.timestamps import parse_timestamp

MAX_ID_CHARS: Final = 128
MAX_DESCRIPTION_CHARS: Final = 4_000
MAX_TEXT_CHARS: Final = 256
#: Most things one report may count. The OSCE SMM's worst day in all of Donetsk oblast
#: (18-20 Feb 2022) recorded 2,158 ceasefire violations, 1,100 of them explosions: one
#: source's one observation above five times that is a typo or an attack, and with it every
#: sum stays exact (a day of a million such reports is 10^10, far below 2^53 and 2^63).
MAX_COUNT: Final = 10_000
#: Largest location uncertainty and observation range, metres: 1,000 km covers all of
#: Ukraine from any point of it (UCDP's country-level radius is 660 km); beyond that a
#: position says nothing and a range is no observation.
MAX_DISTANCE_M: Final = 1_000_000.0
#: Half-width of a bearing's uncertainty: 180 degrees is already "any direction".
MAX_BEARING_ERROR_DEG: Final = 180.0
#: Most codes in ``releasable_to`` and files in ``attachments`` of one report.
MAX_LIST_ITEMS: Final = 64
_MAX_FLOAT: Final = 1.7976931348623157e308
_MIN_POSITIVE: Final = 5e-324

#: the rule for a field that is not in the spec
UNKNOWN_FIELD: Final = "unknown_field"


# field kinds: plain ints, not an Enum (enum attribute access costs ~1 us each in CPython 3.11)
_NUMBER: Final = 0
_TEXT: Final = 1
_ENUM: Final = 2
_TIME: Final = 3
_INT: Final = 4
_BOOL: Final = 5
_CODES: Final = 6
_ATTACHMENTS: Final = 7


_ENUMS: Final[dict[str, dict[str, object]]] = {
    "source_type": {m.value: m for m in SourceType},
    "category": {m.value: m for m in Category},
    "weapon_class": {m.value: m for m in WeaponClass},
    "fire_direction": {m.value: m for m in FireDirection},
    "reliability": {m.value: m for m in Reliability},
    "classification": {m.value: m for m in Classification},
}

#: inclusive bounds per numeric field; every bound is finite, so NaN and ±inf fail them
_BOUNDS: Final[dict[str, tuple[float, float]]] = {
    "lat": (-90.0, 90.0),
    "lon": (-180.0, 180.0),
    "observer_lat": (-90.0, 90.0),
    "observer_lon": (-180.0, 180.0),
    "uncertainty_m": (_MIN_POSITIVE, MAX_DISTANCE_M),
    "bearing_deg": (0.0, 360.0),
    "heading_deg": (0.0, 360.0),
    "bearing_error_deg": (0.0, MAX_BEARING_ERROR_DEG),
    "distance_min_m": (0.0, MAX_DISTANCE_M),
    "distance_max_m": (0.0, MAX_DISTANCE_M),
}
_INT_BOUNDS: Final[dict[str, tuple[int, int]]] = {
    "credibility": (1, 6),
    "count": (1, MAX_COUNT),
}
_TEXT_MAX: Final[dict[str, int]] = {
    "id": MAX_ID_CHARS,
    "source": MAX_TEXT_CHARS,
    "place": MAX_TEXT_CHARS,
    "attributed_to": MAX_ID_CHARS,
    "description": MAX_DESCRIPTION_CHARS,
    "amends": MAX_ID_CHARS,
}

_KIND: Final[dict[str, int]] = {
    **dict.fromkeys(_BOUNDS, _NUMBER),
    **dict.fromkeys(_TEXT_MAX, _TEXT),
    **dict.fromkeys(_ENUMS, _ENUM),
    **dict.fromkeys(_INT_BOUNDS, _INT),
    "observed_at": _TIME,
    "observed_until": _TIME,
    "withdrawn": _BOOL,
    "releasable_to": _CODES,
    "attachments": _ATTACHMENTS,
}
#: the spec's field names, in the model's order
FIELD_NAMES: Final[tuple[str, ...]] = tuple(f.name for f in fields(ObservationReport))
assert set(_KIND) == set(FIELD_NAMES), "validate.py and model.py disagree on the fields"

REQUIRED: Final = ("id", "source", "source_type", "observed_at", "category")
_MISSING: Final = object()
_DEFAULTS: Final[dict[str, object]] = {
    f.name: (f.default if f.name not in REQUIRED else _MISSING) for f in fields(ObservationReport)
}

#: ISO 3166-1 alpha-3 (three capitals) or a group name (MNF, NATO, FVEY, EU_MEMBERS ...)
_RELEASE_CODE = re.compile(r"[A-Z][A-Z0-9_-]{1,31}", re.ASCII)
_SHA256 = re.compile(r"[0-9a-f]{64}", re.ASCII)
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*", re.ASCII)
_ATTACHMENT_KEYS: Final = frozenset({"sha256", "media_type", "name"})
_new_report = object.__new__
_set_attr = object.__setattr__


def validate_report(obj: Mapping[str, object]) -> ObservationReport:
    """Validate one report object (decoded JSON, a typed CSV row, GeoJSON properties).

    Returns the frozen report with times in UTC and ints widened to floats where the model
    holds floats. Raises ``InputError(field, rule, message)`` at the first broken rule, fields
    checked in the object's own order, then the cross-field rules.

    >>> r = validate_report({"id": "r1", "source": "op-12", "source_type": "patrol",
    ...     "observed_at": "2015-02-15T14:02:00+02:00", "category": "shots", "place": "Shchastia"})
    >>> (r.observed_at.hour, r.reliability.value, r.credibility)
    (12, 'F', 6)
    """
    if not isinstance(obj, Mapping):
        raise InputError("(report)", "object", f"a report is a JSON object, not {_kind(obj)}")
    values: dict[str, object] = {}
    kind_of = _KIND
    for key, value in obj.items():
        kind = kind_of.get(key)
        if kind is None:
            name = str(key) or '""'
            raise InputError(name, UNKNOWN_FIELD, f"{key!r} is not a field of the report")
        if value is None:
            continue
        vtype = type(value)
        if kind == _NUMBER:
            if vtype is not float and vtype is not int:
                raise _type_error(key, value, "a number")
            low, high = _BOUNDS[key]
            if not low <= value <= high:  # type: ignore[operator]
                raise _number_error(key, value, low, high)
            values[key] = float(value) if vtype is int else value  # type: ignore[arg-type]
        elif kind == _TEXT:
            if vtype is not str:
                raise _type_error(key, value, "a string")
            if not 0 < len(value) <= _TEXT_MAX[key]:  # type: ignore[arg-type]
                raise InputError(
                    key,
                    "length",
                    f"must be 1-{_TEXT_MAX[key]} characters, got {len(value)}",  # type: ignore[arg-type]
                )
            values[key] = value
        elif kind == _ENUM:
            member = _ENUMS[key].get(value) if vtype is str else None  # type: ignore[call-overload]
            if member is None:
                raise _enum_error(key, value)
            values[key] = member
        elif kind == _TIME:
            if vtype is not str:
                raise _type_error(key, value, "an RFC 3339 string")
            values[key] = parse_timestamp(value, key)  # type: ignore[arg-type]
        elif kind == _INT:
            if vtype is not int:
                raise _type_error(key, value, "an integer")
            low_i, high_i = _INT_BOUNDS[key]
            if not low_i <= value <= high_i:  # type: ignore[operator]
                raise InputError(key, "range", f"{value} is outside {low_i}..{high_i}")
            values[key] = value
        elif kind == _BOOL:
            if vtype is not bool:
                raise _type_error(key, value, "true or false")
            values[key] = value
        elif kind == _CODES:
            values[key] = _release_codes(value)
        else:
            values[key] = _attachments(value)
    for name in REQUIRED:
        if name not in values:
            raise InputError(name, "required", f"{name!r} is required")
    _check_cross_field(values)
    report: ObservationReport = _new_report(ObservationReport)
    _set_attr(report, "__dict__", values)
    return report


def _check_cross_field(v: dict[str, object]) -> None:
    """Rules between fields: time order, location pairs and forms, ranges, withdrawal."""
    until = v.get("observed_until")
    if until is not None and until < v.get("observed_at"):  # type: ignore[operator]
        raise InputError("observed_until", "order", "observed_until is before observed_at")
    has_point = _pair(v, "lat", "lon")
    has_observer = _pair(v, "observer_lat", "observer_lon")
    bearing = v.get("bearing_deg")
    if bearing is not None and not has_observer:
        raise InputError(
            "observer_lat", "required_with", "bearing_deg needs observer_lat and observer_lon"
        )
    if bearing is None:
        for name in ("bearing_error_deg", "distance_min_m", "distance_max_m"):
            if v.get(name) is not None:
                raise InputError("bearing_deg", "required_with", f"{name} needs bearing_deg")
    dmin, dmax = v.get("distance_min_m"), v.get("distance_max_m")
    if dmin is not None and dmax is not None and dmin > dmax:  # type: ignore[operator]
        raise InputError("distance_max_m", "order", "distance_max_m is below distance_min_m")
    if not has_point and bearing is None and v.get("place") is None:
        raise InputError(
            "location",
            "location_required",
            "give lat/lon, or observer_lat/observer_lon with bearing_deg, or place",
        )
    if v.get("withdrawn") and v.get("amends") is None:
        raise InputError("withdrawn", "requires_amends", "withdrawn is only meaningful with amends")


def _pair(v: dict[str, object], first: str, second: str) -> bool:
    a, b = v.get(first), v.get(second)
    if a is None and b is None:
        return False
    if a is None or b is None:
        missing = first if a is None else second
        other = second if a is None else first
        raise InputError(missing, "required_with", f"{other} needs {missing}")
    return True


def _release_codes(value: object) -> tuple[str, ...]:
    if type(value) is not list and type(value) is not tuple:
        raise _type_error("releasable_to", value, "a list of codes")
    if not value:
        raise InputError("releasable_to", "length", "an empty list; omit the field for everyone")
    if len(value) > MAX_LIST_ITEMS:
        raise InputError("releasable_to", "length", f"more than {MAX_LIST_ITEMS} codes")
    for i, code in enumerate(value):
        if type(code) is not str or _RELEASE_CODE.fullmatch(code) is None:
            raise InputError(
                f"releasable_to[{i}]",
                "releasability_code",
                f"{code!r} is neither an ISO 3166-1 alpha-3 code nor a group name (A-Z, 0-9, _ -)",
            )
    return tuple(value)


def _attachments(value: object) -> tuple[Attachment, ...]:
    if type(value) is not list and type(value) is not tuple:
        raise _type_error("attachments", value, "a list of objects")
    if len(value) > MAX_LIST_ITEMS:
        raise InputError("attachments", "length", f"more than {MAX_LIST_ITEMS} attachments")
    out = []
    for i, item in enumerate(value):
        where = f"attachments[{i}]"
        if not isinstance(item, Mapping):
            raise _type_error(where, item, "an object {sha256, media_type, name}")
        for key in item:
            if key not in _ATTACHMENT_KEYS:
                raise InputError(f"{where}.{key}", UNKNOWN_FIELD, f"{key!r} is not allowed")
        parts = []
        for key, pattern in (("sha256", _SHA256), ("media_type", _MEDIA_TYPE)):
            text = item.get(key)
            if type(text) is not str:
                raise _type_error(f"{where}.{key}", text, "a string")
            text = text.lower()
            if pattern.fullmatch(text) is None:
                rule = "sha256" if key == "sha256" else "media_type"
                raise InputError(f"{where}.{key}", rule, f"{item.get(key)!r} is malformed")
            parts.append(text)
        name = item.get("name")
        if type(name) is not str:
            raise _type_error(f"{where}.name", name, "a string")
        if not 0 < len(name) <= MAX_TEXT_CHARS:
            raise InputError(f"{where}.name", "length", f"must be 1-{MAX_TEXT_CHARS} characters")
        out.append(Attachment(sha256=parts[0], media_type=parts[1], name=name))
    return tuple(out)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _type_error(field: str, value: object, expected: str) -> InputError:
    return InputError(field, "type", f"must be {expected}, got {_kind(value)}")


def _number_error(field: str, value: object, low: float, high: float) -> InputError:
    if isinstance(value, float) and not math.isfinite(value):
        return InputError(field, "finite", f"{value} is not a finite number")
    shown_low = "0 (exclusive)" if low == _MIN_POSITIVE else f"{low:g}"
    shown_high = "" if high == _MAX_FLOAT else f"..{high:g}"
    return InputError(field, "range", f"{value} is outside {shown_low}{shown_high}")


def _enum_error(field: str, value: object) -> InputError:
    if type(value) is not str:
        return _type_error(field, value, "a string")
    allowed = ", ".join(_ENUMS[field])
    return InputError(field, "enum", f"{value!r} is not one of: {allowed}")


def report_time_bounds(report: ObservationReport) -> tuple[datetime, datetime]:
    """``(observed_at, observed_until or observed_at)``: the window a report covers, UTC."""
    return report.observed_at, report.observed_until or report.observed_at
