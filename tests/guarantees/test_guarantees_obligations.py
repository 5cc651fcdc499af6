"""Obligations with deadlines and evidence, the tiered response of the scenario, and the
Special Commission's case workflow."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from guarantee_builders import CEASEFIRE, instruments, make_fact

from ceasefire.errors import InputError
from ceasefire.guarantees.commission import CaseStage, advance, cases_for, stage_of
from ceasefire.guarantees.evaluate import replay
from ceasefire.guarantees.loader import load_instruments
from ceasefire.guarantees.model import InstrumentSet
from ceasefire.guarantees.obligations import (
    ObligationState,
    meet,
    obligations_for,
    opened,
    overdue_events,
    status_at,
)
from ceasefire.reports.model import Category

H = timedelta(hours=1)
US = timedelta(microseconds=1)
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "paris-2026" / "guarantees.yaml"

CONSULT = """
    triggers:
      - {id: breach, kind: breach, min_severity: 3}
    obligations:
      - {id: consult, trigger: breach, owner: GBR, kind: consult, level: 0, due_h: 24,
         text: "meet within 24 hours"}
"""


def test_deadline_becomes_overdue_exactly_at_the_deadline() -> None:
    rules = instruments(CONSULT)
    (alert,) = replay(rules, [make_fact()], at=CEASEFIRE + 2 * H)
    (obligation,) = obligations_for(alert, rules.instruments[0])
    assert obligation.deadline == alert.fired_at + 24 * H
    assert obligation.owner == "GBR"
    assert obligation.level == 0
    history = [opened(obligation)]
    assert status_at(obligation, history, obligation.deadline - US).state is ObligationState.OPEN
    assert status_at(obligation, history, obligation.deadline).state is ObligationState.OVERDUE
    assert overdue_events([obligation], history, obligation.deadline - US) == []
    (overdue,) = overdue_events([obligation], history, obligation.deadline + 5 * H)
    assert overdue.at == obligation.deadline  # stamped with the instant it became overdue
    assert overdue_events([obligation], [*history, overdue], obligation.deadline + 9 * H) == []


def test_met_with_evidence_on_time_and_late() -> None:
    rules = instruments(CONSULT)
    (alert,) = replay(rules, [make_fact()], at=CEASEFIRE + 2 * H)
    (obligation,) = obligations_for(alert, rules.instruments[0])
    history = [opened(obligation)]
    with pytest.raises(InputError) as error:
        meet(obligation, history, at=alert.fired_at + H, by="GBR", evidence="  ")
    assert error.value.field == "evidence"
    assert error.value.rule == "required"
    met = meet(
        obligation,
        history,
        at=obligation.deadline - H,
        by="GBR",
        evidence="Consultation record 2026-12-01, Lancaster House",
    )
    history.append(met)
    status = status_at(obligation, history, obligation.deadline + H)
    assert status.state is ObligationState.MET
    assert not status.late
    assert status.evidence == "Consultation record 2026-12-01, Lancaster House"
    # Before it was met, the record still says open: nothing is overwritten.
    assert status_at(obligation, history, met.at - US).state is ObligationState.OPEN
    with pytest.raises(InputError, match="already_met"):
        meet(obligation, history, at=obligation.deadline, by="GBR", evidence="again")
    late = meet(obligation, [opened(obligation)], at=obligation.deadline, by="GBR", evidence="x")
    assert status_at(obligation, [late], obligation.deadline).late


@pytest.fixture(scope="module")
def scenario() -> InstrumentSet:
    return load_instruments(SCENARIO)


def test_scenario_loads_with_the_three_instruments(scenario: InstrumentSet) -> None:
    ids = [i.id for i in scenario.instruments]
    assert ids == ["paris-2026", "bilateral-2024", "tiered-response-ft-2026"]
    tiered = scenario.instrument("tiered-response-ft-2026")
    assert tiered.as_reported
    assert "AS REPORTED" in tiered.title
    assert any("straitstimes" in (s.url or "") for s in tiered.sources)
    paris = scenario.instrument("paris-2026")
    assert paris.special_commission
    assert all(r.source.illustrative for r in paris.ratifications)


def test_tiered_response_levels_one_two_three(scenario: InstrumentSet) -> None:
    """A breach unremedied for 72 h with a ground advance on the way sets off all three tiers."""
    start = scenario.ceasefire_in_force_from
    assert start is not None
    breach = make_fact(id="V-100", observed_at=start + 6 * H, severity=2, rule_id="R1")
    advance_fact = make_fact(
        id="I-200",
        category=Category.ARMOUR,
        rule_id="R6",
        severity=2,
        attributed_to="RUS",
        side_party="UKR",
        distance_to_line_km=6.0,
        observed_at=start + 40 * H,
    )
    alerts = replay(scenario, [breach, advance_fact], at=start + 100 * H)
    tiered = scenario.instrument("tiered-response-ft-2026")
    obligations = [o for a in alerts for o in obligations_for(a, tiered)]
    by_level = {}
    for obligation in sorted(obligations, key=lambda o: o.created_at, reverse=True):
        by_level[obligation.level] = obligation  # the earliest per level (the advance is a
    t0 = breach.recorded_at  # breach too, and starts its own level-1 and level-2 clock)
    assert by_level[1].created_at == t0
    assert by_level[1].deadline == t0 + 24 * H
    assert by_level[2].created_at == t0 + 24 * H  # the breach persisted 24 h
    assert by_level[3].created_at == t0 + 72 * H  # wider attack, 72 h after the initial breach
    assert by_level[3].owner == "USA"
    # The bilateral agreement asks for consultation within 24 h of the advance.
    bilateral = scenario.instrument("bilateral-2024")
    (consult,) = [o for a in alerts for o in obligations_for(a, bilateral)]
    assert consult.deadline - consult.created_at == 24 * H
    assert consult.created_at == advance_fact.recorded_at


def test_a_remedied_breach_stops_at_level_one(scenario: InstrumentSet) -> None:
    start = scenario.ceasefire_in_force_from
    assert start is not None
    breach = make_fact(id="V-1", observed_at=start + H, severity=2)
    remedy = make_fact(
        id="V-1",
        observed_at=start + H,
        recorded_at=start + 10 * H,
        remedied_at=start + 9 * H,
        severity=2,
        revision=1,
    )
    alerts = replay(scenario, [breach, remedy], at=start + 100 * H)
    tiered = scenario.instrument("tiered-response-ft-2026")
    levels = sorted(o.level for a in alerts for o in obligations_for(a, tiered))
    assert levels == [1]


def test_special_commission_case_breach_attribution_remedy(scenario: InstrumentSet) -> None:
    start = scenario.ceasefire_in_force_from
    assert start is not None
    fact = make_fact(id="V-9", observed_at=start + H, severity=3)
    alerts = replay(scenario, [fact], at=start + 2 * H)
    paris = scenario.instrument("paris-2026")
    ((case, opening),) = cases_for(alerts, paris)
    assert case.fact_id == "V-9"
    assert opening.stage is CaseStage.BREACH
    events = [opening]
    with pytest.raises(InputError, match="workflow"):
        advance(
            case,
            events,
            stage=CaseStage.REMEDY_DETERMINED,
            at=start + 3 * H,
            by="SC",
            remedy="withdraw",
        )
    with pytest.raises(InputError, match="party"):
        advance(case, events, stage=CaseStage.ATTRIBUTED, at=start + 3 * H, by="SC")
    events.append(
        advance(
            case,
            events,
            stage=CaseStage.ATTRIBUTION_PROPOSED,
            at=start + 3 * H,
            by="fusion",
            party="RUS",
            attribution_id="ATT-5",
        )
    )
    events.append(
        advance(
            case,
            events,
            stage=CaseStage.ATTRIBUTED,
            at=start + 20 * H,
            by="commission:FRA",
            party="RUS",
            attribution_id="ATT-5",
        )
    )
    events.append(
        advance(
            case,
            events,
            stage=CaseStage.REMEDY_DETERMINED,
            at=start + 30 * H,
            by="commission:FRA",
            remedy="withdraw the battery 30 km; compensate",
        )
    )
    assert stage_of(events) is CaseStage.REMEDY_DETERMINED
    assert stage_of(events, start + 10 * H) is CaseStage.ATTRIBUTION_PROPOSED
    assert events[1].attribution_id == "ATT-5"
    assert cases_for(alerts, scenario.instrument("bilateral-2024")) == []
