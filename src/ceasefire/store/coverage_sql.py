"""Declared coverage in, coverage inputs out (windows, impediments, incidents by time)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Connection, Engine, select

from ceasefire.errors import InputError
from ceasefire.store import schema
from ceasefire.store.fusion import coverage_declarations
from ceasefire.store.queries import ReportScope

FloatColumns = tuple[NDArray[np.float64], ...]


def _epoch(value: object, field: str, line: int) -> float:
    if not isinstance(value, str):
        raise InputError(f"line {line}: {field}", "required", "an RFC 3339 time is required")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"line {line}: {field}", "rfc3339", f"{value!r} is no time") from exc
    if moment.tzinfo is None:
        raise InputError(f"line {line}: {field}", "timestamp_offset", f"{value!r} has no offset")
    return moment.timestamp()


def add_declarations(
    engine: Engine, objects: Iterable[Mapping[str, object]], declared_at: str
) -> int:
    """Store coverage windows (the simulator's ``coverage.ndjson`` shape: source,
    source_type, from, until, lon, lat, radius_m, optional fov_az_deg/fov_deg), all or none;
    a bad object raises ``InputError`` naming its line and field."""
    rows = []
    for line, obj in enumerate(objects, start=1):
        try:
            rows.append(
                {
                    "source": str(obj["source"]),
                    "source_type": str(obj["source_type"]),
                    "start_s": _epoch(obj.get("from"), "from", line),
                    "end_s": _epoch(obj.get("until"), "until", line),
                    "lon": float(obj["lon"]),  # type: ignore[arg-type]
                    "lat": float(obj["lat"]),  # type: ignore[arg-type]
                    "radius_m": float(obj["radius_m"]),  # type: ignore[arg-type]
                    "fov_az_deg": obj.get("fov_az_deg"),
                    "fov_deg": obj.get("fov_deg"),
                    "declared_at": declared_at,
                }
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"line {line}", "coverage_window", f"bad window: {exc}") from exc
    with engine.begin() as conn:
        if rows:
            conn.execute(coverage_declarations.insert(), rows)
    return len(rows)


def coverage_rows(
    engine: Engine,
    start_s: float,
    end_s: float,
    *,
    visible_reports: ColumnElement[bool] | None = None,
    with_incidents: bool = True,
) -> dict[str, FloatColumns]:
    """Windows, impediment reports and active incidents touching ``[start_s, end_s)``."""
    with engine.connect() as conn:
        return coverage_columns(
            conn, start_s, end_s, visible_reports=visible_reports, with_incidents=with_incidents
        )


def coverage_columns(
    conn: Connection,
    start_s: float,
    end_s: float,
    *,
    visible_reports: ColumnElement[bool] | None = None,
    with_incidents: bool = True,
) -> dict[str, FloatColumns]:
    """``coverage_rows`` on an open connection.

    Impediments are current reports (not withdrawn, not replaced by an amendment, not
    withdrawal notices) and incidents active ones, both within the reader's scope
    (``ceasefire.store.queries.ReportScope``: a hidden impediment report must not flag a
    sector). Declared windows are not reports and are always read. Without
    ``with_incidents`` no incident is read (a reader's view puts in the incidents as shown
    to them, ``api.shown``: the whole incidents counted here would count hidden reports).
    """
    c, r, i = coverage_declarations, schema.reports, schema.incidents
    scope = ReportScope(visible_reports)
    windows = conn.execute(
        select(c.c.source, c.c.start_s, c.c.end_s, c.c.lon, c.c.lat).where(
            c.c.end_s > start_s, c.c.start_s < end_s
        )
    ).all()
    impediments = conn.execute(
        select(r.c.observed_at, r.c.located_lon, r.c.located_lat).where(
            r.c.category.in_(["sensor_impeded", "movement_restriction"]),
            scope.reports(),
            r.c.observed_at >= start_s,
            r.c.observed_at < end_s,
        )
    ).all()
    incidents = (
        conn.execute(
            select(i.c.observed_at, i.c.lon, i.c.lat).where(
                scope.incidents(i.c.pk), i.c.observed_at >= start_s, i.c.observed_at < end_s
            )
        ).all()
        if with_incidents
        else []
    )
    sources = {name: k for k, name in enumerate(sorted({w.source for w in windows}))}

    def cols(rows: Sequence[Sequence[object]], n: int) -> list[NDArray[np.float64]]:
        if not rows:
            return [np.empty(0) for _ in range(n)]
        return [np.array(col, dtype=np.float64) for col in zip(*rows, strict=True)]

    w = [(sources[s], a, b, x, y) for s, a, b, x, y in windows]
    return {
        "windows": tuple(cols(w, 5)),
        "impediments": tuple(cols([tuple(row) for row in impediments], 3)),
        "incidents": tuple(cols([tuple(row) for row in incidents], 3)),
    }
