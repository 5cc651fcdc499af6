"""Windowed re-fusion after each ingest gives the incidents one full fusion gives.

After an ingest only the reports within gate reach (in time) of the new, amended and withdrawn
reports are fused again; whatever the history was cut into, the stored incidents must be those
of one full fusion of the final report set, and the incidents far from the change untouched.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pipeline_helpers import Clones, make_report, open_mini, write_ndjson
from sqlalchemy import text

from ceasefire.clock import SystemClock
from ceasefire.pipeline.agreements import AgreementBook
from ceasefire.pipeline.fuse import fuse_incidents
from ceasefire.pipeline.ingest import ingest_files
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.store.core_store import CoreStore

GAZETTEER = Gazetteer.default()
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
#: sources: two posts that also take bearings, a patrol, a UAV, an open-source feed
SOURCES = (
    ("post-1", "observation_post", (37.36, 48.0)),
    ("post-2", "observation_post", (37.40, 48.04)),
    ("patrol-1", "patrol", None),
    ("uav-1", "uav", None),
    ("osint-1", "osint", None),
)
#: event clusters, hours after T0: two close, two far (windows must split and must chain)
CLUSTER_H = (0.0, 0.4, 9.0, 30.0)
Report = dict[str, object]
Incidents = dict[frozenset[tuple[str, str]], tuple[object, ...]]


@st.composite
def observations(draw: st.DrawFn, source: int) -> Report:
    """One report's observation fields: a point, or a post's bearing to the point."""
    name, source_type, observer = SOURCES[source]
    start = T0 + timedelta(hours=draw(st.sampled_from(CLUSTER_H)), minutes=draw(st.integers(0, 12)))
    lon = 37.4 + 0.003 * draw(st.integers(-2, 2))
    lat = 48.0 + 0.003 * draw(st.integers(-2, 2))
    body: Report = {
        "source": name,
        "source_type": source_type,
        "observed_at": start.isoformat(),
        "category": draw(st.sampled_from(["explosion", "explosion", "muzzle_flash", "armour"])),
        "count": draw(st.integers(1, 5)),
        "lon": lon,
        "lat": lat,
        "uncertainty_m": draw(st.sampled_from([40, 300, 1500])),
    }
    if draw(st.booleans()):
        until = start + timedelta(minutes=draw(st.integers(1, 90)))
        body["observed_until"] = until.isoformat()
    if observer is not None and draw(st.booleans()):
        east = (lon - observer[0]) * math.cos(math.radians(lat)) * 111_320.0
        north = (lat - observer[1]) * 110_574.0
        bearing = math.degrees(math.atan2(east, north)) + draw(st.integers(-3, 3))
        body |= {
            "lon": None,
            "lat": None,
            "uncertainty_m": None,
            "observer_lon": observer[0],
            "observer_lat": observer[1],
            "bearing_deg": round(bearing % 360.0, 1),
            "bearing_error_deg": 5,
        }
    return body


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Report], list[int]]:
    """Reports in arrival order (amendments and withdrawals after what they name), and the
    positions where the history is cut into separate ingests."""
    reports: list[Report] = []
    retired: set[str] = set()  # withdrawn reports and withdrawal notices: never a target
    for k in range(draw(st.integers(2, 22))):
        source = draw(st.integers(0, len(SOURCES) - 1))
        body = draw(observations(source))
        earlier = [
            str(r["id"])
            for r in reports
            if r["source"] == SOURCES[source][0] and r["id"] not in retired
        ]
        kind = draw(st.sampled_from(["new"] * 4 + ["amend", "withdraw"])) if earlier else "new"
        report = make_report(id=f"{SOURCES[source][0]}-{k}", **body)
        if kind != "new":
            target = draw(st.sampled_from(earlier))
            report["amends"] = target
            if kind == "withdraw":
                report["withdrawn"] = True
                retired |= {target, str(report["id"])}
        reports.append(report)
    cuts = draw(st.lists(st.integers(1, len(reports) - 1), max_size=4, unique=True))
    return reports, sorted(cuts)


def _incidents(store: CoreStore) -> Incidents:
    """Active incidents by their reports' (source, id): place, counts, grading, violations."""
    with store.engine.connect() as conn:
        members: dict[int, set[tuple[str, str]]] = {}
        for pk, source, rid in conn.execute(
            text(
                "SELECT i.pk, r.source, r.id FROM incidents i "
                "JOIN incident_reports ir ON ir.incident_pk = i.pk "
                "JOIN reports r ON r.pk = ir.report_pk WHERE i.status = 'active'"
            )
        ):
            members.setdefault(pk, set()).add((source, rid))
        rules: dict[int, list[str]] = {}
        for pk, rule in conn.execute(
            text("SELECT incident_pk, rule_id || '/' || certainty FROM violations WHERE active")
        ):
            rules.setdefault(pk, []).append(rule)
        rows = conn.execute(
            text(
                "SELECT i.pk, i.lon, i.lat, i.uncertainty_m, i.category, i.weapon_class, "
                "i.count, f.count_low, f.count_high, f.sources, f.independent_sources, "
                "f.confidence, f.fusion_id FROM incidents i "
                "JOIN incident_fusion f ON f.incident_pk = i.pk WHERE i.status = 'active'"
            )
        ).all()
    assert len(rows) == len(members)  # every active incident is a fused one
    return {frozenset(members[row[0]]): (*row[1:], sorted(rules.get(row[0], []))) for row in rows}


def _cut(reports: list[Report], cuts: list[int]) -> Iterator[list[Report]]:
    bounds = [0, *cuts, len(reports)]
    for start, stop in itertools.pairwise(bounds):
        yield reports[start:stop]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(histories())
def test_windowed_fusion_after_each_ingest_equals_one_full_fusion(
    mini_clones: Clones,
    tmp_path_factory: pytest.TempPathFactory,
    history: tuple[list[Report], list[int]],
) -> None:
    reports, cuts = history
    folder = tmp_path_factory.mktemp("history")
    stepwise, once = (open_mini(url) for url in mini_clones.as_built(2))
    try:
        for k, part in enumerate(_cut(reports, cuts)):
            path = write_ndjson(folder / f"part-{k}.ndjson", part)
            summary = ingest_files(stepwise, [path], gazetteer=GAZETTEER, parallel=False)
            assert summary.quarantined == 0
        path = write_ndjson(folder / "all.ndjson", reports)
        ingest_files(once, [path], gazetteer=GAZETTEER, parallel=False, fuse=False)
        full = fuse_incidents(once, AgreementBook.from_store(once), clock=SystemClock(), full=True)
        expected = _incidents(once)
        assert full.incidents == len(expected)
        assert _incidents(stepwise) == expected
        # and a full re-fusion of the step-by-step store finds nothing to change
        again = fuse_incidents(
            stepwise, AgreementBook.from_store(stepwise), clock=SystemClock(), full=True
        )
        assert (again.added, again.superseded) == (0, 0)
    finally:
        stepwise.close()
        once.close()


def _event(rid: str, source: str, hours: float, **extra: object) -> Report:
    when = T0 + timedelta(hours=hours)
    return make_report(id=rid, source=source, observed_at=when.isoformat(), **extra)


def test_an_ingest_refuses_only_what_it_can_reach(mini_store: CoreStore, tmp_path: Path) -> None:
    early = [_event("a", "post-1", 0.0), _event("b", "post-2", 0.02)]
    late = [_event("c", "post-1", 48.0), _event("d", "post-2", 48.02)]
    path = write_ndjson(tmp_path / "first.ndjson", early + late)
    ingest_files(mini_store, [path], gazetteer=GAZETTEER)
    before = _pks_by_reports(mini_store)
    assert len(before) == 2  # each pair is one event

    path = write_ndjson(tmp_path / "second.ndjson", [_event("e", "uav-1", 48.01)])
    ingest_files(mini_store, [path], gazetteer=GAZETTEER)
    after = _pks_by_reports(mini_store)
    early_keys = frozenset({("post-1", "a"), ("post-2", "b")})
    assert after[early_keys] == before[early_keys]  # two days away: untouched
    assert frozenset({("post-1", "c"), ("post-2", "d"), ("uav-1", "e")}) in after

    # a report that changes nothing (nothing new since) re-fuses nothing
    quiet = fuse_incidents(mini_store, AgreementBook.from_store(mini_store), clock=SystemClock())
    assert (quiet.reports, quiet.added, quiet.superseded) == (0, 0, 0)


def test_withdrawing_a_report_refuses_its_incident(mini_store: CoreStore, tmp_path: Path) -> None:
    three = [_event("a", "post-1", 0.0), _event("b", "post-2", 0.01), _event("c", "uav-1", 0.02)]
    ingest_files(mini_store, [write_ndjson(tmp_path / "1.ndjson", three)], gazetteer=GAZETTEER)
    off = _event("a-off", "post-1", 0.0, amends="a", withdrawn=True)
    ingest_files(mini_store, [write_ndjson(tmp_path / "2.ndjson", [off])], gazetteer=GAZETTEER)
    assert set(_pks_by_reports(mini_store)) == {frozenset({("post-2", "b"), ("uav-1", "c")})}


def _pks_by_reports(store: CoreStore) -> dict[frozenset[tuple[str, str]], int]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.pk, r.source, r.id FROM incidents i "
                "JOIN incident_reports ir ON ir.incident_pk = i.pk "
                "JOIN reports r ON r.pk = ir.report_pk WHERE i.status = 'active'"
            )
        ).all()
    members: dict[int, set[tuple[str, str]]] = {}
    for pk, source, rid in rows:
        members.setdefault(pk, set()).add((source, rid))
    return {frozenset(keys): pk for pk, keys in members.items()}


def test_the_chunks_store_reports_only_and_fusion_makes_every_incident(
    mini_store: CoreStore, tmp_path: Path
) -> None:
    # two posts hear one explosion, a third report is alone, and a fourth amends that one
    reports = [
        _event("a", "post-1", 0.0),
        _event("b", "post-2", 0.01),
        _event("c", "uav-1", 30.0),
        _event("c2", "uav-1", 30.0, amends="c", count=3),
    ]
    path = write_ndjson(tmp_path / "1.ndjson", reports)
    summary = ingest_files(mini_store, [path], gazetteer=GAZETTEER, fuse=False)
    assert (summary.accepted, summary.amended) == (4, 1)
    with mini_store.engine.connect() as conn:
        for table in ("incidents", "incident_reports", "violations", "incident_items"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, table
    fused = fuse_incidents(mini_store, AgreementBook.from_store(mini_store), clock=SystemClock())
    # nothing thrown away: no incident of the ingest was there to supersede
    assert (fused.added, fused.superseded) == (2, 0)
    assert set(_pks_by_reports(mini_store)) == {
        frozenset({("post-1", "a"), ("post-2", "b")}),
        frozenset({("uav-1", "c2")}),
    }
