"""Several ``ceasefire ingest`` processes into one PostgreSQL database, and kill -9 there.

PostgreSQL only, by nature: SQLite has one writer (a second one is refused, store/sqlite.py),
and its kill -9 test is tests/pipeline/test_crash_safety.py.

Real processes (``python -m ceasefire`` with this checkout's sources), real simulated reports
(paris-2026: amendments, withdrawals, re-deliveries, false reports), compared by content with
one uninterrupted single-process ingest: the reports (key, content hash, status), the active
incidents (their reports' keys) and the active violations (incident's report keys, rule).
The comparison and the file split are bench/writers.py's, which runs the same at 4 x 50,000.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import create_engine, text

from ceasefire.pipeline.agreements import load_agreement_file
from ceasefire.pipeline.ingest import ingest_files
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.settings import Settings
from ceasefire.store.base import open_store

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 4
#: Distinct reports; each is in two of the four files, so each file holds 5,000.
DISTINCT = 10_000
#: Small chunks: many commits per writer, so writers meet mid-file, not just at the end.
CHUNK = 1000


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_writers", ROOT / "bench" / "writers.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


writers = _bench()


@pytest.fixture(scope="module")
def reports_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[bytes]]:
    """``DISTINCT`` simulated reports, arrival order: the file and its lines."""
    folder = tmp_path_factory.mktemp("writers")
    lines: list[bytes] = writers.simulate(DISTINCT, folder)
    path = folder / "all.ndjson"
    path.write_bytes(b"".join(lines))
    return path, lines


def _paris(url: str) -> None:
    store = open_store(Settings(db=url))
    try:
        store.init_schema()
        load_agreement_file(store, writers.AGREEMENT)
    finally:
        store.close()


_names = itertools.count()


def _name() -> str:
    """A database name tests/backend_databases.py drops if this run dies before its clean-up."""
    return f"cft_{os.getpid()}_writers_{next(_names)}"


@pytest.fixture(scope="module")
def paris_template() -> Iterator[str]:
    """A PostgreSQL database with paris-2026 loaded, to clone (migrating costs seconds)."""
    name = _name()
    writers.admin(f'CREATE DATABASE "{name}"')
    try:
        _paris(writers.database_url(name))
        yield name
    finally:
        writers.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def paris_dbs(paris_template: str) -> Iterator[Callable[[], str]]:
    """Make clones of the template (URLs); all are dropped after the test."""
    made: list[str] = []

    def make() -> str:
        made.append(_name())
        return str(writers.clone(paris_template, made[-1]))

    yield make
    for name in made:
        writers.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clean_run(url: str, path: Path) -> None:
    """One uninterrupted single-process ingest of ``path`` (in this process: the reference)."""
    store = open_store(Settings(db=url))
    try:
        ingest_files(store, [path], gazetteer=Gazetteer.default())
    finally:
        store.close()


def assert_same_content(got_url: str, expected_url: str) -> int:
    """``got_url`` holds what ``expected_url`` holds (by content) and its ledger verifies and
    is one line; the number of reports."""
    expected, got = writers.content(expected_url), writers.content(got_url)
    assert got.reports == expected.reports
    assert got.incidents == expected.incidents
    assert got.violations == expected.violations
    assert len(expected.violations) > 100  # the comparison compares something
    ledger = writers.check_ledger(got_url)
    assert ledger.verifies
    assert ledger.linear
    assert ledger.entries > 1
    return len(got.reports)


@pytest.mark.slow
def test_four_writers_on_overlapping_files_equal_one(
    tmp_path: Path,
    paris_dbs: Callable[[], str],
    reports_file: tuple[Path, list[bytes]],
) -> None:
    path, lines = reports_file
    single, several = paris_dbs(), paris_dbs()
    clean_run(single, path)
    files = writers.split_overlapping(lines, WRITERS, tmp_path)
    assert [len(f.read_bytes().splitlines()) for f in files] == [DISTINCT // 2] * WRITERS

    _, summaries = writers.ingest_together(several, files, chunk_size=CHUNK)

    stored = assert_same_content(several, single)
    accepted = sum(int(s["accepted"]) for s in summaries)
    assert accepted == stored  # every report stored once, by one writer


def _reports_in(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM reports")).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.slow
def test_kill_9_then_rerun_equals_one_clean_run(
    tmp_path: Path,
    paris_dbs: Callable[[], str],
    reports_file: tuple[Path, list[bytes]],
) -> None:
    path, _ = reports_file
    clean, killed = paris_dbs(), paris_dbs()
    clean_run(clean, path)

    command = [sys.executable, "-m", "ceasefire", "--db", killed, "ingest", "--json", str(path)]
    env = writers.child_env(CEASEFIRE_INGEST_BATCH_SIZE=str(CHUNK))
    victim = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while (stored := _reports_in(killed)) == 0 and victim.poll() is None:
            assert time.monotonic() < deadline, "no chunk committed in 300 s"
            time.sleep(0.05)
        assert victim.poll() is None, "the ingest ended before it could be killed"
        victim.send_signal(signal.SIGKILL)
    finally:
        victim.wait()
    assert 0 < stored < DISTINCT  # killed mid-run, after at least one chunk
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr[-3000:]

    assert_same_content(killed, clean)
