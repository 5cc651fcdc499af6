"""A reader's shown incidents as columns: slicing, tying to a report window, binning by day."""

from __future__ import annotations

import doctest
from datetime import UTC, date, timedelta

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from ceasefire.monitoring import shown as shown_module
from ceasefire.monitoring.columns import WindowReports
from ceasefire.monitoring.daily import series_from_window
from ceasefire.monitoring.shown import shown_incidents

DAY_S = 86_400.0
DAYS = tuple(date(1970, 1, 1) + timedelta(days=k) for k in range(3))


def test_the_module_examples_hold() -> None:
    result = doctest.testmod(shown_module)
    assert result.attempted > 0
    assert result.failed == 0


def window(pks: NDArray[np.int64], times: NDArray[np.float64]) -> WindowReports:
    n = len(pks)
    return WindowReports(
        row_id=pks,
        observed_at_s=times,
        category=np.zeros(n, np.int16),
        weapon_class=np.full(n, -1, np.int16),
        count=np.ones(n, np.int64),
        lon=np.full(n, 37.0),
        lat=np.full(n, 48.0),
        at_storage_site=np.zeros(n, np.bool_),
        oblast=np.zeros(n, np.int16),
    )


incidents_strategy = st.lists(
    st.tuples(
        st.floats(0.0, 3 * DAY_S - 1),  # shown time, s
        st.lists(st.sampled_from(("R1", "R3", "R5")), unique=True, max_size=3),
        st.booleans(),  # seen through a tearline
    ),
    max_size=12,
)


@given(incidents=incidents_strategy)
def test_tied_judgments_fall_on_the_day_of_their_incident(
    incidents: list[tuple[float, list[str], bool]],
) -> None:
    """Each incident's earliest visible report is report ``1000 + pk``, at its shown time.
    A day's judgments tied to that day's reports are the judgments of the incidents shown
    that day, on those reports, and bin by day and severity as the trend bins them."""
    rows = [(pk, t, 37.0, 48.0, 0, 1000 + pk, p) for pk, (t, _, p) in enumerate(incidents)]
    judged = [
        (pk, rule, "Art.", 1 + k, k % 2 == 0, None)
        for pk, (_, rules, _) in enumerate(incidents)
        for k, rule in enumerate(rules)
    ]
    shown = shown_incidents(rows, list(reversed(judged)))
    assert len(shown) == len(incidents)
    assert shown.incidents.violations.tolist() == [len(r) for _, r, _ in incidents]
    assert shown.partial.tolist() == [p for _, _, p in incidents]
    edges = np.array([0.0, DAY_S, 2 * DAY_S, 3 * DAY_S])
    by_day = shown.violations_by_severity(edges)
    assert int(by_day.sum()) == len(judged)
    for k in range(3):
        on_day = shown.shown_in(edges[k], edges[k + 1])
        assert int(on_day.incidents.violations.sum()) == int(by_day[k].sum())
        # the day's report window: the incidents' first reports and one of no incident
        pks = np.append(on_day.first_report, 5)
        times = np.append(on_day.incidents.observed_at_s, edges[k])
        order = np.argsort(pks)
        reports = window(pks[order], times[order])
        tied = on_day.for_window_reports(reports.row_id)
        assert len(tied) == len(on_day.judged)
        incident_of = {
            int(f): int(i)
            for f, i in zip(pks, np.append(on_day.incidents.incident_id, -1), strict=True)
        }
        assert sorted(
            (incident_of[int(reports.row_id[r])], tied.rule_ids[int(rule)])
            for r, rule in zip(tied.report_row, tied.rule, strict=True)
        ) == sorted((pk, r) for pk, r, *_ in judged if edges[k] <= incidents[pk][0] < edges[k + 1])
        series = series_from_window((DAYS[k],), reports, tied, tz=UTC)
        assert series.violations_by_severity[0].tolist() == by_day[k].tolist()
        # another day's window ties none of them
        other = window(np.array([1000 + len(incidents)]), np.array([edges[k]]))
        assert len(on_day.for_window_reports(other.row_id)) == 0
