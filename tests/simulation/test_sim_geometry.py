"""Truth and geometry: bearings cross near the true point; rules match the real placement."""

from __future__ import annotations

import dataclasses

import numpy as np

from ceasefire.geo.placement import place_points
from ceasefire.reports.model import FIRE_CATEGORIES, Category, WeaponClass
from ceasefire.simulation.events import CATEGORIES, KINDS, WEAPONS, EventKind
from ceasefire.simulation.lines import bearing_distance
from ceasefire.simulation.observers import OBSERVER_KINDS, ObserverKind
from ceasefire.simulation.params import SimulationParams
from ceasefire.simulation.reports import ROLES, Role
from ceasefire.simulation.run import Simulation, simulate
from ceasefire.simulation.world import World


def _ray_intersection(
    p: tuple[float, float], a_deg: float, q: tuple[float, float], b_deg: float
) -> tuple[float, float] | None:
    """Where two bearings (degrees true) from p and q cross, in local metres; None if parallel."""
    da = np.array([np.sin(np.radians(a_deg)), np.cos(np.radians(a_deg))])
    db = np.array([np.sin(np.radians(b_deg)), np.cos(np.radians(b_deg))])
    m = np.column_stack([da, -db])
    if abs(np.linalg.det(m)) < 0.2:  # nearly parallel: no usable fix
        return None
    t = np.linalg.solve(m, np.array(q) - np.array(p))
    if t[0] < 0 or t[1] < 0:
        return None
    return (p[0] + t[0] * da[0], p[1] + t[0] * da[1])


def test_bearings_from_several_posts_cross_near_the_true_location(paris_sim: Simulation) -> None:
    r, e, world = paris_sim.reports, paris_sim.events, paris_sim.world
    original = ROLES.index(Role.ORIGINAL)
    bearing = (r.event >= 0) & ~np.isnan(r.bearing_deg) & (r.role == original)
    idx = np.flatnonzero(bearing)
    # Stated half-widths are honest: ~95 % of true bearings lie inside them.
    true_az, _ = bearing_distance(
        r.obs_lon[idx], r.obs_lat[idx], e.lon[r.event[idx]], e.lat[r.event[idx]]
    )
    off = np.abs((r.bearing_deg[idx] - true_az + 180.0) % 360.0 - 180.0)
    assert np.mean(off <= r.bearing_error_deg[idx] + 0.5) > 0.9
    # Two best bearings of multi-observer events cross near the truth.
    errors = []
    by_event: dict[int, list[int]] = {}
    for i in idx.tolist():
        by_event.setdefault(int(r.event[i]), []).append(i)
    for event, found in by_event.items():
        rows = sorted(found, key=lambda i: (r.bearing_error_deg[i], i))
        firsts: dict[tuple[float, float], int] = {}
        for i in rows:
            firsts.setdefault((r.obs_lon[i], r.obs_lat[i]), i)
        best = list(firsts.values())[:2]
        if len(best) < 2:
            continue
        ox, oy = world.metres.xy(r.obs_lon[best], r.obs_lat[best])
        fix = _ray_intersection(
            (ox[0], oy[0]), r.bearing_deg[best[0]], (ox[1], oy[1]), r.bearing_deg[best[1]]
        )
        if fix is None:
            continue
        tx, ty = world.metres.xy(e.lon[[event]], e.lat[[event]])
        errors.append(float(np.hypot(fix[0] - tx[0], fix[1] - ty[0])))
    assert len(errors) > 500
    assert np.median(errors) < 1500.0


def test_rules_in_truth_agree_with_placement_of_the_true_point(paris_sim: Simulation) -> None:
    e, world = paris_sim.events, paris_sim.world
    placed = place_points(world.geography, e.lon, e.lat, np.zeros(len(e)))
    zone = list(placed.zone_ids).index("withdrawal-artillery-ge100")
    heavy = (e.category == CATEGORIES.index(Category.HEAVY_WEAPON)) & (
        e.weapon == WEAPONS.index(WeaponClass.ARTILLERY_GE_100)
    )
    started = e.t_s >= 0  # the run starts at entry into force; R2 has no later start
    expected = (
        heavy
        & started
        & placed.inside[:, zone]
        & ~placed.at_storage_site
        & ~placed.near_storage_site
    )
    found = np.asarray([any(b.rule_id == "R2" for b in bs) for bs in paris_sim.judgement.breaches])
    assert found.sum() > 0
    fire = np.isin(e.category, [CATEGORIES.index(c) for c in FIRE_CATEGORIES])
    np.testing.assert_array_equal(found & ~fire, expected)
    # Fire of such artillery from the zone breaks it too (a weapon firing there is there).
    fire_ge100 = fire & (e.weapon == WEAPONS.index(WeaponClass.ARTILLERY_GE_100)) & started
    in_zone = placed.inside[:, zone] & ~placed.at_storage_site & ~placed.near_storage_site
    assert (fire_ge100 & in_zone).any()
    np.testing.assert_array_equal(found[fire_ge100 & in_zone], True)
    np.testing.assert_array_equal(
        found[fire & ~(placed.inside[:, zone] | placed.possibly_inside[:, zone])], False
    )
    # Heavy weapons put at storage sites break no withdrawal rule.
    stored = e.kind == KINDS.index(EventKind.AT_STORAGE)
    assert stored.any()
    assert placed.at_storage_site[stored].all()
    withdrawal = {"R2", "R3", "R4", "R5"}
    assert not any(
        b.rule_id in withdrawal
        for i in np.flatnonzero(stored)
        for b in paris_sim.judgement.breaches[i]
    )


def test_attribution_is_the_side_the_fire_came_from(paris_sim: Simulation) -> None:
    e, world = paris_sim.events, paris_sim.world
    fire = np.flatnonzero(~np.isnan(e.origin_lon))
    side = place_points(
        world.geography, e.origin_lon[fire], e.origin_lat[fire], np.zeros(fire.size)
    ).party_index
    np.testing.assert_array_equal(side, e.party[fire])
    explosions = fire[e.category[fire] == CATEGORIES.index(Category.EXPLOSION)]
    landed = place_points(
        world.geography, e.lon[explosions], e.lat[explosions], np.zeros(explosions.size)
    ).party_index
    assert np.mean(landed != e.party[explosions]) > 0.8  # shells mostly land across the line


def test_attacks_on_the_force_are_reported_by_the_force(
    paris_world: World, paris_params: SimulationParams
) -> None:
    events = dataclasses.replace(
        paris_params.events,
        attack_on_force=dataclasses.replace(paris_params.events.attack_on_force, per_day=5.0),
    )
    sim = simulate(paris_world, dataclasses.replace(paris_params, events=events), days=1, seed=3)
    attacks = np.flatnonzero(sim.events.category == CATEGORIES.index(Category.ATTACK_ON_FORCE))
    assert attacks.size > 0
    assert {sim.world.party_ids[p] for p in sim.events.party[attacks]} == {"RUS"}
    names = [name for name, _ in sim.network.sources]
    for event in attacks.tolist():
        sources = {names[s] for s in sim.reports.source[sim.reports.event == event]}
        assert "mnf:jocc" in sources
    assert all(any(b.rule_id == "R13" for b in sim.judgement.breaches[i]) for i in attacks)


def test_sensor_points_miss_the_truth_by_about_their_cep(paris_sim: Simulation) -> None:
    r, e = paris_sim.reports, paris_sim.events
    uav = OBSERVER_KINDS.index(ObserverKind.UAV)
    rows = np.flatnonzero(
        (r.kind == uav)
        & (r.event >= 0)
        & (r.role == ROLES.index(Role.ORIGINAL))
        & (e.category[np.maximum(r.event, 0)] != CATEGORIES.index(Category.SENSOR_IMPEDED))
    )
    assert rows.size > 100
    _, miss = bearing_distance(r.lon[rows], r.lat[rows], e.lon[r.event[rows]], e.lat[r.event[rows]])
    # CEP is the median miss: half the points fall inside their stated radius.
    assert 0.4 < np.mean(miss <= r.uncertainty_m[rows]) < 0.6
