"""The HQ API benchmark's store: 1,000,000 synthetic incidents, built once and cached.

Split from ``bench/api.py`` (which measures; ``bench/api_load.py`` drives the clients). The
store is built directly, not through the ingest (which ``bench/ingest.py`` measures): see
``bench/api.py``'s docstring for what the rows are and how they are spread. The SQLite cache
is brought to the newest schema before it is served or copied (``ceasefire init`` is an
upgrade on an existing store), so a migration does not force a rebuild of the data.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ceasefire.pipeline.agreements import AgreementBook
from ceasefire.pipeline.fuse import tearline_judge
from ceasefire.store.copy import copy_store
from ceasefire.store.pg_admin import comment_database, database_comment, recreate_database
from ceasefire.store.postgres import PostgresStore
from ceasefire.store.read_model_write import rebuild_read_model
from ceasefire.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / ".venv" / "bin" / "ceasefire"
AGREEMENT = ROOT / "scenarios" / "paris-2026" / "agreement.yaml"
CACHE = ROOT / "bench" / ".cache"
#: Bump when the synthetic data changes: the cached database is rebuilt. (A schema change
#: needs no bump: the cache is upgraded in place, and a PostgreSQL copy is marked with the
#: schema revision too.)
CACHE_VERSION = "api-8"
N_INCIDENTS = 1_000_000
#: paris-2026 enters into force on 2026-12-01 (agreement.yaml); data covers the next year.
START_S = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
SPAN_S = 365 * 86400.0
LON = (32.0, 40.0)
LAT = (46.0, 51.0)
LABELS = [None, "USA", "FRA;GBR"]
LABEL_P = [0.7, 0.2, 0.1]
CATEGORIES = ["explosion", "shots", "burst_of_fire", "heavy_weapon", "armour", "uav"]
CATEGORY_P = [0.45, 0.15, 0.1, 0.15, 0.1, 0.05]
#: Categories of rule R1 of paris-2026 (anywhere, severity 2).
R1_CATEGORIES = {"explosion", "shots", "burst_of_fire"}
R1_ARTICLE = "Art. 1 (hypothetical): ceasefire from 00:00 UTC 1 Dec 2026"
WEAPONS = ["artillery_ge_100", "mlrs", "tank", "mortar_120"]


def iso_text(seconds: np.ndarray) -> list[str]:
    """Epoch seconds → ISO 8601 UTC text, vectorised."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), timezone="UTC")
    return [str(t) for t in text]


def _cli(db: Path, *args: str) -> str:
    done = subprocess.run(
        [str(CLI), "--db", str(db), *args], check=True, capture_output=True, text=True
    )
    return done.stdout


def _insert(con: sqlite3.Connection, table: str, n: int, columns: dict[str, object]) -> None:
    """``executemany`` of ``n`` rows; a column is an array or list of ``n``, or one constant."""
    values = [
        v.tolist() if isinstance(v, np.ndarray) else v if isinstance(v, list) else [v] * n
        for v in columns.values()
    ]
    marks = ", ".join("?" * len(columns))
    con.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", zip(*values, strict=True)
    )


def _fill(db: Path, n: int, seed: int) -> None:
    """Bulk-insert ``n`` synthetic incidents and everything the incident list reads."""
    rng = np.random.default_rng(seed)
    observed = np.sort(START_S + rng.random(n) * SPAN_S)  # pk order follows time, as in ingest
    lon = LON[0] + (LON[1] - LON[0]) * rng.random(n)
    lat = LAT[0] + (LAT[1] - LAT[0]) * rng.random(n)
    per = rng.choice([1, 2, 3], size=n, p=[0.75, 0.2, 0.05])
    category = rng.choice(CATEGORIES, size=n, p=CATEGORY_P)
    weapon = rng.choice(WEAPONS, size=n).astype(object)
    weapon[category != "heavy_weapon"] = None
    count = rng.integers(1, 6, size=n)
    status = np.where(rng.random(n) < 0.02, "superseded", "active")
    pks = np.arange(1, n + 1)
    owner = np.repeat(np.arange(n), per)  # report → its incident's index
    m = len(owner)
    r_pks = np.arange(1, m + 1)
    r_lon = lon[owner] + rng.normal(0.0, 0.002, m)
    r_obs = observed[owner] + rng.uniform(-60.0, 60.0, m)
    source = np.char.add("op-", rng.integers(0, 300, size=m).astype(str))
    received = iso_text(r_obs + 600.0)
    first = np.cumsum(per) - per  # index of each incident's first report
    fire = np.isin(category, list(R1_CATEGORIES))

    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("BEGIN")
    run = {"pk": 1, "started_at": received[0], "finished_at": received[-1], "files": "[]"}
    counts = {"read": m, "accepted": m, "duplicates": 0, "amended": 0, "withdrawn": 0}
    _insert(con, "ingest_runs", 1, {**run, "status": "done", **counts, "quarantined": 0})
    _insert(con, "reports", m, {
        "pk": r_pks,
        "id": [f"r{pk}" for pk in range(1, m + 1)],
        "source": source,
        "source_type": "observation_post",
        "reliability": "B",
        "credibility": 2,
        "observed_at": r_obs,
        "lon": r_lon,
        "lat": lat[owner] + rng.normal(0.0, 0.002, m),
        "uncertainty_m": 250.0,
        "category": category[owner],
        "weapon_class": weapon[owner],
        "count": count[owner],
        "withdrawn": False,
        "classification": np.where(rng.random(m) < 0.2, "RESTRICTED", "UNCLASSIFIED"),
        "releasable_to": np.array(LABELS, dtype=object)[rng.choice(3, size=m, p=LABEL_P)],
        "raw": [f'{{"id":"r{pk}"}}' for pk in range(1, m + 1)],
        "content_hash": [pk.to_bytes(16, "big") for pk in range(1, m + 1)],
        "received_at": received,
        "ingest_run_pk": 1,
        "location_form": "point",
        "party": np.where(r_lon < 37.0, "UKR", "RUS"),
        "distance_to_line_km": np.abs(r_lon - 37.0) * 70.0,
        "zones_inside": 0,
        "zones_possibly_inside": 0,
        "agreement_version_pk": 1,
        "status": "active",
    })  # fmt: skip
    con.execute(
        "UPDATE reports SET located_lon = lon, located_lat = lat,"
        " located_uncertainty_m = uncertainty_m"
    )
    _insert(con, "incidents", n, {
        "pk": pks,
        "status": status,
        "observed_at": observed,
        "lon": lon,
        "lat": lat,
        "uncertainty_m": 250.0,
        "category": category,
        "weapon_class": weapon,
        "count": count,
        "agreement_version_pk": 1,
    })  # fmt: skip
    _insert(con, "incident_reports", m, {"incident_pk": owner + 1, "report_pk": r_pks})
    _insert(con, "incident_fusion", n, {
        "incident_pk": pks,
        "fusion_id": np.char.add(np.char.add(source[first], "/r"), (first + 1).astype(str)),
        "observed_until": observed + 120.0,
        "count_low": count,
        "count_best": count,
        "count_high": count + per - 1,
        "sources": per,
        "independent_sources": per,
        "confidence": rng.uniform(0.3, 0.95, n),
        "semi_major_m": 250.0 / per,
        "semi_minor_m": 200.0 / per,
        "orientation_deg": rng.uniform(0.0, 180.0, n),
        "bearing_observers": 0,
    })  # fmt: skip
    _insert(con, "incident_states", n, {
        "incident_pk": pks,
        "state": np.where(per > 1, "corroborated", "reported"),
        "author": "fusion",
        "at": iso_text(observed + 300.0),
    })  # fmt: skip
    _insert(con, "violations", int(fire.sum()), {
        "pk": np.arange(1, fire.sum() + 1),
        "incident_pk": pks[fire],
        "rule_id": "R1",
        "article": R1_ARTICLE,
        "severity": 2,
        "certainty": "certain",
        "agreement_version_pk": 1,
        "observed_at": observed[fire],
        "active": status[fire] == "active",
    })  # fmt: skip
    con.executemany(
        "INSERT OR IGNORE INTO release_labels (label) VALUES (?)",
        [(label or "",) for label in LABELS],
    )
    con.execute("COMMIT")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()


def _build_read_model(db: Path) -> int:
    """The HQ's read model of the bulk-inserted incidents, tearlines included: what fusion
    writes with each incident, rebuilt here by the store's own function."""
    store = SQLiteStore(f"sqlite:///{db}")
    try:
        judge = tearline_judge(AgreementBook.from_store(store))
        with store.engine.begin() as conn:
            return rebuild_read_model(conn, judge=judge)
    finally:
        store.close()


def cached_store(n: int, *, seed: int = 5) -> tuple[Path, str]:
    """The benchmark database with ``n`` incidents and a USA analyst's token (built once)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    db = CACHE / f"{CACHE_VERSION}-{n}.db"
    meta = CACHE / f"{CACHE_VERSION}-{n}.json"
    if db.exists() and meta.exists():
        _cli(db, "init")  # an upgrade to the newest schema, if a migration came since
        return db, str(json.loads(meta.read_text())["token"])
    work = CACHE / f"{CACHE_VERSION}-{n}.building.db"
    for stale in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(f"{work}-cache", ignore_errors=True)
    t0 = time.perf_counter()
    _cli(work, "init")
    _cli(work, "agreement", "load", str(AGREEMENT))
    user = json.loads(
        _cli(work, "users", "add", "bench-usa", "--nation", "USA", "--role", "analyst", "--json")
    )
    _fill(work, n, seed)
    t1 = time.perf_counter()
    written = _build_read_model(work)
    print(f"read model: {written:,} incidents in {time.perf_counter() - t1:.0f} s")
    work.rename(db)
    geo_cache = Path(f"{work}-cache")  # the compiled agreement, cached beside the database
    if geo_cache.exists():
        shutil.rmtree(f"{db}-cache", ignore_errors=True)
        geo_cache.rename(f"{db}-cache")
    meta.write_text(json.dumps({"token": user["token"], "incidents": n}))
    print(f"built {db.name}: {n:,} incidents in {time.perf_counter() - t0:.0f} s")
    return db, str(user["token"])


def _revision(db: Path) -> str:
    """The schema revision of the SQLite store at ``db``."""
    con = sqlite3.connect(db)
    try:
        return str(con.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        con.close()


def postgres_store(n: int, db: str) -> str:
    """The benchmark store on the PostgreSQL database ``db`` (built once: the SQLite cache,
    then ``store copy``, verified); the USA analyst's token."""
    sqlite_db, token = cached_store(n)
    mark = f"{CACHE_VERSION}-{n}-{_revision(sqlite_db)}"
    if database_comment(db) == mark:
        return token
    recreate_database(db)
    store = PostgresStore(db)
    try:
        store.init_schema()
    finally:
        store.close()
    report = copy_store(f"sqlite:///{sqlite_db}", db)
    if not report.check.ok:
        raise RuntimeError(f"store copy into {db} did not verify: {report.check}")
    comment_database(db, mark)
    print(
        f"copied {report.plan.total_rows:,} rows into {db} in {report.copy_s:.0f} s "
        f"({report.rows_per_s:,.0f} rows/s), verified in {report.check_s:.0f} s"
    )
    return token
