"""Fact triggers, persistence, combinators, entry into force and explanations (injected clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from guarantee_builders import CEASEFIRE, instruments, make_fact

from ceasefire.clock import FixedClock
from ceasefire.errors import InputError
from ceasefire.guarantees.activation import activation_of, add_months
from ceasefire.guarantees.alerts import explain
from ceasefire.guarantees.evaluate import TriggerEvaluator, replay
from ceasefire.guarantees.facts import VerificationState
from ceasefire.guarantees.loader import parse_instruments
from ceasefire.reports.model import Category, FireDirection, WeaponClass

H = timedelta(hours=1)

BREACH = """
    triggers:
      - {id: breach, kind: breach, min_severity: 3}
"""


def test_not_active_before_entry_into_force_and_active_from_that_instant() -> None:
    rules = instruments(BREACH)
    before = make_fact(id="early", observed_at=CEASEFIRE - timedelta(seconds=1))
    at = make_fact(id="at", observed_at=CEASEFIRE)
    alerts = replay(rules, [before, at], at=CEASEFIRE + H)
    assert [a.key for a in alerts] == ["at"]
    assert alerts[0].fired_at == CEASEFIRE
    activation = activation_of(rules.instruments[0], rules.ceasefire_in_force_from)
    assert not activation.active_at(CEASEFIRE - timedelta(microseconds=1))
    assert activation.active_at(CEASEFIRE)


def test_no_ceasefire_no_guarantee() -> None:
    rules = instruments(BREACH, ceasefire=None)
    assert replay(rules, [make_fact()], at=CEASEFIRE + H) == []
    activation = activation_of(rules.instruments[0], None)
    assert "the ceasefire is not in force" in activation.explain_at(CEASEFIRE)


RATIFIED = """
version: 1
ceasefire: {in_force_from: 2026-12-01T00:00:00Z}
instruments:
  - id: paris
    title: Paris
    parties: {guarantors: [GBR, FRA], beneficiary: UKR}
    legal_form: political_and_legally_binding
    entry_into_force:
      - {kind: ceasefire_in_force}
      - {kind: ratification, parties: [UKR, GBR, FRA], quorum: QUORUM}
    ratifications:
      - {party: UKR, status: ratified, date: 2026-11-20}
      - {party: GBR, status: ratified, date: 2026-12-03T10:00:00Z}
      - {party: FRA, status: pending}
    duration_months: 120
    termination_notice_months: 6
    terminations:
      - {party: GBR, notice_given: 2027-08-31T00:00:00Z}
    triggers:
      - {id: breach, kind: breach, min_severity: 3}
"""


def test_ratification_quorum_sets_the_instant_of_entry_into_force() -> None:
    two = parse_instruments(RATIFIED.replace("QUORUM", "2"))
    activation = activation_of(two.instruments[0], two.ceasefire_in_force_from)
    gbr = datetime(2026, 12, 3, 10, tzinfo=UTC)
    assert activation.active_from == gbr  # later than the ceasefire: the 2nd ratification
    assert activation.active_until == add_months(datetime(2027, 8, 31, tzinfo=UTC), 6)
    assert activation.active_until == datetime(2028, 2, 29, tzinfo=UTC)
    facts = [make_fact(id="a", observed_at=gbr - H), make_fact(id="b", observed_at=gbr)]
    assert [a.key for a in replay(two, facts, at=gbr + H)] == ["b"]
    three = parse_instruments(RATIFIED.replace("QUORUM", "3"))
    pending = activation_of(three.instruments[0], three.ceasefire_in_force_from)
    assert pending.active_from is None
    assert "not yet: FRA" in pending.explain_at(gbr)
    assert replay(three, facts, at=gbr + H) == []


def test_breach_needs_verification_and_fires_once_per_fact() -> None:
    rules = instruments(BREACH)
    reported = make_fact(verification=VerificationState.CORROBORATED)
    verified = make_fact(recorded_at=reported.recorded_at + H, revision=1)
    again = make_fact(recorded_at=reported.recorded_at + 2 * H, revision=2, count=5)
    alerts = replay(rules, [reported, verified, again], at=CEASEFIRE + 5 * H)
    assert [(a.key, a.fired_at) for a in alerts] == [("V-1", verified.recorded_at)]
    assert replay(rules, [make_fact(severity=2)], at=CEASEFIRE + 5 * H) == []


PERSISTENT = """
    triggers:
      - {id: persists, kind: persistent_breach, hours: 24, min_severity: 2}
"""


def test_persistent_breach_fires_exactly_at_the_deadline_unless_remedied_by_then() -> None:
    rules = instruments(PERSISTENT)
    breach = make_fact()
    deadline = breach.recorded_at + 24 * H
    clock = FixedClock(breach.recorded_at)
    evaluator = TriggerEvaluator(rules, clock=clock)
    assert evaluator.ingest([breach]) == []
    clock.set(deadline - timedelta(microseconds=1))
    assert evaluator.tick() == []
    clock.set(deadline)
    fired = evaluator.tick()
    assert [(a.trigger_id, a.fired_at) for a in fired] == [("persists", deadline)]
    assert fired[0].measures["hours_unremedied"] == 24.0
    remedied = make_fact(
        recorded_at=deadline - H, remedied_at=deadline - 2 * H, revision=1, id="V-1"
    )
    assert replay(rules, [breach, remedied], at=deadline + H) == []
    too_late = make_fact(recorded_at=deadline + H, remedied_at=deadline + H, revision=1)
    assert len(replay(rules, [breach, too_late], at=deadline + 2 * H)) == 1


def test_heavy_weapons_fired_from_inside_withdrawal_zones() -> None:
    rules = instruments("""
    triggers:
      - {id: heavy, kind: heavy_weapons_use, zones: [withdrawal-mlrs]}
""")
    base = {"weapon_class": WeaponClass.MLRS, "zone_ids": frozenset({"withdrawal-mlrs"})}
    outgoing = make_fact(id="out", fire_direction=FireDirection.OUTGOING, **base)
    impact = make_fact(id="imp", fire_direction=FireDirection.IMPACT, **base)
    seen = make_fact(id="seen", category=Category.HEAVY_WEAPON, **base)
    small = make_fact(id="small", **{**base, "weapon_class": WeaponClass.MORTAR})
    outside = make_fact(id="outside", **{**base, "zone_ids": frozenset({"security-zone"})})
    alerts = replay(rules, [outgoing, impact, seen, small, outside], at=CEASEFIRE + 2 * H)
    assert sorted(a.key for a in alerts) == ["out", "seen"]


def test_ground_advance_needs_other_side_beyond_distance() -> None:
    rules = instruments("""
    triggers:
      - {id: advance, kind: ground_advance, min_distance_km: 2}
""")
    armour = {"category": Category.ARMOUR, "attributed_to": "RUS", "side_party": "UKR"}
    deep = make_fact(id="deep", distance_to_line_km=5.0, **armour)
    shallow = make_fact(id="shallow", distance_to_line_km=1.5, **armour)
    own_side = make_fact(id="own", distance_to_line_km=9.0, **{**armour, "side_party": "RUS"})
    unattributed = make_fact(id="unk", distance_to_line_km=9.0, **{**armour, "attributed_to": None})
    alerts = replay(rules, [deep, shallow, own_side, unattributed], at=CEASEFIRE + 2 * H)
    assert [a.key for a in alerts] == ["deep"]
    assert alerts[0].measures["distance_to_line_km"] == 5.0


def test_attack_on_force_and_airspace_incursion() -> None:
    rules = instruments("""
    triggers:
      - {id: attack, kind: attack_on_force, targets: [hub-lviv]}
      - {id: air, kind: airspace_incursion, airspaces: [hub], min_count: 3}
""")
    hit = make_fact(id="hit", category=Category.ATTACK_ON_FORCE, target="hub-lviv")
    elsewhere = make_fact(id="else", category=Category.ATTACK_ON_FORCE, target="depot-2")
    drones = make_fact(id="drones", category=Category.UAV, count=19, lon=24.0, lat=49.8)
    outside = make_fact(id="far", category=Category.UAV, count=19, lon=30.5, lat=50.4)
    few = make_fact(id="few", category=Category.UAV, count=2, lon=24.0, lat=49.8)
    alerts = replay(rules, [hit, elsewhere, drones, outside, few], at=CEASEFIRE + 2 * H)
    assert sorted((a.trigger_id, a.key) for a in alerts) == [("air", "drones"), ("attack", "hit")]


def test_verification_denial_above_baseline() -> None:
    rules = instruments("""
    triggers:
      - {id: denial, kind: verification_denial, k: 2, min_count: 3}
""")
    since = CEASEFIRE - timedelta(days=20)
    facts = [
        make_fact(
            id=f"d{day}",
            category=Category.MOVEMENT_RESTRICTION,
            observed_at=since + timedelta(days=day, hours=10),
        )
        for day in range(20)
    ]  # one denial a day: median 1
    burst = [
        make_fact(
            id=f"b{i}",
            category=Category.SENSOR_IMPEDED,
            observed_at=CEASEFIRE + timedelta(hours=2, minutes=i),
        )
        for i in range(3)
    ]
    alerts = replay(rules, facts + burst, at=CEASEFIRE + 6 * H, monitoring_since=since)
    assert [(a.sector, a.measures["count"], a.fact_ids) for a in alerts] == [
        ("theatre", 3, ("b0", "b1", "b2"))
    ]


def test_combinators_and_explanation_name_the_facts() -> None:
    rules = instruments("""
    triggers:
      - {id: breach, kind: breach, min_severity: 3}
      - {id: advance, kind: ground_advance, min_distance_km: 2}
      - {id: either, kind: any, of: [breach, advance]}
      - {id: both, kind: all, of: [breach, advance], window_h: 12}
""")
    breach = make_fact(id="V-7", report_ids=("op-3/17", "uav-2/9"))
    advance = make_fact(
        id="I-9",
        category=Category.ARMOUR,
        rule_id=None,
        severity=0,
        attributed_to="RUS",
        side_party="UKR",
        distance_to_line_km=4.0,
        observed_at=breach.observed_at + 3 * H,
    )
    late = make_fact(
        id="I-10",
        category=Category.ARMOUR,
        rule_id=None,
        severity=0,
        attributed_to="RUS",
        side_party="UKR",
        distance_to_line_km=4.0,
        observed_at=breach.observed_at + 20 * H,
    )
    alerts = replay(rules, [breach, advance, late], at=CEASEFIRE + 30 * H)
    kinds = [(a.trigger_id, a.fired_at - breach.recorded_at) for a in alerts]
    assert kinds == [
        ("breach", timedelta(0)),
        ("either", timedelta(0)),
        ("advance", 3 * H),
        ("either", 3 * H),
        ("both", 3 * H),
        ("advance", 20 * H),
        ("either", 20 * H),
    ]  # "both" does not fire at 20 h: the breach is 20 h old, outside the 12 h window
    both = next(a for a in alerts if a.trigger_id == "both")
    assert both.fact_ids == ("V-7", "I-9")
    text = explain(both, instrument_title="Test instrument")
    assert "trigger 'both'" in text
    assert "window_h=12.0" in text
    assert "V-7" in text
    assert "I-9" in text
    assert "op-3/17" in text
    assert all(child in text for child in both.child_alert_ids)


def test_recorded_in_the_future_is_refused() -> None:
    rules = instruments(BREACH)
    evaluator = TriggerEvaluator(rules, clock=FixedClock(CEASEFIRE))
    with pytest.raises(InputError) as error:
        evaluator.ingest([make_fact(recorded_at=CEASEFIRE + H)])
    assert error.value.field == "recorded_at"
