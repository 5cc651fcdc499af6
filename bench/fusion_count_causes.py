"""Why fused violation totals miss the truth: the error split by cause.

Every fused fire incident is matched to the true event most of its first-hand reports name
(an incident holding several events keeps the one with most reports), and fused - true is
split into:

* ``unheard``: the best first-hand observer of an event heard fewer rounds than were fired
  (or more: simulated counts also err upwards)
  (no estimate of the reports can see them; the truth's definition, not fusion);
* ``estimator``: the event's main incident, on its own reports of the event, counts ``best``
  instead of what the best observer heard;
* ``merge_pollution``: what the other events' reports merged into that incident change;
* ``merged_away``: a seen event that is the main event of no incident (its reports sit in
  another event's incident): its true count is lost;
* ``split``: further incidents of an event already counted by its main incident;
* ``second_hand_*``: incidents with no first-hand report (open sources, parties), naming an
  event a first-hand observer saw (``seen``: counted twice), one nobody first-hand saw
  (``unseen``) or none (``false``): not in a truth of what the mission saw;
* ``false_first_hand``: incidents whose first-hand reports name no true fire event;
* ``misplaced``: the main incident falls in another cell than its event (moves violations
  between cells; zero on the total).

Truth: the true counts of the fire events some first-hand observer reported (what a mission
could count). Scenarios:

* ``surge``: the surge of ``tests/fusion/test_counts.py`` (minsk-2015 ``surge-2022.yaml``,
  fire 18x, 4 days from 22:00 UTC, seed 5), cells = oblast x UTC day, the middle days scored;
* a ``scenarios2`` family name (``plain``, ``bursts`` ...): one cell per seed.

    PYTHONPATH=src .venv/bin/python bench/fusion_count_causes.py [--scenario surge]
        [--seeds 5] [--events 400]

Prints the causes (as % of the true total) per cell and in all, and what a perfect
association would give (each seen event counted by the upper median of its first-hand
observers, a stream's ticks summed), then one JSON object.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ceasefire.fusion.batch import fusion_batch
from ceasefire.fusion.counts import count_estimates
from ceasefire.fusion.engine import FusionEngine
from ceasefire.fusion.grading import SECOND_HAND
from ceasefire.fusion.model import SOURCE_TYPES, STREAM_SOURCE_TYPES, Incident
from ceasefire.monitoring.oblasts import Oblasts
from ceasefire.reports.columns import to_columns
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.model import FIRE_CATEGORIES, Category, ObservationReport, SourceType
from ceasefire.reports.validate import validate_report
from ceasefire.scenarios import scenario_dir
from ceasefire.scenarios2.generate import generate
from ceasefire.scenarios2.write import report_objects as scenario_objects
from ceasefire.simulation.params import load_params
from ceasefire.simulation.run import simulate
from ceasefire.simulation.world import load_world
from ceasefire.simulation.writer import report_objects

DAY_S = 86_400.0
CAUSES = (
    "unheard",
    "estimator",
    "merge_pollution",
    "merged_away",
    "split",
    "second_hand_seen",
    "second_hand_unseen",
    "second_hand_false",
    "false_first_hand",
    "misplaced",
)
FIRE_NAMES = frozenset(str(c) for c in FIRE_CATEGORIES)
TOTALS = ("true", "fused", "perfect_association")
Cell = tuple[str, int]
_POST = SOURCE_TYPES.index(SourceType.OBSERVATION_POST)


@dataclass(frozen=True)
class Case:
    """Reports (spec objects), the true event each names (-1 none) and the events' truth."""

    reports: list[ObservationReport]
    event: NDArray[np.int64]
    true_count: NDArray[np.int64]
    fire: NDArray[np.bool_]
    event_cell: list[Cell]
    cell_of: Any  # (incident) -> Cell


def fuse(reports: list[ObservationReport]) -> list[Incident]:
    """Every incident of one in-process fusion of ``reports``."""
    engine = FusionEngine()
    engine.add(fusion_batch(reports, to_columns(reports, Gazetteer.default())))
    return engine.incidents()


def breakdown(case: Case, incidents: Sequence[Incident]) -> dict[Cell, dict[str, float]]:
    """Per cell: the true and fused totals and every cause's share (see the module doc)."""
    reports = case.reports
    row_of = {(r.source, r.id): k for k, r in enumerate(reports)}
    stype = np.array([SOURCE_TYPES.index(r.source_type) for r in reports], dtype=np.int8)
    first_hand = np.array([r.source_type not in SECOND_HAND for r in reports])
    count = np.array([r.count for r in reports], dtype=np.int64)
    source = np.unique([r.source for r in reports], return_inverse=True)[1].ravel()
    ev = case.event
    named = (ev >= 0) & first_hand
    seen = np.zeros(case.true_count.size, dtype=bool)
    seen[ev[named]] = True
    truth = np.flatnonzero(case.fire & seen)
    # what the best first-hand observer heard of each event (a stream's ticks add up)
    pair = ev[named] * (int(source.max()) + 1) + source[named]
    keys, summed = np.unique(pair, return_inverse=True)
    # a stream's ticks add up; any other source's reports of one event are one count seen
    # again (a re-delivery, an amendment correcting it): its largest
    summed = summed.ravel()
    per_pair = np.bincount(summed, weights=count[named])
    largest = np.zeros(keys.size)
    np.maximum.at(largest, summed, count[named])
    streams = np.zeros(keys.size, dtype=bool)
    streams[summed] = np.array([r.source_type in STREAM_SOURCE_TYPES for r in reports])[named]
    per_pair = np.where(streams, per_pair, largest)
    heard = np.zeros(case.true_count.size)
    pair_event = keys // (int(source.max()) + 1)
    np.maximum.at(heard, pair_event, per_pair)
    # a perfect association: each seen event counted by the upper median of its observers
    ev_id, ev_group = np.unique(pair_event, return_inverse=True)
    _, ideal_best, _ = count_estimates(
        per_pair.astype(np.int64), np.full(per_pair.size, _POST, dtype=np.int8),
        ev_group.ravel().astype(np.int64), ev_id.size,
    )  # fmt: skip
    ideal = np.zeros(case.true_count.size)
    ideal[ev_id] = ideal_best
    cells: dict[Cell, dict[str, float]] = {}

    def add(cell: Cell, cause: str, value: float) -> None:
        row = cells.setdefault(cell, dict.fromkeys((*CAUSES, *TOTALS), 0.0))
        row[cause] += value

    for e in truth.tolist():
        add(case.event_cell[e], "true", float(case.true_count[e]))
        add(case.event_cell[e], "perfect_association", float(ideal[e]))
    fire = [i for i in incidents if str(i.category) in FIRE_NAMES]
    rows_of = [np.array([row_of[k] for k in i.report_keys], dtype=np.int64) for i in fire]
    main_of: dict[int, tuple[int, int]] = {}  # event -> (incident, its reports there)
    for k, rows in enumerate(rows_of):
        fh = rows[named[rows]]
        for e, n in zip(*np.unique(ev[fh], return_counts=True), strict=True):
            if int(e) not in main_of or n > main_of[int(e)][1]:
                main_of[int(e)] = (k, int(n))
    main_inc: dict[int, int] = {}  # incident -> its event (most reports; merged ones lost)
    for e, (k, _) in sorted(main_of.items(), key=lambda kv: (kv[1][1], -kv[0])):
        main_inc[k] = e
    counted = set(main_inc.values())
    for k, (inc, rows) in enumerate(zip(fire, rows_of, strict=True)):
        cell = case.cell_of(inc)
        best = float(inc.count_best)
        add(cell, "fused", best)
        e = main_inc.get(k, -1)
        if e >= 0 and case.fire[e]:
            own = rows[ev[rows] == e]
            _, own_best, _ = count_estimates(
                count[own], stype[own], np.zeros(own.size, dtype=np.int64), 1
            )
            home = case.event_cell[e]
            add(home, "unheard", heard[e] - float(case.true_count[e]))
            add(home, "estimator", float(own_best[0]) - heard[e])
            add(home, "merge_pollution", best - float(own_best[0]))
            if home != cell:
                add(home, "misplaced", -best)
                add(cell, "misplaced", best)
        elif e >= 0:
            add(cell, "false_first_hand", best)
        elif not first_hand[rows].any():
            names = ev[rows]
            kind = (
                "second_hand_seen"
                if seen[names[names >= 0]].any()
                else "second_hand_unseen"
                if (names >= 0).any()
                else "second_hand_false"
            )
            add(cell, kind, best)
        elif (ev[rows[first_hand[rows]]] >= 0).any():
            add(cell, "split", best)
        else:
            add(cell, "false_first_hand", best)
    for e in truth.tolist():
        if e not in counted:
            add(case.event_cell[e], "merged_away", -float(case.true_count[e]))
    return cells


def surge_case(seed: int, days: int = 4) -> Case:
    """The surge of tests/fusion/test_counts.py; cells are (oblast, UTC day)."""
    directory = scenario_dir("minsk-2015")
    params = load_params(directory / "surge-2022.yaml")
    fire = replace(params.events.fire, day_factors=(18.0,) * days)
    params = replace(params, events=replace(params.events, fire=fire))
    sim = simulate(load_world(directory), params, days=days, seed=seed)
    reports = [validate_report(o) for o in report_objects(sim)]
    oblasts = Oblasts.default()
    e = sim.events
    sector = oblasts.assign(e.lon, e.lat)
    day = np.floor((sim.start_epoch_s + e.t_s) / DAY_S).astype(np.int64)

    def name(s: int) -> str:
        return oblasts.iso[s] if s >= 0 else ""

    def cell_of(inc: Incident) -> Cell:
        s = int(oblasts.assign(np.array([inc.lon]), np.array([inc.lat]))[0])
        return (name(s), int(np.floor(inc.observed_at_s / DAY_S)))

    fire_codes = [list(Category).index(c) for c in FIRE_CATEGORIES]
    return Case(
        reports=reports,
        event=sim.reports.event.astype(np.int64),
        true_count=e.count.astype(np.int64),
        fire=np.isin(e.category, fire_codes),
        event_cell=[(name(s), d) for s, d in zip(sector.tolist(), day.tolist(), strict=True)],
        cell_of=cell_of,
    )


def scenarios2_case(family: str, seed: int, n_events: int | None) -> Case:
    """One scenarios2 scenario as one cell ``(family, seed)``."""
    sc = generate(family, seed=seed, n_events=n_events)
    table = sc.reports
    first = table["kind"] != "resent"  # a re-send repeats a (source, id) fusion keeps once
    rows = np.flatnonzero(first)
    objects = scenario_objects(table)
    reports = [validate_report(objects[k]) for k in rows.tolist()]
    cell = (family, seed)
    return Case(
        reports=reports,
        event=np.asarray(table["event"], dtype=np.int64)[rows],
        true_count=np.asarray(sc.events.count, dtype=np.int64),
        fire=np.array([str(c) in FIRE_NAMES for c in sc.events.category]),
        event_cell=[cell] * len(sc.events),
        cell_of=lambda _inc: cell,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Build the cases, fuse each in process, print the causes per cell and in all."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--scenario", default="surge")
    ap.add_argument("--seeds", default=None, help="default: 5 for surge, 1,2,3 otherwise")
    ap.add_argument("--events", type=int, default=None, help="scenarios2: events per scenario")
    args = ap.parse_args(argv)
    surge = args.scenario == "surge"
    seeds = [int(s) for s in (args.seeds or ("5" if surge else "1,2,3")).split(",")]
    scored: dict[Cell, dict[str, float]] = {}
    for seed in seeds:
        case = surge_case(seed) if surge else scenarios2_case(args.scenario, seed, args.events)
        cells = breakdown(case, fuse(case.reports))
        if surge:  # the first and last UTC days are partial
            days = sorted({d for _, d in cells})[1:-1]
            cells = {c: v for c, v in cells.items() if c[1] in days and v["true"] >= 200}
        scored.update(cells)
    print(f"{'cell':16s} {'true':>6s} {'fused':>6s} {'error':>7s} "
          + " ".join(f"{c[:11]:>11s}" for c in CAUSES))  # fmt: skip
    total = dict.fromkeys((*CAUSES, *TOTALS), 0.0)
    for cell, v in sorted(scored.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        for c in total:
            total[c] += v[c]
        _row(f"{cell[0]} {cell[1]}", v)
    _row("all", total)
    out = {
        "scenario": args.scenario,
        "seeds": seeds,
        "cells": {f"{c[0]}/{c[1]}": {k: round(x) for k, x in v.items()} for c, v in scored.items()},
        "total": {k: round(x) for k, x in total.items()},
        "total_error": round((total["fused"] - total["true"]) / total["true"], 4),
        "max_cell_error": round(
            max(abs(v["fused"] - v["true"]) / v["true"] for v in scored.values()), 4
        ),
        "perfect_association_total_error": round(
            (total["perfect_association"] - total["true"]) / total["true"], 4
        ),
        "perfect_association_max_cell_error": round(
            max(abs(v["perfect_association"] - v["true"]) / v["true"] for v in scored.values()), 4
        ),
    }
    print(
        f"perfect association (upper median of each event's observers): total "
        f"{out['perfect_association_total_error']:+.1%}, worst cell "
        f"{out['perfect_association_max_cell_error']:.1%}"
    )
    print(json.dumps(out, separators=(",", ":")))


def _row(name: str, v: dict[str, float]) -> None:
    t = v["true"]
    parts = " ".join(f"{v[c] / t:+11.1%}" for c in CAUSES)
    print(f"{name:16s} {t:6.0f} {v['fused']:6.0f} {(v['fused'] - t) / t:+7.1%} {parts}")


if __name__ == "__main__":
    main()
