"""CLI habits (issue 17): tables that fit the terminal or pipe as tab-separated lines, JSON
with ISO times, rounded figures and the API's field names, usage errors exiting 2."""

from __future__ import annotations

import io
import json
from pathlib import Path

import orjson
import pytest
from cli_helpers import Invoke
from rich.console import Console
from rich.table import Table

from ceasefire.cli.output import json_ready, print_table
from ceasefire.scenarios import scenario_dir

MINI = Path(__file__).resolve().parents[1] / "data" / "mini-agreement" / "agreement.yaml"
#: A row wider than 80 columns: Rich wrapped such rows into several lines when piped.
WIDE = ("PLEDGE-FRA-001", "FRA", "armoured infantry battalion", "caveat: " + "x" * 60)


def _wide_table(rows: int) -> Table:
    table = Table(title=f"Pledges ({rows})")
    for name in ("id", "nation", "capability", "caveats"):
        table.add_column(name, overflow="fold")
    for k in range(rows):
        table.add_row(*WIDE[:-1], f"[red]{WIDE[-1]}[/red] {k}")
    return table


def test_a_table_on_a_terminal_takes_its_width() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=220, color_system=None)
    print_table(_wide_table(5), console=console)
    lines = out.getvalue().splitlines()
    body = [line for line in lines if "PLEDGE-FRA-001" in line]
    assert len(body) == 5  # one line per row: nothing folded at 80 columns
    assert max(len(line) for line in lines) > 80


def test_a_piped_table_is_tab_separated_lines(capsys: pytest.CaptureFixture[str]) -> None:
    narrow = Console(file=io.StringIO(), force_terminal=False, width=80)
    print_table(_wide_table(31), console=narrow)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "# Pledges (31)"
    assert lines[1].split("\t") == ["id", "nation", "capability", "caveats"]
    assert len(lines) == 2 + 31
    assert lines[2].split("\t") == [*WIDE[:-1], f"{WIDE[-1]} 0"]  # markup stripped


def test_pledges_list_piped_is_one_line_per_pledge(cli: Invoke) -> None:
    assert cli("init").exit_code == 0
    loaded = cli("coalition", "load", str(scenario_dir("paris-2026")))
    assert loaded.exit_code == 0, loaded.output
    pledges = orjson.loads(cli("pledges", "list", "--json").stdout)
    listed = cli("pledges", "list").stdout.splitlines()
    assert listed[0].startswith("# Pledges")
    assert len(listed) == 2 + len(pledges)
    width = len(listed[1].split("\t"))
    assert all(len(line.split("\t")) == width for line in listed[2:])


def test_json_times_are_iso_and_figures_rounded() -> None:
    shaped = json_ready(
        {"observed_at": 1_796_083_260.0, "confidence": 0.6400000000000001, "n": 3, "ok": True}
    )
    assert shaped == {
        "observed_at": "2026-12-01T00:01:00Z",
        "confidence": 0.64,
        "n": 3,
        "ok": True,
    }
    assert json_ready([{"decided_until": float("nan"), "x": float("inf")}]) == [
        {"decided_until": None, "x": None}
    ]


def test_incident_json_uses_the_api_names_and_iso_times(cli: Invoke, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    assert cli("agreement", "load", str(MINI)).exit_code == 0
    report = {
        "id": "g1",
        "source": "op-7",
        "source_type": "observation_post",
        "observed_at": "2026-03-10T10:00:00+02:00",
        "lat": 48.0,
        "lon": 37.4,
        "uncertainty_m": 100,
        "category": "explosion",
        "count": 3,
    }
    path = tmp_path / "a.ndjson"
    path.write_bytes(orjson.dumps(report) + b"\n")
    assert cli("ingest", str(path)).exit_code == 0
    (listed,) = json.loads(cli("incidents", "--json").stdout)
    assert {"id", "count_low", "count_best", "count_high", "ellipse"} <= set(listed)
    assert listed["observed_at"] == "2026-03-10T08:00:00Z"
    shown = json.loads(cli("incident", "show", str(listed["id"]), "--json").stdout)
    assert shown["id"] == listed["id"]
    assert shown["observed_at"] == "2026-03-10T08:00:00Z"  # was epoch seconds
    assert [m["id"] for m in shown["members"]] == ["g1"]
    (violation,) = json.loads(cli("violations", "--json").stdout)
    assert (violation["incident_id"], violation["rule_id"]) == (listed["id"], "R1")
    assert {v["id"] for v in shown["violations"]} == {violation["id"]}
    assert all(v["observed_at"].endswith("Z") for v in shown["violations"])


def test_report_daily_with_an_unknown_region_is_a_usage_error(cli: Invoke, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    args = ("report", "daily", "--date", "2026-12-01", "--out", str(tmp_path), "--region")
    refused = cli(*args, "Narnia")
    assert refused.exit_code == 2
    assert "region" in refused.output
    assert "Narnia" in refused.output
    assert not (tmp_path / "report.html").exists()
