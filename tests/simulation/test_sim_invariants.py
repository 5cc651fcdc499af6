"""Invariants of any run, whatever the seed (hypothesis picks the seeds)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ceasefire.simulation.params import SimulationParams
from ceasefire.simulation.reports import ROLES, Role
from ceasefire.simulation.run import simulate
from ceasefire.simulation.world import World


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_seed_gives_a_consistent_history(
    paris_world: World, paris_params: SimulationParams, seed: int
) -> None:
    sim = simulate(paris_world, paris_params, days=1, seed=seed)
    r, e = sim.reports, sim.events
    n = len(r)
    rows = np.arange(n)
    assert np.all(np.diff(r.arrival_s) >= 0)  # arrival order
    assert np.all(np.diff(e.t_s) >= 0)  # events in time order
    assert np.all((r.event >= -1) & (r.event < len(e)))
    amends = r.amends_row >= 0
    assert np.all(r.amends_row[amends] < rows[amends])  # what is amended arrived before
    assert np.all(r.source[r.amends_row[amends]] == r.source[amends])  # by the same source
    copies = r.copy_of >= 0
    assert np.all(r.copy_of[copies] < rows[copies])
    assert np.all(r.role[copies] == ROLES.index(Role.REDELIVERY))
    keys = set(zip(r.source[~copies].tolist(), sim.seq[~copies].tolist(), strict=True))
    assert len(keys) == int((~copies).sum())  # ids unique, copies excepted
    assert np.all(r.withdrawn <= amends)  # a withdrawal always names what it withdraws
    # Reports of a true event are never observed before it started (minute rounding aside).
    linked = r.event >= 0
    assert np.all(r.observed_s[linked] >= e.t_s[r.event[linked]] - 3600.0)
    assert len(sim.judgement.breaches) == len(e)
