"""Fusion on scenarios it has not seen (issue 18 point 1), against DBSCAN on the same reports.

Each family of the independent generator (``ceasefire.scenarios2``, written from the report
spec without reading fusion or the paris simulator) is generated for each seed, written as
NDJSON and ingested by the public CLI (``ceasefire init``, ``agreement load``, ``ingest``:
fusion runs inside ingest) into its own SQLite database. The stored reports and the active
incidents are then read from the store's tables and scored against the truth:

* pairwise precision/recall/F1 of report pairs, overall and per pair of source types;
* incident count error: (incidents - truth clusters) / truth clusters, where a truth cluster
  is a true event that some stored report names, or a false report with its relays;
* violation total error: (sum of incidents' best counts - sum of the true counts of the
  events reported) / the latter;
* median location error of incidents whose reports are mostly of one true event, overall and
  for incidents with at least two distinct bearing observers.

DBSCAN (``scenarios2.baseline``: scikit-learn is not installed, so it is scipy's cKDTree) runs
on the stored reports' resolved positions and times; its eps, time scale and min_samples are
tuned per family on *other* seeds (``--tune-seeds``) than those reported.

    PYTHONPATH=src .venv/bin/python bench/fusion_unseen.py [--families bursts,mixed]
        [--seeds 1,2,3] [--tune-seeds 1001,1002] [--workers 4]

Prints a table per family and, as its last line, one JSON object of every figure.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ceasefire.scenarios import scenario_dir
from ceasefire.scenarios2.baseline import dbscan, local_metres
from ceasefire.scenarios2.families import Family
from ceasefire.scenarios2.generate import Scenario, generate
from ceasefire.scenarios2.geometry import distance_m
from ceasefire.scenarios2.score import PairCounts, majority, pair_scores
from ceasefire.scenarios2.write import truth_clusters, write_scenario

CLI = [sys.executable, "-m", "ceasefire"]
#: Source types scored as groups of the per-pair table, in this order.
GROUPS = ("observation_post", "uav", "satellite", "osint", "acoustic")
SHORT = {"observation_post": "post", "uav": "uav", "satellite": "sat", "osint": "osint",
         "acoustic": "acou"}  # fmt: skip
#: DBSCAN's tuning grid: eps (m), metres per second of time apart, min_samples.
GRID = list(
    itertools.product(
        (250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0, 32000.0),
        (0.5, 2.0, 5.0, 20.0, 60.0, 200.0, 1000.0),
        (1, 2),
    )
)


@dataclass(frozen=True)
class Stored:
    """One ingested scenario: its stored reports (columns), aligned with the truth."""

    scenario: Scenario
    source_type: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    uncertainty_m: NDArray[np.float64]
    t_s: NDArray[np.float64]
    category: NDArray[np.int64]
    bearing: NDArray[np.bool_]
    source: NDArray[np.object_]
    count: NDArray[np.int64]
    truth: NDArray[np.int64]
    incident: NDArray[np.int64]
    incidents: dict[int, tuple[float, float, int]]


def cli(db: Path, *args: str) -> str:
    """Run one ``ceasefire`` command on ``db`` and return its stdout (raise on failure)."""
    done = subprocess.run(
        [*CLI, "--db", str(db), *args], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"ceasefire {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def template(work: Path) -> Path:
    """A database with the paris-2026 agreement loaded (its geography cache beside it)."""
    db = work / "template.db"
    cli(db, "init")
    cli(db, "agreement", "load", str(scenario_dir("paris-2026") / "agreement.yaml"))
    return db


def ingest(scenario: Scenario, work: Path, base: Path) -> Stored:
    """Write, ingest (fusion included) and read back one scenario.

    A database kept from an earlier run (``--keep``) of the very same file is read back
    without ingesting again; any other is replaced.
    """
    folder = work / f"{scenario.family}-{scenario.seed}"
    before = folder / "reports.ndjson"
    old = before.read_bytes() if before.exists() else None
    reports_path, _ = write_scenario(scenario, folder)
    db = folder / "ceasefire.db"
    if old == reports_path.read_bytes() and (folder / "ingested").exists():
        return read_back(scenario, db)
    db.unlink(missing_ok=True)
    shutil.rmtree(db.with_name(db.name + "-cache"), ignore_errors=True)
    shutil.copy(base, db)
    shutil.copytree(base.with_name(base.name + "-cache"), db.with_name(db.name + "-cache"))
    summary = json.loads(cli(db, "ingest", str(reports_path), "--json"))
    if summary["quarantined"]:
        raise RuntimeError(f"{folder}: {summary['quarantined']} reports quarantined")
    (folder / "ingested").write_text(json.dumps(summary), encoding="utf-8")
    return read_back(scenario, db)


def read_back(scenario: Scenario, db: Path) -> Stored:
    """The stored reports and active incidents of ``db``, aligned with the scenario's truth."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT r.source, r.id, r.source_type, r.located_lon, r.located_lat,"
            " r.located_uncertainty_m, r.observed_at, r.category, r.location_form, r.count,"
            " ir.incident_pk FROM reports r LEFT JOIN incident_reports ir"
            " ON ir.report_pk = r.pk AND ir.incident_pk IN"
            " (SELECT pk FROM incidents WHERE status = 'active')"
            " WHERE r.status = 'active' ORDER BY r.pk"
        ).fetchall()
        incidents = {
            int(pk): (float(lon), float(lat), int(count))
            for pk, lon, lat, count in con.execute(
                "SELECT pk, lon, lat, count FROM incidents WHERE status = 'active'"
            )
        }
    finally:
        con.close()
    table = scenario.reports
    labels = truth_clusters(table)
    first = table["kind"] != "resent"
    row_of = {
        (str(s), str(i)): k
        for k, (s, i) in enumerate(zip(table["source"], table["id"], strict=True))
        if first[k]
    }
    truth = np.array([labels[row_of[(r[0], r[1])]] for r in rows], dtype=np.int64)
    categories = sorted({r[7] for r in rows})
    # a report fusion left outside every active incident counts as an incident of its own
    missing = -1 - np.arange(len(rows))
    incident = np.array(
        [r[10] if r[10] is not None else missing[k] for k, r in enumerate(rows)], dtype=np.int64
    )
    return Stored(
        scenario=scenario,
        source_type=np.array([GROUPS.index(r[2]) for r in rows], dtype=np.int64),
        lon=np.array([r[3] for r in rows], dtype=np.float64),
        lat=np.array([r[4] for r in rows], dtype=np.float64),
        uncertainty_m=np.array([r[5] or 1000.0 for r in rows], dtype=np.float64),
        t_s=np.array([r[6] for r in rows], dtype=np.float64),
        category=np.array([categories.index(r[7]) for r in rows], dtype=np.int64),
        bearing=np.array([r[8] == "bearing" for r in rows]),
        source=np.array([r[0] for r in rows], dtype=object),
        count=np.array([r[9] for r in rows], dtype=np.int64),
        truth=truth,
        incident=incident,
        incidents=incidents,
    )


def dbscan_clusters(s: Stored, eps_m: float, metres_per_s: float, min_samples: int) -> Clusters:
    """DBSCAN labels of the stored reports with the clusters' positions and counts."""
    x, y = local_metres(s.lon, s.lat)
    labels = dbscan(
        x, y, s.t_s, s.category, eps_m=eps_m, metres_per_s=metres_per_s, min_samples=min_samples
    )
    return grouped(s, labels)


def grouped(s: Stored, labels: NDArray[np.int64]) -> Clusters:
    """Clusters ``labels`` (0..k-1) of the stored reports, with positions and counts.

    A cluster's position is the inverse-variance mean of its reports' resolved positions; its
    count is the largest total that one source reported in it (a source's reports of one event
    add up, as a sensor's ticks do; two sources' do not).
    """
    w = 1.0 / np.maximum(s.uncertainty_m, 10.0) ** 2
    k = int(labels.max()) + 1 if len(labels) else 0
    wsum = np.bincount(labels, weights=w, minlength=k)
    lon = np.bincount(labels, weights=w * s.lon, minlength=k) / wsum
    lat = np.bincount(labels, weights=w * s.lat, minlength=k) / wsum
    src = np.unique(s.source.astype(str), return_inverse=True)[1]
    pair = labels * (int(src.max()) + 1) + src
    per_source = np.bincount(pair, weights=s.count)
    count = np.zeros(k)
    np.maximum.at(count, np.arange(len(per_source)) // (int(src.max()) + 1), per_source)
    return Clusters(labels, {c: (float(lon[c]), float(lat[c]), int(count[c])) for c in range(k)})


@dataclass(frozen=True)
class Clusters:
    """An association: a cluster per stored report, and each cluster's (lon, lat, count)."""

    labels: NDArray[np.int64]
    where: dict[int, tuple[float, float, int]]


def fusion_clusters(s: Stored) -> Clusters:
    """Fusion's association as the store holds it (active incidents)."""
    where = dict(s.incidents)
    for k in np.flatnonzero(s.incident < 0):
        where[int(s.incident[k])] = (float(s.lon[k]), float(s.lat[k]), int(s.count[k]))
    return Clusters(s.incident, where)


def score(s: Stored, c: Clusters) -> dict[str, Any]:
    """Every figure of one association of one scenario (see the module docstring)."""
    pairs = pair_scores(c.labels, s.truth, s.source_type, len(GROUPS))
    # a stream's pairs (n^2 per event) swamp the rest: the same figure without them
    heard = s.source_type != GROUPS.index("acoustic")
    quiet = pair_scores(c.labels[heard], s.truth[heard], s.source_type[heard], len(GROUPS))
    events = s.scenario.events
    reported = np.unique(s.truth[s.truth >= 0])
    n_truth = len(np.unique(s.truth))
    clusters = np.unique(c.labels)
    best_count = sum(c.where[int(k)][2] for k in clusters)
    true_count = int(events.count[reported].sum())
    cl, label = majority(c.labels, s.truth)
    real = label >= 0
    cl, label = cl[real], label[real]
    lon = np.array([c.where[int(k)][0] for k in cl])
    lat = np.array([c.where[int(k)][1] for k in cl])
    error = distance_m(lon, lat, events.lon[label], events.lat[label])
    observers = _bearing_observers(s, c.labels)
    # what the counts would be with a perfect association: the observers' share of the loss
    ideal = grouped(s, np.unique(s.truth, return_inverse=True)[1].astype(np.int64))
    ideal_count = sum(count for _, _, count in ideal.where.values())
    two = np.array([observers.get(int(k), 0) >= 2 for k in cl], dtype=bool)
    return {
        "pairs": pairs.overall,
        "pairs_wo_acoustic": quiet.overall,
        "by_pair": pairs.by_group,
        "clusters": len(clusters),
        "truth_clusters": n_truth,
        "count_error": (len(clusters) - n_truth) / n_truth,
        "violations_error": (best_count - true_count) / true_count,
        "violations_error_ideal": (ideal_count - true_count) / true_count,
        "loc_errors": error[np.isfinite(error)],
        "loc_errors_2b": error[two & np.isfinite(error)],
    }


def _bearing_observers(s: Stored, labels: NDArray[np.int64]) -> dict[int, int]:
    """Distinct sources placed by bearing, per cluster."""
    seen: dict[int, set[str]] = {}
    for k in np.flatnonzero(s.bearing):
        seen.setdefault(int(labels[k]), set()).add(str(s.source[k]))
    return {k: len(v) for k, v in seen.items()}


def tune(stored: Sequence[Stored]) -> tuple[float, float, int]:
    """DBSCAN parameters with the best mean pairwise F1 over ``stored`` (the tuning seeds)."""
    best = max(
        GRID,
        key=lambda p: np.mean([score(s, dbscan_clusters(s, *p))["pairs"].f1 for s in stored]),
    )
    return best


def pooled(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Figures over seeds: pair counts summed, errors averaged, location errors pooled."""
    pairs = sum((r["pairs"] for r in results), PairCounts(0, 0, 0))
    quiet = sum((r["pairs_wo_acoustic"] for r in results), PairCounts(0, 0, 0))
    by_pair: dict[str, PairCounts] = {}
    for r in results:
        for (a, b), counts in r["by_pair"].items():
            name = f"{SHORT[GROUPS[a]]}-{SHORT[GROUPS[b]]}"
            by_pair[name] = by_pair.get(name, PairCounts(0, 0, 0)) + counts
    loc = np.concatenate([r["loc_errors"] for r in results])
    loc2 = np.concatenate([r["loc_errors_2b"] for r in results])
    return {
        "f1": round(pairs.f1, 4),
        "precision": round(pairs.precision, 4),
        "recall": round(pairs.recall, 4),
        "f1_per_seed": [round(r["pairs"].f1, 4) for r in results],
        "f1_wo_acoustic": round(quiet.f1, 4),
        "count_error": round(float(np.mean([r["count_error"] for r in results])), 4),
        "violations_error": round(float(np.mean([r["violations_error"] for r in results])), 4),
        "violations_error_if_perfect_association": round(
            float(np.mean([r["violations_error_ideal"] for r in results])), 4
        ),
        "median_loc_m": round(float(np.median(loc)), 1) if len(loc) else None,
        "median_loc_2bearing_m": round(float(np.median(loc2)), 1) if len(loc2) else None,
        "incidents_2bearing": len(loc2),
        "by_pair": {
            name: {
                "f1": round(c.f1, 3),
                "precision": round(c.precision, 3),
                "recall": round(c.recall, 3),
                "true_pairs": c.true,
            }
            for name, c in sorted(by_pair.items())
        },
    }


def show(family: str, method: str, fig: dict[str, Any]) -> None:
    """One row of the printed table, then its per-pair breakdown."""
    loc2 = fig["median_loc_2bearing_m"]
    print(
        f"{family:17s} {method:7s} F1 {fig['f1']:.3f} (P {fig['precision']:.3f} "
        f"R {fig['recall']:.3f}; {fig['f1_wo_acoustic']:.3f} w/o acoustic)  "
        f"incidents {fig['count_error']:+7.1%}  "
        f"violations {fig['violations_error']:+7.1%} "
        f"(perfect association {fig['violations_error_if_perfect_association']:+.1%})  "
        f"loc {fig['median_loc_m']:7.0f} m  "
        f"loc>=2 bearings {'-' if loc2 is None else f'{loc2:.0f} m'} "
        f"(n={fig['incidents_2bearing']})"
    )
    parts = [
        f"{name} {v['f1']:.2f} (P {v['precision']:.2f} R {v['recall']:.2f})"
        for name, v in fig["by_pair"].items()
        if v["true_pairs"] or v["precision"] < 1.0
    ]
    print("    pairs: " + "; ".join(parts))


def main(argv: Sequence[str] | None = None) -> None:
    """Run every family x seed through fusion and tuned DBSCAN; print the table and JSON."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--families", default=",".join(f.value for f in Family))
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--tune-seeds", default="1001,1002")
    ap.add_argument("--events", type=int, default=None, help="events per scenario")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="keep the databases here (a later run re-scores the unchanged ones without ingest)",
    )
    args = ap.parse_args(argv)
    families = [Family(f) for f in args.families.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    tune_seeds = [int(s) for s in args.tune_seeds.split(",")]
    if set(seeds) & set(tune_seeds):
        ap.error("tuning seeds must differ from the reported seeds")
    work = args.keep or Path(tempfile.mkdtemp(prefix="fusion-unseen-"))
    work.mkdir(parents=True, exist_ok=True)
    base = work / "template.db"
    if not base.exists():
        template(work)
    jobs = [(f, s) for f in families for s in seeds + tune_seeds]
    scenarios = {(f, s): generate(f, seed=s, n_events=args.events) for f, s in jobs}
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        done = dict(
            zip(jobs, pool.map(lambda j: ingest(scenarios[j], work, base), jobs), strict=True)
        )
    out: dict[str, Any] = {"seeds": seeds, "tune_seeds": tune_seeds, "families": {}}
    for f in families:
        params = tune([done[(f, s)] for s in tune_seeds])
        fusion = pooled([score(done[(f, s)], fusion_clusters(done[(f, s)])) for s in seeds])
        base_fig = pooled(
            [score(done[(f, s)], dbscan_clusters(done[(f, s)], *params)) for s in seeds]
        )
        reports = sum(len(done[(f, s)].truth) for s in seeds)
        print(f"\n{f.value}: {reports:,} stored reports over seeds {seeds}")
        show(f.value, "fusion", fusion)
        show(f.value, "dbscan", base_fig)
        print(f"    dbscan tuned on seeds {tune_seeds}: eps {params[0]:.0f} m, "
              f"{params[1]} m/s, min_samples {params[2]}")  # fmt: skip
        out["families"][f.value] = {
            "reports": reports,
            "fusion": fusion,
            "dbscan": {**base_fig, "params": list(params)},
        }
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
