"""Trigger evaluation under live load: 10,000 reports/s, and the time from arrival to alert.

Loads the paris-2026 guarantees (three instruments, every trigger kind), warms the evaluator
with 14 days of ordinary history (so surge baselines exist), then:

1. *paced*: facts arrive on the wall clock at ``RATE`` per second; every ``WINDOW_S`` the
   facts that have arrived are evaluated as one batch. For each alert set off by an arriving
   fact (everything but persistence timers), latency = wall time the alert came out minus the
   wall time its triggering fact arrived (batching wait included). About 1 % of facts are
   verified severity-3 breaches, so alerts fire all the time, and the simulated clock runs an
   hour per wall second so surges cross their thresholds during the run.
2. *capacity*: the same stream unpaced, in batches of ``BATCH``, for the sustained maximum;
   the baseline is the same evaluator fed one fact at a time.
3. *refresh*: what ingest pays after each run on a SQLite store holding ``HISTORY_N``
   incidents over ``HISTORY_DAYS`` days: ``refresh_guarantees`` after a chunk of ``CHUNK``
   new incidents, incremental (only the window the chunk can affect) against the whole
   history replayed (the evaluation marks removed, as before incremental runs).
4. *live*: on the same store, what ingest pays now (``live_service.catch_up``: the evaluator
   held in memory, told what changed) after ``LIVE_CHUNK`` new incidents (a few reports), the
   median of ``LIVE_RUNS``, against the incremental and the whole-history refresh after the
   same few; the checkpoint's size, save (plain JSON) and restore (a replay from memory)
   times, against the former pickle of the evaluator's state in the same run.

Last line: JSON ``{"reports_per_s", "alert_p50_ms", "alert_p99_ms", ...}``.
"""

from __future__ import annotations

import json
import pickle
import tempfile
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, create_engine, delete, func, insert, select

from ceasefire.clock import FixedClock
from ceasefire.guarantees.evaluate import TriggerEvaluator
from ceasefire.guarantees.facts import MonitoringFact, VerificationState
from ceasefire.guarantees.live import LiveEvaluator
from ceasefire.guarantees.live_service import catch_up
from ceasefire.guarantees.loader import load_instruments
from ceasefire.guarantees.refresh import refresh_guarantees
from ceasefire.guarantees.triggers import TriggerKind
from ceasefire.reports.model import Category, FireDirection, WeaponClass
from ceasefire.store import schema
from ceasefire.store.fusion import incident_states
from ceasefire.store.guarantees import guarantee_evaluations, save_instrument_file
from ceasefire.store.guarantees_sql import SqlGuarantees
from ceasefire.store.migrate import upgrade_to_head

RATE = 10_000
PACED_S = 6.0
WINDOW_S = 0.01
BATCH = 5_000
CAPACITY_N = 200_000
BASELINE_N = 20_000
HISTORY_N = 60_000
HISTORY_DAYS = 90
CHUNK = 200
LIVE_CHUNK = 3
LIVE_RUNS = 5
SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "paris-2026" / "guarantees.yaml"
START = datetime(2026, 12, 1, tzinfo=UTC)
SECTORS = [
    f"UA-{n:02d}" for n in (5, 9, 12, 14, 18, 21, 23, 32, 35, 46, 48, 51, 53, 59, 61, 63, 65)
]
CATEGORIES = [
    Category.EXPLOSION,
    Category.SHOTS,
    Category.BURST_OF_FIRE,
    Category.HEAVY_WEAPON,
    Category.ARMOUR,
    Category.MOVEMENT_RESTRICTION,
    Category.UAV,
]
WEIGHTS = [0.45, 0.2, 0.15, 0.08, 0.05, 0.04, 0.03]


def make_facts(
    n: int, t0: datetime, span_s: float, rng: np.random.Generator, tag: str
) -> list[MonitoringFact]:
    """``n`` facts recorded evenly over ``span_s`` seconds from ``t0``."""
    cats = rng.choice(len(CATEGORIES), size=n, p=WEIGHTS)
    sectors = rng.integers(0, len(SECTORS), size=n)
    verified = rng.random(n) < 0.01
    lon = rng.uniform(22.0, 40.0, n)
    lat = rng.uniform(44.5, 52.0, n)
    offsets = np.sort(rng.uniform(0, span_s, n))
    out = []
    for i in range(n):
        at = t0 + timedelta(seconds=float(offsets[i]))
        category = CATEGORIES[cats[i]]
        heavy = category is Category.HEAVY_WEAPON
        out.append(
            MonitoringFact(
                id=f"{tag}{i}",
                observed_at=at - timedelta(seconds=30),
                recorded_at=at,
                category=category,
                count=1 + int(i % 4 == 0),
                weapon_class=WeaponClass.MLRS if heavy else None,
                fire_direction=FireDirection.OUTGOING if heavy else None,
                rule_id="R1" if category in (Category.EXPLOSION, Category.SHOTS) else None,
                severity=3 if verified[i] else 2,
                zone_ids=frozenset({"withdrawal-mlrs"}) if heavy and i % 7 == 0 else frozenset(),
                sector=SECTORS[sectors[i]],
                lon=float(lon[i]),
                lat=float(lat[i]),
                verification=VerificationState.VERIFIED
                if verified[i]
                else VerificationState.REPORTED,
                report_ids=(f"r-{tag}{i}",),
            )
        )
    return out


def warmed(rng: np.random.Generator) -> tuple[TriggerEvaluator, FixedClock, datetime]:
    """An evaluator with 14 days of history at ~3,000 facts a day behind it."""
    instruments = load_instruments(SCENARIO)
    since = START - timedelta(days=14)
    clock = FixedClock(since)
    evaluator = TriggerEvaluator(instruments, clock=clock, monitoring_since=since)
    history = make_facts(14 * 3_000, since, 14 * 86_400 - 1, rng, "h")
    for i in range(0, len(history), BATCH):
        batch = history[i : i + BATCH]
        clock.set(batch[-1].recorded_at)
        evaluator.ingest(batch)
    clock.set(START)
    evaluator.tick()
    return evaluator, clock, START


def paced(rng: np.random.Generator) -> tuple[float, list[float], int, list[float]]:
    """Facts arriving at RATE/s on the wall clock; returns achieved rate, latencies, alerts,
    and the time each batch took to evaluate (ms)."""
    evaluator, clock, t0 = warmed(rng)
    n = int(RATE * PACED_S)
    facts = make_facts(n, t0, PACED_S * 3_600, rng, "p")  # an hour of simulated time per second
    arrival = np.arange(n) / RATE
    index = {f.id: i for i, f in enumerate(facts)}
    latencies: list[float] = []
    batch_ms: list[float] = []
    alerts = 0
    begin = time.perf_counter()
    done = 0
    while done < n:
        now = time.perf_counter() - begin
        upto = int(np.searchsorted(arrival, now, side="right"))
        if upto <= done:
            time.sleep(min(WINDOW_S, float(arrival[done]) - now + 1e-4))
            continue
        batch = facts[done:upto]
        clock.set(batch[-1].recorded_at)
        started = time.perf_counter()
        fired = evaluator.ingest(batch)
        out = time.perf_counter() - begin
        batch_ms.append((time.perf_counter() - started) * 1000)
        for alert in fired:
            alerts += 1
            if alert.kind is TriggerKind.PERSISTENT_BREACH or not alert.fact_ids:
                continue
            trigger_fact = max(index.get(f, -1) for f in alert.fact_ids)
            if trigger_fact >= done:
                latencies.append((out - float(arrival[trigger_fact])) * 1000)
        done = upto
        time.sleep(max(0.0, WINDOW_S - (time.perf_counter() - begin - out)))
    wall = time.perf_counter() - begin
    return n / wall, latencies, alerts, batch_ms


def capacity(rng: np.random.Generator, batch: int, n: int) -> float:
    """Sustained facts/s with batches of ``batch`` (after warm-up)."""
    evaluator, clock, t0 = warmed(rng)
    facts = make_facts(n, t0, 86_400.0, rng, "c")
    begin = time.perf_counter()
    for i in range(0, n, batch):
        chunk = facts[i : i + batch]
        clock.set(chunk[-1].recorded_at)
        evaluator.ingest(chunk)
    return n / (time.perf_counter() - begin)


def _add_incidents(engine: Engine, rng: np.random.Generator, times: list[datetime]) -> None:
    """One report and one incident per time (1 % with a severity-3 violation), received then,
    as ingest writes them (no geometry recomputed)."""
    with engine.connect() as conn:
        first = (conn.execute(select(func.max(schema.incidents.c.pk))).scalar() or 0) + 1
    pks = range(first, first + len(times))
    lon = rng.uniform(35.5, 38.5, len(times))
    lat = rng.uniform(47.2, 49.8, len(times))
    common = {
        "source_type": "observation_post",
        "reliability": "B",
        "credibility": 2,
        "withdrawn": False,
        "classification": "UNCLASSIFIED",
        "raw": "{}",
        "ingest_run_pk": 1,
        "zones_inside": 0,
        "zones_possibly_inside": 0,
        "agreement_version_pk": 1,
        "status": "active",
        "count": 1,
        "party": "UKR",
        "category": "explosion",
    }
    with engine.begin() as conn:
        conn.execute(
            insert(schema.reports),
            [
                {
                    "pk": k,
                    "id": f"r{k}",
                    "source": f"op-{k % 40}",
                    "observed_at": t.timestamp(),
                    "content_hash": k.to_bytes(16, "big"),
                    "received_at": t.isoformat(),
                    **common,
                }
                for k, t in zip(pks, times, strict=True)
            ],
        )
        conn.execute(
            insert(schema.incidents),
            [
                {
                    "pk": k,
                    "status": "active",
                    "observed_at": t.timestamp(),
                    "lon": float(lon[j]),
                    "lat": float(lat[j]),
                    "category": "explosion",
                    "count": 1,
                    "agreement_version_pk": 1,
                }
                for j, (k, t) in enumerate(zip(pks, times, strict=True))
            ],
        )
        conn.execute(
            insert(schema.incident_reports), [{"incident_pk": k, "report_pk": k} for k in pks]
        )
        conn.execute(
            insert(incident_states),
            [
                {"incident_pk": k, "state": "reported", "author": "fusion", "at": t.isoformat()}
                for k, t in zip(pks, times, strict=True)
            ],
        )
        breaches = [
            {
                "pk": k,
                "incident_pk": k,
                "rule_id": "R1",
                "article": "a",
                "severity": 3,
                "certainty": "certain",
                "agreement_version_pk": 1,
                "observed_at": t.timestamp(),
                "active": True,
            }
            for k, t in zip(pks, times, strict=True)
            if k % 100 == 0
        ]
        if breaches:  # a chunk of a few incidents may have none
            conn.execute(insert(schema.violations), breaches)


def refresh(rng: np.random.Generator) -> dict[str, float]:
    """Milliseconds of an incremental and of a whole-history refresh after a chunk, and the
    facts each read; then the live path's figures (:func:`live`) on the same store."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/bench.db")
        upgrade_to_head(engine)
        t0 = START - timedelta(days=HISTORY_DAYS - 5)
        with engine.begin() as conn:
            conn.execute(
                insert(schema.agreement_versions).values(
                    pk=1,
                    agreement_id="bench",
                    version=1,
                    name="bench",
                    source_text="",
                    geojson="{}",
                    source_path="",
                    loaded_at=t0.isoformat(),
                )
            )
            conn.execute(
                insert(schema.ingest_runs).values(
                    pk=1, started_at=t0.isoformat(), files="[]", status="done"
                )
            )
        span_s = HISTORY_DAYS * 86_400.0
        offsets = np.sort(rng.uniform(0.0, span_s, HISTORY_N))
        _add_incidents(engine, rng, [t0 + timedelta(seconds=float(x)) for x in offsets])
        clock = FixedClock(t0 + timedelta(seconds=span_s))
        save_instrument_file(
            engine, SCENARIO.read_text(), str(SCENARIO), load_instruments(SCENARIO), clock=clock
        )
        refresh_guarantees(SqlGuarantees(engine), clock=clock)  # the first run replays everything
        timings: list[tuple[float, int]] = []
        for full in (False, True):
            now = clock.now() + timedelta(hours=1)
            chunk = np.sort(rng.uniform(0.0, 3600.0, CHUNK))
            _add_incidents(engine, rng, [clock.now() + timedelta(seconds=float(x)) for x in chunk])
            clock = FixedClock(now)
            if full:
                with engine.begin() as conn:
                    conn.execute(delete(guarantee_evaluations))
            start = time.perf_counter()
            summary = refresh_guarantees(SqlGuarantees(engine), clock=clock)
            timings.append(((time.perf_counter() - start) * 1000.0, summary.facts))
        figures = live(engine, rng, clock)
        engine.dispose()
    (incremental_ms, incremental_facts), (full_ms, full_facts) = timings
    return figures | {
        "incremental_ms": incremental_ms,
        "full_ms": full_ms,
        "incremental_facts": incremental_facts,
        "full_facts": full_facts,
    }


def live(engine: Engine, rng: np.random.Generator, clock: FixedClock) -> dict[str, float]:
    """The live service after ``LIVE_CHUNK`` new incidents (median of ``LIVE_RUNS``), the
    incremental and whole-history refresh after as many, the checkpoint's costs."""
    store = SqlGuarantees(engine)

    def few_more(clock: FixedClock) -> FixedClock:
        offsets = np.sort(rng.uniform(0.0, 600.0, LIVE_CHUNK))
        _add_incidents(engine, rng, [clock.now() + timedelta(seconds=float(x)) for x in offsets])
        return FixedClock(clock.now() + timedelta(minutes=10))

    start = time.perf_counter()
    held, _ = catch_up(store, clock=clock)  # once: reads the history, checkpoints
    cold_ms = (time.perf_counter() - start) * 1000.0
    runs = []
    for _ in range(LIVE_RUNS):
        clock = few_more(clock)
        start = time.perf_counter()
        held, _ = catch_up(store, held, clock=clock, checkpoint_every_s=float("inf"))
        runs.append((time.perf_counter() - start) * 1000.0)
    paths = []
    for full in (False, True):
        clock = few_more(clock)
        if full:
            with engine.begin() as conn:
                conn.execute(delete(guarantee_evaluations))
        start = time.perf_counter()
        refresh_guarantees(store, clock=clock)
        paths.append((time.perf_counter() - start) * 1000.0)
    start = time.perf_counter()
    blob = held.evaluator.checkpoint()
    save_ms = (time.perf_counter() - start) * 1000.0
    start = time.perf_counter()
    LiveEvaluator.restore(blob, held.evaluator.instruments)
    restore_ms = (time.perf_counter() - start) * 1000.0
    # The former checkpoint (format 1, refused now): the evaluator's objects, pickled. Only
    # bytes made here are unpickled.
    start = time.perf_counter()
    old = zlib.compress(pickle.dumps(held.evaluator._state, protocol=pickle.HIGHEST_PROTOCOL), 1)
    pickle_save_ms = (time.perf_counter() - start) * 1000.0
    start = time.perf_counter()
    pickle.loads(zlib.decompress(old))
    pickle_restore_ms = (time.perf_counter() - start) * 1000.0
    return {
        "live_ms": float(np.median(runs)),
        "live_cold_ms": cold_ms,
        "few_incremental_ms": paths[0],
        "few_full_ms": paths[1],
        "checkpoint_mb": len(blob) / 1e6,
        "checkpoint_save_ms": save_ms,
        "checkpoint_restore_ms": restore_ms,
        "checkpoint_facts": float(len(held.evaluator.facts())),
        "pickle_mb": len(old) / 1e6,
        "pickle_save_ms": pickle_save_ms,
        "pickle_restore_ms": pickle_restore_ms,
    }


def main() -> None:
    rng = np.random.default_rng(2026)
    rate, latencies, alerts, batch_ms = paced(rng)
    p50, p99 = (float(np.percentile(latencies, q)) for q in (50, 99))
    batch_p99 = float(np.percentile(batch_ms, 99))
    print(
        f"paced: {RATE:,}/s offered, {rate:,.0f}/s evaluated over {PACED_S:.0f} s, "
        f"{alerts:,} alerts ({len(latencies):,} timed)"
    )
    print(
        f"arrival → alert: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"(batch window {WINDOW_S * 1000:.0f} ms); evaluating a batch: p99 {batch_p99:.1f} ms, "
        f"max {max(batch_ms):.1f} ms (on a shared machine the tail is mostly waiting for a core)"
    )
    sustained = capacity(rng, BATCH, CAPACITY_N)
    one_by_one = capacity(rng, 1, BASELINE_N)
    print(
        f"capacity: {sustained:,.0f} facts/s in batches of {BATCH:,}; "
        f"{one_by_one:,.0f}/s one at a time (baseline); ratio {sustained / one_by_one:.1f}x; "
        f"{sustained / RATE:.1f}x the 10,000/s target"
    )
    r = refresh(rng)
    incremental_ms, full_ms = r["incremental_ms"], r["full_ms"]
    print(
        f"refresh after {CHUNK} new incidents on {HISTORY_N:,} over {HISTORY_DAYS} days: "
        f"incremental {incremental_ms:,.0f} ms ({r['incremental_facts']:,.0f} facts read), "
        f"whole history {full_ms:,.0f} ms ({r['full_facts']:,.0f} facts); "
        f"ratio {full_ms / incremental_ms:.1f}x"
    )
    print(
        f"live after {LIVE_CHUNK} new incidents (median of {LIVE_RUNS}): {r['live_ms']:,.0f} ms; "
        f"incremental refresh {r['few_incremental_ms']:,.0f} ms "
        f"({r['few_incremental_ms'] / r['live_ms']:.1f}x), whole history "
        f"{r['few_full_ms']:,.0f} ms ({r['few_full_ms'] / r['live_ms']:.1f}x); first live run "
        f"(reads the history once) {r['live_cold_ms']:,.0f} ms; checkpoint "
        f"{r['checkpoint_mb']:.1f} MB, save {r['checkpoint_save_ms']:,.0f} ms, restore "
        f"{r['checkpoint_restore_ms']:,.0f} ms ({r['checkpoint_facts']:,.0f} fact revisions)"
    )
    print(
        f"former pickle checkpoint, same state: {r['pickle_mb']:.1f} MB, save "
        f"{r['pickle_save_ms']:,.0f} ms ({r['pickle_save_ms'] / r['checkpoint_save_ms']:.1f}x "
        f"JSON), restore {r['pickle_restore_ms']:,.0f} ms "
        f"({r['pickle_restore_ms'] / r['checkpoint_restore_ms']:.1f}x JSON)"
    )
    print(
        json.dumps(
            {
                "reports_per_s": round(sustained),
                "paced_reports_per_s": round(rate),
                "alert_p50_ms": round(p50, 2),
                "alert_p99_ms": round(p99, 2),
                "batch_p99_ms": round(batch_p99, 2),
                "one_at_a_time_reports_per_s": round(one_by_one),
                "ratio_to_one_at_a_time": round(sustained / one_by_one, 2),
                "refresh_incremental_ms": round(incremental_ms, 1),
                "refresh_full_ms": round(full_ms, 1),
                "refresh_history_incidents": HISTORY_N,
                "live_ms": round(r["live_ms"], 1),
                "live_few_incremental_ms": round(r["few_incremental_ms"], 1),
                "live_few_full_ms": round(r["few_full_ms"], 1),
                "live_ratio_to_full": round(r["few_full_ms"] / r["live_ms"], 1),
                "checkpoint_mb": round(r["checkpoint_mb"], 2),
                "checkpoint_save_ms": round(r["checkpoint_save_ms"], 1),
                "checkpoint_restore_ms": round(r["checkpoint_restore_ms"], 1),
                "pickle_mb": round(r["pickle_mb"], 2),
                "pickle_save_ms": round(r["pickle_save_ms"], 1),
                "pickle_restore_ms": round(r["pickle_restore_ms"], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
