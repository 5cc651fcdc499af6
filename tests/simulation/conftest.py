"""Fixtures: the paris-2026 world (compiled once) and one short simulation written to disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from ceasefire.scenarios import scenario_dir
from ceasefire.simulation.params import SimulationParams, load_params
from ceasefire.simulation.run import Simulation, simulate
from ceasefire.simulation.world import World, load_world
from ceasefire.simulation.writer import write_simulation

#: Days and seed of the shared short run.
DAYS = 3
SEED = 11


@pytest.fixture(scope="session")
def paris_world() -> World:
    """The paris-2026 scenario's agreement and compiled geography."""
    return load_world(scenario_dir("paris-2026"))


@pytest.fixture(scope="session")
def paris_params() -> SimulationParams:
    """The scenario's own simulation parameters."""
    return load_params(scenario_dir("paris-2026") / "simulation.yaml")


@pytest.fixture(scope="session")
def paris_sim(paris_world: World, paris_params: SimulationParams) -> Simulation:
    """A short run of the default parameters."""
    return simulate(paris_world, paris_params, days=DAYS, seed=SEED)


@pytest.fixture(scope="session")
def paris_out(paris_sim: Simulation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The short run written to a directory."""
    out = tmp_path_factory.mktemp("sim")
    write_simulation(paris_sim, out, scenario="paris-2026")
    return out


@pytest.fixture(scope="session")
def paris_days() -> int:
    """Days of the shared short run."""
    return DAYS
