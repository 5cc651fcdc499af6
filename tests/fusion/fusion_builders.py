"""Builders for fusion tests: reports near a fixed point on the paris-2026 line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from ceasefire.fusion.batch import fusion_batch
from ceasefire.fusion.model import FusionBatch
from ceasefire.reports.columns import to_columns
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.model import Category, ObservationReport, Reliability, SourceType

T0 = datetime(2026, 9, 1, 22, 0, tzinfo=UTC)
LON, LAT = 37.8, 48.1


def make_report(**overrides: Any) -> ObservationReport:
    """A B2 observation-post report of 4 explosions at (LON, LAT), overridable field by field."""
    values: dict[str, Any] = {
        "id": "r1",
        "source": "post-1",
        "source_type": SourceType.OBSERVATION_POST,
        "observed_at": T0,
        "category": Category.EXPLOSION,
        "reliability": Reliability.B,
        "credibility": 2,
        "lat": LAT,
        "lon": LON,
        "uncertainty_m": 300.0,
        "count": 4,
    }
    values.update(overrides)
    return ObservationReport(**values)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def batch_of(reports: Sequence[ObservationReport]) -> FusionBatch:
    return fusion_batch(reports, to_columns(reports, Gazetteer.default()))
