"""The daily report's numbers equal those computed independently from the stored reports.

For a simulated paris-2026 day and for real UCDP days of the Minsk regime: the HTML's tables
(violations per oblast and category, change against the previous day, violations by rule and
zone) against plain SQL over the rows and a point-in-polygon per report.
"""

from __future__ import annotations

from datetime import date

import pytest
from report_checks import (
    FIRE_HEADERS,
    Demo,
    day_of_report,
    independent_category_totals,
    independent_fire_counts,
    independent_rule_counts,
    previous,
    read_report,
    shown_rule_counts,
    table_as_counts,
)

from ceasefire.monitoring.daily import day_window, series_from_window
from ceasefire.settings import Settings
from ceasefire.store.base import open_store
from ceasefire.store.queries import engine_of, fetch_window
from ceasefire.store.report_days import fetch_daily_series

pytestmark = pytest.mark.slow


def _check_day(demo: Demo, html_day: date) -> None:
    path = next(p for p in demo.reports if day_of_report(p) == html_day)
    report = read_report(path)
    expected = independent_fire_counts(demo.db, html_day)
    shown = table_as_counts(report.sections["violations-by-oblast"][0])
    for oblast, cells in shown.items():
        cells.pop("Total")
        assert cells == expected.get(oblast, dict.fromkeys(FIRE_HEADERS.values(), 0)), oblast
    assert {k for k, v in expected.items() if any(v.values())} == set(shown)

    totals = independent_category_totals(demo.db, html_day)
    before = independent_category_totals(demo.db, previous(html_day))
    change = report.sections["change"][1]  # per category
    by_category = {row[0]: row[1:] for row in change[1:]}
    for category, header in FIRE_HEADERS.items():
        today_s, before_s, _delta = by_category[header]
        assert int(today_s.replace(",", "")) == totals.get(category, 0)
        assert int(before_s.replace(",", "")) == before.get(category, 0)

    assert shown_rule_counts(report) == independent_rule_counts(demo.db, html_day)

    civilian = totals.get("civilian_casualty", 0) + totals.get("infrastructure_damage", 0)
    if civilian:
        civ_table = table_as_counts(report.sections["civilians"][0])
        assert sum(r["Total"] for r in civ_table.values()) == civilian


def test_simulated_day_counts_equal_independent_counts(paris_demo: Demo) -> None:
    assert paris_demo.reports, paris_demo.stdout
    day = day_of_report(paris_demo.reports[-1])
    assert independent_category_totals(paris_demo.db, day), "the simulated day is empty"
    _check_day(paris_demo, day)


def test_real_ucdp_days_counts_equal_independent_counts(minsk_demo: Demo) -> None:
    assert len(minsk_demo.reports) == 2  # latest day and busiest day
    latest = day_of_report(minsk_demo.reports[0])
    assert latest.isoformat() == "2018-12-15"  # the last event of the bundled file
    for path in minsk_demo.reports:
        _check_day(minsk_demo, day_of_report(path))
    busiest = day_of_report(minsk_demo.reports[-1])
    assert sum(independent_category_totals(minsk_demo.db, busiest).values()) > 0


def test_trend_grouped_in_sql_equals_binning_the_rows(paris_demo: Demo) -> None:
    """The 30-day trend (hour groups in SQL, folded into Kyiv days) against numpy binning."""
    day = day_of_report(paris_demo.reports[-1])
    settings = Settings.from_cli(paris_demo.db)
    store = open_store(settings)
    try:
        with engine_of(store).connect() as conn:
            sql = fetch_daily_series(conn, day, 30)
            raw = fetch_window(conn, day_window(sql.days[0])[0], day_window(day)[1])
    finally:
        store.close()
    binned = series_from_window(sql.days, raw.reports, raw.violations)
    assert sql.days[-1] == day
    assert sql.fire.tolist() == binned.fire.tolist()
    assert sql.reports.tolist() == binned.reports.tolist()
    assert sql.violations_by_severity.tolist() == binned.violations_by_severity.tolist()
    totals = independent_category_totals(paris_demo.db, day)
    assert int(sql.fire[-1]) == sum(totals.get(c, 0) for c in FIRE_HEADERS)
