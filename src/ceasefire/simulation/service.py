"""Load a scenario, simulate, write: the one call the CLI and the demo make."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ceasefire.simulation.params import load_params
from ceasefire.simulation.run import simulate
from ceasefire.simulation.world import load_world
from ceasefire.simulation.writer import write_simulation

#: File of a scenario directory that holds its simulation parameters.
PARAMS_FILE = "simulation.yaml"


def simulate_scenario(
    scenario_dir: Path, out_dir: Path, *, days: int, seed: int, params_path: Path | None = None
) -> dict[str, Any]:
    """Simulate ``days`` days of scenario ``scenario_dir`` into ``out_dir``; return the manifest.

    ``params_path`` defaults to ``scenario_dir / "simulation.yaml"``. Writes
    ``reports.ndjson``, ``truth.ndjson``, ``coverage.ndjson`` and ``manifest.json``
    (see ``writer``).
    """
    world = load_world(scenario_dir)
    params = load_params(params_path or scenario_dir / PARAMS_FILE)
    sim = simulate(world, params, days=days, seed=seed)
    return write_simulation(sim, out_dir, scenario=scenario_dir.name)
