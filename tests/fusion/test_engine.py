"""Fusion as an analyst would judge it: same event → one incident; different → two."""

from __future__ import annotations

import pyproj
import pytest
from fusion_builders import LAT, LON, at, batch_of, make_report
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.fusion.engine import FusionEngine
from ceasefire.reports.model import (
    Category,
    ObservationReport,
    Reliability,
    SourceType,
    WeaponClass,
)

GEOD = pyproj.Geod(ellps="WGS84")
UNBANDED: dict[str, object] = {"distance_min_m": None, "distance_max_m": None}


def bearing_report(
    rid: str, source: str, observer: tuple[float, float], **kw: object
) -> ObservationReport:
    """A post's bearing (and band) towards (LON, LAT) from ``observer``."""
    az, _, dist = GEOD.inv(observer[0], observer[1], LON, LAT)
    values: dict[str, object] = {
        "id": rid,
        "source": source,
        "lat": None,
        "lon": None,
        "uncertainty_m": None,
        "observer_lon": observer[0],
        "observer_lat": observer[1],
        "bearing_deg": round(az % 360.0, 1),
        "bearing_error_deg": 5.0,
        "distance_min_m": max(dist - 1000.0, 0.0),
        "distance_max_m": dist + 1000.0,
    }
    return make_report(**(values | kw))


def observer_at(azimuth: float, distance_m: float) -> tuple[float, float]:
    lon, lat, _ = GEOD.fwd(LON, LAT, azimuth, distance_m)
    return float(lon), float(lat)


def test_two_posts_hearing_four_explosions_are_one_incident_of_four() -> None:
    engine = FusionEngine()
    reports = [
        bearing_report("a", "post-1", observer_at(270, 4000)),
        bearing_report("b", "post-2", observer_at(0, 5000), count=3),
        make_report(id="c", source="uav-1", source_type=SourceType.UAV,
                    reliability=Reliability.A, uncertainty_m=30.0, observed_at=at(5)),
    ]  # fmt: skip
    update = engine.add(batch_of(reports))
    (incident,) = engine.incidents()
    assert incident in update.changed
    assert len(incident.report_keys) == 3
    assert (incident.count_low, incident.count_best, incident.count_high) == (3, 4, 4)
    assert incident.independent_sources == 3
    assert incident.bearing_observers == 2
    _, _, error = GEOD.inv(incident.lon, incident.lat, LON, LAT)
    assert error < 60.0  # the UAV's 30 m fix dominates the bearings
    assert incident.confidence > 0.95


def test_crossing_bearings_locate_better_than_either_alone() -> None:
    engine = FusionEngine()
    engine.add(batch_of([
        bearing_report("a", "post-1", observer_at(250, 6000), **UNBANDED),
        bearing_report("b", "post-2", observer_at(340, 7000), **UNBANDED),
    ]))  # fmt: skip
    (incident,) = engine.incidents()
    _, _, error = GEOD.inv(incident.lon, incident.lat, LON, LAT)
    assert error < 400.0
    assert incident.ellipse.semi_major_m < 3000.0
    assert incident.ellipse.semi_minor_m <= incident.ellipse.semi_major_m


def test_far_apart_or_hours_apart_or_other_kind_are_separate() -> None:
    engine = FusionEngine()
    engine.add(batch_of([
        make_report(id="a", source="post-1"),
        make_report(id="b", source="post-2", lon=LON + 0.1),  # ~7 km east, 300 m radii
        make_report(id="c", source="post-3", observed_at=at(180)),
        make_report(id="d", source="post-4", category=Category.HEAVY_WEAPON,
                    weapon_class=WeaponClass.TANK),
    ]))  # fmt: skip
    assert len(engine.incidents()) == 4


def test_same_source_twice_is_two_events_unless_amended() -> None:
    engine = FusionEngine()
    engine.add(batch_of([make_report(id="a"), make_report(id="b", observed_at=at(1))]))
    assert len(engine.incidents()) == 2
    update = engine.add(batch_of([make_report(id="c", amends="b", count=6, observed_at=at(1))]))
    assert len(engine.incidents()) == 2
    keys = {k for i in engine.incidents() for k in i.report_keys}
    assert ("post-1", "b") not in keys
    assert ("post-1", "c") in keys
    assert update.changed


def test_withdrawal_refuses_what_it_touched() -> None:
    engine = FusionEngine()
    engine.add(batch_of([make_report(id="a"), make_report(id="b", source="post-2")]))
    (incident,) = engine.incidents()
    assert incident.independent_sources == 2
    engine.add(batch_of([make_report(id="w", source="post-2", amends="b", withdrawn=True)]))
    (incident,) = engine.incidents()
    assert incident.report_keys == (("post-1", "a"),)


def test_osint_repeats_are_one_witness() -> None:
    engine = FusionEngine()
    engine.add(batch_of([
        make_report(id=f"o{k}", source=f"osint:feed-{k}", source_type=SourceType.OSINT,
                    reliability=Reliability.D, credibility=4, uncertainty_m=6000.0)
        for k in range(3)
    ]))  # fmt: skip
    (incident,) = engine.incidents()
    assert incident.sources == 3
    assert incident.independent_sources == 1
    assert incident.confidence == pytest.approx(0.4 * 0.4)


def _scene() -> list[ObservationReport]:
    """Two nearby events minutes apart, each seen by several observers, plus an amendment."""
    second = (LON + 0.03, LAT + 0.01)
    return [
        bearing_report("a1", "post-1", observer_at(270, 4000)),
        bearing_report("a2", "post-2", observer_at(0, 5000)),
        make_report(id="a3", source="uav-1", source_type=SourceType.UAV, uncertainty_m=40.0),
        make_report(id="b1", source="post-3", lon=second[0], lat=second[1], observed_at=at(3)),
        make_report(id="b2", source="post-4", lon=second[0], lat=second[1], observed_at=at(4)),
        make_report(id="b3", source="post-1", lon=second[0], lat=second[1], observed_at=at(4)),
        make_report(id="b4", source="post-4", amends="b2", lon=second[0], lat=second[1],
                    observed_at=at(4), count=7),
        make_report(id="c1", source="post-5", observed_at=at(90)),
    ]  # fmt: skip


def _fused(reports: list[ObservationReport], chunk: int) -> set[frozenset[tuple[str, str]]]:
    engine = FusionEngine()
    for start in range(0, len(reports), chunk):
        engine.add(batch_of(reports[start : start + chunk]))
    return {frozenset(i.report_keys) for i in engine.incidents()}


@settings(max_examples=40, deadline=None)
@given(st.permutations(range(8)), st.integers(1, 8))
def test_result_does_not_depend_on_arrival_order(order: list[int], chunk: int) -> None:
    scene = _scene()
    shuffled = [scene[i] for i in order]
    # an amendment only ever arrives after what it amends (ingest quarantines it otherwise)
    if order.index(6) < order.index(4):
        shuffled.append(shuffled.pop(order.index(6)))
    assert _fused(shuffled, chunk) == _fused(scene, len(scene))


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 7), min_size=1, max_size=12))
def test_adding_known_reports_again_changes_nothing(again: list[int]) -> None:
    scene = _scene()
    engine = FusionEngine()
    engine.add(batch_of(scene))
    before = engine.incidents()
    update = engine.add(batch_of([scene[i] for i in again]))
    assert update.changed == []
    assert update.removed == []
    assert engine.incidents() == before


def test_scene_is_fused_as_an_analyst_would() -> None:
    groups = _fused(_scene(), 8)
    assert frozenset({("post-1", "a1"), ("post-2", "a2"), ("uav-1", "a3")}) in groups
    assert frozenset({("post-3", "b1"), ("post-4", "b4"), ("post-1", "b3")}) in groups
    assert frozenset({("post-5", "c1")}) in groups
    assert len(groups) == 3
