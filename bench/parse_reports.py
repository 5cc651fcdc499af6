"""Parse + validate throughput of the NDJSON report path, against the orjson.loads floor.

Generates reports of all three location forms (point, bearing + range, place), writes them as
NDJSON to a temporary file, then times on one core (CPU time of this process, best of 3):

* ``floor``: reading the lines and ``orjson.loads`` of each (no validation at all);
* ``parse_report``: validation alone on the already-decoded objects;
* ``read_reports``: the whole reader (lines, UTF-8, orjson, validation, chunks, raw text).

Prints the figures, the ratio of ``read_reports`` to the floor, and as its last line a JSON
object. Usage: ``python bench/parse_reports.py [N]`` (default 200,000).
"""

from __future__ import annotations

import gc
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from ceasefire.reports.model import Category, WeaponClass
from ceasefire.reports.parse import parse_report, read_reports

PLACES = ["Avdiivka", "Авдіївка", "Marinka", "Shchastia", "Stanytsia Luhanska", "Horlivka"]


def generate(n: int, seed: int = 7) -> list[dict[str, object]]:
    """``n`` plausible reports near the Donbas line, a third of each location form."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    categories = [c.value for c in Category]
    weapons = [w.value for w in WeaponClass]
    out: list[dict[str, object]] = []
    for i in range(n):
        obj: dict[str, object] = {
            "id": f"r-{i:08d}",
            "source": f"op-{i % 40:02d}",
            "source_type": "observation_post",
            "reliability": "B",
            "credibility": 2,
            "observed_at": (start + timedelta(seconds=37 * i)).isoformat(),
            "category": categories[i % 6],
            "weapon_class": weapons[i % len(weapons)],
            "count": 1 + i % 9,
            "fire_direction": "impact",
        }
        form = i % 3
        if form == 0:
            obj["lat"] = round(48.0 + rng.random(), 5)
            obj["lon"] = round(37.5 + rng.random(), 5)
            obj["uncertainty_m"] = 250
        elif form == 1:
            obj["observer_lat"] = round(48.0 + rng.random(), 5)
            obj["observer_lon"] = round(37.5 + rng.random(), 5)
            obj["bearing_deg"] = round(rng.uniform(0, 360), 1)
            obj["distance_min_m"] = 3000
            obj["distance_max_m"] = 5000
        else:
            obj["place"] = PLACES[i % len(PLACES)]
        out.append(obj)
    return out


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    """Fastest of ``repeats`` runs, in CPU seconds of this process (the machine is shared)."""
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.ndjson"
        path.write_bytes(b"".join(orjson.dumps(o) + b"\n" for o in generate(n)))
        gc.collect()

        def floor() -> None:
            loads = orjson.loads
            with path.open("rb") as f:
                for line in f:
                    loads(line)

        def reader() -> None:
            accepted = sum(len(c.reports) for c in read_reports(path))
            assert accepted == n

        t_floor = best_of(3, floor)
        t_reader = best_of(3, reader)
    sample = generate(min(n, 50_000))

    def validate_only() -> None:
        for o in sample:
            parse_report(o)

    t_validate = best_of(3, validate_only) * n / len(sample)
    us = {
        k: v / n * 1e6
        for k, v in {"floor": t_floor, "validate": t_validate, "reader": t_reader}.items()
    }
    print(f"reports: {n:,} (point / bearing / place in equal parts), CPU time, best of 3")
    print(f"floor (lines + orjson.loads): {us['floor']:.2f} us/report, {n / t_floor:,.0f}/s")
    print(f"parse_report on dicts:        {us['validate']:.2f} us/report")
    print(f"read_reports (everything):    {us['reader']:.2f} us/report, {n / t_reader:,.0f}/s")
    print(f"cost above the floor:         {us['reader'] - us['floor']:.2f} us/report")
    print(f"ratio read_reports / floor (throughput): {t_floor / t_reader:.2f}")
    print(
        orjson.dumps(
            {
                "reports": n,
                "floor_reports_per_s": round(n / t_floor),
                "parse_reports_per_s": round(n / t_reader),
                "validate_us_per_report": round(us["validate"], 3),
                "reader_us_per_report": round(us["reader"], 3),
                "ratio": round(t_floor / t_reader, 3),
            }
        ).decode()
    )


if __name__ == "__main__":
    main()
