"""One set of totals on the daily report page, and the same as ``ceasefire violations``.

Issue 17 found three violation totals on one page (summary, incidents table, rules table).
Here the report of the demo's last day is written by ``ceasefire report daily`` and every
figure it states twice is read back from the HTML: the violations of the summary, of the
incidents-and-coverage table, of the rules-and-zones table, of the narrative per region and
of the trend's last day must be one number, equal to what ``ceasefire violations`` lists for
the day's window (00:00-24:00 Kyiv), rule by rule and certain by certain.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from report_checks import Demo, day_of_report, read_report
from typer.testing import CliRunner

from ceasefire.cli.main import app
from ceasefire.monitoring.daily import day_window
from ceasefire.reporting.daily import agreement_book, build_daily_report
from ceasefire.settings import Settings
from ceasefire.store.base import open_store
from ceasefire.store.report_reads import SqlReportReads

pytestmark = pytest.mark.slow


def _n(text: str) -> int:
    return int(text.replace(",", ""))


def _total_row(table: list[list[str]]) -> dict[str, str]:
    (total,) = [row for row in table[1:] if row[0] == "Total"]
    return dict(zip(table[0], total, strict=True))


def test_the_report_states_one_total_and_it_is_ceasefire_violations(
    paris_demo: Demo, tmp_path: Path
) -> None:
    day = day_of_report(paris_demo.reports[-1])
    runner = CliRunner()
    written = runner.invoke(
        app,
        [
            "--db",
            paris_demo.db,
            "report",
            "daily",
            "--date",
            day.isoformat(),
            "--out",
            str(tmp_path),
        ],
    )
    assert written.exit_code == 0, written.output
    report = read_report(tmp_path / "report.html")

    summary = unescape(report.text["summary"])
    found = re.search(
        r"([\d,]+) violations of the agreement's rules \(([\d,]+) certain, ([\d,]+) possible\) "
        r"by ([\d,]+) of the day's ([\d,]+) incidents; by severity 5 to 1: ([\d, ]+)\.",
        summary,
    )
    assert found is not None, summary
    violations, certain, possible = (_n(found.group(k)) for k in (1, 2, 3))
    by_severity = [_n(x) for x in found.group(6).split(", ")]
    assert violations > 0, "no violation on the demo day: nothing to compare"
    assert certain + possible == violations
    assert sum(by_severity) == violations

    sectors = report.sections["incidents-and-coverage"][-1]
    sector_total = _total_row(sectors)
    assert _n(sector_total["Violations"]) == violations
    assert _n(sector_total["Incidents in violation"]) == _n(found.group(4))
    assert _n(sector_total["Incidents"]) == _n(found.group(5))
    col = {h: k for k, h in enumerate(sectors[0])}
    per_oblast = {
        row[0]: (_n(row[col["Incidents"]]), _n(row[col["Violations"]]))
        for row in sectors[1:]
        if row[0] != "Total"
    }

    rules = report.sections["rules-and-zones"][0]
    rules_total = _total_row(rules)
    assert _n(rules_total["Violations"]) == violations
    assert _n(rules_total["Certain"]) == certain
    assert _n(rules_total["Possible"]) == possible
    by_rule = Counter[str]()
    for row in rules[1:]:
        if row[0] != "Total":
            by_rule[row[0]] += _n(row[6])

    # the narrative quotes each region's figures from the same counts
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    section = re.search(r'<section id="notable-by-region">(.*?)</section>', html, re.S)
    assert section is not None
    told = 0
    for paragraph in re.findall(r"<p>(.*?)</p>", section.group(1), re.S):
        text = unescape(re.sub(r"<[^>]+>", "", paragraph))
        figures = re.search(r"([\d,]+) incidents?, ([\d,]+) violations?\.", text)
        if figures is None:
            continue
        oblast = text.split(". ", 1)[0]
        assert (_n(figures.group(1)), _n(figures.group(2))) == per_oblast[oblast], oblast
        told += 1
    assert told > 0, "the narrative told no region"

    # the trend's last day: the same judgments
    store = open_store(Settings.from_cli(paris_demo.db))
    try:
        reads = SqlReportReads.of(store)
        summary_cols = build_daily_report(
            reads, day, tmp_path / "again", book=agreement_book(store)
        ).summary
    finally:
        store.close()
    assert int(summary_cols.trend.violations_by_severity[-1].sum()) == violations
    assert summary_cols.totals.violations == violations

    # and `ceasefire violations` for the day's window lists exactly these
    start, end = day_window(day)
    until = end - timedelta(microseconds=1)
    listed = runner.invoke(
        app,
        [
            "--db",
            paris_demo.db,
            "violations",
            "--since",
            start.isoformat(),
            "--until",
            until.isoformat(),
            "--json",
        ],
    )
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert len(rows) == violations
    assert sum(1 for v in rows if v["certainty"] == "certain") == certain
    assert Counter(v["rule_id"] for v in rows) == by_rule
    assert Counter(v["severity"] for v in rows) == {
        5 - k: n for k, n in enumerate(by_severity) if n
    }
