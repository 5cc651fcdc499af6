"""The SQLite store: schema, agreement versions, atomic chunk writes, status changes, queries."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from store_builders import T0, fuse_one_each, make_chunk, make_row, make_version

from ceasefire.errors import StoreError
from ceasefire.settings import Settings
from ceasefire.store.base import (
    ReportQuery,
    ReportStatus,
    StatusChange,
    ViolationQuery,
    open_store,
)
from ceasefire.store.sqlite import SQLiteStore


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}


def test_init_creates_every_table_and_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "x.db"
    store = open_store(Settings(db=f"sqlite:///{db}"))
    store.init_schema()
    store.init_schema()
    store.close()
    expected = {"reports", "quarantine", "incidents", "incident_reports", "violations"}
    indexes = {"ix_incidents_cell_observed_at", "ix_incidents_observed_at_lon_lat"}
    assert expected | {"agreement_versions", "ingest_runs"} | indexes <= _tables(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_uninitialised_database_is_refused_and_not_created(tmp_path: Path) -> None:
    db = tmp_path / "none.db"
    store = SQLiteStore(f"sqlite:///{db}")
    with pytest.raises(StoreError, match="ceasefire init"):
        store.list_reports(ReportQuery())
    assert not db.exists()


def test_agreement_version_is_idempotent_and_immutable(store: SQLiteStore) -> None:
    pk, created = store.add_agreement_version(make_version())
    assert created
    assert store.add_agreement_version(make_version()) == (pk, False)
    with pytest.raises(StoreError, match="version_exists_with_different_content"):
        store.add_agreement_version(make_version(source_text="id: other\n"))
    (loaded,) = store.agreement_versions()
    assert loaded.zone_ids == ("security-zone", "withdrawal-mlrs")
    assert loaded.geojson == make_version().geojson
    assert loaded.in_force_from == make_version().in_force_from


def test_chunk_rows_come_back_with_decoded_zones_and_deterministic_ids(
    store: SQLiteStore,
) -> None:
    version_pk, _ = store.add_agreement_version(make_version())
    run = store.start_ingest_run(["a.ndjson"], T0)
    rows = [
        make_row(version_pk),
        make_row(version_pk, id="r2", observed_at=(T0 + timedelta(hours=1)).timestamp()),
    ]
    store.write_chunk(make_chunk(run, rows))
    listed = store.list_reports(ReportQuery())
    assert [(r.pk, r.id, r.incident_pk) for r in listed] == [(1, "r1", None), (2, "r2", None)]
    assert store.list_violations(ViolationQuery(include_inactive=True)) == []  # fusion's
    assert fuse_one_each(store, violations=[(1, "R1", None, "certain")]) == [1, 2]
    listed = store.list_reports(ReportQuery())
    assert [(r.pk, r.id, r.incident_pk) for r in listed] == [(1, "r1", 1), (2, "r2", 2)]
    assert listed[0].zones_inside == ("security-zone",)
    assert listed[0].zones_possibly_inside == ("withdrawal-mlrs",)
    assert listed[0].party == "UKR"
    assert listed[0].distance_to_line_km == 3.5
    (violation,) = store.list_violations(ViolationQuery())
    assert (violation.incident_pk, violation.rule_id, violation.certainty) == (2, "R1", "certain")
    assert violation.reports == (("op-1", "r2"),)
    found = store.find_reports("HQ", [("op-1", "r2"), ("op-1", "nope")])
    assert set(found) == {("op-1", "r2")}
    assert found["op-1", "r2"].status is ReportStatus.ACTIVE
    assert store.find_reports("FRA", [("op-1", "r2")]) == {}  # another nation's key space


def test_a_failing_chunk_writes_nothing(store: SQLiteStore) -> None:
    version_pk, _ = store.add_agreement_version(make_version())
    run = store.start_ingest_run(["a.ndjson"], T0)
    rows = [make_row(version_pk), make_row(version_pk, id="r2", category=None)]  # NOT NULL
    with pytest.raises(Exception, match=r"(?i)not.null"):
        store.write_chunk(make_chunk(run, rows))
    assert store.list_reports(ReportQuery()) == []
    store.write_chunk(make_chunk(run, [make_row(version_pk)]))
    assert [r.id for r in store.list_reports(ReportQuery())] == ["r1"]


def test_withdrawal_retires_the_incident_and_its_violations(store: SQLiteStore) -> None:
    version_pk, _ = store.add_agreement_version(make_version())
    run = store.start_ingest_run(["a.ndjson"], T0)
    store.write_chunk(make_chunk(run, [make_row(version_pk)]))
    fuse_one_each(store, violations=[(0, "R1", None, "certain")])
    notice = make_row(version_pk, id="r1-w", amends="r1", withdrawn=True)
    change = StatusChange(ReportStatus.WITHDRAWN, target_pk=1)
    store.write_chunk(make_chunk(run, [notice], status_changes=[change]))
    statuses = {r.id: r.status for r in store.list_reports(ReportQuery())}
    assert statuses == {"r1": ReportStatus.WITHDRAWN, "r1-w": ReportStatus.ACTIVE}
    assert store.list_violations(ViolationQuery()) == []
    (old,) = store.list_violations(ViolationQuery(include_inactive=True))
    assert not old.active


def test_quarantine_keeps_one_row_per_raw_and_reason(store: SQLiteStore) -> None:
    run = store.start_ingest_run(["a.ndjson"], T0)
    row = (b"h" * 16, "{bad", "a.ndjson", 3, "(line)", "json", "not JSON")
    store.write_chunk(make_chunk(run, [], quarantine_rows=[row, row]))
    store.write_chunk(make_chunk(run, [], quarantine_rows=[row]))
    (item,) = store.list_quarantine()
    assert (item.raw, item.line_no, item.field, item.rule) == ("{bad", 3, "(line)", "json")


def test_spatial_prefilter_finds_incidents_in_a_box(store: SQLiteStore) -> None:
    version_pk, _ = store.add_agreement_version(make_version())
    run = store.start_ingest_run(["a.ndjson"], T0)
    rows = [
        make_row(version_pk, id="near", located_lon=37.0, located_lat=48.0),
        make_row(version_pk, id="far", located_lon=30.0, located_lat=50.0),
        make_row(version_pk, id="edge", located_lon=37.05, located_lat=48.1),
        make_row(version_pk, id="none", located_lon=None, located_lat=None),
    ]
    store.write_chunk(make_chunk(run, rows))
    fuse_one_each(store)
    assert store.incidents_in_bbox(36.9, 47.9, 37.05, 48.1) == [1, 3]
    assert store.incidents_in_bbox(29.0, 49.0, 31.0, 51.0) == [2]
