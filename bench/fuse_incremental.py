"""Fusion on ingest in a full demo store: windowed re-fusion against re-fusing everything.

Builds the paris-2026 demo store as ``ceasefire demo`` does (``fresh_store``,
``load_scenario_agreement``, ``simulate_reports`` of ``DAYS`` days, seed 2026), ingests it
without fusion and times the store's first fusion (every report; ``replace_incidents``
timed apart: it writes ~15,000 incidents and supersedes ~100,000 1:1 ones in one go).

Then, on fresh copies of that fused store, ingests 1 and 100 new reports — the simulation's
last reports seen again by a second observer (source ``<source>-hq``), so they fuse with what
is stored and supersede it — and times the ingest plus (a) a full re-fusion of every active
report (the baseline, what every ingest did before) and (b) the windowed re-fusion that
``ingest_files`` now runs. After (b) a full re-fusion must find nothing to change.

Usage: ``python bench/fuse_incremental.py [DAYS]``. Last line: one JSON object.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

import ceasefire.pipeline.fuse as fuse_module
from ceasefire.clock import SystemClock
from ceasefire.pipeline.agreements import AgreementBook
from ceasefire.pipeline.fuse import FuseSummary, fuse_incidents
from ceasefire.pipeline.ingest import ingest_files
from ceasefire.reporting.demo import (
    DEFAULT_SEED,
    DemoScenario,
    fresh_store,
    load_scenario_agreement,
    simulate_reports,
)
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.store.base import Store
from ceasefire.store.sqlite import SQLiteStore

DAYS = 30
REPEATS = 3
TARGET_ONE_S = 0.5
SIZES = (1, 100)


def new_reports(simulated: Path, n: int) -> list[dict[str, Any]]:
    """The last ``n`` simulated reports that amend nothing, seen again by a second observer."""
    lines = simulated.read_bytes().splitlines()[-20 * n :]
    picked = [o for o in map(orjson.loads, lines) if "amends" not in o][-n:]
    return [o | {"id": f"{o['id']}-hq", "source": f"{o['source']}-hq"} for o in picked]


def ingest_then_fuse(
    base_db: Path, work: Path, batch: Path, *, full: bool
) -> tuple[float, float, FuseSummary, bool]:
    """On a copy of ``base_db``: ingest ``batch`` without fusion, then fuse. Returns the
    ingest and fusion seconds, the fusion summary and whether a full re-fusion afterwards
    found nothing to change (checked untimed)."""
    db = work / "work.db"
    shutil.copy(base_db, db)
    store = SQLiteStore(f"sqlite:///{db}")
    try:
        book = AgreementBook.from_store(store)
        gazetteer = Gazetteer.default()
        start = time.perf_counter()
        ingest_files(store, [batch], gazetteer=gazetteer, fuse=False, parallel=False)
        ingest_s = time.perf_counter() - start
        start = time.perf_counter()
        summary = fuse_incidents(store, book, clock=SystemClock(), full=full)
        fuse_s = time.perf_counter() - start
        check = fuse_incidents(store, book, clock=SystemClock(), full=True)
        return ingest_s, fuse_s, summary, (check.added, check.superseded) == (0, 0)
    finally:
        store.close()


def build(folder: Path, days: int) -> tuple[Path, Path, float, float, float]:
    """The fused demo store; its simulated NDJSON; seconds to ingest, first fusion, write."""
    _, store = fresh_store(folder)
    try:
        load_scenario_agreement(store, DemoScenario.PARIS_2026)
        simulated = simulate_reports(
            DemoScenario.PARIS_2026, folder / "simulation", days=days, seed=DEFAULT_SEED
        )
        start = time.perf_counter()
        ingest_files(store, [simulated], gazetteer=Gazetteer.default(), fuse=False)
        ingest_s = time.perf_counter() - start
        first_s, replace_s = _first_fusion(store)
    finally:
        store.close()
    return folder / "ceasefire.db", simulated, ingest_s, first_s, replace_s


def _first_fusion(store: Store) -> tuple[float, float]:
    """Seconds of the store's first fusion, and of its ``replace_incidents`` call."""
    assert isinstance(store, SQLiteStore)
    writes: list[float] = []
    names = vars(fuse_module)  # the name ``fuse_incidents`` calls
    original: Callable[..., None] = names["replace_incidents"]

    def timed(*args: Any, **kwargs: Any) -> None:
        start = time.perf_counter()
        original(*args, **kwargs)
        writes.append(time.perf_counter() - start)

    names["replace_incidents"] = timed
    try:
        start = time.perf_counter()
        fuse_incidents(store, AgreementBook.from_store(store), clock=SystemClock())
        return time.perf_counter() - start, sum(writes)
    finally:
        names["replace_incidents"] = original


def main() -> None:
    days = int(sys.argv[1]) if len(sys.argv) > 1 else DAYS
    figures: dict[str, object] = {"days": days}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base_db, simulated, ingest_s, first_s, replace_s = build(folder / "demo", days)
        counting = SQLiteStore(f"sqlite:///{base_db}")
        with counting.engine.connect() as conn:
            reports = int(conn.exec_driver_sql("SELECT count(*) FROM reports").scalar() or 0)
        counting.close()
        print(
            f"paris-2026, {days} days: {reports:,} reports ingested in {ingest_s:.1f} s; "
            f"first fusion {first_s:.1f} s, of which writing incidents {replace_s:.2f} s"
        )
        figures |= {
            "reports": reports,
            "first_fusion_s": round(first_s, 2),
            "first_fusion_write_s": round(replace_s, 2),
        }
        for n in SIZES:
            batch = folder / f"new-{n}.ndjson"
            batch.write_bytes(b"".join(orjson.dumps(o) + b"\n" for o in new_reports(simulated, n)))
            full_ingest, full_fuse, full_summary, _ = ingest_then_fuse(
                base_db, folder, batch, full=True
            )
            runs = [ingest_then_fuse(base_db, folder, batch, full=False) for _ in range(REPEATS)]
            window_ingest = statistics.median(r[0] for r in runs)
            window_fuse = statistics.median(r[1] for r in runs)
            window_summary, identical = runs[0][2], all(r[3] for r in runs)
            full_total, window_total = full_ingest + full_fuse, window_ingest + window_fuse
            print(
                f"{n:>3} new report(s): ingest + full re-fusion {full_total:.3f} s "
                f"(fusion {full_fuse:.3f} s, {full_summary.reports:,} reports); "
                f"ingest + windowed {window_total:.3f} s (fusion {window_fuse:.3f} s, "
                f"{window_summary.reports:,} reports re-fused); "
                f"ratio {full_total / window_total:.1f}x; same incidents as full: {identical}"
            )
            figures |= {
                f"ingest_{n}_full_s": round(full_total, 3),
                f"ingest_{n}_windowed_s": round(window_total, 3),
                f"fuse_{n}_full_s": round(full_fuse, 3),
                f"fuse_{n}_windowed_s": round(window_fuse, 3),
                f"refused_{n}_reports": window_summary.reports,
                f"ratio_{n}": round(full_total / window_total, 1),
                f"identical_{n}": identical,
            }
    one = figures["ingest_1_windowed_s"]
    verdict = "met" if isinstance(one, float) and one < TARGET_ONE_S else "MISSED"
    print(f"target: one-report ingest with fusion < {TARGET_ONE_S} s: {verdict}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
