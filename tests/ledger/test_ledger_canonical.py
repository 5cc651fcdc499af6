"""Canonical JSON (RFC 8785) and timestamps: one spelling per value."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ceasefire.errors import InputError
from ceasefire.ledger.canonical import (
    MAX_SAFE_INTEGER,
    canonical_json,
    format_number,
    format_timestamp,
    parse_timestamp,
)

# RFC 8785 appendix B: IEEE 754 bit patterns and their ECMAScript serialisation.
RFC8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), RFC8785_NUMBERS)
def test_numbers_follow_ecmascript(bits: str, expected: str) -> None:
    value = struct.unpack(">d", bytes.fromhex(bits))[0]
    assert format_number(value) == expected


def test_rfc8785_sorting_is_by_utf16_code_units() -> None:
    # RFC 8785 section 3.2.3's example: "\u20ac" (U+20AC) sorts before "\ud83d\ude00" (U+1F600)
    # in UTF-16, and U+FB33 sorts *after* U+1F600 (0xFB33 > 0xD83D), unlike in UTF-8.
    value = {"\ufb33": 1, "\U0001f600": 2, "\u20ac": 3, "\r": 4, "1": 5, "\u0080": 6, "ö": 7}
    encoded = canonical_json(value).decode()
    keys = list(orjson.loads(encoded))
    assert keys == ["\r", "1", "\u0080", "ö", "\u20ac", "\U0001f600", "\ufb33"]


def test_strings_escape_only_what_json_stringify_escapes() -> None:
    encoded = canonical_json({"s": 'é/\u2028\x00\x1f\t"\\'})
    assert encoded == '{"s":"é/\u2028\\u0000\\u001f\\t\\"\\\\"}'.encode()


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ({"x": float("nan")}, "finite"),
        ({"x": float("inf")}, "finite"),
        ({"x": MAX_SAFE_INTEGER + 1}, "safe-integer"),
        ({1: "a"}, "key"),
        ({"x": {1, 2}}, "type"),
        ({"x": "\ud800"}, "utf-8"),
    ],
)
def test_values_outside_the_subset_are_refused_naming_the_field(
    value: dict[object, object], rule: str
) -> None:
    with pytest.raises(InputError) as info:
        canonical_json(value)  # type: ignore[arg-type]
    assert info.value.rule == rule
    assert info.value.field.startswith("payload")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_canonical_form_is_a_fixed_point_and_preserves_the_value(value: object) -> None:
    encoded = canonical_json(value)  # type: ignore[arg-type]
    decoded = orjson.loads(encoded)
    assert canonical_json(decoded, parsed=True) == encoded
    assert _as_doubles(decoded) == _as_doubles(value)


def _as_doubles(value: object) -> object:
    """The value as a double-based JSON reader sees it (RFC 8785's data model)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [_as_doubles(v) for v in value]
    assert isinstance(value, dict)
    return {k: _as_doubles(v) for k, v in value.items()}


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_round_trip_exactly(value: float) -> None:
    assert float(format_number(value)) == value


def test_timestamps_have_one_spelling() -> None:
    kyiv = timezone(timedelta(hours=2))
    moment = datetime(2026, 1, 6, 14, 0, tzinfo=kyiv)
    assert format_timestamp(moment) == "2026-01-06T12:00:00.000000Z"
    assert parse_timestamp("2026-01-06T12:00:00.000000Z") == moment.astimezone(UTC)
    for other in (
        "2026-01-06T12:00:00Z",
        "2026-01-06T12:00:00.000000+00:00",
        "2026-02-30T00:00:00.000000Z",
    ):
        with pytest.raises(InputError):
            parse_timestamp(other)
    with pytest.raises(InputError):
        format_timestamp(datetime(2026, 1, 6))  # naive on purpose


@given(
    st.floats(min_value=1e-5, max_value=1e16, exclude_max=True)
    .filter(lambda x: not x.is_integer())
    .flatmap(lambda x: st.sampled_from([x, -x]))
)
def test_orjson_fast_path_floats_are_ecmascript_floats(value: float) -> None:
    """The fast path trusts orjson for these floats; they must print as ECMAScript does."""
    assert orjson.dumps(value).decode() == format_number(value)
    assert canonical_json({"x": value}) == b'{"x":' + format_number(value).encode() + b"}"
