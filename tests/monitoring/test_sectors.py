"""Incidents and coverage per sector: the pure aggregation, against one-at-a-time sums."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_daily import Row, make_reports

from ceasefire.assessment.coverage import CoverageInput, SectorDay
from ceasefire.monitoring.columns import category_code
from ceasefire.monitoring.daily import MISSION_TZ
from ceasefire.monitoring.sectors import (
    FEW_INCIDENTS,
    IncidentColumns,
    local_day_coverage,
    summarise_sectors,
)
from ceasefire.monitoring.tables import FIRE_ORDER, UNLOCATED
from ceasefire.reports.model import Category

NAMES = ("Donetsk", "Luhansk", "Kharkiv")
ISO = ("UA-14", "UA-09", "UA-63")
DAY = date(2026, 12, 5)


def _incidents(rows: list[tuple[int, Category, int]]) -> IncidentColumns:
    n = len(rows)
    return IncidentColumns(
        incident_id=np.arange(n, dtype=np.int64),
        observed_at_s=np.zeros(n),
        category=np.asarray([category_code(c) for _, c, _ in rows], dtype=np.int16),
        lon=np.zeros(n),
        lat=np.zeros(n),
        oblast=np.asarray([o for o, _, _ in rows], dtype=np.int16),
        violations=np.asarray([v for _, _, v in rows], dtype=np.int64),
        certain=np.zeros(n, dtype=np.int64),
    )


def _sector_day(iso: str, *, degraded: bool, hours: float = 10.0) -> SectorDay:
    return SectorDay(iso, DAY, hours, 2, 0, 0, 12.0, degraded, False)


incident_rows = st.lists(
    st.tuples(st.integers(-1, len(NAMES) - 1), st.sampled_from(list(Category)), st.integers(0, 3)),
    max_size=40,
)
report_rows = st.lists(
    st.builds(Row, cat=st.sampled_from(list(Category)), oblast=st.integers(-1, len(NAMES) - 1)),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(
    reports=report_rows,
    incidents=incident_rows,
    degraded=st.lists(st.booleans(), min_size=3, max_size=3),
)
def test_sector_rows_equal_one_at_a_time_counts(
    reports: list[Row], incidents: list[tuple[int, Category, int]], degraded: list[bool]
) -> None:
    coverage = [_sector_day(ISO[k], degraded=d) for k, d in enumerate(degraded)]
    table = summarise_sectors(
        make_reports(reports),
        _incidents(incidents),
        coverage,
        oblast_names=NAMES,
        oblast_iso=ISO,
    )
    label = [*NAMES, UNLOCATED]
    n_reports = Counter(label[r.oblast] for r in reports)
    n_incidents = Counter(label[o] for o, _, _ in incidents)
    fire = Counter(label[o] for o, c, _ in incidents if c in FIRE_ORDER)
    violations = Counter(dict.fromkeys(label, 0))
    for o, _, v in incidents:
        violations[label[o]] += v
    impeded = Counter(
        label[r.oblast]
        for r in reports
        if r.cat in (Category.SENSOR_IMPEDED, Category.MOVEMENT_RESTRICTION)
    )
    for row in table.rows:
        assert row.reports == n_reports[row.sector]
        assert row.incidents == n_incidents[row.sector]
        assert row.fire_incidents == fire[row.sector]
        assert row.violations == violations[row.sector]
        assert row.impediments == impeded[row.sector]
        if row.sector == UNLOCATED:
            assert not row.degraded
            assert row.observer_hours is None
        else:
            k = NAMES.index(row.sector)
            assert row.degraded == (degraded[k] or impeded[row.sector] > 0)
            assert row.observer_hours == 10.0
        assert row.quiet_but_degraded == (row.degraded and fire[row.sector] <= FEW_INCIDENTS)
    assert {r.sector for r in table.rows} >= set(NAMES)  # every sector with coverage is shown
    assert table.total.reports == len(reports)
    assert table.total.incidents == len(incidents)
    assert table.total.violations == sum(v for _, _, v in incidents)
    assert table.quiet_but_degraded == tuple(r.sector for r in table.rows if r.quiet_but_degraded)


def test_busy_degraded_sector_is_not_quiet_and_silent_one_is() -> None:
    busy = [(0, Category.EXPLOSION, 1)] * (FEW_INCIDENTS + 1)
    table = summarise_sectors(
        make_reports([]),
        _incidents([*busy, (1, Category.SENSOR_IMPEDED, 0)] * 1),
        [_sector_day(ISO[0], degraded=True), _sector_day(ISO[1], degraded=True)],
        oblast_names=NAMES,
        oblast_iso=ISO,
    )
    assert table.quiet_but_degraded == ("Luhansk",)  # an impeded sensor is no fire


def _window_input(start: datetime, end: datetime) -> CoverageInput:
    e, t = np.empty(0, dtype=np.int64), np.empty(0)
    return CoverageInput(
        sectors=("UA-14",),
        window_sector=np.array([0]),
        window_source=np.array([0]),
        window_start_s=np.array([start.timestamp()]),
        window_end_s=np.array([end.timestamp()]),
        impediment_sector=e,
        impediment_s=t,
        incident_sector=e,
        incident_s=t,
    )


def test_coverage_is_counted_over_the_kyiv_day() -> None:
    """A window from 23:00 UTC on 4 December (01:00 Kyiv on the 5th) to 04:00 UTC: 5 hours
    of the Kyiv day 5 December, 4 of the UTC day."""
    data = _window_input(
        datetime(2026, 12, 4, 23, tzinfo=UTC), datetime(2026, 12, 5, 4, tzinfo=UTC)
    )
    kyiv = local_day_coverage(data, DAY, MISSION_TZ)
    assert kyiv[0].observer_hours == 5.0
    summer = _window_input(
        datetime(2026, 7, 4, 21, tzinfo=UTC), datetime(2026, 7, 4, 22, tzinfo=UTC)
    )
    assert local_day_coverage(summer, date(2026, 7, 5), MISSION_TZ)[0].observer_hours == 1.0
    assert local_day_coverage(summer, date(2026, 7, 4), MISSION_TZ) == ()  # never watched
