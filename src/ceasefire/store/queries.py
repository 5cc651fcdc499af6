"""Read queries for the daily and flash reports: stored rows → the monitoring columns.

Owned by the reporting workstream, kept apart from the backend files. Written in SQLAlchemy
Core only (no dialect SQL), so the same functions serve SQLite and, later, PostgreSQL; each
takes a ``Connection`` and returns plain numpy columns (``ceasefire.monitoring.columns``).

"Current" reports are those with ``status = 'active'`` that are not themselves withdrawal
notices (``withdrawn`` false): an amended report is replaced by its amendment, a withdrawn one
is gone. Violations count when active and their incident is active.

Releasability: every query here over reports, incidents and violations takes its conditions
from one ``ReportScope``, built from an optional ``visible_reports`` clause (a SQLAlchemy
boolean expression over ``schema.reports``: which reports the reader may see; ``None``: all).
A report counts when it is current and visible; an incident when it is active and at least one
of its current reports is visible; a violation when it is active and its incident counts. (The
HQ serving a reader counts incidents and violations as that reader is shown them instead —
a tearline at its own time, position and rules — ``api.shown``, ``reporting.daily.ShownSource``.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    and_,
    case,
    exists,
    false,
    select,
    true,
)

from ceasefire.errors import NotFoundError, StoreError
from ceasefire.monitoring.columns import (
    CATEGORIES,
    WEAPON_CLASSES,
    RawWindow,
    ReportNote,
    ViolationColumns,
    WindowReports,
)
from ceasefire.monitoring.flash import FlashIncident, FlashReportLine, FlashViolation
from ceasefire.reports.model import Category
from ceasefire.store import schema

#: Categories whose reports a daily report lists one by one (their notes are fetched).
NOTED_CATEGORIES: tuple[Category, ...] = (
    Category.HEAVY_WEAPON,
    Category.ARMOUR,
    Category.MOVEMENT_RESTRICTION,
    Category.SENSOR_IMPEDED,
    Category.ATTACK_ON_MONITORS,
    Category.ATTACK_ON_FORCE,
    Category.CIVILIAN_CASUALTY,
    Category.INFRASTRUCTURE_DAMAGE,
)
_CATEGORY_CODE = {c.value: i for i, c in enumerate(CATEGORIES)}
_WEAPON_CODE = {w.value: i for i, w in enumerate(WEAPON_CLASSES)}
FIRE_VALUES = [
    c.value
    for c in (
        Category.EXPLOSION,
        Category.PROJECTILE_IN_FLIGHT,
        Category.MUZZLE_FLASH,
        Category.ILLUMINATION_FLARE,
        Category.BURST_OF_FIRE,
        Category.SHOTS,
    )
]
HOUR_S = 3_600.0


def engine_of(store: object) -> Engine:
    """The SQLAlchemy engine behind a store backend (its ``engine`` property)."""
    engine = getattr(store, "engine", None)
    if not isinstance(engine, Engine):
        raise StoreError(f"{type(store).__name__} exposes no SQLAlchemy engine for reports")
    return engine


def current_report(r: Any) -> Any:
    return and_(r.c.status == "active", r.c.withdrawn == false())


@dataclass(frozen=True, slots=True)
class ReportScope:
    """The one place that says which reports, incidents and violations a reader may count.

    ``visible`` is a boolean clause over ``schema.reports`` (e.g. a releasability test on
    ``releasable_to``/``classification``), ``None`` for every report. Without it the incident
    and violation conditions reduce to ``status``/``active`` (no correlated subquery), which
    keeps the unfiltered report as fast as before.
    """

    visible: ColumnElement[bool] | None = None

    def reports(self) -> ColumnElement[bool]:
        """Current reports the reader may see."""
        current: ColumnElement[bool] = current_report(schema.reports)
        return current if self.visible is None else and_(current, self.visible)

    def incidents(self, incident_pk: Any = None) -> ColumnElement[bool]:
        """Active incidents with at least one visible current report (``incident_pk`` is the
        column naming the incident in the outer query; ``schema.incidents.c.pk`` by default)."""
        i = schema.incidents
        active = i.c.status == "active"
        if self.visible is None:
            return active
        if incident_pk is None:
            incident_pk = i.c.pk
        r, ir = schema.reports, schema.incident_reports
        seen = exists(
            select(true())
            .select_from(ir.join(r, r.c.pk == ir.c.report_pk))
            .where(ir.c.incident_pk == incident_pk, self.reports())
        )
        return and_(active, seen)

    def violations(self) -> ColumnElement[bool]:
        """Active violations of counted incidents (join ``schema.incidents`` on its pk)."""
        v, i = schema.violations, schema.incidents
        return and_(v.c.active.is_(True), self.incidents(i.c.pk))


def _fetch_all(conn: Connection, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """Run a Core ``select`` on the DBAPI cursor and return plain tuples.

    For 10^5-row windows SQLAlchemy's ``Row`` objects cost more than the query itself; the
    statement is still built in Core and compiled for the connection's dialect (positional or
    named parameters alike), so this stays portable. Only plain numbers and strings may be
    selected (no result-type processing happens).
    """
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    args: Any = (
        tuple(params[name] for name in compiled.positiontup or ())
        if compiled.positional
        else params
    )
    cursor = conn.connection.cursor()
    try:
        cursor.execute(compiled.string, args)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _first(row: tuple[Any, ...]) -> Any:
    return row[0]


#: Violations carry their incident's time; an incident's reports lie within this of it.
INCIDENT_SPAN_S = 7 * 86_400.0


def fetch_window(
    conn: Connection,
    start: datetime,
    end: datetime,
    *,
    with_violations: bool = True,
    with_notes: bool = True,
    visible_reports: ColumnElement[bool] | None = None,
) -> RawWindow:
    """Current reports observed in ``[start, end)`` and their active violations.

    ``oblast`` comes back as ``-1`` and ``at_storage_site`` as False: both are geometry, filled
    by the caller (``ceasefire.reporting.daily``). Rows are ordered by ``pk``. A violation is
    tied to the first (lowest-pk) of its incident's reports in the window. The previous day of
    a report needs neither violations nor notes; leaving them out halves its cost.
    With ``visible_reports`` (see ``ReportScope``) only visible reports are read, and a
    violation comes back only when one of the window's visible reports is its incident's.
    """
    r = schema.reports
    s0, s1 = start.timestamp(), end.timestamp()
    in_window = and_(
        r.c.observed_at >= s0, r.c.observed_at < s1, ReportScope(visible_reports).reports()
    )
    noted = r.c.category.in_([c.value for c in NOTED_CATEGORIES])
    text_cols = (
        (
            case((noted, r.c.source), else_=None),
            case((noted, r.c.place), else_=None),
            case((noted, r.c.description), else_=None),
            case((noted, r.c.source_type), else_=None),
            case((noted, r.c.location_form), else_=None),
            case((noted, r.c.party), else_=None),
            case((noted, r.c.distance_to_line_km), else_=None),
        )
        if with_notes
        else ()
    )
    rows = _fetch_all(
        conn,
        select(
            r.c.pk,
            r.c.observed_at,
            case(_CATEGORY_CODE, value=r.c.category, else_=-1),  # codes computed in SQL
            case(_WEAPON_CODE, value=r.c.weapon_class, else_=-1),
            r.c["count"],
            r.c.located_lon,
            r.c.located_lat,
            r.c.located_uncertainty_m,
            r.c.agreement_version_pk,
            *text_cols,
        ).where(in_window),
    )
    rows.sort(key=_first)  # by pk; cheaper here than ORDER BY's temporary b-tree
    n = len(rows)
    cols = list(zip(*rows, strict=True)) if n else [()] * (9 + len(text_cols))
    pk = np.asarray(cols[0], dtype=np.int64)
    notes: dict[int, ReportNote] = {}
    if with_notes:
        for k, (source, place, text, kind, form, party, km) in enumerate(
            zip(*cols[9:16], strict=True)
        ):
            if source is not None:
                notes[k] = ReportNote(
                    source=source,
                    place=place,
                    description=text,
                    source_type=kind,
                    location_form=form,
                    party=party,
                    distance_to_line_km=None if km is None else float(km),
                )
    reports = WindowReports(
        row_id=pk,
        observed_at_s=np.asarray(cols[1], dtype=np.float64),
        category=np.asarray(cols[2], dtype=np.int16),
        weapon_class=np.asarray(cols[3], dtype=np.int16),
        count=np.asarray(cols[4], dtype=np.int64),
        lon=np.asarray(cols[5], dtype=np.float64),
        lat=np.asarray(cols[6], dtype=np.float64),
        at_storage_site=np.zeros(n, dtype=np.bool_),
        oblast=np.full(n, -1, dtype=np.int16),
        notes=notes,
    )
    violations = (
        _fetch_violations(conn, s0, s1, pk) if with_violations else ViolationColumns.empty()
    )
    return RawWindow(
        reports=reports,
        violations=violations,
        uncertainty_m=np.asarray(cols[7], dtype=np.float64),
        agreement_version_pk=np.asarray(cols[8], dtype=np.int64),
    )


def _fetch_violations(
    conn: Connection, s0: float, s1: float, pk: NDArray[np.int64]
) -> ViolationColumns:
    """Active violations of the window's reports (``pk``, sorted), encoded against them.

    Two indexed range scans joined in numpy, cheaper than the SQL join at 10^5 rows: the
    incident links of the window's report pks, and the violations by ``observed_at`` (a
    violation carries its incident's time, within ``INCIDENT_SPAN_S`` of its reports'). A
    violation is tied to the lowest report pk of its incident in the window.
    ``violations.active`` is kept false for superseded and withdrawn incidents by the store,
    so the incidents table need not be read.
    """
    v, ir = schema.violations, schema.incident_reports
    if not pk.size:
        return ViolationColumns.empty()
    # incident -> its lowest report pk in the window (pk is sorted; window pks are a range)
    links = _fetch_all(
        conn,
        select(ir.c.incident_pk, ir.c.report_pk).where(
            ir.c.report_pk >= int(pk[0]), ir.c.report_pk <= int(pk[-1])
        ),
    )
    link = np.asarray(links, dtype=np.int64).reshape(-1, 2)
    pos = np.minimum(np.searchsorted(pk, link[:, 1]), pk.size - 1)
    link = link[pk[pos] == link[:, 1]]
    link = link[np.lexsort((link[:, 1], link[:, 0]))]
    incidents, first_link = np.unique(link[:, 0], return_index=True)
    first_report = link[first_link, 1]
    near = and_(v.c.observed_at >= s0 - INCIDENT_SPAN_S, v.c.observed_at < s1 + INCIDENT_SPAN_S)
    vrows = _fetch_all(
        conn,
        select(
            v.c.pk, v.c.incident_pk, v.c.rule_id, v.c.severity, v.c.certainty, v.c.zone_id
        ).where(near, v.c.active.is_(True)),
    )
    if not vrows or not incidents.size:
        return ViolationColumns.empty()
    cols = list(zip(*vrows, strict=True))
    vpk = np.asarray(cols[0], dtype=np.int64)
    incident_pk = np.asarray(cols[1], dtype=np.int64)
    at = np.minimum(np.searchsorted(incidents, incident_pk), incidents.size - 1)
    keep = np.flatnonzero(incidents[at] == incident_pk)  # violations of the window's reports
    if not keep.size:
        return ViolationColumns.empty()
    kept = keep.tolist()
    report_pk = first_report[at]
    row = np.searchsorted(pk, report_pk)
    rule_of = {name: k for k, name in enumerate(dict.fromkeys(cols[2][k] for k in kept))}
    zone_of = {
        name: k
        for k, name in enumerate(dict.fromkeys(cols[5][k] for k in kept if cols[5][k] is not None))
    }
    rule_ids = tuple(rule_of)
    one_per_rule = {cols[2][k]: int(vpk[k]) for k in kept}  # any violation names the article
    articles = dict(
        _fetch_all(
            conn,
            select(v.c.rule_id, v.c.article).where(v.c.pk.in_(list(one_per_rule.values()))),
        )
    )
    return ViolationColumns(
        report_row=row[keep].astype(np.int64),
        rule=np.asarray([rule_of[cols[2][k]] for k in kept], dtype=np.int16),
        zone=np.asarray(
            [-1 if cols[5][k] is None else zone_of[cols[5][k]] for k in kept], dtype=np.int16
        ),
        severity=np.asarray(cols[3], dtype=np.int8)[keep],
        certain=np.asarray([cols[4][k] == "certain" for k in kept], dtype=np.bool_),
        rule_ids=rule_ids,
        rule_articles=tuple(str(articles.get(x, "")) for x in rule_ids),
        zone_ids=tuple(zone_of),
    )


def _opt_float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _epoch_dt(value: object) -> datetime:
    return datetime.fromtimestamp(float(value), UTC)  # type: ignore[arg-type]


def fetch_incident(
    conn: Connection, incident_pk: int
) -> tuple[FlashIncident, tuple[FlashReportLine, ...], tuple[FlashViolation, ...]]:
    """Everything a flash report shows about one incident; ``NotFoundError`` if absent.

    Zone masks are decoded with the ``agreement_zones`` bit table of each report's version.
    """
    i, ir, r, v = schema.incidents, schema.incident_reports, schema.reports, schema.violations
    row = conn.execute(select(i).where(i.c.pk == incident_pk)).mappings().first()
    if row is None:
        raise NotFoundError(f"incident {incident_pk} does not exist")
    incident = FlashIncident(
        id=int(row["pk"]),
        status=str(row["status"]),
        observed_at=_epoch_dt(row["observed_at"]),
        category=Category(row["category"]),
        weapon_class=row["weapon_class"],
        count=int(row["count"]),
        lon=_opt_float(row["lon"]),
        lat=_opt_float(row["lat"]),
        uncertainty_m=_opt_float(row["uncertainty_m"]),
    )
    bits: dict[int, list[str]] = {}
    for version_pk, zone_id in conn.execute(
        select(
            schema.agreement_zones.c.agreement_version_pk, schema.agreement_zones.c.zone_id
        ).order_by(schema.agreement_zones.c.agreement_version_pk, schema.agreement_zones.c.bit)
    ).all():
        bits.setdefault(int(version_pk), []).append(str(zone_id))

    def zones(mask: int, version_pk: int) -> tuple[str, ...]:
        ids = bits.get(version_pk, [])
        return tuple(z for b, z in enumerate(ids) if int(mask) >> b & 1)

    lines = tuple(
        FlashReportLine(
            source=x["source"],
            source_id=x["id"],
            source_type=x["source_type"],
            reliability=x["reliability"],
            credibility=int(x["credibility"]),
            observed_at=_epoch_dt(x["observed_at"]),
            category=Category(x["category"]),
            weapon_class=x["weapon_class"],
            count=int(x["count"]),
            status=x["status"],
            location_form=x["location_form"],
            lon=_opt_float(x["located_lon"]),
            lat=_opt_float(x["located_lat"]),
            uncertainty_m=_opt_float(x["located_uncertainty_m"]),
            party_side=x["party"],
            distance_to_line_km=_opt_float(x["distance_to_line_km"]),
            zones_inside=zones(x["zones_inside"], x["agreement_version_pk"]),
            zones_possibly_inside=zones(x["zones_possibly_inside"], x["agreement_version_pk"]),
            place=x["place"],
            description=x["description"],
        )
        for x in conn.execute(
            select(r)
            .join(ir, ir.c.report_pk == r.c.pk)
            .where(ir.c.incident_pk == incident_pk)
            .order_by(r.c.observed_at, r.c.pk)
        ).mappings()
    )
    violations = tuple(
        FlashViolation(
            rule_id=x["rule_id"],
            article=x["article"],
            severity=int(x["severity"]),
            certainty=x["certainty"],
            zone_id=x["zone_id"],
            active=bool(x["active"]),
        )
        for x in conn.execute(
            select(v).where(v.c.incident_pk == incident_pk).order_by(v.c.severity.desc(), v.c.pk)
        ).mappings()
    )
    return incident, lines, violations
