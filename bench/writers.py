"""Several ``ceasefire ingest`` processes at once into one PostgreSQL database, overlapping files.

The reports are simulated (paris-2026, seed 7: amendments, withdrawals, re-deliveries and
false reports included) and cut into four quarters in arrival order. Writer k gets quarters
k and k+1 (the last: the fourth and the first), so every report is in two files, every file
overlaps two others by half, and each file keeps the arrival order. Then:

* single: one ``ceasefire ingest`` of all reports into a fresh database;
* writers: the four ``ceasefire ingest`` processes started together into another one.

Both must hold the same content: the same reports (key, content hash, status), the same
active incidents (by their reports' keys) and the same active violations (by their
incident's report keys and rule). The ledger of the writers' database must verify and be one
line (seq 1..N, each entry chained to the one before). Ids are not compared: PostgreSQL draws
them from sequences, in whatever order the writers get there.

Usage: ``python bench/writers.py [--reports 200000] [--writers 4] [--chunk N] [--sim DIR]
[--keep]``
(4 x 50,000 by default: 100,000 distinct reports, each sent twice). Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ceasefire.ledger.export import export_lines
from ceasefire.ledger.verify import verify_lines
from ceasefire.store.ledger import SqlLedger

ROOT = Path(__file__).resolve().parents[1]
AGREEMENT = ROOT / "scenarios" / "paris-2026" / "agreement.yaml"
ADMIN_URL = os.environ.get(
    "CEASEFIRE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
#: Simulated reports per day of paris-2026 (about 3,600: the days asked for are rounded up).
REPORTS_PER_DAY = 3_000


def simulate(n: int, folder: Path) -> list[bytes]:
    """The first ``n`` simulated reports (NDJSON lines), arrival order; files cached in
    ``folder`` (the simulator is deterministic: same days and seed, same bytes)."""
    days = max(1, math.ceil(n / REPORTS_PER_DAY))
    path = folder / f"sim-{days}d" / "reports.ndjson"
    if not path.exists():
        out = str(path.parent)
        cli(["simulate", "--scenario", "paris-2026", "--out", out, "--seed", "7"], "--days", days)
    lines = path.read_bytes().splitlines(keepends=True)[:n]
    if len(lines) < n:
        raise SystemExit(f"the simulation gave {len(lines)} reports, fewer than {n}")
    return lines


def cli(args: Sequence[str], *more: object, db: str | None = None) -> str:
    """Run ``ceasefire [--db DB] ARGS MORE`` with this checkout's sources; its stdout."""
    command = [sys.executable, "-m", "ceasefire"]
    if db is not None:
        command += ["--db", db]
    command += [*args, *(str(m) for m in more)]
    done = subprocess.run(command, env=child_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child ``ceasefire``: this checkout's sources first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def split_overlapping(lines: Sequence[bytes], writers: int, folder: Path) -> list[Path]:
    """``writers`` files: file k holds parts k and k+1 (mod ``writers``) of ``lines`` cut into
    ``writers`` parts, in the original order (so the last holds the first and last parts)."""
    size = math.ceil(len(lines) / writers)
    parts = [lines[k * size : (k + 1) * size] for k in range(writers)]
    files = []
    for k in range(writers):
        first, second = sorted((k, (k + 1) % writers))
        path = folder / f"writer-{k}.ndjson"
        path.write_bytes(b"".join([*parts[first], *parts[second]]))
        files.append(path)
    return files


def ingest_together(
    db: str, files: Sequence[Path], *, chunk_size: int | None = None
) -> tuple[float, list[dict[str, object]]]:
    """Start one ``ceasefire ingest --json`` per file at once (with ``chunk_size`` reports per
    transaction, default the CLI's); seconds until all are done, and each one's summary."""
    extra = {} if chunk_size is None else {"CEASEFIRE_INGEST_BATCH_SIZE": str(chunk_size)}
    command = [sys.executable, "-m", "ceasefire", "--db", db, "ingest", "--json"]
    t0 = time.perf_counter()
    runs = [
        subprocess.Popen(
            [*command, str(f)],
            env=child_env(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    outputs = [run.communicate() for run in runs]
    elapsed = time.perf_counter() - t0
    for run, (_, err) in zip(runs, outputs, strict=True):
        if run.returncode != 0:
            raise RuntimeError(f"an ingest failed (exit {run.returncode}):\n{_tail(err)}")
    return elapsed, [json.loads(out) for out, _ in outputs]


def _tail(err: str) -> str:
    """The error's last lines, skipping SQLAlchemy's echo of a long statement's parameters
    (the error's own line comes first there)."""
    lines = [line for line in err.splitlines() if not line.startswith("[parameters:")]
    return "\n".join(line[:500] for line in lines[-30:])


@dataclass(frozen=True)
class Content:
    """What a store holds, by content: comparable between databases whatever their ids."""

    reports: frozenset[tuple[str, str, str, str, str]]  # submitter, source, id, hash, status
    incidents: frozenset[frozenset[tuple[str, str, str]]]
    violations: frozenset[tuple[frozenset[tuple[str, str, str]], str]]


INCIDENT_KEYS_SQL = (
    "SELECT ir.incident_pk, r.submitter, r.source, r.id FROM incident_reports AS ir "
    "JOIN incidents AS i ON i.pk = ir.incident_pk JOIN reports AS r ON r.pk = ir.report_pk "
    "WHERE i.status = 'active'"
)


def content(db: str) -> Content:
    """The reports, active incidents and active violations of ``db``, by content."""
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            reports = frozenset(
                (str(a), str(b), str(c), bytes(d).hex(), str(e))
                for a, b, c, d, e in conn.execute(
                    text("SELECT submitter, source, id, content_hash, status FROM reports")
                )
            )
            keys: dict[int, set[tuple[str, str, str]]] = {}
            for pk, submitter, source, id_ in conn.execute(text(INCIDENT_KEYS_SQL)):
                keys.setdefault(int(pk), set()).add((submitter, source, id_))
            of = {pk: frozenset(members) for pk, members in keys.items()}
            violations = frozenset(
                (of[int(pk)], str(rule))
                for pk, rule in conn.execute(
                    text("SELECT incident_pk, rule_id FROM violations WHERE active")
                )
                if int(pk) in of
            )
    finally:
        engine.dispose()
    return Content(reports, frozenset(of.values()), violations)


@dataclass(frozen=True)
class LedgerCheck:
    """The ledger's entries, whether it verifies, and whether it is one line."""

    entries: int
    verifies: bool
    linear: bool


def check_ledger(db: str) -> LedgerCheck:
    """Verify the exported ledger and check that seq runs 1..N with each entry chained to
    the entry before (no fork, no gap)."""
    engine = create_engine(db)
    try:
        lines, _ = export_lines(SqlLedger(engine))
        verdict = verify_lines(lines)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT seq, prev_hash, hash FROM ledger_entries ORDER BY seq")
            ).all()
    finally:
        engine.dispose()
    linear = all(int(row[0]) == k + 1 for k, row in enumerate(rows)) and all(
        rows[k][1] == rows[k - 1][2] for k in range(1, len(rows))
    )
    return LedgerCheck(len(rows), verdict.ok, linear)


def admin(statement: str) -> None:
    """One statement on the server's administrative database (autocommit)."""
    url = make_url(ADMIN_URL)
    info = f"host={url.host} port={url.port or 5432} user={url.username} dbname={url.database}"
    with psycopg.connect(info, autocommit=True) as conn:
        conn.execute(statement)


def database_url(name: str) -> str:
    """The URL of database ``name`` on the server of ``ADMIN_URL``."""
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def prepared_template(name: str) -> None:
    """Create ``name``, initialised, with the paris-2026 agreement loaded."""
    admin(f'CREATE DATABASE "{name}"')
    cli(["init"], db=database_url(name))
    cli(["agreement", "load", str(AGREEMENT)], db=database_url(name))


def clone(template: str, name: str) -> str:
    """A copy of ``template`` named ``name``; its URL."""
    admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    return database_url(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reports", type=int, default=200_000, help="sent in all (x2 overlap)")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--sim", type=Path, help="folder caching the simulated reports")
    parser.add_argument("--chunk", type=int, help="reports per transaction (default: the CLI's)")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()
    distinct = args.reports // 2
    base = f"bench_writers_{os.getpid()}"
    names = [f"{base}_tpl", f"{base}_single", f"{base}_writers"]
    with tempfile.TemporaryDirectory(prefix="ceasefire-writers-") as tmp:
        work = Path(tmp)
        lines = simulate(distinct, args.sim or work)
        whole = work / "all.ndjson"
        whole.write_bytes(b"".join(lines))
        files = split_overlapping(lines, args.writers, work)
        try:
            prepared_template(names[0])
            single, writers = clone(names[0], names[1]), clone(names[0], names[2])
            single_s, _ = ingest_together(single, [whole])
            writers_s, summaries = ingest_together(writers, files, chunk_size=args.chunk)
            expected, got = content(single), content(writers)
            ledger = check_ledger(writers)
        finally:
            if not args.keep:
                for name in names:
                    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    sent = sum(int(str(s["read"])) for s in summaries)
    accepted = sum(int(str(s["accepted"])) for s in summaries)
    duplicates = sum(int(str(s["duplicates"])) for s in summaries)
    retried = sum(int(str(s.get("retried", 0))) for s in summaries)
    equal = {
        "reports": expected.reports == got.reports,
        "incidents": expected.incidents == got.incidents,
        "violations": expected.violations == got.violations,
    }
    print(
        f"{distinct:,} distinct simulated reports; {args.writers} files of {sent // args.writers:,}"
    )
    print(f"single process: {single_s:.1f} s = {distinct / single_s:,.0f} reports/s")
    print(
        f"{args.writers} writers: {writers_s:.1f} s = {sent / writers_s:,.0f} reports/s sent "
        f"({distinct / writers_s:,.0f} distinct/s); accepted {accepted:,}, duplicates "
        f"{duplicates:,}, chunks retried {retried}"
    )
    print(
        f"stored once: {len(got.reports):,} reports (single: {len(expected.reports):,}); "
        f"incidents {len(got.incidents):,} / {len(expected.incidents):,}; "
        f"violations {len(got.violations):,} / {len(expected.violations):,}; equal {equal}"
    )
    print(f"ledger: {ledger.entries:,} entries, verifies {ledger.verifies}, linear {ledger.linear}")
    print(
        json.dumps(
            {
                "writers": args.writers,
                "chunk": args.chunk,
                "sent": sent,
                "distinct": distinct,
                "single_s": round(single_s, 1),
                "writers_s": round(writers_s, 1),
                "reports_per_s": round(sent / writers_s),
                "accepted": accepted,
                "duplicates": duplicates,
                "retried": retried,
                "ledger_entries": ledger.entries,
                "ledger_verifies": ledger.verifies,
                "ledger_linear": ledger.linear,
                "equal_single": all(equal.values()),
                **{f"equal_{k}": v for k, v in equal.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
