"""Time ``ceasefire simulate`` for 30 days of paris-2026 (target: >= 100,000 reports in <= 30 s).

Phases: compiling the scenario's geography, simulating (events, observers, detection, errors,
truth), writing the three files. The baseline measured in the same run is the write floor:
``orjson.dumps`` of the same report objects, no simulation.

Last line: JSON with ``seconds`` (end to end, wall), ``cpu_seconds`` (this process),
``reports``, ``events``, ``world_seconds``, ``simulate_seconds``, ``write_seconds``,
``floor_write_seconds``.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import orjson

from ceasefire.scenarios import scenario_dir
from ceasefire.simulation.params import load_params
from ceasefire.simulation.run import simulate
from ceasefire.simulation.world import load_world
from ceasefire.simulation.writer import report_objects, write_simulation

DAYS = 30
SEED = 1
TARGET_S = 30.0
TARGET_REPORTS = 100_000


def main() -> None:
    directory = scenario_dir("paris-2026")
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    world = load_world(directory)
    t1 = time.perf_counter()
    sim = simulate(world, load_params(directory / "simulation.yaml"), days=DAYS, seed=SEED)
    t2 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        manifest = write_simulation(sim, Path(tmp), scenario="paris-2026")
    t3 = time.perf_counter()
    cpu = time.process_time() - cpu0
    objects = report_objects(sim)
    f0 = time.perf_counter()
    b"".join(orjson.dumps(o) + b"\n" for o in objects)
    floor = time.perf_counter() - f0
    figures = {
        "seconds": round(t3 - t0, 2),
        "cpu_seconds": round(cpu, 2),
        "reports": manifest["counts"]["reports"],
        "events": manifest["counts"]["events"],
        "world_seconds": round(t1 - t0, 2),
        "simulate_seconds": round(t2 - t1, 2),
        "write_seconds": round(t3 - t2, 2),
        "floor_write_seconds": round(floor, 3),
    }
    print(
        f"{DAYS} days of paris-2026, seed {SEED}: {figures['reports']:,} reports of "
        f"{figures['events']:,} true events"
    )
    print(
        f"geography {figures['world_seconds']} s, simulation {figures['simulate_seconds']} s, "
        f"writing {figures['write_seconds']} s: {figures['seconds']} s in all "
        f"(target <= {TARGET_S:.0f} s, >= {TARGET_REPORTS:,} reports)"
    )
    print(
        f"write floor (orjson only) {floor:.3f} s; writing is "
        f"{figures['write_seconds'] / max(floor, 1e-9):.1f}x the floor"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
