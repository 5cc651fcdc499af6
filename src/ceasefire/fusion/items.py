"""An incident as a reader's list shows it: the item of the HQ's incident list and stream.

One function per view: ``whole_item`` (every report visible) and ``torn_item`` (a tearline,
``fusion.tearline``, computed from the visible reports only). The store writes both ahead of
reading (``store.read_model``), and the API builds them itself for what is not stored yet, so
the two must come from here and nowhere else: the list, the panel and the live stream then
show the same item to the same reader.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from ceasefire.fusion.tearline import Tearline


def iso_s(seconds: float) -> str:
    """Epoch seconds as ISO 8601 UTC with a ``Z``.

    >>> iso_s(1796083200.0)
    '2026-12-01T00:00:00Z'
    """
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def finite(x: Any) -> float | None:
    """``x`` as a float, or None for NULL, NaN and infinities (JSON has neither)."""
    if x is None:
        return None
    value = float(x)
    return value if math.isfinite(value) else None  # math, not numpy: 20x less per call


def rules_text(rules: Sequence[str]) -> str:
    """Rule ids as the read model keeps them for filtering: ``;R1;R2;`` ('' for none).

    >>> rules_text(["R2", "R1", "R2"]), rules_text([])
    (';R1;R2;', '')
    """
    ids = sorted(set(rules))
    return f";{';'.join(ids)};" if ids else ""


def whole_item(row: dict[str, Any]) -> dict[str, Any]:
    """The item of an incident all of whose reports the reader sees.

    ``row`` holds the incident's columns (``pk``, ``observed_at``, ``lon``, ``lat``,
    ``uncertainty_m``, ``category``, ``weapon_class``, ``count``), its fusion's (``count_low``,
    ``count_best``, ``count_high``, ``confidence``, ``sources``; None before fusion), its
    ``state``, ``rules`` (``;``-joined active rule ids or None), ``severity`` and ``n_reports``.
    """
    best = row["count_best"] if row["count_best"] is not None else row["count"]
    return {
        "id": int(row["pk"]),
        "observed_at": iso_s(float(row["observed_at"])),
        "lon": finite(row["lon"]),
        "lat": finite(row["lat"]),
        "uncertainty_m": finite(row["uncertainty_m"]),
        "category": row["category"],
        "weapon_class": row["weapon_class"],
        "count_low": int(row["count_low"] if row["count_low"] is not None else best),
        "count_best": int(best),
        "count_high": int(row["count_high"] if row["count_high"] is not None else best),
        "state": row["state"],
        "confidence": finite(row["confidence"]),
        "sources": int(row["sources"] or 1),
        "reports": int(row["n_reports"] or 0),
        "rules": sorted(set(row["rules"].split(";"))) if row["rules"] else [],
        "severity": None if row["severity"] is None else int(row["severity"]),
        "partial": False,
    }


def torn_item(
    pk: int, line: Tearline, n_reports: int, rules: Sequence[tuple[str, int]]
) -> dict[str, Any]:
    """The item of an incident seen through a tearline: ``rules`` are ``(rule id, severity)``
    as judged again at the tearline's position, ``n_reports`` the visible reports."""
    return {
        "id": int(pk),
        "observed_at": iso_s(line.observed_at_s),
        "lon": line.lon,
        "lat": line.lat,
        "uncertainty_m": line.uncertainty_m,
        "category": line.category,
        "weapon_class": line.weapon_class,
        "count_low": line.count_low,
        "count_best": line.count_best,
        "count_high": line.count_high,
        "state": line.state,
        "confidence": line.confidence,
        "sources": line.sources,
        "reports": n_reports,
        "rules": sorted({r for r, _ in rules}),
        "severity": max((s for _, s in rules), default=None),
        "partial": True,
    }


def torn_entry(
    pk: int, line: Tearline, n_reports: int, judged: Sequence[tuple[str, str, int, str, str | None]]
) -> tuple[str, str, str, bytes]:
    """A tearline as the read model keeps it: ``(category, state, rules text, item JSON)``,
    the first three for the list's filters. ``judged``: the rules broken at the tearline's
    position, ``(rule id, article, severity, certainty, zone id)``."""
    rules = [(r[0], r[2]) for r in judged]
    item = orjson.dumps(torn_item(pk, line, n_reports, rules))
    return line.category, line.state, rules_text([r for r, _ in rules]), item
