"""Fusion throughput: ~1,000,000 reports streamed in arrival order through the fusion engine.

The reports are the simulator's (paris-2026, default parameters, ``DAYS`` days), tiled in
time: copy ``k`` is the same history shifted by ``k * DAYS`` days with ids suffixed, so the
stream keeps the simulator's realism (crossing bearings, bursts, late arrivals, amendments)
at a million reports. They are fused in arrival-order chunks of ``CHUNK`` (as ingest would
hand them over), timing only ``FusionEngine.add``.

Baseline in the same run: the end-to-end ingest (``ingest_files``: parse, validate, locate,
place, rules, persist into SQLite) of one copy's NDJSON, in reports/s, without its fixed setup
(compiling the agreement's zones, timed separately in the same run and subtracted).
Usage: ``python bench/fusion.py [N]``. Last line: one JSON object.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

from ceasefire.fusion.batch import fusion_batch
from ceasefire.fusion.engine import FusionEngine, take
from ceasefire.fusion.model import FusionBatch
from ceasefire.pipeline.agreements import AgreementBook, load_agreement_file
from ceasefire.pipeline.ingest import ingest_files
from ceasefire.reports.columns import to_columns
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.validate import validate_report
from ceasefire.scenarios import scenario_dir
from ceasefire.simulation.params import load_params
from ceasefire.simulation.run import simulate
from ceasefire.simulation.world import load_world
from ceasefire.simulation.writer import report_objects
from ceasefire.store.sqlite import SQLiteStore

DAYS = 15
SEED = 1
CHUNK = 50_000
TARGET_S = 20.0


def tiled(batch: FusionBatch, copies: int, shift_s: float) -> FusionBatch:
    """``copies`` copies of ``batch`` one after the other, each ``shift_s`` later."""
    values: dict[str, object] = {}
    for f in dataclasses.fields(FusionBatch):
        v = getattr(batch, f.name)
        if f.name == "keys":
            values[f.name] = [(s, f"{i}~{k}") for k in range(copies) for s, i in v]
        elif f.name == "amends":
            values[f.name] = [None if a is None else f"{a}~{k}" for k in range(copies) for a in v]
        elif f.name in {"observed_at_s", "until_s"}:
            values[f.name] = np.concatenate([v + k * shift_s for k in range(copies)])
        else:
            values[f.name] = np.concatenate([v] * copies)
    return FusionBatch(**values)  # type: ignore[arg-type]


def main() -> None:
    n_target = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    directory = scenario_dir("paris-2026")
    sim = simulate(
        load_world(directory), load_params(directory / "simulation.yaml"), days=DAYS, seed=SEED
    )
    objects = report_objects(sim)
    reports = [validate_report(o) for o in objects]
    base = fusion_batch(reports, to_columns(reports, Gazetteer.default()))
    copies = -(-n_target // len(base))
    stream = tiled(base, copies, DAYS * 86_400.0)
    n = len(stream)

    engine = FusionEngine()
    t0 = time.perf_counter()
    for start in range(0, n, CHUNK):
        engine.add(take(stream, np.arange(start, min(start + CHUNK, n))))
    fusion_s = time.perf_counter() - t0
    incidents = len(engine.incidents())

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reports.ndjson"
        path.write_bytes(b"".join(orjson.dumps(o) + b"\n" for o in objects))
        store = SQLiteStore(f"sqlite:///{tmp}/bench.db")
        store.init_schema()
        load_agreement_file(store, directory / "agreement.yaml")
        gazetteer = Gazetteer.default()
        s0 = time.perf_counter()
        AgreementBook.from_store(store)  # the fixed setup every ingest pays (zones compiled)
        setup_s = time.perf_counter() - s0
        i0 = time.perf_counter()
        summary = ingest_files(store, [path], gazetteer=gazetteer, fuse=False)
        ingest_s = time.perf_counter() - i0 - setup_s
        store.close()

    figures = {
        "reports": n,
        "incidents": incidents,
        "fusion_seconds": round(fusion_s, 2),
        "reports_per_s": round(n / fusion_s),
        "ingest_only_reports_per_s": round(summary.read / ingest_s),
        "ingest_setup_seconds": round(setup_s, 2),
        "ratio_fusion_to_ingest": round((n / fusion_s) / (summary.read / ingest_s), 2),
    }
    print(
        f"fusion of {n:,} reports ({copies} x {DAYS} days of paris-2026) in {fusion_s:.1f} s: "
        f"{figures['reports_per_s']:,} reports/s (target {TARGET_S:.0f} s), {incidents:,} incidents"
    )
    print(
        f"ingest only (parse .. persist, {summary.read:,} reports, same run): "
        f"{figures['ingest_only_reports_per_s']:,} reports/s; "
        f"fusion/ingest ratio {figures['ratio_fusion_to_ingest']}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
