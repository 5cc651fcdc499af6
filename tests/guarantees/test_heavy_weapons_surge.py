"""The heavy-weapons trigger on a simulated surge in which explosions are about 90 % of the
counted violations (as on 18 Feb 2022: 1,413 explosions of 1,566): fire of artillery of
100 mm and more or MLRS located inside their withdrawal zones breaks the zones' rules, so the
trigger's zone test matches it (issue 18, point 4)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from surge_history import MINSK, ingest_history, simulate_surge, surge_params

from ceasefire.guarantees.evaluate import replay
from ceasefire.guarantees.loader import load_instruments
from ceasefire.guarantees.refresh import read_facts
from ceasefire.guarantees.triggers import HEAVY_CLASSES, TriggerKind
from ceasefire.reports.model import FIRE_CATEGORIES, Category, FireDirection
from ceasefire.store.guarantees_sql import SqlGuarantees


def test_heavy_weapons_trigger_fires_on_a_surge_of_explosions(db: str, tmp_path: Path) -> None:
    sim = simulate_surge(surge_params((12.08, 15.5)), days=2, seed=3)
    cats = list(Category)
    fire = np.isin(sim.events.category, [cats.index(c) for c in FIRE_CATEGORIES])
    explosion = sim.events.category == cats.index(Category.EXPLOSION)
    share = sim.events.count[explosion].sum() / sim.events.count[fire].sum()
    assert share > 0.85  # the shape of 18 Feb 2022
    assert sim.events.count[fire].sum() / 2 > 1_000  # a surge day, not a quiet one

    store = ingest_history(sim, tmp_path, db)
    facts = read_facts(SqlGuarantees(store.engine))
    store.close()
    instruments = load_instruments(MINSK / "guarantees.yaml")
    end = max(f.recorded_at for f in facts)
    heavy = [
        a for a in replay(instruments, facts, at=end) if a.kind is TriggerKind.HEAVY_WEAPONS_USE
    ]
    assert heavy, "no heavy-weapons alert on a surge of artillery fire near the line"
    by_id = {f.id: f for f in facts}
    zones = {"withdrawal-artillery-ge100", "withdrawal-mlrs", "withdrawal-heavy-mlrs"}
    for alert in heavy:
        fact = by_id[alert.fact_ids[0]]
        assert fact.category in FIRE_CATEGORIES  # fire, not a sighting: the new path
        assert fact.weapon_class in HEAVY_CLASSES
        assert fact.fire_direction not in {FireDirection.IMPACT, FireDirection.AIRBURST}
        assert fact.zone_ids & zones
        assert fact.rule_id in {"R2", "R3", "R4"}
        assert alert.fired_at <= datetime.fromtimestamp(sim.start_epoch_s + 2 * 86_400, UTC)
    assert any(by_id[a.fact_ids[0]].category is Category.EXPLOSION for a in heavy)
