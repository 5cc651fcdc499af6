"""Builders for store tests: agreement versions, report rows and chunks in the store's order."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from ceasefire.store.base import REPORT_ROW_FIELDS, AgreementVersionRecord, ChunkWrite

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


def make_chunk(
    run_pk: int,
    rows: list[tuple[object, ...]],
    *,
    violations: list[tuple[int, str, str | None, str]] = (),  # type: ignore[assignment]
    version_pk: int = 1,
    **extra: object,
) -> ChunkWrite:
    """A chunk where every row gets an incident; violations as (row, rule, zone, certainty)."""
    at = [float(rows[i][REPORT_ROW_FIELDS.index("observed_at")]) for i, *_ in violations]  # type: ignore[arg-type]
    values: dict[str, object] = {
        "run_pk": run_pk,
        "received_at": T0,
        "report_rows": rows,
        "incident_report_local": np.arange(len(rows), dtype=np.int64),
        "violation_incident_local": np.array([v[0] for v in violations], dtype=np.int64),
        "violation_rule_id": [v[1] for v in violations],
        "violation_article": ["Art. 1" for _ in violations],
        "violation_severity": [2 for _ in violations],
        "violation_certainty": [v[3] for v in violations],
        "violation_zone_id": [v[2] for v in violations],
        "violation_agreement_version_pk": [version_pk for _ in violations],
        "violation_observed_at": at,
    }
    values.update(extra)
    return ChunkWrite(**values)  # type: ignore[arg-type]
