"""The ingest service: idempotence, duplicates, amendments, withdrawals, placement, rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pipeline_helpers import Clones, make_report, open_mini, snapshot, write_ndjson

from ceasefire.errors import StoreError
from ceasefire.pipeline.ingest import IngestSummary, ingest_files
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.store.base import ReportQuery, ReportStatus, ViolationQuery
from ceasefire.store.core_store import CoreStore

GAZETTEER = Gazetteer.default()


def ingest(db: str, path: Path, *, chunk_size: int = 50_000) -> IngestSummary:
    store = open_mini(db)
    try:
        return ingest_files(store, [path], gazetteer=GAZETTEER, chunk_size=chunk_size)
    finally:
        store.close()


def test_resending_a_file_changes_nothing(mini_db: str, tmp_path: Path) -> None:
    path = write_ndjson(
        tmp_path / "a.ndjson", [make_report(id=f"r{i}", lon=37.0 + i / 10) for i in range(8)]
    )
    first = ingest(mini_db, path)
    before = snapshot(mini_db)
    second = ingest(mini_db, path)
    assert first.counts() == {
        "read": 8,
        "accepted": 8,
        "duplicates": 0,
        "amended": 0,
        "withdrawn": 0,
        "quarantined": 0,
    }
    assert second.counts()["duplicates"] == 8
    assert second.counts()["accepted"] == 0
    assert snapshot(mini_db) == before


def test_same_id_with_other_content_is_quarantined_whole(mini_db: str, tmp_path: Path) -> None:
    changed = make_report(count=5)
    path = write_ndjson(tmp_path / "a.ndjson", [make_report(), changed, make_report()])
    summary = ingest(mini_db, path)
    assert (summary.accepted, summary.duplicates, summary.quarantined) == (1, 1, 1)
    store = open_mini(mini_db)
    (item,) = store.list_quarantine()
    assert (item.field, item.rule) == ("id", "duplicate_id_different_content")
    assert item.raw == path.read_text().splitlines()[1]
    (stored,) = store.list_reports(ReportQuery())
    store.close()
    assert stored.count == 1


def test_placement_of_a_hand_checked_point(mini_store: CoreStore, tmp_path: Path) -> None:
    # 0.1 degree of longitude west of 37.5 E at 48 N = 7.46 km (geodesic) on the Ukrainian side
    path = write_ndjson(tmp_path / "a.ndjson", [make_report()])
    ingest_files(mini_store, [path], gazetteer=GAZETTEER)
    (report,) = mini_store.list_reports(ReportQuery())
    assert report.party == "UKR"
    assert report.distance_to_line_km == pytest.approx(7.46, abs=0.02)
    assert report.zones_inside == ("security-zone", "withdrawal-mlrs")
    assert report.zones_possibly_inside == ()
    assert (report.located_lon, report.located_lat, report.location_form) == (37.4, 48.0, "point")


def test_violations_certain_possible_and_exempt(mini_store: CoreStore, tmp_path: Path) -> None:
    mlrs = {"category": "heavy_weapon", "weapon_class": "mlrs"}
    reports = [
        make_report(id="fire-before", observed_at="2026-02-20T10:00:00Z"),
        make_report(id="fire-after"),
        # 22 km west: inside the 30 km MLRS band
        make_report(id="mlrs-in", lon=37.2, lat=48.2, **mlrs),
        # 30 km band edge is at ~37.098 E at 48 N; 2 km uncertainty straddles it
        make_report(id="mlrs-edge", lon=37.1, lat=48.0, uncertainty_m=2000, **mlrs),
        make_report(id="mlrs-out", lon=36.5, lat=48.0, **mlrs),
        # at the storage site (37.2 E 48.5 N, radius 1 km): exempt
        make_report(id="mlrs-depot", lon=37.2, lat=48.5, uncertainty_m=50, **mlrs),
        # disengagement square starts 8 March
        make_report(
            id="troops-early",
            lon=37.5,
            lat=48.0,
            category="troop_movement",
            observed_at="2026-03-05T10:00:00Z",
        ),
        make_report(id="troops-late", lon=37.5, lat=48.0, category="troop_movement"),
    ]
    ingest_files(mini_store, [write_ndjson(tmp_path / "a.ndjson", reports)], gazetteer=GAZETTEER)
    found = {
        (v.reports[0][1], v.rule_id, v.certainty, v.zone_id)
        for v in mini_store.list_violations(ViolationQuery())
    }
    assert found == {
        ("fire-after", "R1", "certain", None),
        ("mlrs-in", "R3", "certain", "withdrawal-mlrs"),
        ("mlrs-edge", "R3", "possible", "withdrawal-mlrs"),
        ("troops-late", "R5", "certain", "disengagement"),
    }
    only_r3 = mini_store.list_violations(ViolationQuery(rule="R3"))
    assert {v.reports[0][1] for v in only_r3} == {"mlrs-in", "mlrs-edge"}


def test_amendment_supersedes_and_withdrawal_retires(mini_store: CoreStore, tmp_path: Path) -> None:
    first = write_ndjson(tmp_path / "a.ndjson", [make_report(id="r1"), make_report(id="r2")])
    ingest_files(mini_store, [first], gazetteer=GAZETTEER)
    later = write_ndjson(
        tmp_path / "b.ndjson",
        [
            make_report(id="r1-fix", amends="r1", count=4),
            make_report(id="r2-off", amends="r2", withdrawn=True),
            make_report(id="r9-fix", amends="r9"),
        ],
    )
    summary = ingest_files(mini_store, [later], gazetteer=GAZETTEER)
    assert (summary.accepted, summary.amended, summary.withdrawn, summary.quarantined) == (
        2,
        1,
        1,
        1,
    )
    status = {r.id: r.status for r in mini_store.list_reports(ReportQuery())}
    assert status == {
        "r1": ReportStatus.AMENDED,
        "r2": ReportStatus.WITHDRAWN,
        "r1-fix": ReportStatus.ACTIVE,
        "r2-off": ReportStatus.ACTIVE,
    }
    counted = [v.reports[0][1] for v in mini_store.list_violations(ViolationQuery())]
    assert counted == ["r1-fix"]
    (item,) = mini_store.list_quarantine()
    assert (item.field, item.rule) == ("amends", "unknown_report")


def test_amendment_in_the_same_chunk_equals_one_in_a_later_chunk(
    mini_db: str, mini_clones: Clones, tmp_path: Path
) -> None:
    reports = [make_report(id="r1"), make_report(id="r1-fix", amends="r1", count=2)]
    path = write_ndjson(tmp_path / "a.ndjson", reports)
    other = mini_clones.new()
    ingest(mini_db, path, chunk_size=100)
    ingest(other, path, chunk_size=1)
    assert snapshot(mini_db) == snapshot(other)


def test_ingest_without_an_agreement_is_refused(fresh_db: str, tmp_path: Path) -> None:
    store = open_mini(fresh_db)
    store.init_schema()
    path = write_ndjson(tmp_path / "a.ndjson", [make_report()])
    with pytest.raises(StoreError, match="agreement load"):
        ingest_files(store, [path], gazetteer=GAZETTEER)
    store.close()


REPORT_POOL = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["a", "b", "c", "d"]),
        "count": st.integers(1, 2),
        "lon": st.sampled_from([37.1, 37.4, 37.6]),
        "category": st.sampled_from(["explosion", "heavy_weapon", "armour"]),
        "amends": st.sampled_from([None, None, "a", "b"]),
    }
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(REPORT_POOL, max_size=12),
    st.integers(1, 5),
)
def test_twice_equals_once_whatever_the_chunking(
    mini_clones: Clones,
    tmp_path_factory: pytest.TempPathFactory,
    items: list[dict[str, object]],
    chunk: int,
) -> None:
    """Invariants: sending a file twice leaves what sending it once leaves, and how the file
    is cut into chunks does not matter (duplicates, conflicts and amendments included).

    Amendments follow the report they amend, as senders deliver them: one that arrives before
    its original is quarantined, and a re-send after the original is accepted by design.
    """
    work = tmp_path_factory.mktemp("twice")
    earlier: set[object] = set()
    in_order = []
    for item in items:
        if item["amends"] is None or item["amends"] in earlier:
            in_order.append(item)
            earlier.add(item["id"])
    items = in_order
    reports = [
        make_report(**item, weapon_class="mlrs" if item["category"] == "heavy_weapon" else None)
        for item in items
    ]
    path = write_ndjson(work / "a.ndjson", reports)
    once, twice = mini_clones.as_built(2)
    ingest(once, path)
    ingest(twice, path, chunk_size=chunk)
    ingest(twice, path, chunk_size=chunk + 1)
    assert snapshot(once) == snapshot(twice)


def test_the_worker_process_gives_the_same_database(
    mini_db: str, mini_clones: Clones, tmp_path: Path
) -> None:
    reports = [make_report(id=f"r{i}", lon=36.5 + i / 50, count=1 + i % 3) for i in range(60)]
    reports += [make_report(id="r3", count=7), make_report(id="fix", amends="r5")]
    path = write_ndjson(tmp_path / "a.ndjson", [*reports, "not json"])
    other = mini_clones.new()
    for db, parallel in ((mini_db, False), (other, True)):
        store = open_mini(db)
        ingest_files(store, [path], gazetteer=GAZETTEER, chunk_size=16, parallel=parallel)
        store.close()
    assert snapshot(mini_db) == snapshot(other)
