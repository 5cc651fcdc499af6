"""The written report: every section present, the map and the trend embedded as real pictures,
the Markdown beside it, ``--region`` and the flash report, as a reader would find them.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread
from report_checks import Demo, day_of_report, read_report, rows, table_as_counts
from typer.testing import CliRunner

from ceasefire.cli.main import app
from ceasefire.reporting.daily_document import DAILY_SECTIONS
from ceasefire.reporting.flash import FLASH_SECTIONS

pytestmark = pytest.mark.slow


def _check_png(data: bytes, *, min_width: int) -> None:
    """A real, decodable PNG of a useful size with something drawn on it."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= min_width
    assert height >= 300
    assert len(data) > 20_000
    pixels = imread(io.BytesIO(data), format="png")
    assert pixels.shape[:2] == (height, width)
    assert float(np.std(pixels[..., :3])) > 0.05  # not a blank canvas


def test_daily_report_has_every_section_and_embedded_pictures(paris_demo: Demo) -> None:
    path = paris_demo.reports[-1]
    html = path.read_text(encoding="utf-8")
    assert "http://" not in html
    assert "https://" not in html  # works offline: nothing fetched
    report = read_report(path)
    assert list(report.sections) == list(DAILY_SECTIONS)
    assert len(report.images["map"]) == 1
    assert len(report.images["trend"]) == 1
    _check_png(report.images["map"][0], min_width=1000)
    _check_png(report.images["trend"][0], min_width=900)
    assert (
        day_of_report(path).isoformat() in report.text["summary"]
        or day_of_report(path).isoformat() in html.split("<section")[0]
    )
    markdown = (path.parent / "report.md").read_text(encoding="utf-8")
    for anchor in DAILY_SECTIONS:
        assert f'<a id="{anchor}"></a>' in markdown
    assert (path.parent / "map.png").read_bytes() == report.images["map"][0]
    assert (path.parent / "trend.png").read_bytes() == report.images["trend"][0]


def test_region_option_limits_the_report_to_an_oblast(paris_demo: Demo, tmp_path: Path) -> None:
    day = day_of_report(paris_demo.reports[-1])
    result = CliRunner().invoke(
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
            "--region",
            "UA-14",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "report.html")
    report = read_report(tmp_path / "report.html")
    shown = table_as_counts(report.sections["violations-by-oblast"][0])
    assert set(shown) <= {"Donetsk"}
    sectors = report.sections["incidents-and-coverage"][-1]
    assert [row[0] for row in sectors[1:]] == ["Donetsk", "Total"]
    donetsk, total = (dict(zip(sectors[0], row, strict=True)) for row in sectors[1:])
    for heading in ("Reports", "Incidents", "Violations", "Observer-hours", "Impediments"):
        assert donetsk[heading] == total[heading], heading  # the one oblast is the total
    assert int(donetsk["Reports"].replace(",", "")) > 0

    bad = CliRunner().invoke(
        app,
        [
            "--db",
            paris_demo.db,
            "report",
            "daily",
            "--out",
            str(tmp_path),
            "--region",
            "Atlantis",
        ],
    )
    assert bad.exit_code == 2  # a usage error, as the README says
    assert "region" in bad.output


def test_flash_report_on_an_incident_with_a_violation(paris_demo: Demo, tmp_path: Path) -> None:
    ((incident, rule),) = rows(
        paris_demo.db,
        "SELECT v.incident_pk, v.rule_id FROM violations v WHERE v.active "
        "ORDER BY v.severity DESC, v.pk LIMIT 1",
    )
    result = CliRunner().invoke(
        app, ["--db", paris_demo.db, "report", "flash", str(incident), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    report = read_report(tmp_path / "report.html")
    assert list(report.sections) == list(FLASH_SECTIONS)
    assert str(rule) in report.text["rules"]
    _check_png(report.images["map"][0], min_width=1000)

    missing = CliRunner().invoke(
        app, ["--db", paris_demo.db, "report", "flash", "999999999", "--out", str(tmp_path)]
    )
    assert missing.exit_code == 2
    assert "does not exist" in missing.output


def test_report_on_an_empty_database_says_so(fresh_db: str, tmp_path: Path) -> None:
    assert CliRunner().invoke(app, ["--db", fresh_db, "init"]).exit_code == 0
    result = CliRunner().invoke(app, ["--db", fresh_db, "report", "daily", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "no reports" in result.output
