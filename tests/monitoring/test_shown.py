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
from ceasefire.monitoring.shown import shown_incidents, tie_to_reports

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


def test_judgments_tie_to_every_report_of_their_incident_in_the_window() -> None:
    shown = shown_incidents(
        [(7, 10.0, 37.4, 48.0, 0, -1, False), (9, 20.0, 37.5, 48.1, 0, -1, False)],
        [
            (7, "R5", "Art. 3", 3, True, "withdrawal-light"),
            (7, "R1", "Art. 1", 2, True, None),
            (9, "R1", "Art. 1", 2, False, None),
        ],
    )
    row_id = np.asarray([100, 101, 102, 103], dtype=np.int64)
    # incident 7 fused reports 100 and 102 (and 55, outside the window); 9 fused 103
    links = np.asarray([[7, 102], [9, 103], [7, 55], [7, 100], [8, 101]], dtype=np.int64)
    tied = tie_to_reports(shown, row_id, links)
    pairs = sorted(
        (int(r), tied.rule_ids[int(k)], bool(c))
        for r, k, c in zip(tied.report_row, tied.rule, tied.certain, strict=True)
    )
    assert pairs == [
        (0, "R1", True),
        (0, "R5", True),
        (2, "R1", True),
        (2, "R5", True),
        (3, "R1", False),
    ]
    assert len(tie_to_reports(shown, row_id, np.empty((0, 2), np.int64))) == 0


def test_two_tied_sets_concatenate_with_their_codes_merged() -> None:
    first = shown_incidents(
        [(7, 10.0, 37.4, 48.0, 0, -1, False)], [(7, "R5", "Art. 3", 3, True, "withdrawal-light")]
    )
    second = shown_incidents(
        [(9, 5.0, 37.4, 48.0, 0, -1, False)],
        [(9, "R1", "Art. 1", 2, True, None), (9, "R2", "Art. 2", 3, False, "withdrawal-art")],
    )
    rows = np.asarray([100, 101], dtype=np.int64)
    a = tie_to_reports(first, rows, np.asarray([[7, 100]], dtype=np.int64))
    b = tie_to_reports(second, rows, np.asarray([[9, 101]], dtype=np.int64))
    both = a.concatenate(b)
    named = sorted(
        (
            int(r),
            both.rule_ids[int(k)],
            both.rule_articles[int(k)],
            None if z < 0 else both.zone_ids[int(z)],
        )
        for r, k, z in zip(both.report_row, both.rule, both.zone, strict=True)
    )
    assert named == [
        (0, "R5", "Art. 3", "withdrawal-light"),
        (1, "R1", "Art. 1", None),
        (1, "R2", "Art. 2", "withdrawal-art"),
    ]
