"""Live refresh after each ingest: incremental runs record what whole-history runs record.

Two copies of one store receive the same random ingests (incidents, some observed long
before they are reported, analysts' verifications, attribution decisions and remedies);
after each, one is refreshed as ingest does (incremental), the other with the evaluation
marks removed (so the whole history is replayed, as before). Their records — alerts with
times and evidence, obligations — agree.

Reports are received when ingested, as live. (A replayed stream whose received times fall
before the previous run can change alerts already recorded; a full replay then renumbers
``all`` episodes and may lose one to an id already on record, while the incremental run
keeps the record and numbers on: the two differ there by design, see docs/guarantees.md.)
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, delete, func, insert, select

from ceasefire.clock import FixedClock
from ceasefire.guarantees.loader import parse_instruments
from ceasefire.guarantees.refresh import refresh_guarantees
from ceasefire.store import schema
from ceasefire.store.attribution_sql import add_attribution, add_decision, add_remedy
from ceasefire.store.changes import INCIDENT, STATE, log_changes
from ceasefire.store.fusion import incident_states
from ceasefire.store.guarantees import (
    guarantee_evaluations,
    read_alerts,
    read_obligations,
    save_instrument_file,
)
from ceasefire.store.guarantees_sql import SqlGuarantees

START = datetime.fromisoformat("2027-01-01T00:00:00+00:00")
GUARANTEES = """\
version: 1
ceasefire: {in_force_from: 2027-01-04T00:00:00Z}
instruments:
  - id: pact
    title: Every kind the window depends on (test)
    parties: {guarantors: [GBR], beneficiary: UKR}
    legal_form: political
    entry_into_force:
      - {kind: ceasefire_in_force}
    triggers:
      - {id: breach, kind: breach, min_severity: 2}
      - {id: persists, kind: persistent_breach, hours: 12, min_severity: 2}
      - {id: surge, kind: surge, k: 2, baseline_days: 3, level: amber}
      - {id: both, kind: all, of: [persists, surge], window_h: 36}
    obligations:
      - {id: consult, trigger: breach, owner: GBR, kind: consult, level: 0, due_h: 24, text: C}
"""


def seed_base(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(schema.agreement_versions).values(
                pk=1,
                agreement_id="p",
                version=1,
                name="p",
                source_text="",
                geojson="{}",
                source_path="",
                loaded_at=START.isoformat(),
            )
        )
        conn.execute(
            insert(schema.ingest_runs).values(
                pk=1, started_at=START.isoformat(), files="[]", status="done"
            )
        )


def ingest(engine: Engine, rng: random.Random, now: datetime) -> None:
    """A few incidents (one report each, received now; some observed a day or more ago), an
    analyst's verification and attribution decisions on older ones."""
    with engine.connect() as conn:
        base = conn.execute(select(func.coalesce(func.max(schema.incidents.c.pk), 0))).scalar()
    assert base is not None
    with engine.begin() as conn:
        stated: list[int] = []
        for k in range(base + 1, base + rng.randint(1, 12)):
            stated.append(k)
            observed = now - timedelta(hours=rng.choice([0, 1, 3, 30]))
            received = now + timedelta(minutes=rng.randint(0, 90))
            conn.execute(
                insert(schema.reports).values(
                    pk=k,
                    id=f"r{k}",
                    source=f"op-{k % 3}",
                    category="explosion",
                    observed_at=observed.timestamp(),
                    content_hash=k.to_bytes(16, "big"),
                    received_at=received.isoformat(),
                    source_type="observation_post",
                    reliability="B",
                    credibility=2,
                    withdrawn=False,
                    classification="UNCLASSIFIED",
                    raw="{}",
                    ingest_run_pk=1,
                    zones_inside=0,
                    zones_possibly_inside=0,
                    agreement_version_pk=1,
                    status="active",
                    count=rng.randint(1, 4),
                    party="UKR",
                )
            )
            conn.execute(
                insert(schema.incidents).values(
                    pk=k,
                    status="active",
                    observed_at=observed.timestamp(),
                    lon=rng.choice([37.8, 36.2]),  # Donetsk or Kharkiv oblast
                    lat=48.0 if rng.random() < 0.5 else 49.9,
                    category="explosion",
                    count=rng.randint(1, 4),
                    agreement_version_pk=1,
                )
            )
            conn.execute(insert(schema.incident_reports).values(incident_pk=k, report_pk=k))
            conn.execute(
                insert(incident_states).values(
                    incident_pk=k, state="reported", author="fusion", at=now.isoformat()
                )
            )
            if rng.random() < 0.4:
                conn.execute(
                    insert(schema.violations).values(
                        pk=k,
                        incident_pk=k,
                        rule_id="R1",
                        article="a",
                        severity=3,
                        certainty="certain",
                        agreement_version_pk=1,
                        observed_at=observed.timestamp(),
                        active=True,
                    )
                )
        if base and rng.random() < 0.6:
            conn.execute(
                insert(incident_states).values(
                    incident_pk=rng.randint(1, base),
                    state="verified",
                    author="analyst",
                    at=now.isoformat(),
                )
            )
        # as fusion and the analysts' writes log them (``store/changes.py``)
        s = incident_states
        states = conn.execute(select(s.c.pk).where(s.c.at == now.isoformat())).scalars()
        log_changes(conn, {INCIDENT: stated, STATE: list(states)}, now.isoformat())
    with engine.connect() as conn:
        violated = list(conn.execute(select(schema.violations.c.pk)).scalars())
    if violated and rng.random() < 0.5:
        proposal = add_attribution(
            engine,
            {
                "violation_pk": rng.choice(violated),
                "party": "RUS",
                "basis": "b",
                "confidence": 0.7,
                "proposed_by": "a",
                "proposed_at": now.isoformat(),
            },
            marking=None,  # the HQ system: every report of the incident
        )
        decision = add_decision(
            engine,
            {
                "attribution_pk": proposal,
                "decision": "upheld",
                "decided_by": "c",
                "decided_at": now.isoformat(),
                "note": None,
            },
            marking=None,  # the HQ system: every report of the incident
        )
        if rng.random() < 0.5:
            add_remedy(
                engine,
                {
                    "decision_pk": decision,
                    "remedy": "r",
                    "recorded_by": "c",
                    "recorded_at": now.isoformat(),
                },
                marking=None,  # the HQ system: every report of the incident
            )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_refresh_records_what_full_refresh_records(
    db: str, other_db: str, seed: int
) -> None:
    rng = random.Random(seed)
    live, full = create_engine(db), create_engine(other_db)
    instruments = parse_instruments(GUARANTEES)
    for engine in (live, full):
        seed_base(engine)
        save_instrument_file(engine, GUARANTEES, "g.yaml", instruments, clock=FixedClock(START))
    now = START
    windows = 0
    for _ in range(40):
        now += timedelta(hours=rng.choice([2, 6, 12, 20]))
        state = rng.getstate()
        for engine in (live, full):
            rng.setstate(state)
            ingest(engine, rng, now)
        with full.begin() as conn:
            conn.execute(delete(guarantee_evaluations))
        a = refresh_guarantees(SqlGuarantees(live), clock=FixedClock(now))
        b = refresh_guarantees(SqlGuarantees(full), clock=FixedClock(now))
        windows += a.facts < b.facts
        assert read_alerts(live) == read_alerts(full)
        assert [o for o, _ in read_obligations(live)] == [o for o, _ in read_obligations(full)]
    assert len(read_alerts(live)) > 3  # the scenario fires: breaches, persistence, surges
    assert windows > 15  # most runs read only a window


def one_breach(engine: Engine, pk: int, *, received: datetime) -> None:
    """A verified incident ``pk`` with a severity-3 violation, its one report received (and
    observed) at ``received``, committed now with its change-log entries."""
    with engine.begin() as conn:
        conn.execute(
            insert(schema.reports).values(
                pk=pk,
                id=f"r{pk}",
                source="op-1",
                category="explosion",
                observed_at=received.timestamp(),
                content_hash=pk.to_bytes(16, "big"),
                received_at=received.isoformat(),
                source_type="observation_post",
                reliability="B",
                credibility=2,
                withdrawn=False,
                classification="UNCLASSIFIED",
                raw="{}",
                ingest_run_pk=1,
                zones_inside=0,
                zones_possibly_inside=0,
                agreement_version_pk=1,
                status="active",
                count=2,
                party="UKR",
            )
        )
        conn.execute(
            insert(schema.incidents).values(
                pk=pk,
                status="active",
                observed_at=received.timestamp(),
                lon=37.8,
                lat=48.0,
                category="explosion",
                count=2,
                agreement_version_pk=1,
            )
        )
        conn.execute(insert(schema.incident_reports).values(incident_pk=pk, report_pk=pk))
        conn.execute(  # its state's pk drawn with the incident's: below the other's too
            insert(incident_states).values(
                pk=pk, incident_pk=pk, state="verified", author="analyst", at=received.isoformat()
            )
        )
        conn.execute(
            insert(schema.violations).values(
                pk=pk,
                incident_pk=pk,
                rule_id="R1",
                article="a",
                severity=3,
                certainty="certain",
                agreement_version_pk=1,
                observed_at=received.timestamp(),
                active=True,
            )
        )
        log_changes(conn, {INCIDENT: [pk], STATE: [pk]}, received.isoformat())


def test_an_incident_committed_after_an_evaluation_with_a_lower_pk_is_evaluated(
    db: str, other_db: str
) -> None:
    # two writers: one drew pk 5 for a report received (as a backfill, say) days before the
    # refresh that saw pk 9, and commits it only after that refresh; pk 9 committed first
    live, full = create_engine(db), create_engine(other_db)
    instruments = parse_instruments(GUARANTEES)
    day = START + timedelta(days=12)
    for engine in (live, full):
        seed_base(engine)
        save_instrument_file(engine, GUARANTEES, "g.yaml", instruments, clock=FixedClock(START))
        one_breach(engine, 9, received=day + timedelta(hours=10, minutes=30))
    refresh_guarantees(SqlGuarantees(live), clock=FixedClock(day + timedelta(hours=11)))
    for engine in (live, full):
        one_breach(engine, 5, received=day - timedelta(days=6))
    refresh_guarantees(SqlGuarantees(live), clock=FixedClock(day + timedelta(hours=12)))
    refresh_guarantees(SqlGuarantees(full), clock=FixedClock(day + timedelta(hours=12)))
    alerts = read_alerts(live)
    assert alerts == read_alerts(full)
    evidence = {key for a in alerts if a.trigger_id == "breach" for key in a.report_ids}
    assert {"op-1/r5", "op-1/r9"} <= evidence
