"""Replays at a past moment see the incidents as they stood then: the verification states,
the Special Commission's attribution decisions and remedies, each from its own time."""

from __future__ import annotations

from datetime import datetime

import orjson
import pytest
from guarantee_store_seed import CEASEFIRE, SCENARIO, H, seed_monitoring
from sqlalchemy import Engine, create_engine, insert
from typer.testing import CliRunner

from ceasefire.cli.main import app
from ceasefire.fusion.verification import SYSTEM, StateChange, VerificationState
from ceasefire.guarantees.refresh import read_facts
from ceasefire.store.attribution_sql import add_attribution, add_decision, add_remedy
from ceasefire.store.fusion import incident_states
from ceasefire.store.fusion_queries import incident_marking
from ceasefire.store.fusion_sql import record_state
from ceasefire.store.guarantees import read_alerts
from ceasefire.store.guarantees_sql import SqlGuarantees

VERIFIED_AT = CEASEFIRE + 10 * H


def z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def cli(db: str, *args: str) -> str:
    result = CliRunner().invoke(app, ["--db", db, *args])
    assert result.exit_code == 0, (args, result.output)
    return result.output


def seed_verified_later(engine: Engine) -> None:
    """Incident 1 (a severity-3 violation, two sources) starts corroborated, as fusion set it,
    and an analyst verifies it ten hours into the ceasefire."""
    seed_monitoring(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(incident_states),
            [
                {"incident_pk": pk, "state": state, "author": SYSTEM, "at": z(CEASEFIRE + 3 * H)}
                for pk, state in ((1, "corroborated"), (2, "reported"))
            ],
        )
    change = StateChange(
        "1", VerificationState.CORROBORATED, VerificationState.VERIFIED, "analyst-1", VERIFIED_AT
    )
    record_state(engine, 1, change, VERIFIED_AT.isoformat(), marking=incident_marking(engine, 1))


def breach_alerts(db: str, at: datetime) -> dict[str, int]:
    """Per instrument, the red alerts ``guarantees status --at`` shows."""
    doc = orjson.loads(cli(db, "guarantees", "status", "--at", z(at), "--json"))
    return {i["id"]: i["alerts"].get("red", 0) for i in doc["instruments"]}


def test_a_state_recorded_later_is_a_later_revision(db: str) -> None:
    engine = create_engine(db)
    seed_verified_later(engine)
    facts = read_facts(SqlGuarantees(engine))
    assert [(f.id, f.revision, str(f.verification)) for f in facts] == [
        ("I-1", 0, "corroborated"),
        ("I-2", 0, "reported"),
        ("I-1", 1, "verified"),
    ]
    assert facts[-1].recorded_at == VERIFIED_AT
    before = read_facts(SqlGuarantees(engine), until=VERIFIED_AT - H)
    assert all(f.verification != "verified" for f in before)


def test_a_breach_verified_after_t_does_not_fire_in_a_replay_at_t(db: str) -> None:
    engine = create_engine(db)
    seed_verified_later(engine)
    cli(db, "guarantees", "load", str(SCENARIO))

    cli(db, "guarantees", "evaluate", "--at", z(CEASEFIRE + 6 * H))
    assert read_alerts(engine) == []  # corroborated only: the breach clauses need verified
    assert breach_alerts(db, CEASEFIRE + 6 * H) == {
        "paris-2026": 0,
        "bilateral-2024": 0,
        "tiered-response-ft-2026": 0,
    }

    cli(db, "guarantees", "evaluate", "--at", z(CEASEFIRE + 11 * H))
    fired = {(a.instrument_id, a.trigger_id): a.fired_at for a in read_alerts(engine)}
    assert fired == {
        ("paris-2026", "breach"): VERIFIED_AT,
        ("tiered-response-ft-2026", "breach"): VERIFIED_AT,
    }
    assert breach_alerts(db, CEASEFIRE + 6 * H)["paris-2026"] == 0  # still not, as of then
    assert breach_alerts(db, VERIFIED_AT)["paris-2026"] == 1


@pytest.mark.parametrize(("remedy_h", "persists"), [(30, False), (40, True)])
def test_an_upheld_attribution_and_its_remedy_count_from_their_times(
    db: str, remedy_h: int, persists: bool
) -> None:
    """The tiered plan's ``persists`` (24 h) fires 24 h after the verified breach unless a
    remedy was recorded by then; the Commission's decision names the party from its time."""
    engine = create_engine(db)
    seed_verified_later(engine)
    proposal = add_attribution(
        engine,
        {
            "violation_pk": 1,
            "party": "RUS",
            "basis": "analyst: fire origin",
            "confidence": 0.8,
            "proposed_by": "analyst-1",
            "proposed_at": (CEASEFIRE + 12 * H).isoformat(),
        },
        marking=None,  # the HQ system: every report of the incident
    )
    decision = add_decision(
        engine,
        {
            "attribution_pk": proposal,
            "decision": "upheld",
            "decided_by": "commissioner-1",
            "decided_at": (CEASEFIRE + 20 * H).isoformat(),
            "note": None,
        },
        marking=None,  # the HQ system: every report of the incident
    )
    add_remedy(
        engine,
        {
            "decision_pk": decision,
            "remedy": "withdraw the battery 15 km",
            "recorded_by": "commissioner-1",
            "recorded_at": (CEASEFIRE + remedy_h * H).isoformat(),
        },
        marking=None,  # the HQ system: every report of the incident
    )
    one = [f for f in read_facts(SqlGuarantees(engine)) if f.id == "I-1"]
    assert [(f.revision, f.attributed_to, f.attribution_id) for f in one] == [
        (0, None, None),
        (1, None, None),
        (2, "RUS", f"attribution-{proposal}"),
        (3, "RUS", f"attribution-{proposal}"),
    ]
    assert one[-1].remedied_at == CEASEFIRE + remedy_h * H
    assert [
        f.attributed_to for f in read_facts(SqlGuarantees(engine), until=CEASEFIRE + 19 * H)
    ] == [None] * 3

    cli(db, "guarantees", "load", str(SCENARIO))
    cli(db, "guarantees", "evaluate", "--at", z(CEASEFIRE + 50 * H))
    fired = {a.trigger_id: a.fired_at for a in read_alerts(engine)}
    assert ("persists" in fired) is persists
    if persists:
        assert fired["persists"] == VERIFIED_AT + 24 * H
