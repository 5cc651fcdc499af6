"""Time the daily report of a 100,000-report day (target: at most 5 s).

Generates one day of reports along the paris-2026 contact line (fire of every category,
heavy weapons, movement restrictions, casualties; points and bearings), ingests them into a
fresh SQLite database, then times ``build_daily_report`` — everything ``ceasefire report daily``
does: the queries, oblasts, storage sites, aggregation, map, trend, HTML and Markdown — and,
as the floor, the bare SQL that sums the day's counts per category. Also times the command
itself (a new process: imports and start-up included).

The agreement's geography is compiled once before the timing (a running HQ or the demo has it;
``compile_seconds`` prints that one-off cost). The command reads it from the file cache that
loading the agreement wrote beside the database (``ceasefire.geo.cache``): ``cli_seconds``
includes reading that file, not compiling.

Last line: JSON with ``seconds`` (the report), ``reports``, ``cli_seconds``, ``floor_seconds``,
``compile_seconds``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import orjson
import shapely
from shapely.geometry.base import BaseGeometry

from ceasefire.monitoring.daily import day_window
from ceasefire.pipeline.agreements import load_agreement_file
from ceasefire.pipeline.ingest import ingest_files
from ceasefire.reporting.daily import agreement_book, build_daily_report
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.parse import ReportFormat
from ceasefire.scenarios import scenario_dir
from ceasefire.settings import Settings
from ceasefire.store.base import open_store
from ceasefire.store.queries import engine_of
from ceasefire.store.report_reads import SqlReportReads

N_REPORTS = 100_000
DAY = date(2026, 12, 10)
TARGET_S = 5.0
CATEGORIES = (
    ("explosion", 0.34),
    ("burst_of_fire", 0.22),
    ("shots", 0.14),
    ("projectile_in_flight", 0.10),
    ("muzzle_flash", 0.05),
    ("illumination_flare", 0.03),
    ("heavy_weapon", 0.06),
    ("armour", 0.02),
    ("movement_restriction", 0.015),
    ("sensor_impeded", 0.01),
    ("civilian_casualty", 0.01),
    ("infrastructure_damage", 0.015),
)
WEAPONS = ("artillery_ge_100", "mlrs", "tank", "mortar_120", "heavy_mlrs", "apc_ifv")


def contact_line() -> BaseGeometry:
    """The paris-2026 contact line, read from the scenario's GeoJSON."""
    doc = orjson.loads((scenario_dir("paris-2026") / "geo" / "contact-line.geojson").read_bytes())
    return shapely.union_all([shapely.from_geojson(orjson.dumps(f)) for f in doc["features"]])


def generate_day(path: Path, n: int, seed: int = 7) -> None:
    """Write ``n`` reports of one day as NDJSON: 80 % points, 20 % bearings from a post."""
    rng = np.random.default_rng(seed)
    line = contact_line()
    along = rng.uniform(0, line.length, n)
    base = shapely.line_interpolate_point(line, along)
    lon = shapely.get_x(base) + rng.normal(0, 0.25, n)
    lat = shapely.get_y(base) + rng.normal(0, 0.15, n)
    names = [c for c, _ in CATEGORIES]
    weights = np.asarray([w for _, w in CATEGORIES])
    cats = rng.choice(len(names), size=n, p=weights / weights.sum())
    start, end = (t.timestamp() for t in day_window(DAY))  # the report's (Kyiv) day
    times = rng.uniform(start, end - 1, n)
    counts = rng.geometric(0.25, n)
    bearing = rng.random(n) < 0.2
    with path.open("wb") as out:
        for k in range(n):
            cat = names[cats[k]]
            rec: dict[str, object] = {
                "id": f"b{k}",
                "source": f"op-{k % 97}",
                "source_type": "observation_post",
                "observed_at": datetime.fromtimestamp(times[k], UTC).isoformat(),
                "category": cat,
                "count": int(counts[k]),
            }
            if cat in {"heavy_weapon", "armour"}:
                rec["weapon_class"] = WEAPONS[k % len(WEAPONS)]
            if bearing[k]:
                rec.update(
                    observer_lon=float(lon[k] - 0.05),
                    observer_lat=float(lat[k]),
                    bearing_deg=90.0,
                    distance_min_m=2000.0,
                    distance_max_m=5000.0,
                )
            else:
                rec.update(lon=float(lon[k]), lat=float(lat[k]), uncertainty_m=200.0)
            out.write(orjson.dumps(rec) + b"\n")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        root = Path(tmp)
        settings = Settings.from_cli(str(root / "bench.db"))
        store = open_store(settings)
        store.init_schema()
        load_agreement_file(store, scenario_dir("paris-2026") / "agreement.yaml")
        data = root / "day.ndjson"
        t = time.perf_counter()
        generate_day(data, N_REPORTS)
        print(f"generated {N_REPORTS:,} reports in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        summary = ingest_files(
            store, [data], fmt=ReportFormat.NDJSON, gazetteer=Gazetteer.default()
        )
        print(f"ingested {summary.accepted:,} in {time.perf_counter() - t:.1f} s")

        start, end = (t.timestamp() for t in day_window(DAY))
        t = time.perf_counter()
        with engine_of(store).connect() as conn:
            floor_rows = conn.exec_driver_sql(
                "SELECT category, sum(count) FROM reports WHERE observed_at >= ? AND "
                "observed_at < ? AND status = 'active' GROUP BY category",
                (start, end),
            ).all()
        floor_s = time.perf_counter() - t
        t = time.perf_counter()
        book = agreement_book(store)  # compile the geography once, as a running HQ has it
        compile_s = time.perf_counter() - t
        t, cpu = time.perf_counter(), time.process_time()
        files = build_daily_report(SqlReportReads.of(store), DAY, root / "report", book=book)
        seconds, cpu_seconds = time.perf_counter() - t, time.process_time() - cpu
        store.close()
        n_reports = files.summary.n_reports
        assert n_reports == sum(1 for _ in data.open("rb")), "report lost reports"
        assert files.summary.fire.total + files.summary.presence.total > 0
        assert len(floor_rows) == len(CATEGORIES)

        t = time.perf_counter()
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "ceasefire",
                "--db",
                str(root / "bench.db"),
                "report",
                "daily",
                "--date",
                DAY.isoformat(),
                "--out",
                str(root / "cli"),
            ],
            check=False,
            capture_output=True,
        )
        cli_seconds: float | None = time.perf_counter() - t
        if cli.returncode != 0:
            print(f"the command failed ({cli.stderr.decode()[-300:]!r}); no cli_seconds")
            cli_seconds = None

    print(f"daily report of {n_reports:,} reports: {seconds:.2f} s (target <= {TARGET_S:.0f} s)")
    print(f"  of which CPU time of this process: {cpu_seconds:.2f} s (robust to a busy machine)")
    print(f"one-off compile of the agreement's geography (not per report): {compile_s:.2f} s")
    if cli_seconds is not None:
        print(f"`ceasefire report daily` as a command (new process): {cli_seconds:.2f} s")
    print(
        f"floor (one GROUP BY of the day's counts): {floor_s:.3f} s; "
        f"ratio {seconds / max(floor_s, 1e-9):.0f}x"
    )
    print(
        json.dumps(
            {
                "seconds": round(seconds, 3),
                "cpu_seconds": round(cpu_seconds, 3),
                "reports": n_reports,
                "cli_seconds": None if cli_seconds is None else round(cli_seconds, 3),
                "compile_seconds": round(compile_s, 3),
                "floor_seconds": round(floor_s, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
