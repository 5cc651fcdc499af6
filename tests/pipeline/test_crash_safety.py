"""kill -9 in the middle of an ingest, then the same command again == one uninterrupted run.

This really starts ``ceasefire ingest`` as a subprocess on a large generated file, waits until
at least one chunk is committed, SIGKILLs it, runs the same command again, and compares every
content table with a clean single run (bookkeeping columns aside: ``received_at``,
``ingest_run_pk``, and the ``ingest_runs`` table itself, which keeps the killed attempt).

The ledger is compared too: the same entries in the same order, with equal event types,
subjects and payloads (every accepted report's digest, every quarantined line's reason, the
incident states). Its ``at``, ``prev_hash`` and ``hash`` columns are excluded: entries carry
the wall-clock time of their chunk, so the two runs' hashes differ by construction.

On both backends: on PostgreSQL the killed client's open transaction is rolled back by the
server, and the ids it drew are gone (sequences do not roll back), so the snapshots compare
ids by rank (``pipeline_helpers.snapshot``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pipeline_helpers import (
    Clones,
    column,
    count_rows,
    ledger_rows,
    make_report,
    open_mini,
    snapshot,
    write_ndjson,
)
from sqlalchemy.exc import OperationalError

from ceasefire.pipeline.ingest import ingest_files
from ceasefire.reports.gazetteer import Gazetteer

N_REPORTS = 24_000
CHUNK = 1_000


def big_file(path: Path) -> Path:
    """Reports with, every so often, a broken line, a conflicting re-send and an amendment."""
    lines: list[dict[str, object] | str] = []
    for i in range(N_REPORTS):
        lines.append(
            make_report(
                id=f"r{i}",
                lon=36.0 + (i % 300) / 100,
                lat=47.2 + (i % 170) / 100,
                category=("explosion", "heavy_weapon", "armour")[i % 3],
                weapon_class="mlrs" if i % 3 == 1 else None,
                observed_at=f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
            )
        )
        if i % 997 == 0:
            lines.append('{"id": broken')
        if i % 1499 == 5:
            lines.append(make_report(id=f"r{i - 3}", count=9))  # same id, other content
        if i % 1201 == 7:
            lines.append(make_report(id=f"fix{i}", amends=f"r{i - 1}", count=2))
    return write_ndjson(path, lines)


def _reports_in(db: str) -> int:
    try:
        return count_rows(db, "reports")
    except OperationalError:  # SQLite: the writer holds the file's lock
        return 0


@pytest.mark.slow
def test_kill_9_then_rerun_equals_one_clean_run(
    mini_db: str, mini_clones: Clones, tmp_path: Path
) -> None:
    path = big_file(tmp_path / "big.ndjson")
    clean = mini_clones.new()
    store = open_mini(clean)
    ingest_files(store, [path], gazetteer=Gazetteer.default(), chunk_size=CHUNK)
    store.close()

    env = {**os.environ, "CEASEFIRE_INGEST_BATCH_SIZE": str(CHUNK)}
    command = [sys.executable, "-m", "ceasefire", "--db", mini_db, "ingest", str(path)]
    victim = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _reports_in(mini_db) < CHUNK and time.monotonic() < deadline:
        assert victim.poll() is None, victim.stderr.read() if victim.stderr else ""
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    interrupted_at = _reports_in(mini_db)
    assert CHUNK <= interrupted_at < N_REPORTS, "the kill did not land mid-way"

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert snapshot(mini_db) == snapshot(clean)
    entries = ledger_rows(clean)
    assert ledger_rows(mini_db) == entries
    chained = sum(
        int(str(payload["count"]))
        for _, kind, _, payload in entries
        if kind == "report.accepted" and isinstance(payload, dict)
    )
    assert chained == count_rows(clean, "reports")  # every report is on the chain, once
    assert any(kind == "report.quarantined" for _, kind, _, _ in entries)
    runs = column(mini_db, "SELECT status FROM ingest_runs ORDER BY pk")
    assert runs == ["running", "done"]  # the killed attempt stays on record
