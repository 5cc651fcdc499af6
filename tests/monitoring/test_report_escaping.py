"""A hostile report's text fields reach the daily and flash reports as text: never as HTML,
a Markdown link or a broken table, in the Markdown nor in the HTML."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
from report_checks import rows
from typer.testing import CliRunner

from ceasefire.cli.main import app
from ceasefire.reporting.document import Document, Paragraph, Section, Table
from ceasefire.reporting.render import render_html, render_markdown

MINI = Path(__file__).resolve().parents[1] / "data" / "mini-agreement" / "agreement.yaml"
HOSTILE = {
    "id": "x](javascript:alert(1))",
    "source": "<script>alert(1)</script>|op",
    "source_type": "observation_post",
    "observed_at": "2026-03-10T10:00:00Z",
    "lat": 48.0,
    "lon": 37.45,
    "uncertainty_m": 200,
    "category": "explosion",
    "count": 3,
    "description": "<img src=x onerror=alert(1)> | a | b |\n# heading [x](javascript:alert(2))",
}
#: what would be live markup in a browser (the reports' own figures are <img src="data:...">)
LIVE_HTML = [re.compile(r"<script", re.I), re.compile(r"<img src=x", re.I)]
#: ... and in a Markdown renderer (which passes HTML through)
LIVE_MD = [*LIVE_HTML, re.compile(r"(?<!\\)\]\(javascript:", re.I)]


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _live_markup(text: str, *, markdown: bool) -> list[str]:
    return [p.pattern for p in (LIVE_MD if markdown else LIVE_HTML) if p.search(text)]


def test_hostile_report_text_stays_text_in_the_daily_and_flash_reports(
    fresh_db: str, tmp_path: Path
) -> None:
    db = fresh_db
    _cli("--db", db, "init")
    _cli("--db", db, "agreement", "load", str(MINI))
    reports = tmp_path / "hostile.ndjson"
    reports.write_bytes(orjson.dumps(HOSTILE) + b"\n")
    assert orjson.loads(_cli("--db", db, "ingest", str(reports), "--json"))["accepted"] == 1
    ((incident,),) = rows(db, "SELECT pk FROM incidents WHERE status = 'active'")
    _cli("--db", db, "report", "flash", str(incident), "--out", str(tmp_path / "flash"))
    _cli("--db", db, "report", "daily", "--date", "2026-03-10", "--out", str(tmp_path / "daily"))
    flash_md = (tmp_path / "flash" / "report.md").read_text("utf-8")
    assert "alert(1)" in flash_md  # the fields are there, as text
    for folder in ("flash", "daily"):
        for name in ("report.md", "report.html"):
            text = (tmp_path / folder / name).read_text("utf-8")
            assert _live_markup(text, markdown=name.endswith(".md")) == [], f"{folder}/{name}"


def test_a_table_cell_cannot_break_out_of_its_table() -> None:
    doc = Document(
        title="t <b>",
        subtitle="s",
        sections=(
            Section(
                anchor="a",
                title="[x](javascript:y)",
                blocks=(
                    Paragraph("<script>alert(1)</script>\n# not a heading"),
                    Table(
                        headers=("source", "n"),
                        rows=(("a | b | c", "1"), ("<img src=x onerror=alert(1)>", "2")),
                        numeric=(False, True),
                    ),
                ),
            ),
        ),
    )
    markdown = render_markdown(doc)
    assert _live_markup(markdown, markdown=True) == []
    assert _live_markup(render_html(doc), markdown=False) == []
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    # every row has the header's two cells: an unescaped pipe would make more
    assert all(len(re.split(r"(?<!\\)\|", row)) == 4 for row in rows), rows
    assert "\n# not a heading" not in markdown
