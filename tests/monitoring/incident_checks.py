"""Independent per-oblast counts of reports, incidents, violations and coverage.

Plain SQL over the stored rows (``report_checks.rows``, either backend) and one shapely
``contains`` per point (``report_checks``' ``IndependentOblasts``), none of the aggregation
under test. ``visible`` is an SQL predicate over the reports table aliased ``r`` (``"TRUE"``:
every report), the same filter the test hands the report as a SQLAlchemy clause; its ``?``
parameters are ``params``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from report_checks import CURRENT, FIRE_HEADERS, IndependentOblasts, _bounds, rows

IMPEDIMENTS = ("sensor_impeded", "movement_restriction")


@dataclass
class OblastCounts:
    """What the incidents-and-coverage table should show for one oblast."""

    reports: int = 0
    fire_observed: int = 0
    incidents: int = 0
    fire_incidents: int = 0
    incidents_in_violation: int = 0
    violations: int = 0
    impediments: int = 0
    observer_hours: float = 0.0
    incident_ids: set[int] = field(default_factory=set)


def independent_sector_counts(
    db: str, day: date, visible: str = "TRUE", params: tuple[object, ...] = ()
) -> dict[str, OblastCounts]:
    """``{oblast name: counts}`` of ``day`` (a Kyiv day) for a reader who sees ``visible``."""
    oblasts = IndependentOblasts()
    start, end = _bounds(day)
    out: dict[str, OblastCounts] = {}

    def at(lon: object, lat: object) -> OblastCounts:
        where = oblasts.name_of(*(None if v is None else float(str(v)) for v in (lon, lat)))
        return out.setdefault(where, OblastCounts())

    reports: list[tuple[str, int, float | None, float | None]] = rows(  # type: ignore[assignment]
        db,
        f"SELECT category, count, located_lon, located_lat FROM reports r "
        f"WHERE {CURRENT} AND ({visible}) AND observed_at >= ? AND observed_at < ?",
        (*params, start, end),
    )
    incidents: list[tuple[int, str, float | None, float | None]] = rows(  # type: ignore[assignment]
        db,
        f"SELECT i.pk, i.category, i.lon, i.lat FROM incidents i "
        f"WHERE i.status = 'active' AND i.observed_at >= ? AND i.observed_at < ? "
        f"AND EXISTS (SELECT 1 FROM incident_reports ir JOIN reports r ON r.pk = ir.report_pk "
        f"WHERE ir.incident_pk = i.pk AND {CURRENT} AND ({visible}))",
        (start, end, *params),
    )
    violations = Counter(
        {
            int(str(pk)): int(str(n))
            for pk, n in rows(
                db, "SELECT incident_pk, count(*) FROM violations WHERE active GROUP BY incident_pk"
            )
        }
    )
    windows: list[tuple[float, float, float, float]] = rows(  # type: ignore[assignment]
        db,
        "SELECT start_s, end_s, lon, lat FROM coverage_declarations "
        "WHERE end_s > ? AND start_s < ?",
        (start, start + 86_400),
    )
    for category, count, lon, lat in reports:
        row = at(lon, lat)
        row.reports += 1
        if category in FIRE_HEADERS:
            row.fire_observed += count
        if category in IMPEDIMENTS:
            row.impediments += 1
    for pk, category, lon, lat in incidents:
        row = at(lon, lat)
        row.incidents += 1
        row.incident_ids.add(pk)
        row.fire_incidents += category in FIRE_HEADERS
        row.incidents_in_violation += violations[pk] > 0
        row.violations += violations[pk]
    for w0, w1, lon, lat in windows:
        seconds = min(w1, start + 86_400) - max(w0, start)
        name = oblasts.name_of(lon, lat)
        if seconds > 0 and name in out:
            out[name].observer_hours += seconds / 3600
    return out


def shown_sector_table(table: list[list[str]]) -> dict[str, dict[str, str]]:
    """``{oblast: {heading: cell text}}`` of the incidents-and-coverage table (Total kept)."""
    headers = table[0]
    return {row[0]: dict(zip(headers, row, strict=True)) for row in table[1:]}


def as_int(cell: str) -> int:
    return int(cell.replace(",", ""))
