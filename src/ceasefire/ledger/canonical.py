"""Canonical JSON (RFC 8785, JCS) and the one timestamp form the ledger hashes.

Every hash and signature in the ledger is taken over bytes, so two honest implementations must
produce the same bytes for the same value. We use the JSON Canonicalization Scheme (RFC 8785):
object members sorted by their UTF-16 code units, no insignificant whitespace, strings escaped as
ECMAScript's ``JSON.stringify`` does (only ``"``, ``\\`` and control characters; everything else
as raw UTF-8), numbers in ECMAScript's shortest round-trip form. A nation can check our bytes with
any JCS library in any language.

The ledger accepts a strict subset of JSON so that every value has exactly one encoding:
integers must lie within +-(2**53 - 1) (IEEE doubles represent them exactly), floats must be
finite, strings must not contain lone surrogates and object keys must be strings.

>>> canonical_json({"b": [1, 2.50, None], "a": "é"})
b'{"a":"\\xc3\\xa9","b":[1,2.5,null]}'
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from itertools import chain
from typing import TypeAlias

import orjson

from ceasefire.errors import InputError

JsonValue: TypeAlias = (
    bool | int | float | str | Sequence["JsonValue"] | Mapping[str, "JsonValue"] | None
)

MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer every JSON implementation that parses into IEEE doubles keeps exactly."""

_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def canonical_json(value: JsonValue, *, field: str = "payload", parsed: bool = False) -> bytes:
    """Encode ``value`` as RFC 8785 canonical JSON (UTF-8 bytes).

    Raises ``InputError(field, rule, ...)`` for values outside the ledger's JSON subset: a
    non-string key (``rule="key"``), a non-finite float (``"finite"``), an integer beyond
    +-(2**53 - 1) (``"safe-integer"``), a lone surrogate (``"utf-8"``) or a non-JSON type
    (``"type"``). ``field`` is the key path reported in the error.

    Tuples encode as arrays; ``-0.0`` encodes as ``0`` (as in ECMAScript).

    ``parsed=True`` is for values read back from JSON: an integer beyond +-(2**53 - 1) is then
    what a double-precision reader sees (the canonical text of an integral float >= 2**53 is
    plain digits, which Python parses as an int), so it is encoded as that double, as RFC 8785
    does. Domain payloads are never rounded silently: without ``parsed`` they are refused.

    >>> canonical_json({"x": 1e21, "y": 1e-7, "z": 100.0})
    b'{"x":1e+21,"y":1e-7,"z":100}'
    """
    try:
        if type(value) is dict and _orjson_is_canonical(value):
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        return orjson.dumps(_prepare(value, field, parsed), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError as exc:  # lone surrogates are the only way left to fail
        raise InputError(field, "utf-8", f"not encodable as UTF-8: {exc}") from exc


def _orjson_is_canonical(members: dict[str, JsonValue]) -> bool:
    """True when orjson's sorted output of this object already is RFC 8785's.

    The common payload (ASCII keys; strings, null, booleans, safe integers, and floats that
    are not integral with 1e-5 <= |x| < 1e16) qualifies: for those orjson writes the same
    shortest round-trip digits without an exponent, as ECMAScript does (a property test
    checks it); nested objects and lists qualify when their items do (ingest chains one list
    of 50,000 report digests per chunk: this check costs a tenth of the general walk).
    """
    for key, item in members.items():
        if type(key) is not str or not key.isascii() or not _item_is_canonical(item):
            return False
    return True


_PLAIN = frozenset({str, bool, type(None)})
_ARRAYS = frozenset({list, tuple})


def _item_is_canonical(item: JsonValue) -> bool:
    kind = type(item)
    if kind is str or kind is bool or item is None:
        return True
    if kind is int:
        return -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER  # type: ignore[operator]
    if kind is float:
        return 1e-5 <= abs(item) < 1e16 and not item.is_integer()  # type: ignore[arg-type, union-attr]
    if kind is dict:
        return _orjson_is_canonical(item)  # type: ignore[arg-type]
    if kind is list or kind is tuple:
        kinds = set(map(type, item))  # type: ignore[arg-type]
        if kinds <= _PLAIN:
            return True
        if kinds <= _ARRAYS and set(map(type, chain.from_iterable(item))) <= _PLAIN:  # type: ignore[arg-type]
            return True  # a table of strings (ingest's report digests), at C speed
        return all(map(_item_is_canonical, item))  # type: ignore[arg-type]
    return False


def _prepare(value: JsonValue, path: str, parsed: bool) -> object:
    """Check ``value`` is in the ledger's JSON subset; return what orjson encodes canonically.

    Floats become pre-formatted ``orjson.Fragment`` values (orjson's float form differs from
    ECMAScript's for large and small magnitudes); objects with a key outside the Basic
    Multilingual Plane are encoded here, because orjson sorts keys by UTF-8 bytes, which
    differs from UTF-16 order only for such keys. Plain strings, booleans and null are
    passed through without a call: this walk is the verifier's hot path.
    """
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int or (isinstance(value, int) and not isinstance(value, bool)):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:  # type: ignore[operator]
            return value
        if parsed:
            return orjson.Fragment(format_number(float(value)).encode("ascii"))  # type: ignore[arg-type]
        raise InputError(path, "safe-integer", f"integer {value} is beyond +-(2**53 - 1)")
    if isinstance(value, (str, bool)):
        return value
    if isinstance(value, float):
        return orjson.Fragment(format_number(value, field=path).encode("ascii"))
    if isinstance(value, Mapping):
        prepared: dict[str, object] = {}
        wide = False
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(path, "key", f"object key {key!r} is not a string")
            if not key.isascii() and max(key) > "\uffff":
                wide = True
            item_kind = type(item)
            if item_kind is str or item_kind is bool or item is None:
                prepared[key] = item
            elif item_kind is float and math.isfinite(item):  # type: ignore[arg-type]
                prepared[key] = orjson.Fragment(format_number(item).encode("ascii"))  # type: ignore[arg-type]
            elif item_kind is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:  # type: ignore[operator]
                prepared[key] = item
            else:
                prepared[key] = _prepare(item, f"{path}.{key}", parsed)
        if wide:
            return orjson.Fragment(_encode_utf16_sorted(prepared, path))
        return prepared
    if isinstance(value, (list, tuple)):
        return [_prepare(item, f"{path}[{i}]", parsed) for i, item in enumerate(value)]
    raise InputError(path, "type", f"{type(value).__name__} is not a JSON value")


def _encode_utf16_sorted(members: dict[str, object], path: str) -> bytes:
    """Encode an already-prepared object with members in UTF-16 code-unit order (RFC 8785 3.2.3)."""
    parts: list[bytes] = []
    for key in sorted(members, key=lambda k: k.encode("utf-16-be", "surrogatepass")):
        try:
            encoded_key = orjson.dumps(key)
            encoded_value = orjson.dumps(members[key], option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError as exc:
            raise InputError(path, "utf-8", f"not encodable as UTF-8: {exc}") from exc
        parts.append(encoded_key + b":" + encoded_value)
    return b"{" + b",".join(parts) + b"}"


def format_number(value: float, *, field: str = "payload") -> str:
    """ECMAScript ``Number.prototype.toString`` of a finite double (RFC 8785 section 3.2.2.3).

    Python's ``repr`` already yields the shortest digits that round-trip, the same digits
    ECMAScript chooses; only the layout differs (ECMAScript writes plain digits for exponents
    -7 < e < 21 and ``e+N`` / ``e-N`` otherwise).

    >>> [format_number(x) for x in (0.0, -0.0, 1e16, 1e21, 1e-6, 1e-7, 123.456, -5e-324)]
    ['0', '0', '10000000000000000', '1e+21', '0.000001', '1e-7', '123.456', '-5e-324']
    """
    if not math.isfinite(value):
        raise InputError(field, "finite", f"{value} is not a finite number")
    if value == 0:
        return "0"
    text = repr(value)
    if "e" not in text:  # repr and ECMAScript agree on 1e-5 <= |x| < 1e16 but for ".0"
        return text[:-2] if text.endswith(".0") else text
    text = repr(abs(value))
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exponent) if exponent else 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        sign = "+" if e >= 0 else "-"
        head = digits[0] if k == 1 else f"{digits[0]}.{digits[1:]}"
        body = f"{head}e{sign}{abs(e)}"
    return ("-" if value < 0 else "") + body


def format_timestamp(at: datetime) -> str:
    """The ledger's one timestamp form: UTC, microseconds, ``Z`` (``2026-01-06T12:00:00.000000Z``).

    A fixed width and precision means a timestamp has exactly one spelling, so it can be hashed.
    Naive datetimes are refused (``InputError("at", "timezone", ...)``).
    """
    if at.tzinfo is None:
        raise InputError("at", "timezone", "ledger timestamps must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str, *, field: str = "at") -> datetime:
    """Parse a timestamp written by ``format_timestamp``; any other spelling is refused."""
    if not _TIMESTAMP_RE.match(text):
        raise InputError(field, "timestamp", f"{text!r} is not YYYY-MM-DDTHH:MM:SS.ffffffZ")
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise InputError(field, "timestamp", f"{text!r} is not a valid date: {exc}") from exc
