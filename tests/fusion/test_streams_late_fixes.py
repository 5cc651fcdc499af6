"""Issue 18 point 2: a sensor's stream of ticks is one event, a post's two reports are two;
an imagery fix taken after the fire still joins the reports of the fire."""

from __future__ import annotations

from datetime import timedelta

from fusion_builders import LAT, LON, T0, at, batch_of, make_report

from ceasefire.fusion.engine import FusionEngine
from ceasefire.reports.model import ObservationReport, Reliability, SourceType

ARRAY = (LON - 0.08, LAT)  # an acoustic array ~6 km west of the fire


def tick(k: int, seconds: float, **kw: object) -> ObservationReport:
    """Tick ``k`` of an acoustic array's stream: an instant bearing towards (LON, LAT)."""
    values: dict[str, object] = {
        "id": f"t{k}",
        "source": "acoustic-1",
        "source_type": SourceType.ACOUSTIC,
        "observed_at": T0 + timedelta(seconds=seconds),
        "lat": None,
        "lon": None,
        "uncertainty_m": None,
        "observer_lon": ARRAY[0],
        "observer_lat": ARRAY[1],
        "bearing_deg": 90.0,
        "bearing_error_deg": 5.0,
        "count": 2,
    }
    return make_report(**(values | kw))


def test_a_stream_of_ticks_is_one_incident_counting_every_round() -> None:
    engine = FusionEngine()
    engine.add(batch_of([tick(k, 4.0 * k) for k in range(30)]))  # two minutes of fire
    (incident,) = engine.incidents()
    assert len(incident.report_keys) == 30
    assert incident.count_best == 60  # the ticks' rounds add up: the array heard them all
    assert incident.sources == 1


def test_a_stream_falls_silent_for_minutes_then_a_new_event_starts() -> None:
    engine = FusionEngine()
    engine.add(batch_of([tick(k, 4.0 * k) for k in range(5)] + [tick(9, 600.0)]))
    assert sorted(len(i.report_keys) for i in engine.incidents()) == [1, 5]


def test_a_sensor_summing_a_fire_up_reports_two_events_in_two_reports() -> None:
    until = T0 + timedelta(minutes=10)
    engine = FusionEngine()
    engine.add(batch_of([tick(1, 0.0, observed_until=until), tick(2, 30.0, observed_until=until)]))
    assert len(engine.incidents()) == 2


def test_two_reports_of_one_post_stay_two_events() -> None:
    engine = FusionEngine()
    engine.add(batch_of([make_report(id="a"), make_report(id="b", observed_at=at(0.1))]))
    assert len(engine.incidents()) == 2


def uav_fix(minutes: float) -> ObservationReport:
    """A UAV's impact fix at (LON, LAT), taken ``minutes`` after the post heard the fire."""
    return make_report(
        id="u",
        source="uav-1",
        source_type=SourceType.UAV,
        reliability=Reliability.A,
        uncertainty_m=60.0,
        observed_at=at(minutes),
    )


def test_a_uav_fix_twenty_minutes_after_the_fire_joins_the_post_that_heard_it() -> None:
    engine = FusionEngine()
    engine.add(batch_of([make_report(id="a"), uav_fix(20)]))
    (incident,) = engine.incidents()
    assert incident.observed_at_s == T0.timestamp()


def test_a_uav_fix_before_the_fire_does_not_join_it() -> None:
    engine = FusionEngine()
    engine.add(batch_of([make_report(id="a"), uav_fix(-20)]))
    assert len(engine.incidents()) == 2


def test_in_a_burst_a_report_joins_the_event_closest_in_time() -> None:
    """Post 1 hears two shells 220 m and 6 minutes apart; post 3 hears the second, placing it
    nearer the first: its report gates with both groups (spans overlap, within the 300 m
    radii), and joins the one closest in time."""
    engine = FusionEngine()
    engine.add(batch_of([
        make_report(id="a", source="post-1"),
        make_report(id="b", source="post-2", observed_at=at(0.5)),
        make_report(id="c", source="post-1", observed_at=at(6), lat=LAT + 0.002),
        make_report(id="d", source="post-3", observed_at=at(6.2), lat=LAT + 0.0008),
    ]))  # fmt: skip
    groups = sorted(tuple(k[1] for k in i.report_keys) for i in engine.incidents())
    assert groups == [("a", "b"), ("c", "d")]
