"""The second generator: its truth is consistent, it is deterministic, its reports are valid."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.parse import read_reports
from ceasefire.scenarios2 import Family, Scenario, generate, truth_clusters, write_scenario
from ceasefire.scenarios2.columns import ALL_FIELDS
from ceasefire.scenarios2.geometry import distance_m
from ceasefire.scenarios2.places import NAMED_WITHIN_M
from ceasefire.scenarios2.write import report_objects

FAMILIES = st.sampled_from(list(Family))
SEEDS = st.integers(0, 2**32 - 1)
#: Small scenarios keep each example fast; the rules do not depend on the size.
SMALL = 40
#: Fields that are the report itself (a re-send repeats all of them).
CONTENT = [f for f in ALL_FIELDS if f not in {"kind", "copy_of", "arrival"}]


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (np.isnan(a) and np.isnan(b)) or a == b
    return a == b


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=FAMILIES, seed=SEEDS)
def test_every_report_maps_to_an_event_or_is_marked(family: Family, seed: int) -> None:
    """Each report names a real event, or is false, or copies a report (that says which)."""
    s = generate(family, seed=seed, n_events=SMALL)
    r = s.reports
    event, kind, copy_of = r["event"], r["kind"], r["copy_of"]
    assert set(kind) <= {"first", "false", "forwarded", "resent"}
    assert ((event >= -1) & (event < len(s.events))).all()
    assert ((kind == "first") | (kind == "false")).sum() > 0
    assert (((kind == "first") | (kind == "false")) == (copy_of < 0)).all()
    for k in range(len(event)):
        root = k
        while copy_of[root] >= 0:  # a copy of a copy at most
            root = int(copy_of[root])
        assert kind[root] in {"first", "false"}
        assert (event[k] == -1) == (kind[root] == "false")
    copies = np.flatnonzero(copy_of >= 0)
    assert (event[copies] == event[copy_of[copies]]).all()
    for c in copies.tolist():
        j = int(copy_of[c])
        if kind[c] == "resent":
            assert all(_same(r[f][c], r[f][j]) for f in CONTENT)
        else:
            assert kind[c] == "forwarded"
            assert r["source"][c] != r["source"][j]
            assert r["observed_at"][c] == r["observed_at"][j]
    clusters = truth_clusters(r)
    assert (clusters[copies] == clusters[copy_of[copies]]).all()
    assert ((clusters >= 0) == (event >= 0)).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=FAMILIES, seed=SEEDS)
def test_keys_are_unique_except_resends(family: Family, seed: int) -> None:
    """``(source, id)`` is unique, except that a re-send repeats the key it re-sends."""
    r = generate(family, seed=seed, n_events=SMALL).reports
    keys = list(zip(r["source"], r["id"], strict=True))
    not_resent = [k for k, kind in zip(keys, r["kind"], strict=True) if kind != "resent"]
    assert len(set(not_resent)) == len(not_resent)
    assert set(keys) == set(not_resent)


@pytest.mark.parametrize("family", list(Family))
def test_same_seed_same_files(family: Family, tmp_path: Path) -> None:
    """The same family and seed write byte-identical files; another seed does not."""
    a = write_scenario(generate(family, seed=7, n_events=60), tmp_path / "a")
    b = write_scenario(generate(family, seed=7, n_events=60), tmp_path / "b")
    c = write_scenario(generate(family, seed=8, n_events=60), tmp_path / "c")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert a[0].read_bytes() != c[0].read_bytes()


def _parsed(s: Scenario) -> tuple[int, int, set[tuple[str, str]]]:
    with tempfile.TemporaryDirectory() as folder:
        path, _ = write_scenario(s, Path(folder))
        accepted, rejected, keys = 0, 0, set()
        for chunk in read_reports(path):
            accepted += len(chunk.reports)
            rejected += len(chunk.rejected)
            keys |= {rep.key for rep in chunk.reports}
    return accepted, rejected, keys


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=FAMILIES, seed=SEEDS)
def test_every_line_parses(family: Family, seed: int) -> None:
    """The project's parser accepts every line: no family means a report to be quarantined."""
    s = generate(family, seed=seed, n_events=SMALL)
    accepted, rejected, keys = _parsed(s)
    assert rejected == 0
    assert accepted == s.n_reports
    assert keys == set(zip(s.reports["source"], s.reports["id"], strict=True))


def test_reports_carry_one_location_form_each() -> None:
    """Posts and sensors give bearings, fixes give points, open sources a place: one each."""
    objs = report_objects(generate(Family.MIXED, seed=3, n_events=120).reports)
    forms = [
        ("lat" in o) + ("bearing_deg" in o and "observer_lat" in o) + ("place" in o) for o in objs
    ]
    assert set(forms) == {1}
    kinds = {o["source_type"] for o in objs}
    assert kinds == {"observation_post", "uav", "satellite", "osint", "acoustic"}


def test_place_names_geocode_near_their_event() -> None:
    """Every named place resolves, with the project's geocoder, near the event it reports."""
    s = generate(Family.PLACE_NAMES, seed=5, n_events=150)
    r = s.reports
    named = np.flatnonzero(r["place"] != None)  # noqa: E711
    assert len(named) > 20
    lon, lat, _ = Gazetteer.default().lookup_many(list(r["place"][named]))
    ev = r["event"][named].astype(np.int64)
    gap = distance_m(lon, lat, s.events.lon[ev], s.events.lat[ev])
    assert (gap < NAMED_WITHIN_M + 500.0).all()


def test_clock_skew_shifts_whole_sources() -> None:
    """A skewed source's reports are late (or early) by its skew; others are not."""
    s = generate(Family.CLOCK_SKEW, seed=2)
    r = s.reports
    assert s.clock_skew_s
    posts = (r["source_type"] == "observation_post") & (r["event"] >= 0)
    lag = r["observed_at"] - s.events.t_s[r["event"].astype(np.int64)]
    for source in np.unique(r["source"][posts]):
        mine = posts & (r["source"] == source)
        if mine.sum() < 8:
            continue
        expected = s.clock_skew_s.get(str(source), 0.0)
        assert abs(float(np.median(lag[mine])) - expected) < 120.0


def test_sensor_stream_reports_every_few_seconds_and_adds_up() -> None:
    """An acoustic array's reports of one event are seconds apart and sum to at most the truth."""
    s = generate(Family.SENSOR_STREAM, seed=4, n_events=100)
    r = s.reports
    acoustic = np.flatnonzero(r["source_type"] == "acoustic")
    assert len(acoustic) > 100
    pairs = {(str(r["source"][k]), int(r["event"][k])) for k in acoustic}
    for source, ev in pairs:
        mine = acoustic[(r["source"][acoustic] == source) & (r["event"][acoustic] == ev)]
        assert r["count"][mine].sum() <= s.events.count[ev]
        gaps = np.diff(np.sort(r["observed_at"][mine].astype(float)))
        assert (gaps <= s.events.duration_s[ev] + 7.0).all()
        if len(mine) > 3:
            assert float(np.median(gaps)) < 20.0


def test_truth_file_names_every_line(tmp_path: Path) -> None:
    """``truth.json`` has one entry per report line, in file order, and every event."""
    s = generate(Family.FALSE_DUPLICATES, seed=9, n_events=80)
    reports_path, truth_path = write_scenario(s, tmp_path)
    truth = json.loads(truth_path.read_text())
    lines = [json.loads(line) for line in reports_path.read_text().splitlines()]
    assert [(t["source"], t["id"]) for t in truth["reports"]] == [
        (o["source"], o["id"]) for o in lines
    ]
    assert len(truth["events"]) == 80
    kinds = {t["kind"] for t in truth["reports"]}
    assert kinds == {"first", "false", "forwarded", "resent"}
    for t in truth["reports"]:
        assert (t["event"] is None) == (t["cluster"] < 0)
        assert (t["copy_of"] is None) == (t["kind"] in {"first", "false"})
