"""Monitoring rows as ingest writes them, for the guarantees' store tests (no ingest run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert

from ceasefire.store import schema

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "paris-2026" / "guarantees.yaml"
CEASEFIRE = datetime(2026, 12, 1, tzinfo=UTC)
H = timedelta(hours=1)


def seed_monitoring(engine: Engine) -> None:
    """Two incidents as ingest writes them: a severity-3 violation seen by two sources, and an
    attack on the force seen once (minimal rows; the geometry is not recomputed here)."""
    at = CEASEFIRE + 2 * H
    with engine.begin() as conn:
        conn.execute(
            insert(schema.agreement_versions).values(
                pk=1,
                agreement_id="paris",
                version=1,
                name="p",
                source_text="",
                geojson="{}",
                source_path="",
                loaded_at=at.isoformat(),
            )
        )
        conn.execute(
            insert(schema.ingest_runs).values(
                pk=1, started_at=at.isoformat(), files="[]", status="done"
            )
        )
        common = {
            "source_type": "observation_post",
            "reliability": "B",
            "credibility": 2,
            "withdrawn": False,
            "classification": "UNCLASSIFIED",
            "raw": "{}",
            "ingest_run_pk": 1,
            "zones_inside": 0,
            "zones_possibly_inside": 0,
            "agreement_version_pk": 1,
            "status": "active",
            "count": 4,
        }
        for pk, (source, category, minutes) in enumerate(
            [("op-1", "explosion", 5), ("uav-2", "explosion", 30), ("op-7", "attack_on_force", 9)],
            start=1,
        ):
            conn.execute(
                insert(schema.reports).values(
                    pk=pk,
                    id=f"r{pk}",
                    source=source,
                    category=category,
                    observed_at=at.timestamp(),
                    content_hash=bytes(16),
                    party="UKR",
                    received_at=(at + timedelta(minutes=minutes)).isoformat(),
                    **common,
                )
            )
        for pk, category in ((1, "explosion"), (2, "attack_on_force")):
            conn.execute(
                insert(schema.incidents).values(
                    pk=pk,
                    status="active",
                    observed_at=at.timestamp(),
                    lon=37.8,
                    lat=48.0,
                    category=category,
                    count=4,
                    agreement_version_pk=1,
                )
            )
        conn.execute(
            insert(schema.incident_reports),
            [
                {"incident_pk": 1, "report_pk": 1},
                {"incident_pk": 1, "report_pk": 2},
                {"incident_pk": 2, "report_pk": 3},
            ],
        )
        conn.execute(
            insert(schema.violations).values(
                pk=1,
                incident_pk=1,
                rule_id="R7",
                article="Art. 5",
                severity=3,
                certainty="certain",
                zone_id="disengagement-kupiansk",
                agreement_version_pk=1,
                observed_at=at.timestamp(),
                active=True,
            )
        )
