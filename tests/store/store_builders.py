"""Builders for store tests: agreement versions, report rows and chunks in the store's order,
and one-report incidents written the way fusion writes them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from ceasefire.fusion.model import Ellipse, Incident
from ceasefire.reports.model import Category, WeaponClass
from ceasefire.store import schema
from ceasefire.store.base import REPORT_ROW_FIELDS, AgreementVersionRecord, ChunkWrite
from ceasefire.store.core_store import CoreStore
from ceasefire.store.fusion_sql import NewIncident, replace_incidents
from ceasefire.store.isotime import iso

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def make_version(**overrides: object) -> AgreementVersionRecord:
    values: dict[str, object] = {
        "agreement_id": "test-ceasefire",
        "version": 1,
        "name": "Test",
        "in_force_from": datetime(2026, 3, 1, tzinfo=UTC),
        "source_text": "id: test-ceasefire\nversion: 1\n",
        "geojson": {"geo/line.geojson": '{"type": "FeatureCollection", "features": []}'},
        "source_path": "/somewhere/agreement.yaml",
        "zone_ids": ("security-zone", "withdrawal-mlrs"),
    }
    values.update(overrides)
    return AgreementVersionRecord(**values)  # type: ignore[arg-type]


def make_row(version_pk: int, **overrides: object) -> tuple[object, ...]:
    """A report row with plausible values; ``overrides`` by column name."""
    values: dict[str, object] = dict.fromkeys(REPORT_ROW_FIELDS)
    values.update(
        id="r1",
        source="op-1",
        source_type="observation_post",
        reliability="B",
        credibility=2,
        lat=48.0,
        lon=37.8,
        uncertainty_m=100.0,
        category="explosion",
        count=1,
        withdrawn=False,
        classification="UNCLASSIFIED",
        observed_at=T0.timestamp(),
        raw='{"id": "r1"}',
        content_hash=b"0123456789abcdef",
        located_lon=37.8,
        located_lat=48.0,
        located_uncertainty_m=100.0,
        location_form="point",
        party="UKR",
        distance_to_line_km=3.5,
        zones_inside=0b01,
        zones_possibly_inside=0b10,
        agreement_version_pk=version_pk,
    )
    values.update(overrides)
    return tuple(values[name] for name in REPORT_ROW_FIELDS)


def make_chunk(run_pk: int, rows: list[tuple[object, ...]], **extra: object) -> ChunkWrite:
    """A chunk of ``rows`` (reports only: incidents are fusion's, ``fuse_one_each``)."""
    values: dict[str, object] = {"run_pk": run_pk, "received_at": T0, "report_rows": rows}
    values.update(extra)
    return ChunkWrite(**values)  # type: ignore[arg-type]


def fuse_one_each(
    store: CoreStore,
    *,
    violations: Sequence[tuple[int, str, str | None, str]] = (),
    at: datetime = T0,
) -> list[int]:
    """Give every active observation report without an incident one of its own, at its
    located point, through fusion's writer (``replace_incidents``): what fusion makes of
    reports that gate with no other. ``violations``: ``(k, rule, zone, certainty)`` for the
    ``k``-th of those reports in pk order. Returns the new incidents' pks in that order."""
    r, ir = schema.reports, schema.incident_reports
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(r)
            .where(
                r.c.status == "active",
                r.c.withdrawn.is_(False),
                r.c.pk.not_in(select(ir.c.report_pk)),
            )
            .order_by(r.c.pk)
        ).all()
    add = []
    for k, row in enumerate(rows):
        lon = float("nan") if row.located_lon is None else float(row.located_lon)
        lat = float("nan") if row.located_lat is None else float(row.located_lat)
        radius = row.located_uncertainty_m or 0.0
        count = int(row._mapping["count"])  # ``row.count`` is the tuple's method
        incident = Incident(
            id=f"{row.source}/{row.id}",
            report_keys=((row.source, row.id),),
            observed_at_s=float(row.observed_at),
            observed_until_s=float(row.observed_until or row.observed_at),
            category=Category(row.category),
            weapon_class=WeaponClass(row.weapon_class) if row.weapon_class else None,
            lon=lon,
            lat=lat,
            uncertainty_m=radius,
            ellipse=Ellipse(radius, radius, 0.0),
            count_low=count,
            count_best=count,
            count_high=count,
            sources=1,
            independent_sources=1,
            bearing_observers=0,
            confidence=0.5,
        )
        broken = [(rule, "Art. 1", 2, cert, zone) for j, rule, zone, cert in violations if j == k]
        add.append(
            NewIncident(incident, frozenset({int(row.pk)}), int(row.agreement_version_pk), broken)
        )
    replace_incidents(store.engine, keep=[], add=add, supersede=[], at=at, at_iso=iso(at))
    with store.engine.connect() as conn:
        linked = dict(
            conn.execute(
                select(ir.c.report_pk, ir.c.incident_pk).where(
                    ir.c.report_pk.in_([int(row.pk) for row in rows])
                )
            ).all()
        )
    return [int(linked[int(row.pk)]) for row in rows]
