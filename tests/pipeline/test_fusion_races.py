"""Fusion after another writer's commit raced it (PostgreSQL with several writers).

The race is set up by hand, on SQLite (the repair is in dialect-neutral code): the state a
fusion leaves when it read a report as active and wrote its incident just after another
writer's withdrawal of that report had closed the report's incidents.
"""

from __future__ import annotations

from pathlib import Path

from pipeline_helpers import make_report, write_ndjson
from sqlalchemy import text

from ceasefire.clock import SystemClock
from ceasefire.pipeline.agreements import AgreementBook
from ceasefire.pipeline.fuse import fuse_incidents
from ceasefire.pipeline.ingest import ingest_files
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.store.sqlite import SQLiteStore

ACTIVE_HOLDING_A = (
    "SELECT count(*) FROM incidents AS i JOIN incident_reports AS ir ON ir.incident_pk = i.pk "
    "JOIN reports AS r ON r.pk = ir.report_pk WHERE i.status = 'active' AND r.id = 'a'"
)


def test_an_incident_written_after_its_report_was_withdrawn_is_superseded(
    mini_store: SQLiteStore, tmp_path: Path
) -> None:
    gazetteer = Gazetteer.default()
    alone = [make_report(id="a", source="post-1")]
    ingest_files(mini_store, [write_ndjson(tmp_path / "1.ndjson", alone)], gazetteer=gazetteer)
    off = [make_report(id="a-off", source="post-1", amends="a", withdrawn=True)]
    path = write_ndjson(tmp_path / "2.ndjson", off)
    ingest_files(mini_store, [path], gazetteer=gazetteer, fuse=False)
    with mini_store.engine.begin() as conn:
        assert conn.execute(text(ACTIVE_HOLDING_A)).scalar_one() == 0  # closed by the withdrawal
        # ...and written again by a fusion that had read "a" as active just before
        conn.execute(
            text(
                "UPDATE incidents SET status = 'active' WHERE pk IN (SELECT ir.incident_pk "
                "FROM incident_reports AS ir JOIN reports AS r ON r.pk = ir.report_pk "
                "WHERE r.id = 'a')"
            )
        )
    summary = fuse_incidents(mini_store, AgreementBook.from_store(mini_store), clock=SystemClock())
    assert summary.superseded == 1
    with mini_store.engine.connect() as conn:
        assert conn.execute(text(ACTIVE_HOLDING_A)).scalar_one() == 0
