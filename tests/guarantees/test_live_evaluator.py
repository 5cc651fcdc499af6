"""The live evaluator names what a full re-evaluation of the same store names.

Random ingests (``test_guarantees_refresh.ingest``: incidents, some observed long before they
are reported, some received before the previous evaluation, analysts' verifications,
attribution decisions and remedies) and, now and then, a re-fusion that supersedes an
incident by a successor holding its report. After each, the live service catches up
(``live_service.catch_up``), sometimes from nothing held in memory, so from the stored
checkpoint; its alerts must equal ``replay`` over every fact read back from the store at the
same instant: same ids, firing times, evidence and measures. Both backends (``db``).
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, create_engine, func, insert, select, update
from test_guarantees_refresh import GUARANTEES, START, ingest, seed_base

from ceasefire.clock import FixedClock
from ceasefire.errors import InputError
from ceasefire.guarantees.alerts import Alert
from ceasefire.guarantees.evaluate import replay
from ceasefire.guarantees.live import FactDelta, LiveEvaluator
from ceasefire.guarantees.live_service import LiveGuarantees, catch_up
from ceasefire.guarantees.loader import parse_instruments
from ceasefire.guarantees.refresh import load_instrument_set, read_facts
from ceasefire.store import schema
from ceasefire.store.changes import INCIDENT, SUPERSEDED, log_changes
from ceasefire.store.guarantee_checkpoints import guarantee_checkpoints
from ceasefire.store.guarantees import read_alerts, save_instrument_file
from ceasefire.store.guarantees_sql import SqlGuarantees


def refuse(engine: Engine, rng: random.Random) -> None:
    """Supersede a random active incident by a successor holding the same report, logged as
    fusion logs it (``store/changes.py``: the evaluator follows the change log)."""
    i = schema.incidents
    with engine.connect() as conn:
        active = list(conn.execute(select(i).where(i.c.status == "active")))
        top = conn.execute(select(func.max(i.c.pk))).scalar()
    if not active or top is None:
        return
    old = rng.choice(active)
    with engine.begin() as conn:
        conn.execute(update(i).where(i.c.pk == old.pk).values(status="superseded"))
        values = {k: v for k, v in old._mapping.items() if k != "pk"}
        values |= {"pk": top + 1, "count": int(old._mapping["count"]) + 1}
        conn.execute(insert(i).values(values))
        reports = select(schema.incident_reports.c.report_pk).where(
            schema.incident_reports.c.incident_pk == old.pk
        )
        for report_pk in list(conn.execute(reports).scalars()):
            conn.execute(
                insert(schema.incident_reports).values(incident_pk=top + 1, report_pk=report_pk)
            )
        log_changes(conn, {INCIDENT: [top + 1], SUPERSEDED: [old.pk]}, START.isoformat())


def comparable(alerts: list[Alert]) -> list[tuple[object, ...]]:
    return [(a.id, a.fired_at, a.fact_ids, dict(a.measures)) for a in alerts]


@pytest.mark.parametrize("seed", [1, 2])
def test_live_alerts_equal_full_reevaluation_across_checkpoints(db: str, seed: int) -> None:
    rng = random.Random(seed)
    engine = create_engine(db)
    store = SqlGuarantees(engine)
    seed_base(engine)
    instruments = parse_instruments(GUARANTEES)
    save_instrument_file(engine, GUARANTEES, "g.yaml", instruments, clock=FixedClock(START))
    now = START
    live: LiveGuarantees | None = None
    restored = refused = 0
    full: list[Alert] = []
    for _ in range(30):
        now += timedelta(hours=rng.choice([2, 6, 12, 20]))
        # Sometimes received hours late: revisions recorded before the last evaluation.
        ingest(engine, rng, now - timedelta(hours=rng.choice([0, 0, 3, 8])))
        if rng.random() < 0.25:
            refuse(engine, rng)
            refused += 1
        if live is not None and rng.random() < 0.3:
            live, restored = None, restored + 1  # a restart: resume from the checkpoint
        every = 0.0 if rng.random() < 0.5 else 1e9
        live, _ = catch_up(store, live, clock=FixedClock(now), checkpoint_every_s=every)
        at = live.evaluator.at
        assert at is not None
        full = replay(load_instrument_set(store), read_facts(store), at=at)
        assert comparable(live.evaluator.alerts) == comparable(full)
        recorded = {a.id for a in read_alerts(engine)}
        assert {a.id for a in live.evaluator.alerts} <= recorded
    assert len(full) > 3  # the scenario fires
    assert restored
    assert refused


def test_checkpoint_migration_matches_the_metadata(db: str) -> None:
    ours = MetaData()
    guarantee_checkpoints.to_metadata(ours)
    with create_engine(db).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), ours)
    assert [d for d in diff if "guarantee_checkpoints" in repr(d)] == []  # columns, types, keys


def test_checkpoint_round_trip_and_refusal() -> None:
    live = LiveEvaluator(parse_instruments(GUARANTEES))
    live.apply(FactDelta(), at=START)
    again = LiveEvaluator.restore(live.checkpoint(), live.instruments)
    assert again.at == START
    assert again.alerts == live.alerts
    with pytest.raises(InputError, match="checkpoint"):
        LiveEvaluator.restore(b"not a checkpoint", live.instruments)
