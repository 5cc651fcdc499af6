"""Store rows → API items, applying the tearline to partially visible incidents."""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson
from fastapi import Response

from ceasefire.access.model import User
from ceasefire.api.state import HQState
from ceasefire.api.tearline import Tearline, tearline, tearline_columns
from ceasefire.errors import InputError
from ceasefire.store.hq_queries import MAX_ROW_ID, visible_members


def iso_s(seconds: float) -> str:
    """Epoch seconds as ISO 8601 UTC with a ``Z``."""
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def encode_cursor(observed_at_s: float, pk: int) -> str:
    """An opaque resume point: the last row's ``(observed_at, pk)``."""
    return base64.urlsafe_b64encode(f"{observed_at_s!r}:{pk}".encode()).decode()


def decode_cursor(cursor: str | None) -> tuple[float, int] | None:
    """The resume point of ``cursor``, or ``InputError`` naming the field."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
        t, pk = text.split(":")
        value = (float(t), int(pk))
    except (ValueError, UnicodeError) as exc:
        raise InputError("cursor", "cursor", "not a cursor returned by this API") from exc
    if not np.isfinite(value[0]) or not 0 <= value[1] <= MAX_ROW_ID:
        raise InputError("cursor", "cursor", "not a cursor returned by this API")
    return value


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    value = float(x)
    return value if math.isfinite(value) else None  # math, not numpy: 20x less per call


def _whole(row: dict[str, Any]) -> dict[str, Any]:
    best = row["count_best"] if row["count_best"] is not None else row["count"]
    return {
        "id": int(row["pk"]),
        "observed_at": iso_s(float(row["observed_at"])),
        "lon": _finite(row["lon"]),
        "lat": _finite(row["lat"]),
        "uncertainty_m": _finite(row["uncertainty_m"]),
        "category": row["category"],
        "weapon_class": row["weapon_class"],
        "count_low": int(row["count_low"] if row["count_low"] is not None else best),
        "count_best": int(best),
        "count_high": int(row["count_high"] if row["count_high"] is not None else best),
        "state": row["state"],
        "confidence": _finite(row["confidence"]),
        "sources": int(row["sources"] or 1),
        "reports": int(row["n_reports"] or 0),
        "rules": sorted(set(row["rules"].split(";"))) if row["rules"] else [],
        "severity": None if row["severity"] is None else int(row["severity"]),
        "partial": False,
    }


def _torn(
    row: dict[str, Any], line: Tearline, n: int, rules: list[tuple[str, int]]
) -> dict[str, Any]:
    return {
        "id": int(row["pk"]),
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
        "reports": n,
        "rules": sorted({r for r, _ in rules}),
        "severity": max((s for _, s in rules), default=None),
        "partial": True,
    }


def torn_lines(
    state: HQState, user: User, pks: Sequence[int], stored_states: dict[int, str | None]
) -> dict[int, tuple[Tearline, list[dict[str, Any]], list[tuple[str, str, int, str, str | None]]]]:
    """Tearline, visible members and re-judged rules of each partially visible incident."""
    if not pks:
        return {}
    members: dict[int, list[dict[str, Any]]] = {}
    for m in visible_members(state.engine, state.visible(user), pks):
        members.setdefault(int(m["incident_pk"]), []).append(m)
    lines = {pk: tearline(ms, stored_states.get(pk)) for pk, ms in members.items()}
    judged: dict[int, list[tuple[str, str, int, str, str | None]]] = {pk: [] for pk in lines}
    located = [pk for pk, t in lines.items() if t.lon is not None]
    if located:
        from ceasefire.pipeline.fuse import judge_incidents  # noqa: PLC0415 - heavy

        _, rules = judge_incidents(tearline_columns([lines[pk] for pk in located]), state.book())
        judged.update(zip(located, rules, strict=True))
    return {pk: (lines[pk], members[pk], judged[pk]) for pk in lines}


def incident_items(state: HQState, user: User, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """API items for incident rows, tearlines applied where ``partial``."""
    partial = [int(r["pk"]) for r in rows if r["partial"]]
    torn = torn_lines(state, user, partial, {int(r["pk"]): r["state"] for r in rows})
    out = []
    for row in rows:
        pk = int(row["pk"])
        if pk in torn:
            line, members, rules = torn[pk]
            out.append(_torn(row, line, len(members), [(r[0], r[2]) for r in rules]))
        elif not row["partial"]:
            out.append(_whole(row))
    return out


def json_response(data: Any, *, media_type: str = "application/json") -> Response:
    """``data`` as JSON bytes (numpy scalars allowed, NaN → null), without re-validation."""
    return Response(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY), media_type=media_type)
