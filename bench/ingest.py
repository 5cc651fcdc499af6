"""End-to-end ingest throughput against the raw floor, on 1,000,000 generated reports.

The reports lie along the paris-2026 contact line, in all three location forms (a point with a
CEP; an observer with bearing and range band; a settlement name from the bundled gazetteer),
with a realistic category mix. They are written as NDJSON to a temp dir, then:

* end to end: ``ingest_files`` into a fresh SQLite database with the paris-2026 agreement
  loaded (parse → validate → locate → place → persist the reports, one transaction per chunk;
  with ``--fuse``, then fuse → judge → persist the incidents and violations);
* the raw floor: ``orjson.loads`` of every line + ``executemany`` of all spec fields into one
  plain table (no index, no validation), one transaction per chunk of the same size, with
  the same PRAGMAs, in the same run: once before the end to end and once after, averaged
  (this machine's speed drifts over minutes). Both timings end with the connection closed,
  so each includes the last copy of its write-ahead log into the database file.

On PostgreSQL (``--db postgresql+psycopg://HOST/DATABASE``; the benchmark DROPS and recreates
that database, so name one of its own) the end to end is the same ``ingest_files`` into a
freshly initialised PostGIS database, and the floor is PostgreSQL's bulk path: ``orjson.loads``
of every line + ``COPY`` of all spec fields into one plain table (no index, no constraint;
text columns, the raw line as ``bytea``), one transaction per chunk, before and after.

Usage: ``python bench/ingest.py [N] [--db URL] [--fuse]`` (default 1,000,000 reports into a
temporary SQLite file). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import orjson
import psycopg
import shapely

from ceasefire.pipeline.agreements import load_agreement_file
from ceasefire.pipeline.ingest import DEFAULT_CHUNK_SIZE, ingest_files
from ceasefire.reports.gazetteer import DEFAULT_PATH, Gazetteer
from ceasefire.reports.model import ObservationReport
from ceasefire.store.pg_admin import libpq_url, recreate_database
from ceasefire.store.postgres import PostgresStore
from ceasefire.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "paris-2026"
#: Every field of the observation-report spec (the domain model has exactly those).
SPEC_FIELDS = [f.name for f in dataclasses.fields(ObservationReport)]
CATEGORIES = [
    "explosion",
    "shots",
    "burst_of_fire",
    "heavy_weapon",
    "armour",
    "troop_movement",
    "uav",
    "movement_restriction",
    "projectile_in_flight",
    "muzzle_flash",
]
CATEGORY_P = [0.35, 0.12, 0.1, 0.15, 0.07, 0.07, 0.05, 0.03, 0.03, 0.03]
WEAPONS = ["artillery_ge_100", "mlrs", "heavy_mlrs", "tank", "mortar_120", "artillery_lt_100"]
SOURCE_TYPES = ["observation_post", "patrol", "uav", "camera", "acoustic", "osint"]


def front_places(limit: int = 400) -> list[str]:
    """Names of settlements near the front (east of 34 E), from the bundled gazetteer."""
    names: list[str] = []
    lines = gzip.decompress(DEFAULT_PATH.read_bytes()).decode().splitlines()
    header = lines[0].split("\t")
    name_i, lon_i, cc_i = (
        header.index("name"),
        header.index("longitude"),
        header.index("country_code"),
    )
    for row in lines[1:]:
        cols = row.split("\t")
        if cols[cc_i] == "UA" and float(cols[lon_i]) > 34.0 and cols[name_i].isascii():
            names.append(cols[name_i])
    return sorted(set(names))[:limit]


def generate(path: Path, n: int, seed: int = 7) -> None:
    """Write ``n`` reports as NDJSON (a third each in the three location forms)."""
    rng = np.random.default_rng(seed)
    line = shapely.from_geojson((SCENARIO / "geo" / "contact-line.geojson").read_text())
    line = shapely.line_merge(shapely.union_all(shapely.get_parts(line)))
    along = shapely.line_interpolate_point(line, rng.random(n), normalized=True)
    lon = shapely.get_x(along) + rng.normal(0, 0.4, n)
    lat = shapely.get_y(along) + rng.normal(0, 0.2, n)
    form = rng.integers(0, 3, n)
    category = rng.choice(len(CATEGORIES), n, p=CATEGORY_P)
    weapon = rng.integers(0, len(WEAPONS), n)
    start = 1_796_083_200  # 2026-12-01T00:00:00Z
    t = start - 86_400 * 3 + rng.integers(0, 86_400 * 33, n)
    places = front_places()
    place = rng.integers(0, len(places), n)
    bearing = rng.uniform(0, 360, n)
    lon_l, lat_l = np.round(lon, 5).tolist(), np.round(lat, 5).tolist()
    bearing_l = np.round(bearing, 1).tolist()
    form_l, category_l, weapon_l, place_l = (
        form.tolist(),
        category.tolist(),
        weapon.tolist(),
        place.tolist(),
    )
    t_l = t.tolist()
    with path.open("wb") as out:
        for i in range(n):
            obs = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t_l[i]))
            cat = CATEGORIES[category_l[i]]
            report: dict[str, object] = {
                "id": f"b{i}",
                "source": f"op-{i % 97}",
                "source_type": SOURCE_TYPES[i % len(SOURCE_TYPES)],
                "reliability": "B",
                "credibility": 2,
                "observed_at": obs,
                "category": cat,
                "count": 1 + i % 5,
            }
            if cat == "heavy_weapon":
                report["weapon_class"] = WEAPONS[weapon_l[i]]
            if form_l[i] == 0:
                report.update(lat=lat_l[i], lon=lon_l[i], uncertainty_m=150.0)
            elif form_l[i] == 1:
                report.update(
                    observer_lat=lat_l[i],
                    observer_lon=lon_l[i],
                    bearing_deg=bearing_l[i],
                    distance_min_m=2000,
                    distance_max_m=5000,
                )
            else:
                report["place"] = places[place_l[i]]
            out.write(orjson.dumps(report))
            out.write(b"\n")


def end_to_end(
    path: Path, work: Path, db: str | None, *, fuse: bool = False
) -> tuple[float, dict[str, int], float]:
    """Seconds for ``ingest_files``, its counts, and the (untimed) agreement compile seconds;
    into a fresh SQLite file in ``work``, or the freshly recreated PostgreSQL database ``db``.
    ``fuse``: with fusion of the stored reports into incidents (``ingest_files``' default)."""
    store: SQLiteStore | PostgresStore
    if db is None:
        store = SQLiteStore(f"sqlite:///{work / 'e2e.db'}")
    else:
        recreate_database(db)
        store = PostgresStore(db)
    store.init_schema()
    t0 = time.perf_counter()
    load_agreement_file(store, SCENARIO / "agreement.yaml")
    compile_s = time.perf_counter() - t0
    gazetteer = Gazetteer.default()
    t0 = time.perf_counter()
    # fuse=False (default): parse → validate → locate → place → persist the reports; the
    # incidents and their violations are fusion's (``--fuse`` times it too).
    summary = ingest_files(store, [path], gazetteer=gazetteer, fuse=fuse)
    store.close()  # timed: it waits for the last copy of the write-ahead log into the file
    elapsed = time.perf_counter() - t0
    return elapsed, summary.counts(), compile_s


def floor(path: Path, work: Path) -> float:
    """Seconds for orjson.loads + executemany of every spec field into one plain table."""
    for stale in work.glob("floor.db*"):
        stale.unlink()
    conn = sqlite3.connect(work / "floor.db", isolation_level=None)
    for pragma in (
        "page_size=8192",
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "temp_store=MEMORY",
        "cache_size=-131072",
        "mmap_size=268435456",
    ):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute(f"CREATE TABLE raw_reports ({', '.join(f'{c!r}' for c in SPEC_FIELDS)}, raw)")
    marks = ", ".join("?" for _ in range(len(SPEC_FIELDS) + 1))
    insert = f"INSERT INTO raw_reports VALUES ({marks})"
    t0 = time.perf_counter()
    for batch in parsed_chunks(path):
        conn.execute("BEGIN")
        conn.executemany(insert, batch)
        conn.execute("COMMIT")
    conn.close()  # timed, as the end to end's close is
    elapsed = time.perf_counter() - t0
    return elapsed


def pg_floor(path: Path, db: str) -> float:
    """Seconds for orjson.loads + ``COPY`` of every spec field into one plain PostgreSQL table
    (the database ``db``, recreated), one transaction per chunk of the ingest's size."""
    recreate_database(db)
    columns = ", ".join(f'"{c}"' for c in SPEC_FIELDS)
    typed = ", ".join(f'"{c}" text' for c in SPEC_FIELDS)
    copy_sql = f"COPY raw_reports ({columns}, raw) FROM STDIN"
    with psycopg.connect(libpq_url(db)) as conn:
        conn.execute(f"CREATE TABLE raw_reports ({typed}, raw bytea)")
        conn.commit()
        t0 = time.perf_counter()
        for batch in parsed_chunks(path):
            with conn.transaction(), conn.cursor() as cur, cur.copy(copy_sql) as copy:
                for row in batch:
                    copy.write_row(row)
    return time.perf_counter() - t0


def parsed_chunks(path: Path) -> Iterator[list[tuple[object, ...]]]:
    """The floors' input: every line parsed (``orjson.loads``) into its spec fields and the
    raw bytes, in chunks of the ingest's size (the last one possibly shorter or empty)."""
    with path.open("rb") as stream:
        batch: list[tuple[object, ...]] = []
        for raw in stream:
            obj = orjson.loads(raw)
            batch.append((*(obj.get(c) for c in SPEC_FIELDS), raw))
            if len(batch) == DEFAULT_CHUNK_SIZE:
                yield batch
                batch = []
        yield batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument(
        "--db",
        help="postgresql+psycopg://HOST/DATABASE to measure PostgreSQL (the database is "
        "dropped and recreated); default: a temporary SQLite file",
    )
    parser.add_argument(
        "--fuse",
        action="store_true",
        help="time the ingest with fusion (reports → incidents → violations), not without",
    )
    args = parser.parse_args()
    n, db = args.n, args.db
    if db is not None and not db.startswith("postgresql"):
        parser.error("--db: a postgresql+psycopg:// URL (SQLite is the default)")
    with tempfile.TemporaryDirectory(prefix="ceasefire-bench-") as tmp:
        work = Path(tmp)
        path = work / "reports.ndjson"
        t0 = time.perf_counter()
        generate(path, n)
        print(
            f"generated {n:,} reports ({path.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        # the floor before and after: this machine's speed drifts by up to a third over
        # minutes (other tenants), and the mean brackets the end-to-end run
        floor_before_s = floor(path, work) if db is None else pg_floor(path, db)
        e2e_s, counts, compile_s = end_to_end(path, work, db, fuse=args.fuse)
        floor_after_s = floor(path, work) if db is None else pg_floor(path, db)
    floor_s = (floor_before_s + floor_after_s) / 2.0
    rate, floor_rate = n / e2e_s, n / floor_s
    backend = "sqlite" if db is None else "postgresql"
    bulk = "executemany" if db is None else "COPY into an unindexed table"
    print(f"backend: {backend}" + (" (ingest with fusion)" if args.fuse else ""))
    print(f"agreement load + geography compile (not timed below): {compile_s:.1f} s")
    print(f"end to end: {e2e_s:.1f} s = {rate:,.0f} reports/s  {counts}")
    print(
        f"raw floor (orjson.loads + {bulk}): {floor_before_s:.1f} s before, "
        f"{floor_after_s:.1f} s after; mean {floor_s:.1f} s = {floor_rate:,.0f} reports/s"
    )
    print(f"ratio end-to-end / floor: {rate / floor_rate:.2f}")
    print(
        json.dumps(
            {
                "backend": backend,
                "fuse": bool(args.fuse),
                "reports_per_s": round(rate),
                "floor_reports_per_s": round(floor_rate),
                "ratio": round(rate / floor_rate, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
