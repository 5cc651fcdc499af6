"""Ground truth: which rules each true event breaks, judged by the real rules engine.

True positions go through the same ``place_points`` and ``evaluate_rules`` the monitoring
system uses, so the truth and the system can only disagree because of what the reports got
wrong, never because of two geometries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ceasefire.assessment.rules import evaluate_rules
from ceasefire.geo.placement import Placements
from ceasefire.simulation.events import EventTable
from ceasefire.simulation.lines import FloatArray
from ceasefire.simulation.world import World


@dataclass(frozen=True)
class _TrueColumns:
    """What the rules read, for true events (``RuleColumns``)."""

    category: NDArray[np.int16]
    weapon_class: NDArray[np.int16]
    observed_at_s: FloatArray


@dataclass(frozen=True)
class Breach:
    """One rule broken by one true event."""

    rule_id: str
    certainty: str
    zone_id: str | None


@dataclass(frozen=True)
class EventJudgement:
    """Placement of every true event and the rules each breaks (``breaches[i]``)."""

    placements: Placements
    breaches: tuple[tuple[Breach, ...], ...]


def judge_events(world: World, events: EventTable, start_epoch_s: float) -> EventJudgement:
    """Place every true event at its exact position and evaluate the agreement's rules."""
    placements = world.place(events.lon, events.lat)
    columns = _TrueColumns(
        category=events.category,
        weapon_class=events.weapon,
        observed_at_s=start_epoch_s + events.t_s,
    )
    batch = evaluate_rules(world.agreement, columns, placements)
    found: list[list[Breach]] = [[] for _ in range(len(events))]
    for index, rule_id, certainty, zone_id in zip(
        batch.report_index.tolist(),
        batch.rule_id.tolist(),
        batch.certainty.tolist(),
        batch.zone_id.tolist(),
        strict=True,
    ):
        found[index].append(Breach(str(rule_id), str(certainty), zone_id))
    return EventJudgement(placements, tuple(tuple(b) for b in found))
