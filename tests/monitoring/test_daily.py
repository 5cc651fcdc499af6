"""The daily aggregation against sums computed one report at a time in plain Python."""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.monitoring.columns import (
    DailySeries,
    ReportNote,
    ViolationColumns,
    WindowReports,
    WithdrawalPolicy,
    category_code,
    weapon_code,
)
from ceasefire.monitoring.daily import summarise_day
from ceasefire.monitoring.shown import shown_incidents
from ceasefire.monitoring.sightings import LIST_LIMIT
from ceasefire.monitoring.tables import FIRE_ORDER, UNLOCATED
from ceasefire.reports.model import Category, WeaponClass

OBLASTS = ("Donetsk", "Luhansk", "Kharkiv")
DAY = date(2026, 12, 5)
T0 = datetime(2026, 12, 5, tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class Row:
    """One report as the test writes it down, apart from the columns under test."""

    cat: Category
    count: int = 1
    oblast: int = 0
    wc: WeaponClass | None = None
    stored: bool = False
    lon: float = 37.8
    lat: float = 48.0
    t: float = T0 + 3600
    desc: str | None = None


def make_reports(rows: list[Row]) -> WindowReports:
    """Build the columns from the test's rows."""
    return WindowReports(
        row_id=np.arange(len(rows), dtype=np.int64),
        observed_at_s=np.asarray([r.t for r in rows], dtype=np.float64),
        category=np.asarray([category_code(r.cat) for r in rows], dtype=np.int16),
        weapon_class=np.asarray([weapon_code(r.wc) if r.wc else -1 for r in rows], dtype=np.int16),
        count=np.asarray([r.count for r in rows], dtype=np.int64),
        lon=np.asarray([r.lon for r in rows], dtype=np.float64),
        lat=np.asarray([r.lat for r in rows], dtype=np.float64),
        at_storage_site=np.asarray([r.stored for r in rows], dtype=np.bool_),
        oblast=np.asarray([r.oblast for r in rows], dtype=np.int16),
        notes={i: ReportNote(f"src-{i}", None, r.desc) for i, r in enumerate(rows)},
    )


def empty_series() -> DailySeries:
    days = tuple(DAY - timedelta(days=29 - k) for k in range(30))
    z = np.zeros(30, dtype=np.int64)
    return DailySeries(days, z, z, np.zeros((30, 5), dtype=np.int64))


report_rows = st.lists(
    st.builds(
        Row,
        cat=st.sampled_from(list(Category)),
        count=st.integers(1, 500),
        oblast=st.integers(-1, len(OBLASTS) - 1),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(today=report_rows, before=report_rows)
def test_fire_counts_per_oblast_and_category_equal_naive_sums(
    today: list[Row], before: list[Row]
) -> None:
    summary = summarise_day(
        DAY,
        make_reports(today),
        ViolationColumns.empty(),
        make_reports(before),
        empty_series(),
        oblast_names=OBLASTS,
        policy=WithdrawalPolicy(),
    )
    expected: Counter[tuple[str, Category]] = Counter()
    for r in today:
        if r.cat in FIRE_ORDER:
            expected[(OBLASTS[r.oblast] if r.oblast >= 0 else UNLOCATED, r.cat)] += r.count
    for row in (*OBLASTS, UNLOCATED):
        for cat in FIRE_ORDER:
            assert summary.fire.get(row, cat) == expected[(row, cat)]
    assert summary.fire.total == sum(expected.values())
    assert summary.fire_previous.total == sum(r.count for r in before if r.cat in FIRE_ORDER)
    civ = sum(
        r.count
        for r in today
        if r.cat in {Category.CIVILIAN_CASUALTY, Category.INFRASTRUCTURE_DAMAGE}
    )
    assert summary.civilian.total == civ


def test_region_filter_keeps_only_reports_located_in_the_region() -> None:
    rows: list[Row] = [
        Row(cat=Category.EXPLOSION, count=42, oblast=0),
        Row(cat=Category.EXPLOSION, count=7, oblast=1),
        Row(cat=Category.SHOTS, count=3, oblast=-1),
    ]
    summary = summarise_day(
        DAY,
        make_reports(rows),
        ViolationColumns.empty(),
        make_reports(rows),
        empty_series(),
        oblast_names=OBLASTS,
        policy=WithdrawalPolicy(),
        region_codes=np.asarray([1], dtype=np.int16),
        region_labels=("Luhansk",),
    )
    assert summary.fire.total == 7
    assert summary.fire_previous.total == 7
    assert summary.n_reports == 1


def test_rule_zone_rows_and_weapon_sections() -> None:
    tank = WeaponClass.TANK
    art = WeaponClass.ARTILLERY_GE_100
    rows: list[Row] = [
        Row(cat=Category.HEAVY_WEAPON, wc=art, count=4, desc="4 howitzers"),  # 0 violates
        Row(cat=Category.HEAVY_WEAPON, wc=art, count=2),  # 1 beyond, not stored
        Row(cat=Category.HEAVY_WEAPON, wc=art, count=9, stored=True),  # 2 stored
        Row(cat=Category.ARMOUR, wc=tank, count=3),  # 3 violates R5 (possible)
        Row(cat=Category.HEAVY_WEAPON, wc=WeaponClass.AIR_DEFENCE, count=1),  # 4 not ruled
        Row(cat=Category.EXPLOSION, count=42),  # 5 violates R1
        Row(cat=Category.HEAVY_WEAPON, wc=art, count=1, lon=float("nan")),  # 6 unlocated
    ]
    violations = ViolationColumns(
        report_row=np.asarray([0, 3, 5], dtype=np.int64),
        rule=np.asarray([1, 2, 0], dtype=np.int16),
        zone=np.asarray([0, 1, -1], dtype=np.int16),
        severity=np.asarray([3, 3, 2], dtype=np.int8),
        certain=np.asarray([True, False, True]),
        rule_ids=("R1", "R2", "R5"),
        rule_articles=("Art. 1", "Art. 2", "Art. 3"),
        zone_ids=("withdrawal-artillery-ge100", "withdrawal-light"),
    )
    policy = WithdrawalPolicy(
        weapon_codes=frozenset({weapon_code(art), weapon_code(tank)}),
        zone_rule_ids=frozenset({"R2", "R5"}),
    )
    # the day's incidents, one per violating report, placed where the reports are
    shown = shown_incidents(
        [(10 + k, T0 + 3600, 37.8, 48.0, 0, k, False) for k in (0, 3, 5)],
        [
            (10, "R2", "Art. 2", 3, True, "withdrawal-artillery-ge100"),
            (13, "R5", "Art. 3", 3, False, "withdrawal-light"),
            (15, "R1", "Art. 1", 2, True, None),
        ],
    )
    shown = dataclasses.replace(
        shown, incidents=dataclasses.replace(shown.incidents, oblast=np.zeros(3, np.int16))
    )
    s = summarise_day(
        DAY,
        make_reports(rows),
        violations,
        make_reports([]),
        empty_series(),
        oblast_names=OBLASTS,
        policy=policy,
        shown=shown,
    )
    by_rule = {(r.rule_id, r.zone): r for r in s.rules}
    assert by_rule[("R1", None)].certain == 1
    assert by_rule[("R2", "withdrawal-artillery-ge100")].certain == 1
    assert by_rule[("R5", "withdrawal-light")].possible == 1
    assert [r.rule_id for r in s.rules][:2] == ["R2", "R5"]  # severity 3 first
    assert [(w.count, w.rule_id, w.certain) for w in s.weapons_in_violation] == [
        (4, "R2", True),
        (3, "R5", False),
    ]
    assert s.weapons_in_violation[0].description == "4 howitzers"
    assert [w.count for w in s.weapons_outside_storage] == [2]
    assert s.weapons_at_storage == {"artillery_ge_100": 9}
    assert s.presence.total == 4 + 2 + 9 + 3 + 1 + 1
    worst = dict(zip(s.points.count.tolist(), s.points.severity.tolist(), strict=True))
    assert worst[42] == 2
    assert worst[4] == 3
    # one set of totals: summary, incidents table, rules table and the trend's last day
    assert s.totals.violations == 3 == s.sectors.total.violations
    assert s.totals.certain == 2 == sum(r.certain for r in s.rules)
    assert s.totals.by_severity == (0, 1, 2, 0, 0)
    assert s.trend.violations_by_severity[-1].tolist() == [0, 1, 2, 0, 0]
    (donetsk,) = s.regions_notes
    assert donetsk.gravest is not None
    assert (donetsk.gravest.rule_id, donetsk.gravest.severity) == ("R2", 3)  # R2 and R5 tie
    assert [w.count for w in donetsk.weapons] == [4, 3]


def test_weapon_lists_are_in_time_order() -> None:
    art = WeaponClass.ARTILLERY_GE_100
    rows = [
        Row(cat=Category.HEAVY_WEAPON, wc=art, t=T0 + 7200),
        Row(cat=Category.HEAVY_WEAPON, wc=art, t=T0 + 60),
        Row(cat=Category.HEAVY_WEAPON, wc=art, t=T0 + 3600),
    ]
    violations = ViolationColumns(
        report_row=np.asarray([0, 1], dtype=np.int64),
        rule=np.asarray([0, 0], dtype=np.int16),
        zone=np.asarray([0, 0], dtype=np.int16),
        severity=np.asarray([3, 3], dtype=np.int8),
        certain=np.asarray([True, True]),
        rule_ids=("R2",),
        rule_articles=("Art. 2",),
        zone_ids=("withdrawal-artillery-ge100",),
    )
    policy = WithdrawalPolicy(
        weapon_codes=frozenset({weapon_code(art)}), zone_rule_ids=frozenset({"R2"})
    )
    s = summarise_day(
        DAY,
        make_reports(rows + rows),
        violations,
        make_reports([]),
        empty_series(),
        oblast_names=OBLASTS,
        policy=policy,
    )
    times = [w.observed_at for w in s.weapons_in_violation]
    assert times == sorted(times)
    assert len(times) == 2
    beyond = [w.observed_at for w in s.weapons_outside_storage]
    assert beyond == sorted(beyond)
    assert len(beyond) == 4


def test_long_lists_are_cut_and_say_how_many_more() -> None:
    rows: list[Row] = [
        Row(cat=Category.MOVEMENT_RESTRICTION, t=T0 + k) for k in range(LIST_LIMIT + 7)
    ]
    s = summarise_day(
        DAY,
        make_reports(rows),
        ViolationColumns.empty(),
        make_reports([]),
        empty_series(),
        oblast_names=OBLASTS,
        policy=WithdrawalPolicy(),
    )
    assert len(s.access_events) == LIST_LIMIT
    assert s.truncated["access_events"] == 7
    assert s.access.total == LIST_LIMIT + 7
    times = [e.observed_at for e in s.access_events]
    assert times == sorted(times)
