"""Reports → :class:`FusionBatch`: the columns fusion reads, built once per chunk.

The resolved location comes from ``ReportColumns`` (the same one the rules used), so fusion
and placement never disagree about where a single report is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

from ceasefire.fusion.model import SOURCE_TYPES, FloatArray, FusionBatch
from ceasefire.reports.columns import ReportColumns
from ceasefire.reports.model import ObservationReport, Reliability

_SOURCE_CODE: Final = {s: i for i, s in enumerate(SOURCE_TYPES)}
_RELIABILITY_CODE: Final = {r: i for i, r in enumerate(Reliability)}


def _floats(reports: Sequence[ObservationReport], name: str) -> FloatArray:
    return np.array([getattr(r, name) for r in reports], dtype=np.float64)


def fusion_batch(reports: Sequence[ObservationReport], columns: ReportColumns) -> FusionBatch:
    """Columns of ``reports`` for fusion; ``columns`` must be ``to_columns(reports, ...)``."""
    n = len(reports)
    until = np.array(
        [r.observed_until.timestamp() if r.observed_until else np.nan for r in reports],
        dtype=np.float64,
    ).reshape(n)
    observed = columns.observed_at_s
    return FusionBatch(
        keys=[(r.source, r.id) for r in reports],
        amends=[r.amends for r in reports],
        withdrawn=np.array([r.withdrawn for r in reports], dtype=bool).reshape(n),
        source_type=np.array([_SOURCE_CODE[r.source_type] for r in reports], np.int8).reshape(n),
        observed_at_s=observed,
        until_s=np.where(np.isnan(until), observed, np.maximum(until, observed)),
        category=columns.category,
        weapon_class=columns.weapon_class,
        count=columns.count,
        reliability=np.array([_RELIABILITY_CODE[r.reliability] for r in reports], np.int8).reshape(
            n
        ),
        credibility=np.array([r.credibility for r in reports], np.int8).reshape(n),
        lon=columns.lon,
        lat=columns.lat,
        uncertainty_m=columns.uncertainty_m,
        observer_lon=_floats(reports, "observer_lon").reshape(n),
        observer_lat=_floats(reports, "observer_lat").reshape(n),
        bearing_deg=_floats(reports, "bearing_deg").reshape(n),
        bearing_error_deg=_floats(reports, "bearing_error_deg").reshape(n),
        distance_min_m=_floats(reports, "distance_min_m").reshape(n),
        distance_max_m=_floats(reports, "distance_max_m").reshape(n),
        location_form=columns.location_form,
        heading_deg=_floats(reports, "heading_deg").reshape(n),
    )
