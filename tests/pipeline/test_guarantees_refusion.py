"""Live refresh through the real pipeline: re-fusion supersedes incidents, and the live
evaluator still records what a whole-history replay records.

Two copies of one store receive the same ingests (through ``ingest_files``, with fusion):
posts report the same explosions in different ingests (so fusion merges them and supersedes
earlier incidents), some reports arrive late, some are amended. One copy refreshes as ingest
does (``guarantees.live_service``: the evaluator held in memory, told what changed); the
other forgets its evaluator and checkpoint before every ingest, so it reads and replays the
whole history each time.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pipeline_helpers import Clones, build_mini, make_report, open_mini, write_ndjson
from sqlalchemy import delete, func, select

from backend_databases import Databases
from ceasefire.clock import FixedClock
from ceasefire.guarantees import live_service
from ceasefire.guarantees.live_service import LIVE
from ceasefire.guarantees.loader import parse_instruments
from ceasefire.guarantees.refresh import read_facts
from ceasefire.pipeline.ingest import ingest_files
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.parse import ReportFormat
from ceasefire.store.guarantee_checkpoints import guarantee_checkpoints
from ceasefire.store.guarantees import (
    read_alerts,
    read_obligations,
    save_instrument_file,
)
from ceasefire.store.schema import incidents

START = datetime(2026, 3, 2, tzinfo=UTC)
GUARANTEES = """\
version: 1
ceasefire: {in_force_from: 2026-03-01T00:00:00Z}
instruments:
  - id: pact
    title: Breach, persistence, surge and their combination over the mini agreement (test)
    parties: {guarantors: [GBR], beneficiary: UKR}
    legal_form: political
    entry_into_force:
      - {kind: ceasefire_in_force}
    triggers:
      - {id: breach, kind: breach, min_severity: 2, min_verification: reported}
      - {id: persists, kind: persistent_breach, hours: 12, min_severity: 2,
         min_verification: reported}
      - {id: surge, kind: surge, k: 2, baseline_days: 3, level: amber}
      - {id: both, kind: all, of: [persists, surge], window_h: 36}
    obligations:
      - {id: consult, trigger: breach, owner: GBR, kind: consult, level: 0, due_h: 24, text: C}
"""


def batch(rng: random.Random, now: datetime, k: int) -> list[dict[str, object]]:
    """Explosions near a few spots; each heard by 1-3 posts, some of which report in a later
    batch (same spot and time: fusion merges them); now and then an amendment."""
    out: list[dict[str, object]] = []
    for _ in range(rng.randint(1, 6)):
        spot = rng.randrange(4)
        seen = now - timedelta(hours=rng.choice([0, 1, 5, 30]), minutes=spot)
        for post in rng.sample(range(3), rng.randint(1, 3)):
            out.append(
                make_report(
                    id=f"b{k}-{len(out)}",
                    source=f"op-{post}",
                    observed_at=seen.isoformat().replace("+00:00", "Z"),
                    lat=48.0 + 0.05 * spot,
                    lon=37.4 + 0.001 * post,
                    count=rng.randint(1, 5),
                )
            )
    if k > 1 and rng.random() < 0.2:
        out.append(make_report(id=f"b{k - 1}-0", source="op-0", amends=f"b{k - 1}-0", count=9))
    return out


def build_pact(url: str) -> None:
    """The mini template with the pact's instruments loaded."""
    build_mini(url)
    store = open_mini(url)
    save_instrument_file(
        store.engine, GUARANTEES, "g.yaml", parse_instruments(GUARANTEES), clock=FixedClock(START)
    )
    store.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_refresh_after_refusion_records_what_a_full_replay_records(
    backend: str, databases: Databases, tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    history_reads: list[int] = []

    def spy(*args: Any, **kwargs: Any) -> Any:  # calls through, counts whole-history reads
        facts = read_facts(*args, **kwargs)
        history_reads.append(len(facts))
        return facts

    monkeypatch.setattr(live_service, "read_facts", spy)
    clones = Clones(backend, databases, tmp_path, key="pact", build=build_pact)
    try:
        _replay(clones, rng, history_reads, tmp_path)
    finally:
        clones.drop_all()


def _replay(clones: Clones, rng: random.Random, reads: list[int], tmp_path: Path) -> None:
    live, full = open_mini(clones.new()), open_mini(clones.new())
    gazetteer = Gazetteer.default()
    now = START
    for k in range(1, 16):
        now += timedelta(hours=rng.choice([1, 3, 8, 20]))
        reports = batch(rng, now, k)
        with full.engine.begin() as conn:
            conn.execute(delete(guarantee_checkpoints))
        LIVE.forget(full.engine.url.render_as_string())
        for store in (live, full):
            path = write_ndjson(tmp_path / f"{id(store)}-{k}.ndjson", reports)
            ingest_files(
                store,
                [path],
                fmt=ReportFormat.NDJSON,
                gazetteer=gazetteer,
                clock=FixedClock(now),
                parallel=False,
            )
        assert read_alerts(live.engine) == read_alerts(full.engine)
        live_obligations = [o for o, _ in read_obligations(live.engine)]
        assert live_obligations == [o for o, _ in read_obligations(full.engine)]
    assert len(read_alerts(live.engine)) > 2
    with live.engine.connect() as conn:
        superseded = conn.execute(
            select(func.count()).select_from(incidents).where(incidents.c.status != "active")
        ).scalar_one()
    assert superseded > 0  # fusion did rewrite incidents along the way
    # the live copy read the history once, the full one at every ingest
    assert len(reads) == 15 + 1
    live.close()
    full.close()
