"""Bookkeeping times as text: one spelling on every backend, so they sort as they compare."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """ISO 8601 text in UTC for bookkeeping columns."""
    return moment.astimezone(UTC).isoformat()
