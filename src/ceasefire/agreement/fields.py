"""Typed access to one YAML mapping, raising ``AgreementError`` that names the key path.

Each accessor takes the key and returns the value checked against one rule; the error's
``field`` is the full path (``zones[2].width_km.RUS``) and its ``rule`` one of ``required``,
``unknown_key``, ``type``, ``range``, ``timezone``, ``empty``, ``duplicate``. Kept apart from
the loader so the loader reads as the list of what an agreement holds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from ceasefire.errors import AgreementError


class Fields:
    """One YAML mapping at ``path`` (``""`` for the top level)."""

    def __init__(self, raw: object, path: str) -> None:
        if not isinstance(raw, Mapping):
            raise AgreementError(path or "<top>", "type", f"must be a mapping, not {_kind(raw)}")
        self.raw: Mapping[object, object] = raw
        self.path = path

    def at(self, key: str) -> str:
        """The path of ``key`` inside this mapping."""
        return f"{self.path}.{key}" if self.path else key

    def check_keys(self, allowed: Iterable[str]) -> None:
        """Reject keys the format does not define (typos must not pass silently)."""
        allowed_set = set(allowed)
        for key in self.raw:
            if key not in allowed_set:
                raise AgreementError(
                    self.at(str(key)),
                    "unknown_key",
                    f"unknown key {key!r}; allowed: {', '.join(sorted(allowed_set))}",
                )

    def has(self, key: str) -> bool:
        """True when the key is present and not null."""
        return self.raw.get(key) is not None

    def _required(self, key: str) -> object:
        if key not in self.raw or self.raw[key] is None:
            raise AgreementError(self.at(key), "required", f"{key!r} is required")
        return self.raw[key]

    def string(self, key: str) -> str:
        """A required non-empty string."""
        value = self._required(key)
        if not isinstance(value, str):
            raise AgreementError(self.at(key), "type", f"must be a string, not {_kind(value)}")
        if not value.strip():
            raise AgreementError(self.at(key), "empty", "must not be empty")
        return value

    def opt_string(self, key: str) -> str | None:
        """An optional string (absent or null → ``None``)."""
        return self.string(key) if self.has(key) else None

    def integer(self, key: str, *, low: int, high: int) -> int:
        """A required integer in ``low..high``."""
        value = self._required(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise AgreementError(self.at(key), "type", f"must be an integer, not {_kind(value)}")
        if not low <= value <= high:
            raise AgreementError(self.at(key), "range", f"{value} is outside {low}..{high}")
        return value

    def number(self, key: str, *, low: float, high: float, low_open: bool = False) -> float:
        """A required finite number in ``low..high`` (``low`` excluded when ``low_open``)."""
        return check_number(
            self._required(key), self.at(key), low=low, high=high, low_open=low_open
        )

    def boolean(self, key: str, default: bool) -> bool:
        """An optional boolean."""
        if not self.has(key):
            return default
        value = self.raw[key]
        if not isinstance(value, bool):
            raise AgreementError(self.at(key), "type", f"must be true or false, not {value!r}")
        return value

    def opt_datetime(self, key: str) -> datetime | None:
        """An optional timezone-aware timestamp, returned in UTC (naive ones are refused)."""
        if not self.has(key):
            return None
        value = self.raw[key]
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError as exc:
                raise AgreementError(self.at(key), "type", f"not an ISO 8601 time: {exc}") from exc
        if not isinstance(value, datetime):
            raise AgreementError(self.at(key), "type", f"must be a timestamp, not {_kind(value)}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise AgreementError(
                self.at(key), "timezone", "timestamp needs a UTC offset, e.g. Z or +02:00"
            )
        return value.astimezone(UTC)

    def sequence(self, key: str, *, required: bool) -> list[object]:
        """A list (absent → ``[]`` unless ``required``)."""
        if not self.has(key):
            if required:
                raise AgreementError(self.at(key), "required", f"{key!r} is required")
            return []
        value = self.raw[key]
        if not isinstance(value, list):
            raise AgreementError(self.at(key), "type", f"must be a list, not {_kind(value)}")
        return value

    def mapping(self, key: str) -> Fields | None:
        """An optional nested mapping."""
        if not self.has(key):
            return None
        return Fields(self.raw[key], self.at(key))


def check_number(
    value: object, path: str, *, low: float, high: float, low_open: bool = False
) -> float:
    """``value`` as a finite float in ``low..high``; bools are not numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AgreementError(path, "type", f"must be a number, not {_kind(value)}")
    number = float(value)
    too_low = number <= low if low_open else number < low
    if not math.isfinite(number) or too_low or number > high:
        bracket = "(" if low_open else "["
        raise AgreementError(path, "range", f"{value} is outside {bracket}{low}, {high}]")
    return number


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__
