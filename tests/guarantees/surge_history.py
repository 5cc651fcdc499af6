"""A simulated February-2022-shaped surge on the Minsk line, ingested through the real
pipeline (parse, place, rules, fusion) into a SQLite store: what the guarantees read."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from ceasefire.clock import FixedClock
from ceasefire.pipeline.agreements import load_agreement_file
from ceasefire.pipeline.ingest import ingest_files
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.parse import ReportFormat
from ceasefire.scenarios import scenario_dir
from ceasefire.settings import Settings
from ceasefire.simulation.params import SimulationParams, load_params
from ceasefire.simulation.run import Simulation, simulate
from ceasefire.simulation.world import load_world
from ceasefire.simulation.writer import write_simulation
from ceasefire.store.base import open_store
from ceasefire.store.core_store import CoreStore

MINSK = scenario_dir("minsk-2015")
SURGE_PARAMS = MINSK / "surge-2022.yaml"


def surge_params(day_factors: tuple[float, ...] | None = None) -> SimulationParams:
    """The scenario's surge parameters, optionally with another schedule of day factors."""
    params = load_params(SURGE_PARAMS)
    if day_factors is None:
        return params
    fire = dataclasses.replace(params.events.fire, day_factors=day_factors)
    return dataclasses.replace(params, events=dataclasses.replace(params.events, fire=fire))


def simulate_surge(params: SimulationParams, *, days: int, seed: int) -> Simulation:
    """``days`` days of the Minsk line under ``params``."""
    return simulate(load_world(MINSK), params, days=days, seed=seed)


def ingest_history(sim: Simulation, directory: Path, db: str) -> CoreStore:
    """A store holding the Minsk agreement and every simulated report, fused. The clock stands
    at the simulation's start, so each report counts as known when it was observed."""
    write_simulation(sim, directory / "sim", scenario="minsk-2015")
    store = open_store(Settings(db=db))
    assert isinstance(store, CoreStore)
    store.init_schema()
    load_agreement_file(store, MINSK / "agreement.yaml")
    ingest_files(
        store,
        [directory / "sim" / "reports.ndjson"],
        fmt=ReportFormat.NDJSON,
        gazetteer=Gazetteer.default(),
        clock=FixedClock(datetime.fromtimestamp(sim.start_epoch_s, UTC)),
        parallel=False,
    )
    return store
