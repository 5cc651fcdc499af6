"""Same seed, same bytes; another seed, another history; parameters validated by path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ceasefire.cli.main import app
from ceasefire.errors import InputError
from ceasefire.scenarios import scenario_dir
from ceasefire.simulation.params import SimulationParams, load_params, params_hash, parse_params
from ceasefire.simulation.run import simulate
from ceasefire.simulation.world import World
from ceasefire.simulation.writer import write_simulation


def _bytes(world: World, params: SimulationParams, seed: int, out: Path) -> dict[str, bytes]:
    write_simulation(simulate(world, params, days=1, seed=seed), out, scenario="paris-2026")
    return {
        name: (out / name).read_bytes()
        for name in ("reports.ndjson", "truth.ndjson", "coverage.ndjson", "manifest.json")
    }


def test_same_seed_gives_byte_identical_files(
    paris_world: World, paris_params: SimulationParams, tmp_path: Path
) -> None:
    first = _bytes(paris_world, paris_params, 5, tmp_path / "a")
    second = _bytes(paris_world, paris_params, 5, tmp_path / "b")
    other = _bytes(paris_world, paris_params, 6, tmp_path / "c")
    assert first == second
    assert first["reports.ndjson"] != other["reports.ndjson"]


@pytest.mark.parametrize("scenario", ["paris-2026", "minsk-2015"])
def test_bundled_parameters_load(scenario: str) -> None:
    params = load_params(scenario_dir(scenario) / "simulation.yaml")
    assert params.events.fire.baseline_per_day > 0


def test_bad_parameter_names_its_path(tmp_path: Path) -> None:
    data = yaml.safe_load((scenario_dir("paris-2026") / "simulation.yaml").read_text())
    data["observers"]["uav"]["jam_probability"] = 1.5
    with pytest.raises(InputError) as err:
        parse_params(data)
    assert err.value.field == "observers.uav.jam_probability"
    data["observers"]["uav"]["jam_probability"] = 0.3
    data["events"]["fire"]["typo"] = 1
    with pytest.raises(InputError) as err:
        parse_params(data)
    assert err.value.field == "events.fire.typo"


def test_parameter_hash_ignores_key_order() -> None:
    data = yaml.safe_load((scenario_dir("paris-2026") / "simulation.yaml").read_text())
    reordered = dict(reversed(list(data.items())))
    assert params_hash(parse_params(data)) == params_hash(parse_params(reordered))


def test_cli_writes_the_four_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--scenario",
            "minsk-2015",
            "--days",
            "1",
            "--seed",
            "2",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert {p.name for p in tmp_path.iterdir()} == {
        "reports.ndjson",
        "truth.ndjson",
        "coverage.ndjson",
        "manifest.json",
    }
    bad = CliRunner().invoke(
        app, ["simulate", "--scenario", "atlantis", "--out", str(tmp_path / "x")]
    )
    assert bad.exit_code == 2
