"""Fusion accuracy against the simulator's ground truth (paris-2026, default parameters).

Simulates ``DAYS`` days (>= 50,000 reports: crossing bearings from several posts, flare-up
bursts of nearby events, late arrivals, amendments, withdrawals, re-deliveries, false
reports), feeds every report to the fusion engine in arrival order in chunks, and scores the
result on the reports still active at the end (amended and withdrawn reports drop out, as
they do in the engine; false reports are each their own true "event"):

* pairwise precision / recall / F1 of report → incident assignment (pairs of reports put
  together by fusion vs. pairs caused by the same true event);
* incident count error: |incidents - true events| / true events (events with >= 1 active
  report, false reports counted one each);
* median / 90th-percentile distance from the fused location to the true event, for incidents
  with >= 2 distinct bearing observers (the triangulation case), matched to the true event
  most of their reports belong to.

The baseline printed next to it is issue 2's 1:1 step (every report its own incident).
Usage: ``python bench/fusion_accuracy.py [DAYS] [SEED]``. Last line: one JSON object.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pyproj

from ceasefire.fusion.batch import fusion_batch
from ceasefire.fusion.engine import FusionEngine, take
from ceasefire.reports.columns import to_columns
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.model import FIRE_CATEGORIES, Category
from ceasefire.reports.validate import validate_report
from ceasefire.scenarios import scenario_dir
from ceasefire.simulation.params import load_params
from ceasefire.simulation.run import simulate
from ceasefire.simulation.world import load_world
from ceasefire.simulation.writer import report_objects

DAYS = 15
SEED = 1
CHUNK = 10_000


def pairwise(pred: np.ndarray, true: np.ndarray) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of two labelings of the same items."""

    def pairs(counts: np.ndarray) -> float:
        return float((counts * (counts - 1) // 2).sum())

    _, p_inv = np.unique(pred, return_inverse=True)
    _, t_inv = np.unique(true, return_inverse=True)
    cell = p_inv.astype(np.int64) * (t_inv.max() + 1) + t_inv
    tp = pairs(np.unique(cell, return_counts=True)[1])
    pp = pairs(np.bincount(p_inv))
    tt = pairs(np.bincount(t_inv))
    precision = tp / pp if pp else 1.0
    recall = tp / tt if tt else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> None:
    days = int(sys.argv[1]) if len(sys.argv) > 1 else DAYS
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else SEED
    directory = scenario_dir("paris-2026")
    sim = simulate(
        load_world(directory), load_params(directory / "simulation.yaml"), days=days, seed=seed
    )
    objects = report_objects(sim)
    reports = [validate_report(o) for o in objects]
    batch = fusion_batch(reports, to_columns(reports, Gazetteer.default()))
    engine = FusionEngine()
    t0 = time.perf_counter()
    for start in range(0, len(reports), CHUNK):
        engine.add(take(batch, np.arange(start, min(start + CHUNK, len(reports)))))
    seconds = time.perf_counter() - t0
    assignment = engine.assignment()
    row_of = {(o["source"], o["id"]): i for i, o in reversed(list(enumerate(objects)))}
    rows = np.array([row_of[k] for k in assignment], dtype=np.int64)
    incident_ids = list(assignment.values())
    _, pred = np.unique(np.array(incident_ids), return_inverse=True)
    event = sim.reports.event[rows]
    true = np.where(event >= 0, event, -1 - rows)
    precision, recall, f1 = pairwise(pred, true)
    _b_precision, b_recall, b_f1 = pairwise(np.arange(rows.size), true)
    n_true = np.unique(true).size
    n_pred = len(engine.incidents())
    count_error = abs(n_pred - n_true) / n_true
    baseline_count_error = abs(rows.size - n_true) / n_true

    geod = pyproj.Geod(ellps="WGS84")
    errors = []
    event_of = dict(zip(assignment.keys(), event.tolist(), strict=True))
    for incident in engine.incidents():
        if incident.bearing_observers < 2:
            continue
        events = [event_of[k] for k in incident.report_keys if event_of[k] >= 0]
        if not events:
            continue
        e = int(np.bincount(events).argmax())
        _, _, d = geod.inv(incident.lon, incident.lat, sim.events.lon[e], sim.events.lat[e])
        errors.append(d)
    loc = np.asarray(errors)
    # counted fire violations (issue 18): fused count_best against the true counts
    fire_codes = [list(Category).index(c) for c in FIRE_CATEGORIES]
    fire_events = np.isin(sim.events.category, fire_codes)
    true_violations = int(sim.events.count[fire_events].sum())
    fused_violations = sum(
        i.count_best for i in engine.incidents() if i.category in FIRE_CATEGORIES
    )
    violation_error = fused_violations / true_violations - 1
    count_of = {(r.source, r.id): r.count for r in reports}
    median_violations = sum(
        sorted(count_of[k] for k in i.report_keys)[(len(i.report_keys) - 1) // 2]
        for i in engine.incidents()
        if i.category in FIRE_CATEGORIES
    )  # the median of the reports, issue 18's "before"
    median_error = median_violations / true_violations - 1
    figures = {
        "reports": len(reports),
        "active_reports": int(rows.size),
        "true_events": int(n_true),
        "incidents": n_pred,
        "pairwise_precision": round(precision, 4),
        "pairwise_recall": round(recall, 4),
        "pairwise_f1": round(f1, 4),
        "baseline_1to1_f1": round(b_f1, 4),
        "baseline_1to1_count_error": round(baseline_count_error, 4),
        "count_error": round(count_error, 4),
        "located_incidents": int(loc.size),
        "median_loc_error_m": round(float(np.median(loc)), 1) if loc.size else None,
        "p90_loc_error_m": round(float(np.percentile(loc, 90)), 1) if loc.size else None,
        "fusion_seconds": round(seconds, 2),
        "true_violations": true_violations,
        "fused_violations": fused_violations,
        "violation_total_error": round(violation_error, 4),
        "median_violation_total_error": round(median_error, 4),
    }
    print(f"paris-2026, {days} days, seed {seed}: {len(reports):,} reports, {n_true:,} true events")
    print(
        f"  pairwise precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}"
        f"  (1:1 baseline F1 {b_f1:.4f}, recall {b_recall:.4f})"
    )
    print(
        f"  incidents {n_pred:,} vs true {n_true:,}: count error {count_error:.2%}"
        f" (1:1 baseline {baseline_count_error:.0%})"
    )
    if loc.size:
        print(
            f"  location error, {loc.size:,} incidents with >= 2 bearing observers: "
            f"median {np.median(loc):.0f} m, p90 {np.percentile(loc, 90):.0f} m"
        )
    print(
        f"  counted fire violations {fused_violations:,} vs true {true_violations:,}:"
        f" {violation_error:+.2%} (the median of the reports: {median_error:+.2%})"
    )
    print(f"  fusion {seconds:.2f} s ({len(reports) / seconds:,.0f} reports/s)")
    print(
        json.dumps(
            {
                k: figures[k]
                for k in ("pairwise_f1", "count_error", "median_loc_error_m", "p90_loc_error_m")
            }
            | figures
        )
    )


if __name__ == "__main__":
    main()
