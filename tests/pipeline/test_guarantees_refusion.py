"""Live refresh through the real pipeline: re-fusion supersedes incidents, and the live
evaluator still records what a whole-history replay records.

Two copies of one store receive the same ingests (through ``ingest_files``, with fusion):
posts report the same explosions in different ingests (some reports arrive a batch late:
fusion merges them and supersedes earlier incidents), and some reports are amended. One copy
refreshes as ingest does (``guarantees.live_service``: the evaluator held in memory, told what
changed); the other forgets its evaluator and checkpoint before every ingest, so it reads and
replays the whole history each time.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import accumulate
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
    """Explosions near a few spots, each heard by 1-3 posts (``late`` decides which of them
    report only in the next batch)."""
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
    return out


def late(
    rng: random.Random, batches: list[list[dict[str, object]]]
) -> list[list[dict[str, object]]]:
    """The batches as they arrive: some reports a batch late (same spot and time as the
    reports of their event already stored: fusion merges them and supersedes the earlier
    incident), and now and then an amendment of an earlier batch's first report."""
    arriving: list[list[dict[str, object]]] = [[] for _ in batches]
    for k, reports in enumerate(batches):
        for report in reports:
            delay = 1 if k + 1 < len(batches) and rng.random() < 0.25 else 0
            arriving[k + delay].append(report)
        if k > 0 and rng.random() < 0.3:
            first = batches[k - 1][0]
            fix = {**first, "id": f"{first['id']}-fix", "amends": first["id"], "count": 9}
            arriving[k].append(fix)
    return arriving


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
    times = list(accumulate([rng.choice([1, 3, 8, 20]) for _ in range(15)]))
    nows = [START + timedelta(hours=h) for h in times]
    sent = late(rng, [batch(rng, now, k) for k, now in enumerate(nows, start=1)])
    for now, reports in zip(nows, sent, strict=True):
        with full.engine.begin() as conn:
            conn.execute(delete(guarantee_checkpoints))
        LIVE.forget(full.engine.url.render_as_string())
        for store in (live, full):
            path = write_ndjson(tmp_path / f"{id(store)}-{now:%d%H}.ndjson", reports)
            summary = ingest_files(
                store,
                [path],
                fmt=ReportFormat.NDJSON,
                gazetteer=gazetteer,
                clock=FixedClock(now),
                parallel=False,
            )
            assert summary.quarantined == 0
        assert read_alerts(live.engine) == read_alerts(full.engine)
        live_obligations = [o for o, _ in read_obligations(live.engine)]
        assert live_obligations == [o for o, _ in read_obligations(full.engine)]
    assert len(read_alerts(live.engine)) > 2
    with live.engine.connect() as conn:
        superseded = conn.execute(
            select(func.count()).select_from(incidents).where(incidents.c.status != "active")
        ).scalar_one()
    # fusion did rewrite incidents along the way (before issue 14 the ingest's throw-away
    # one-report incidents made this hold even with no re-fusion at all)
    assert superseded > 0
    # the live copy read the history once, the full one at every ingest
    assert len(reads) == 15 + 1
    live.close()
    full.close()
