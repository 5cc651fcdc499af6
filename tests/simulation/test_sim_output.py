"""What a user of ``ceasefire simulate`` gets: valid reports, complete truth, hard cases."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from ceasefire.reports.parse import read_reports
from ceasefire.simulation.run import Simulation
from ceasefire.simulation.truthfile import read_truth


def read_ndjson(path: Path) -> list[dict[str, Any]]:
    """Every line of an NDJSON file as a dict."""
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_every_report_parses_with_the_project_parser(paris_out: Path) -> None:
    lines = paris_out.joinpath("reports.ndjson").read_bytes().splitlines()
    parsed, rejected = 0, []
    for chunk in read_reports(paris_out / "reports.ndjson"):
        parsed += len(chunk.reports)
        rejected.extend(chunk.rejected)
    assert rejected == []
    assert parsed == len(lines)


def test_volume_is_a_busy_mission(paris_out: Path, paris_days: int) -> None:
    # 30 days must reach 100,000 reports: that is >= 3,334 a day on average.
    manifest = orjson.loads(paris_out.joinpath("manifest.json").read_bytes())
    assert manifest["counts"]["reports"] >= 3_400 * paris_days
    assert manifest["days"] == paris_days


def test_reports_are_in_arrival_order_and_truth_links_every_one(paris_out: Path) -> None:
    reports = read_ndjson(paris_out / "reports.ndjson")
    truth = read_ndjson(paris_out / "truth.ndjson")
    refs = [r for t in truth if t["kind"] == "event" for r in t["reports"]]
    refs += [t for t in truth if t["kind"] == "false_report"]
    linked = {(r["source"], r["id"]): r for r in refs}
    assert len(linked) == len(refs), "a report is linked twice"
    keys = [(r["source"], r["id"]) for r in reports]
    assert set(keys) == set(linked)
    for ref in refs:
        assert keys[ref["arrival"]] == (ref["source"], ref["id"])
    arrived = [
        datetime.fromisoformat(r["arrived_at"]) for r in sorted(refs, key=lambda r: r["arrival"])
    ]
    assert arrived == sorted(arrived)


def test_redeliveries_are_exact_copies(paris_out: Path) -> None:
    lines = paris_out.joinpath("reports.ndjson").read_bytes().splitlines()
    by_key: dict[tuple[str, str], set[bytes]] = {}
    for line in lines:
        obj = orjson.loads(line)
        by_key.setdefault((obj["source"], obj["id"]), set()).add(line)
    assert all(len(texts) == 1 for texts in by_key.values())
    assert len(by_key) < len(lines)  # some reports were sent twice


def test_amendments_name_an_earlier_report_of_the_same_source(paris_out: Path) -> None:
    seen: set[tuple[str, str]] = set()
    amended = withdrawn = 0
    for obj in read_ndjson(paris_out / "reports.ndjson"):
        if "amends" in obj:
            assert (obj["source"], obj["amends"]) in seen
            amended += 1
            withdrawn += bool(obj.get("withdrawn"))
        else:
            assert "withdrawn" not in obj
        seen.add((obj["source"], obj["id"]))
    assert amended > 50
    assert withdrawn > 5


def test_hard_cases_are_present(paris_sim: Simulation, paris_out: Path) -> None:
    truth = read_ndjson(paris_out / "truth.ndjson")
    events = [t for t in truth if t["kind"] == "event"]
    roles = Counter(r["role"] for t in events for r in t["reports"])
    assert roles["amendment"] > 0
    assert roles["repeat"] > 0  # an open-source feed repeating another
    assert sum(t["kind"] == "false_report" for t in truth) > 50
    clusters: dict[int, list[dict[str, Any]]] = {}
    for t in events:
        if t["cluster"] is not None:
            clusters.setdefault(t["cluster"], []).append(t)
    assert clusters
    assert max(len(c) for c in clusters.values()) >= 8  # flare-ups: bursts of nearby events
    for members in clusters.values():
        times = sorted(datetime.fromisoformat(t["time"]) for t in members)
        assert (times[-1] - times[0]).total_seconds() <= 8 * 3600
        lons, lats = [t["lon"] for t in members], [t["lat"] for t in members]
        assert max(lons) - min(lons) < 0.5
        assert max(lats) - min(lats) < 0.5
    late = [
        r
        for t in events
        for r in t["reports"]
        if (
            datetime.fromisoformat(r["arrived_at"]) - datetime.fromisoformat(t["time"])
        ).total_seconds()
        > 6 * 3600
    ]
    assert len(late) > 100
    sources = Counter(len({r["source"] for r in t["reports"]}) for t in events)
    assert sum(n for k, n in sources.items() if k >= 3) > 100  # seen by several observers
    types = {r["source_type"] for r in read_ndjson(paris_out / "reports.ndjson")}
    assert types >= {
        "observation_post",
        "patrol",
        "uav",
        "camera",
        "acoustic",
        "osint",
        "party_notification",
    }


def test_truth_names_the_firing_party_and_breaches(paris_out: Path) -> None:
    events = [t for t in read_ndjson(paris_out / "truth.ndjson") if t["kind"] == "event"]
    fire = [t for t in events if t["origin"] is not None]
    assert fire
    assert all(t["party"] in {"UKR", "RUS"} for t in fire)
    # Fire after entry into force breaks the ceasefire rule (R1) unless it is a flare.
    for t in fire:
        ids = {b["rule"] for b in t["rules"]}
        assert ("R1" in ids) == (t["category"] != "illumination_flare")


def test_truth_file_reads_back_into_the_answer_key(paris_sim: Simulation, paris_out: Path) -> None:
    truth = read_truth(paris_out / "truth.ndjson")
    assert len(truth.events) == len(paris_sim.events)
    reports = read_ndjson(paris_out / "reports.ndjson")
    assert {(r["source"], r["id"]) for r in reports} == set(truth.event_of)
    false = sum(1 for event in truth.event_of.values() if event is None)
    assert false > 0
    some = next(e for e in truth.events.values() if len(e.reports) >= 3)
    assert all(truth.event_of[key] == some.id for key in some.reports)


def test_every_sensor_report_falls_in_a_declared_coverage_window(paris_out: Path) -> None:
    windows: dict[str, list[tuple[datetime, datetime]]] = {}
    for w in read_ndjson(paris_out / "coverage.ndjson"):
        windows.setdefault(w["source"], []).append(
            (datetime.fromisoformat(w["from"]), datetime.fromisoformat(w["until"]))
        )
    kinds = {"observation_post", "camera", "acoustic", "uav", "satellite"}
    slack = 15 * 60  # posts write the minute, with a little error
    checked = 0
    for r in read_ndjson(paris_out / "reports.ndjson"):
        if r["source_type"] not in kinds or r["category"] == "sensor_impeded":
            continue
        at = datetime.fromisoformat(r["observed_at"])
        assert any(
            (start - at).total_seconds() <= slack and (at - end).total_seconds() <= slack
            for start, end in windows[r["source"]]
        ), r
        checked += 1
    assert checked > 1000
