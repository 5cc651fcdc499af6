"""A cursor over parsed YAML that knows its key path, so every error can name it.

``Node(data, "", InstrumentError).get("instruments").get(1).get("triggers")`` has the path
``instruments[1].triggers``; its typed readers raise the given error class with that path and
the rule broken (``required``, ``type``, ``range``, ``enum``, ``unknown_key`` ...).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import NoReturn, TypeVar

from ceasefire.errors import InputError

E = TypeVar("E", bound=StrEnum)

_MISSING = object()


class Node:
    """A value at a key path; ``missing`` when the key was absent."""

    def __init__(self, value: object, path: str, error: type[InputError]) -> None:
        self.value = value
        self.path = path
        self._error = error

    @property
    def missing(self) -> bool:
        """True when the key was absent or null."""
        return self.value is _MISSING or self.value is None

    def fail(self, rule: str, message: str) -> NoReturn:
        """Raise the error class with this node's path."""
        raise self._error(self.path or "(document)", rule, message)

    def get(self, key: str | int) -> Node:
        """The child at ``key`` (a mapping key or a list index); missing when absent."""
        if isinstance(key, int):
            path = f"{self.path}[{key}]"
            if isinstance(self.value, list) and 0 <= key < len(self.value):
                return Node(self.value[key], path, self._error)
            return Node(_MISSING, path, self._error)
        path = f"{self.path}.{key}" if self.path else key
        if self.missing:
            return Node(_MISSING, path, self._error)
        if not isinstance(self.value, Mapping):
            self.fail("type", "expected a mapping")
        return Node(self.value.get(key, _MISSING), path, self._error)

    def only_keys(self, allowed: set[str]) -> None:
        """Reject keys outside ``allowed`` (a typo must not pass silently)."""
        if self.missing:
            return
        if not isinstance(self.value, Mapping):
            self.fail("type", "expected a mapping")
        for key in self.value:
            if key not in allowed:
                self.get(str(key)).fail(
                    "unknown_key", f"unknown key; expected one of {sorted(allowed)}"
                )

    def items(self, *, default: list[object] | None = None) -> Iterator[Node]:
        """The children of a list (``default`` when absent; required when no default)."""
        if self.missing:
            if default is None:
                self.fail("required", "a list is required")
            return
        if not isinstance(self.value, list):
            self.fail("type", "expected a list")
        for i in range(len(self.value)):
            yield self.get(i)

    def _present(self) -> object:
        if self.missing:
            self.fail("required", "this key is required")
        return self.value

    def opt_string(self) -> str | None:
        """A non-empty string, or None when absent."""
        return None if self.missing else self.string()

    def string(self, *, default: str | None = None) -> str:
        """A non-empty string (``default`` when absent; required when no default)."""
        if self.missing and default is not None:
            return default
        value = self._present()
        if not isinstance(value, str | int) or isinstance(value, bool) or str(value) == "":
            self.fail("type", f"expected a non-empty string, got {value!r}")
        return str(value)

    def boolean(self, *, default: bool) -> bool:
        """A YAML boolean."""
        if self.missing:
            return default
        if not isinstance(self.value, bool):
            self.fail("type", f"expected true or false, got {self.value!r}")
        return self.value

    def number(
        self,
        *,
        default: float | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float:
        """A finite number within the bounds (inclusive)."""
        if self.missing and default is not None:
            return default
        value = self._present()
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            self.fail("type", f"expected a number, got {value!r}")
        if minimum is not None and value < minimum:
            self.fail("range", f"{value} is below the minimum {minimum}")
        if maximum is not None and value > maximum:
            self.fail("range", f"{value} is above the maximum {maximum}")
        return float(value)

    def opt_integer(self, *, minimum: int | None = None) -> int | None:
        """An integer, or None when absent."""
        return None if self.missing else self.integer(minimum=minimum)

    def integer(
        self, *, default: int | None = None, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        """An integer within the bounds (inclusive)."""
        if self.missing and default is not None:
            return default
        value = self._present()
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail("type", f"expected an integer, got {value!r}")
        if minimum is not None and value < minimum:
            self.fail("range", f"{value} is below the minimum {minimum}")
        if maximum is not None and value > maximum:
            self.fail("range", f"{value} is above the maximum {maximum}")
        return value

    def enum(self, kind: type[E], *, default: E | None = None) -> E:
        """A member of the StrEnum ``kind`` by value."""
        if self.missing and default is not None:
            return default
        value = self._present()
        try:
            return kind(str(value))
        except ValueError:
            self.fail("enum", f"{value!r} is not one of {[m.value for m in kind]}")

    def opt_timestamp(self) -> datetime | None:
        """A timestamp, or None when absent or null."""
        return None if self.missing else self.timestamp()

    def timestamp(self) -> datetime:
        """An RFC 3339 timestamp with offset (or a bare date: midnight UTC)."""
        value = self._present()
        parsed = as_utc(value)
        if parsed is None:
            self.fail("timestamp", f"expected an RFC 3339 timestamp with offset, got {value!r}")
        return parsed


def as_utc(value: object) -> datetime | None:
    """A YAML scalar (datetime, date, RFC 3339 text) as aware UTC; None when it is not one.

    A bare date means midnight UTC of that day; a naive datetime is not accepted.

    >>> as_utc("2026-03-01T02:00:00+02:00").isoformat()
    '2026-03-01T00:00:00+00:00'
    """
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo is not None else None
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    return None
