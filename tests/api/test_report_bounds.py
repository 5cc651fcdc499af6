"""Every number a report carries has a bound (docs/spec/observation-report.md): each bound
and its neighbour just outside, sent through the API and through `ceasefire ingest`, is
accepted or quarantined whole with its field and rule; and sums of the largest counts stay
exact in the daily report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from api_helpers import HQ, report
from typer.testing import CliRunner

from ceasefire.access.model import Role
from ceasefire.cli.main import app
from ceasefire.reports.fastpath import fast_parse
from ceasefire.reports.validate import (
    MAX_BEARING_ERROR_DEG,
    MAX_COUNT,
    MAX_DISTANCE_M,
    MAX_LIST_ITEMS,
    validate_report,
)

MINI = Path(__file__).resolve().parents[1] / "data" / "mini-agreement" / "agreement.yaml"
OBSERVER = {"observer_lat": 48.0, "observer_lon": 37.3, "bearing_deg": 90.0}
ATTACHMENT = {"sha256": "0" * 64, "media_type": "image/jpeg", "name": "a.jpg"}

#: (what, fields changed, None if accepted else (field, rule))
CASES: list[tuple[str, dict[str, Any], tuple[str, str] | None]] = [
    ("count max", {"count": MAX_COUNT}, None),
    ("count max+1", {"count": MAX_COUNT + 1}, ("count", "range")),
    ("count 2^63-1", {"count": 2**63 - 1}, ("count", "range")),
    ("count 0", {"count": 0}, ("count", "range")),
    ("uncertainty max", {"uncertainty_m": MAX_DISTANCE_M}, None),
    ("uncertainty max+1", {"uncertainty_m": MAX_DISTANCE_M + 1}, ("uncertainty_m", "range")),
    ("uncertainty 1e308", {"uncertainty_m": 1e308}, ("uncertainty_m", "range")),
    ("range max", {**OBSERVER, "distance_min_m": 0, "distance_max_m": MAX_DISTANCE_M}, None),
    (
        "range max+1",
        {**OBSERVER, "distance_min_m": 0, "distance_max_m": MAX_DISTANCE_M + 1},
        ("distance_max_m", "range"),
    ),
    ("bearing error max", {**OBSERVER, "bearing_error_deg": MAX_BEARING_ERROR_DEG}, None),
    (
        "bearing error max+1",
        {**OBSERVER, "bearing_error_deg": MAX_BEARING_ERROR_DEG + 1},
        ("bearing_error_deg", "range"),
    ),
    ("bearing 360", {**OBSERVER, "bearing_deg": 360}, None),
    ("bearing 361", {**OBSERVER, "bearing_deg": 361}, ("bearing_deg", "range")),
    ("bearing -1", {**OBSERVER, "bearing_deg": -1}, ("bearing_deg", "range")),
    ("heading 361", {"heading_deg": 361}, ("heading_deg", "range")),
    ("lat 90.001", {"lat": 90.001}, ("lat", "range")),
    ("lon -180.001", {"lon": -180.001}, ("lon", "range")),
    ("time first", {"observed_at": "1900-01-01T00:00:00Z"}, None),
    ("time before", {"observed_at": "1899-12-31T23:59:59Z"}, ("observed_at", "range")),
    ("time last", {"observed_at": "2099-12-31T23:59:59Z"}, None),
    ("time after", {"observed_at": "2100-01-01T00:00:00Z"}, ("observed_at", "range")),
    ("time far", {"observed_at": "9999-12-31T23:59:59Z"}, ("observed_at", "range")),
    (
        "until after",
        {"observed_until": "2100-01-01T00:00:00+00:00"},
        ("observed_until", "range"),
    ),
    ("codes max", {"releasable_to": [f"C{k:02d}" for k in range(MAX_LIST_ITEMS)]}, None),
    (
        "codes max+1",
        {"releasable_to": [f"C{k:02d}" for k in range(MAX_LIST_ITEMS + 1)]},
        ("releasable_to", "length"),
    ),
    ("attachments max", {"attachments": [ATTACHMENT] * MAX_LIST_ITEMS}, None),
    (
        "attachments max+1",
        {"attachments": [ATTACHMENT] * (MAX_LIST_ITEMS + 1)},
        ("attachments", "length"),
    ),
    ("credibility 7", {"credibility": 7}, ("credibility", "range")),
]


def _objects() -> list[dict[str, Any]]:
    return [
        report(f"b{k}", source=f"OP-{k}", minute=k % 60, **fields)
        for k, (_, fields, _) in enumerate(CASES)
    ]


def _expected_rejections() -> dict[int, tuple[str, str]]:
    """Line number (1-based) -> (field, rule), for the cases outside a bound."""
    return {k + 1: outcome for k, (_, _, outcome) in enumerate(CASES) if outcome is not None}


@pytest.mark.parametrize(("what", "fields", "outcome"), CASES, ids=[c[0] for c in CASES])
def test_both_validators_agree_on_each_bound(
    what: str, fields: dict[str, Any], outcome: tuple[str, str] | None
) -> None:
    obj = report("r", **fields)
    if outcome is None:
        assert validate_report(obj) == fast_parse(obj)
        return
    assert fast_parse(obj) is None  # the fast path never accepts what the rules refuse
    with pytest.raises(Exception) as raised:  # noqa: PT011 - InputError, checked below
        validate_report(obj)
    assert (getattr(raised.value, "field", ""), getattr(raised.value, "rule", "")) == outcome


def test_the_api_quarantines_each_report_outside_a_bound_whole(hq: HQ) -> None:
    monitor = hq.user("mon", roles=[Role.MONITOR])
    body = b"".join(orjson.dumps(obj) + b"\n" for obj in _objects())
    answer = hq.client.post(
        "/api/reports", content=body, headers={**monitor, "Content-Type": "application/x-ndjson"}
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    expected = _expected_rejections()
    assert {r["line"]: (r["field"], r["rule"]) for r in result["rejected"]} == expected
    assert result["accepted"] == len(CASES) - len(expected)
    listed = hq.client.get("/api/reports", headers=monitor, params={"limit": 100}).json()
    assert max(r["count"] for r in listed["items"]) == MAX_COUNT


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_ceasefire_ingest_quarantines_the_same_reports(tmp_path: Path, fresh_db: str) -> None:
    db = fresh_db
    _cli("--db", db, "init")
    _cli("--db", db, "agreement", "load", str(MINI))
    path = tmp_path / "bounds.ndjson"
    path.write_bytes(b"".join(orjson.dumps(obj) + b"\n" for obj in _objects()))
    summary = orjson.loads(_cli("--db", db, "ingest", str(path), "--json"))
    expected = _expected_rejections()
    assert (summary["accepted"], summary["quarantined"]) == (
        len(CASES) - len(expected),
        len(expected),
    )
    quarantined = orjson.loads(_cli("--db", db, "quarantine", "--json"))
    assert {q["line"]: (q["field"], q["rule"]) for q in quarantined} == expected


def test_a_day_of_the_largest_counts_sums_exactly(tmp_path: Path, fresh_db: str) -> None:
    db = fresh_db
    _cli("--db", db, "init")
    _cli("--db", db, "agreement", "load", str(MINI))
    n = 60
    path = tmp_path / "max.ndjson"
    path.write_bytes(
        b"".join(
            orjson.dumps(
                report(f"m{k}", source=f"OP-{k}", minute=k, count=MAX_COUNT, lat=48.0 + k / 100)
            )
            + b"\n"
            for k in range(n)
        )
    )
    assert orjson.loads(_cli("--db", db, "ingest", str(path), "--json"))["accepted"] == n
    result = CliRunner().invoke(
        app, ["--db", db, "report", "daily", "--date", "2026-03-10", "--out", str(tmp_path / "d")]
    )
    assert result.exit_code == 0, result.output
    assert f"{n * MAX_COUNT:,} instances of fire observed" in result.output
