"""Incidents, violations and coverage per oblast, and a reader who may see only some reports.

The report's incidents-and-coverage table against plain SQL counts over the stored rows
(``incident_checks``), for the simulated paris-2026 day of the demo, with and without a
releasability filter; the filtered report must not name a hidden report's source or id.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from incident_checks import (
    IMPEDIMENTS,
    OblastCounts,
    as_int,
    independent_sector_counts,
    shown_sector_table,
)
from report_checks import (
    Demo,
    IndependentOblasts,
    day_of_report,
    independent_rule_counts,
    read_report,
    rows,
    shown_rule_counts,
    table_as_counts,
)
from sqlalchemy import ColumnElement, or_

from ceasefire.monitoring.sectors import FEW_INCIDENTS, QUIET_BUT_DEGRADED
from ceasefire.monitoring.tables import UNLOCATED
from ceasefire.reporting.daily import agreement_book, build_daily_report
from ceasefire.settings import Settings
from ceasefire.store import schema
from ceasefire.store.base import open_store
from ceasefire.store.queries import engine_of
from ceasefire.store.report_reads import SqlReportReads

pytestmark = pytest.mark.slow

COLUMNS = {
    "Reports": "reports",
    "Fire observed": "fire_observed",
    "Incidents": "incidents",
    "Fire incidents": "fire_incidents",
    "Incidents in violation": "incidents_in_violation",
    "Violations": "violations",
    "Impediments": "impediments",
}


def _write(demo: Demo, out: Path, visible: ColumnElement[bool] | None) -> Path:
    store = open_store(Settings.from_cli(demo.db))
    try:
        reads = SqlReportReads(engine_of(store), visible)
        day = day_of_report(demo.reports[-1])
        return build_daily_report(reads, day, out, book=agreement_book(store)).html
    finally:
        store.close()


def _check_table(html: Path, expected: dict[str, OblastCounts]) -> dict[str, dict[str, str]]:
    report = read_report(html)
    shown = shown_sector_table(report.sections["incidents-and-coverage"][-1])
    total = shown.pop("Total")
    counted = {k for k, v in expected.items() if v.reports or v.incidents}
    assert counted <= set(shown)
    for oblast, cells in shown.items():
        want = expected.get(oblast, OblastCounts())
        for heading, attr in COLUMNS.items():
            assert as_int(cells[heading]) == getattr(want, attr), (oblast, heading)
        if cells["Observer-hours"] != "—":
            assert float(cells["Observer-hours"].replace(",", "")) == pytest.approx(
                want.observer_hours, abs=0.06
            ), oblast
        quiet = cells["Note"] == QUIET_BUT_DEGRADED
        assert quiet == (cells["Coverage"] == "degraded" and want.fire_incidents <= FEW_INCIDENTS)
        if oblast == UNLOCATED:
            assert cells["Coverage"] == "—"  # no sector, no coverage
        elif want.impediments:
            assert cells["Coverage"] == "degraded", oblast
    for heading, attr in COLUMNS.items():
        assert as_int(total[heading]) == sum(getattr(v, attr) for v in expected.values())
    return shown


def test_incident_counts_equal_independent_counts(paris_demo: Demo) -> None:
    day = day_of_report(paris_demo.reports[-1])
    expected = independent_sector_counts(paris_demo.db, day)
    assert sum(v.incidents for v in expected.values()) > 0, "no incidents on the simulated day"
    assert sum(v.observer_hours for v in expected.values()) > 0, "the demo declared no coverage"
    shown = _check_table(paris_demo.reports[-1], expected)
    # fusion merges reports: fewer incidents than reports, and the raw counts are still shown
    total_reports = sum(v.reports for v in expected.values())
    assert sum(v.incidents for v in expected.values()) < total_reports
    assert sum(as_int(c["Reports"]) for c in shown.values()) == total_reports


def _hidden_sources(db: str) -> set[str]:
    found = rows(
        db, "SELECT DISTINCT source FROM reports WHERE source_type IN ('observation_post', 'uav')"
    )
    return {str(s) for (s,) in found}


def _names(text: str, names: set[str]) -> set[str]:
    """Which of ``names`` occur in ``text`` as whole tokens (``op-1`` is not in ``op-12``)."""
    tokens = set(re.findall(r"[\w./:-]+", text))
    return names & tokens


def test_a_reader_filter_changes_counts_as_computed_independently(
    paris_demo: Demo, tmp_path: Path
) -> None:
    r = schema.reports
    visible = r.c.source_type.notin_(["observation_post", "uav"])
    sql = "r.source_type NOT IN ('observation_post', 'uav')"
    day = day_of_report(paris_demo.reports[-1])
    html = _write(paris_demo, tmp_path, visible)
    expected = independent_sector_counts(paris_demo.db, day, sql)
    everything = independent_sector_counts(paris_demo.db, day)
    assert sum(v.reports for v in expected.values()) < sum(v.reports for v in everything.values())
    assert sum(v.incidents for v in expected.values()) < sum(
        v.incidents for v in everything.values()
    )
    assert sum(v.incidents for v in expected.values()) > 0
    _check_table(html, expected)

    # the raw SMM-style tables follow the same filter
    report = read_report(html)
    fire = table_as_counts(report.sections["violations-by-oblast"][0])
    for oblast, cells in fire.items():
        assert cells["Total"] == expected[oblast].fire_observed, oblast
    rules = independent_rule_counts(paris_demo.db, day, sql)
    assert rules != independent_rule_counts(paris_demo.db, day)
    assert shown_rule_counts(report) == rules

    hidden = _hidden_sources(paris_demo.db)
    unfiltered = paris_demo.reports[-1].read_text(encoding="utf-8")
    assert _names(unfiltered, hidden), "the unfiltered report names no hidden source: no test"
    for written in (html, html.parent / "report.md"):
        text = written.read_text(encoding="utf-8")
        assert not _names(text, hidden), written.name
    hidden_ids = {
        str(i)
        for (i,) in rows(
            paris_demo.db,
            "SELECT id FROM reports WHERE source_type IN ('observation_post', 'uav')",
        )
    }
    assert not _names(html.read_text(encoding="utf-8"), hidden_ids)


def test_a_sector_silenced_for_the_reader_is_flagged_quiet_but_degraded(
    paris_demo: Demo, tmp_path: Path
) -> None:
    """Hide every report located in an oblast with impediments, or fused into an incident
    there, except the impediments themselves: its fire incidents vanish, its coverage stays
    degraded, and the report must say that silence there is not calm."""
    day = day_of_report(paris_demo.reports[-1])
    everything = independent_sector_counts(paris_demo.db, day)
    target = max(
        (k for k, v in everything.items() if v.impediments and k != UNLOCATED),
        key=lambda k: everything[k].impediments,
    )
    oblasts = IndependentOblasts()
    located = [
        int(str(pk))
        for pk, lon, lat in rows(
            paris_demo.db,
            "SELECT pk, located_lon, located_lat FROM reports WHERE located_lon IS NOT NULL",
        )
        if oblasts.name_of(float(str(lon)), float(str(lat))) == target
    ]
    in_incidents = [
        int(str(pk))
        for pk, lon, lat in rows(
            paris_demo.db,
            "SELECT ir.report_pk, i.lon, i.lat FROM incident_reports ir "
            "JOIN incidents i ON i.pk = ir.incident_pk WHERE i.lon IS NOT NULL",
        )
        if oblasts.name_of(float(str(lon)), float(str(lat))) == target
    ]
    hidden = sorted(set(located) | set(in_incidents))
    r = schema.reports
    visible = or_(r.c.pk.notin_(hidden), r.c.category.in_(IMPEDIMENTS))
    marks = ",".join("?" * len(hidden))
    sql = f"(r.pk NOT IN ({marks}) OR r.category IN ('sensor_impeded', 'movement_restriction'))"
    expected = independent_sector_counts(paris_demo.db, day, sql, tuple(hidden))
    assert expected[target].impediments == everything[target].impediments
    assert expected[target].fire_incidents < everything[target].fire_incidents
    assert expected[target].fire_incidents <= FEW_INCIDENTS

    html = _write(paris_demo, tmp_path, visible)
    shown = _check_table(html, expected)
    assert shown[target]["Note"] == QUIET_BUT_DEGRADED
    report = read_report(html)
    assert f"{target}: {QUIET_BUT_DEGRADED}" in report.text["summary"]
    markdown = (html.parent / "report.md").read_text(encoding="utf-8")
    assert f"{target}: {QUIET_BUT_DEGRADED}" in markdown
    unfiltered = shown_sector_table(
        read_report(paris_demo.reports[-1]).sections["incidents-and-coverage"][-1]
    )
    assert unfiltered[target]["Note"] == ""
