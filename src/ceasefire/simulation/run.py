"""One simulation run, end to end, as a pure function of (scenario, parameters, days, seed).

Every step draws from its own child of ``numpy.random.SeedSequence(seed)``, in a fixed order,
so the same seed gives the same history and the same reports, byte for byte; no step reads
the clock or depends on dict or set order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from ceasefire.errors import InputError
from ceasefire.reports.model import Category
from ceasefire.simulation import events as ev
from ceasefire.simulation.detect import detect_areas, detect_ground, probability_table, range_table
from ceasefire.simulation.mishaps import corrections, false_reports, in_arrival_order, redeliveries
from ceasefire.simulation.observers import Network, build_network
from ceasefire.simulation.params import SimulationParams
from ceasefire.simulation.reports import ReportTable, from_detections, grade_table
from ceasefire.simulation.secondhand import (
    access_reports,
    force_reports,
    osint_reports,
    party_reports,
)
from ceasefire.simulation.truth import EventJudgement, judge_events
from ceasefire.simulation.world import World

#: Number of independent random streams (one per step below); never reorder them.
STREAMS = 17


@dataclass(frozen=True)
class Simulation:
    """Everything a run produced: true events (time order), reports (arrival order), truth."""

    world: World
    params: SimulationParams
    seed: int
    days: int
    start: datetime
    network: Network
    events: ev.EventTable
    judgement: EventJudgement
    reports: ReportTable
    seq: NDArray[np.int64]

    @property
    def start_epoch_s(self) -> float:
        """The start as epoch seconds (UTC); all table times count from it."""
        return self.start.timestamp()


def simulation_start(params: SimulationParams, world: World) -> datetime:
    """``params.start``, else the agreement's entry into force, as UTC."""
    start = params.start or world.agreement.in_force_from
    if start is None:
        raise InputError(
            "start", "required", "neither simulation.yaml nor the agreement gives a start"
        )
    if start.tzinfo is None:
        raise InputError("start", "timezone", "the start must carry a UTC offset")
    return start.astimezone(UTC)


def _sorted_events(
    parts: list[ev.EventTable], access: ev.EventTable
) -> tuple[ev.EventTable, NDArray[np.int64]]:
    """All events in time order (ties by kind and position), ``caused_by`` remapped.

    Returns the table and the new row of each access event (they come last in ``parts``).
    """
    table = ev.EventTable.concat([*parts, access])
    order = np.lexsort((table.lat, table.lon, table.kind, table.t_s))
    inverse = np.empty(len(table), dtype=np.int64)
    inverse[order] = np.arange(len(table))
    table = table.take(order)
    table = table.replace(
        caused_by=np.where(table.caused_by >= 0, inverse[np.maximum(table.caused_by, 0)], -1)
    )
    first_access = len(table) - len(access)
    return table, inverse[first_access:]


def simulate(world: World, params: SimulationParams, *, days: int, seed: int) -> Simulation:
    """Simulate ``days`` days of the mission from the scenario's start."""
    if days < 1:
        raise InputError("days", "minimum", "simulate at least one day")
    start = simulation_start(params, world)
    utc_offset_h = (
        start.astimezone(ZoneInfo(params.timezone)).utcoffset() or timedelta()
    ) / timedelta(hours=1)
    rng = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(STREAMS)]
    e, o = params.events, params.observers

    network = build_network(rng[0], world, o, days, utc_offset_h)
    fire = ev.EventTable.concat(
        [
            ev.baseline_fire(rng[1], world, e.fire, days, utc_offset_h),
            ev.flare_ups(rng[2], world, e.fire, e.flare_ups, days),
        ]
    )
    parts = [
        fire,
        ev.consequences(rng[3], fire, e.consequences, offset=0),
        ev.presence(
            rng[4],
            world,
            e.heavy_weapons,
            days,
            category=Category.HEAVY_WEAPON,
            kind=ev.EventKind.HEAVY_WEAPON,
        ),
        ev.presence(
            rng[5], world, e.armour, days, category=Category.ARMOUR, kind=ev.EventKind.ARMOUR
        ),
        ev.presence(
            rng[6],
            world,
            e.troop_movement,
            days,
            category=Category.TROOP_MOVEMENT,
            kind=ev.EventKind.TROOPS,
        ),
        ev.attacks_on_force(rng[7], world, e.attack_on_force, days),
    ]
    events, access_rows = _sorted_events(parts, network.access_events)

    audible = {c: k.audible_km for c, k in e.fire.kinds.items()}
    ranges, probability = range_table(o, audible), probability_table(o)
    grades = grade_table(o)
    ground = detect_ground(
        rng[8], world, events, network.stations, ranges=ranges, probability=probability
    )
    aerial = detect_areas(rng[9], world, events, network.areas, probability)
    observed = ReportTable.concat(
        [
            from_detections(rng[10], events, ground, o),
            from_detections(rng[10], events, aerial, o),
            access_reports(rng[11], network, access_rows, o, grades),
            osint_reports(rng[12], events, network, o, grades),
            party_reports(rng[13], world, events, network, o, grades=grades, days=days),
            force_reports(rng[16], events, network, o, grades),
        ]
    )
    end_s = days * ev.DAY_S
    r = params.reporting
    with_false = ReportTable.concat(
        [observed, false_reports(rng[14], observed, r.false_share, end_s)]
    )
    corrected = corrections(rng[15], with_false, events, r)
    final = redeliveries(rng[15], corrected, r.redelivery_share)
    ordered = in_arrival_order(final)
    judgement = judge_events(world, events, start.timestamp())
    return Simulation(
        world=world,
        params=params,
        seed=seed,
        days=days,
        start=start,
        network=network,
        events=events,
        judgement=judgement,
        reports=ordered.reports,
        seq=ordered.seq,
    )
