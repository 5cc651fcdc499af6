"""Revision 0012: the migrated schema equals the metadata; earlier reports become the HQ's."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ceasefire.store.metadata import metadata
from ceasefire.store.migrate import alembic_config
from ceasefire.store.ownership import report_delegations
from ceasefire.store.sqlite import FIND_REPORTS_SQL, SQLiteStore, create_sqlite_engine


def test_migration_creates_exactly_the_ownership_columns_and_table(tmp_path: Path) -> None:
    store = SQLiteStore(f"sqlite:///{tmp_path / 'm.db'}")
    store.init_schema()
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    store.close()
    names = ("'reports'", report_delegations.name, "submitter")
    assert [d for d in diff if any(n in repr(d) for n in names)] == []


def test_reports_stored_before_0012_become_the_hqs_and_keep_their_key(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    engine = create_sqlite_engine(f"sqlite:///{db}")
    config = alembic_config(f"sqlite:///{db}")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0010")
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO agreement_versions VALUES (1, 'a', 1, 'a', NULL, '', '{}', 'a', 't')"
        )
        conn.execute("INSERT INTO ingest_runs VALUES (1, 't', 't', '[]', 'done', 1,1,0,0,0,0)")
        conn.execute(
            "INSERT INTO reports (pk, id, source, source_type, reliability, credibility, "
            "observed_at, category, count, withdrawn, classification, raw, content_hash, "
            "received_at, ingest_run_pk, zones_inside, zones_possibly_inside, "
            "agreement_version_pk, status) VALUES (1, 'r1', 'op-1', 'patrol', 'B', 2, 0.0, "
            "'explosion', 1, 0, 'UNCLASSIFIED', '{}', x'00', 't', 1, 0, 0, 1, 'active')"
        )
    engine.dispose()
    store = SQLiteStore(f"sqlite:///{db}")
    store.init_schema()
    (hq,) = store.find_reports("HQ", [("op-1", "r1")]).values()
    assert (hq.pk, hq.submitter_pk) == (1, None)
    assert store.find_reports("FRA", [("op-1", "r1")]) == {}
    store.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT submitter, submitter_pk FROM reports").fetchall() == [
            ("HQ", None)
        ]
        # the same key in another scope is allowed, twice in one scope is not
        copy = (
            "INSERT INTO reports (pk, id, source, source_type, reliability, credibility, "
            "observed_at, category, count, withdrawn, classification, raw, content_hash, "
            "received_at, ingest_run_pk, zones_inside, zones_possibly_inside, "
            "agreement_version_pk, status, submitter) SELECT ?, id, source, source_type, "
            "reliability, credibility, observed_at, category, count, withdrawn, classification, "
            "raw, content_hash, received_at, ingest_run_pk, zones_inside, zones_possibly_inside, "
            "agreement_version_pk, status, ? FROM reports WHERE pk = 1"
        )
        conn.execute(copy, (2, "FRA"))
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            conn.execute(copy, (3, "FRA"))


def test_a_scoped_lookup_searches_the_key_index_once_per_key(tmp_path: Path) -> None:
    """Not a scan of the scope's reports per key (the planner's choice without CROSS JOIN)."""
    store = SQLiteStore(f"sqlite:///{tmp_path / 'p.db'}")
    store.init_schema()
    store.close()
    with sqlite3.connect(tmp_path / "p.db") as conn:
        plan = conn.execute(f"EXPLAIN QUERY PLAN {FIND_REPORTS_SQL}", ("[]", "HQ")).fetchall()
    steps = [str(row[3]) for row in plan]
    assert steps[0].startswith("SCAN j")
    assert "SEARCH r USING" in steps[1]
    assert "(source=? AND id=? AND submitter=?)" in steps[1]
