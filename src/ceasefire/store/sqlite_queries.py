"""Read queries of the monitoring store, in SQLAlchemy Core (portable to PostgreSQL as written).

Zone masks are decoded here with the ``agreement_zones`` bit table, so callers see zone ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, func, select

from ceasefire.store import schema
from ceasefire.store.base import (
    ReportQuery,
    ReportStatus,
    StoredReport,
    StoredViolation,
    ViolationQuery,
)


def epoch(moment: datetime) -> float:
    """Epoch seconds of a timezone-aware datetime (observation times are stored so)."""
    return moment.timestamp()


def from_epoch(seconds: float) -> datetime:
    """UTC datetime of stored epoch seconds."""
    return datetime.fromtimestamp(seconds, UTC)


def zone_bits(conn: Connection) -> dict[int, list[str]]:
    """``{agreement_version_pk: [zone id of bit 0, bit 1, ...]}``."""
    zones = schema.agreement_zones
    rows = conn.execute(
        select(zones.c.agreement_version_pk, zones.c.zone_id).order_by(
            zones.c.agreement_version_pk, zones.c.bit
        )
    ).all()
    bits: dict[int, list[str]] = {}
    for version_pk, zone_id in rows:
        bits.setdefault(version_pk, []).append(zone_id)
    return bits


def decode_mask(mask: int, zone_ids: Sequence[str]) -> tuple[str, ...]:
    """Zone ids whose bit is set in ``mask``.

    >>> decode_mask(0b101, ["a", "b", "c"])
    ('a', 'c')
    """
    return tuple(zone_id for bit, zone_id in enumerate(zone_ids) if mask >> bit & 1)


def list_reports(conn: Connection, query: ReportQuery) -> list[StoredReport]:
    """Reports with placement; ``since``/``until`` bound ``observed_at`` inclusively."""
    r, av, links = schema.reports, schema.agreement_versions, schema.incident_reports
    # fusion links a report to successive incidents; the newest one is its current incident
    ir = (
        select(links.c.report_pk, func.max(links.c.incident_pk).label("incident_pk"))
        .group_by(links.c.report_pk)
        .subquery()
    )
    stmt = (
        select(r, av.c.agreement_id, av.c.version, ir.c.incident_pk)
        .join(av, av.c.pk == r.c.agreement_version_pk)
        .outerjoin(ir, ir.c.report_pk == r.c.pk)
        .order_by(r.c.observed_at, r.c.pk)
    )
    if query.since is not None:
        stmt = stmt.where(r.c.observed_at >= epoch(query.since))
    if query.until is not None:
        stmt = stmt.where(r.c.observed_at <= epoch(query.until))
    if query.source is not None:
        stmt = stmt.where(r.c.source == query.source)
    if query.limit is not None:
        stmt = stmt.limit(query.limit)
    bits = zone_bits(conn)
    out: list[StoredReport] = []
    for row in conn.execute(stmt):
        zone_ids = bits.get(row.agreement_version_pk, [])
        out.append(
            StoredReport(
                pk=row.pk,
                id=row.id,
                source=row.source,
                source_type=row.source_type,
                category=row.category,
                weapon_class=row.weapon_class,
                count=row._mapping["count"],
                observed_at=from_epoch(row.observed_at),
                amends=row.amends,
                withdrawn=bool(row.withdrawn),
                status=ReportStatus(row.status),
                located_lon=row.located_lon,
                located_lat=row.located_lat,
                located_uncertainty_m=row.located_uncertainty_m,
                location_form=row.location_form,
                party=row.party,
                distance_to_line_km=row.distance_to_line_km,
                zones_inside=decode_mask(row.zones_inside, zone_ids),
                zones_possibly_inside=decode_mask(row.zones_possibly_inside, zone_ids),
                agreement_id=row.agreement_id,
                agreement_version=row.version,
                incident_pk=row.incident_pk,
            )
        )
    return out


def list_violations(conn: Connection, query: ViolationQuery) -> list[StoredViolation]:
    """Violations with their incident's position and the reports behind it."""
    v, i, av = schema.violations, schema.incidents, schema.agreement_versions
    stmt = (
        select(v, i.c.lon, i.c.lat, av.c.agreement_id, av.c.version)
        .join(i, i.c.pk == v.c.incident_pk)
        .join(av, av.c.pk == v.c.agreement_version_pk)
        .order_by(v.c.observed_at, v.c.pk)
    )
    if not query.include_inactive:
        stmt = stmt.where(v.c.active.is_(True))
    if query.since is not None:
        stmt = stmt.where(v.c.observed_at >= epoch(query.since))
    if query.until is not None:
        stmt = stmt.where(v.c.observed_at <= epoch(query.until))
    if query.zone is not None:
        stmt = stmt.where(v.c.zone_id == query.zone)
    if query.rule is not None:
        stmt = stmt.where(v.c.rule_id == query.rule)
    if query.limit is not None:
        stmt = stmt.limit(query.limit)
    rows = conn.execute(stmt).all()
    reports_of = _reports_of(conn, sorted({row.incident_pk for row in rows}))
    return [
        StoredViolation(
            pk=row.pk,
            incident_pk=row.incident_pk,
            rule_id=row.rule_id,
            article=row.article,
            severity=row.severity,
            certainty=row.certainty,
            zone_id=row.zone_id,
            observed_at=from_epoch(row.observed_at),
            active=bool(row.active),
            agreement_id=row.agreement_id,
            agreement_version=row.version,
            lon=row.lon,
            lat=row.lat,
            reports=tuple(reports_of.get(row.incident_pk, ())),
        )
        for row in rows
    ]


def _reports_of(conn: Connection, incident_pks: list[int]) -> dict[int, list[tuple[str, str]]]:
    ir, r = schema.incident_reports, schema.reports
    out: dict[int, list[tuple[str, str]]] = {}
    step = 900  # stay under SQLite's bound-parameter limit on old builds
    for start in range(0, len(incident_pks), step):
        batch = incident_pks[start : start + step]
        rows = conn.execute(
            select(ir.c.incident_pk, r.c.source, r.c.id)
            .join(r, r.c.pk == ir.c.report_pk)
            .where(ir.c.incident_pk.in_(batch))
            .order_by(ir.c.incident_pk, r.c.pk)
        ).all()
        for incident_pk, source, id_ in rows:
            out.setdefault(incident_pk, []).append((source, id_))
    return out
