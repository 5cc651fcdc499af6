"""Rules over placed reports: categories, weapon classes, zones, exemptions and start dates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from ceasefire.agreement.model import (
    STORAGE_SITES,
    Agreement,
    Party,
    Rule,
    SideOfLine,
    Zone,
    ZoneKind,
)
from ceasefire.assessment.rules import evaluate_rules
from ceasefire.errors import AgreementError
from ceasefire.reports.model import Category, WeaponClass

START = datetime(2026, 3, 1, tzinfo=UTC)
AFTER = datetime(2026, 3, 10, tzinfo=UTC).timestamp()
BEFORE = datetime(2026, 2, 20, tzinfo=UTC).timestamp()
CATS = list(Category)
WEAPONS = list(WeaponClass)
#: (category, weapon class, observed_at_s, zones inside, zones possibly inside, at|near|- site)
Row = tuple[Category, WeaponClass | None, float, set[str], set[str], str]
ZONES = ("security-zone", "withdrawal-mlrs", "disengagement")

R_FIRE = Rule(
    id="R1",
    article="Art. 1",
    categories=frozenset({Category.EXPLOSION, Category.SHOTS}),
    anywhere=True,
    severity=2,
)
R_MLRS = Rule(
    id="R3",
    article="Art. 2",
    categories=frozenset({Category.HEAVY_WEAPON}),
    weapon_classes=frozenset({WeaponClass.MLRS}),
    inside_zone="withdrawal-mlrs",
    except_at=STORAGE_SITES,
    severity=3,
)
R_LATE = Rule(
    id="R5",
    article="Disengagement",
    categories=frozenset({Category.TROOP_MOVEMENT}),
    inside_zone="disengagement",
    severity=3,
    in_force_from=datetime(2026, 3, 8, tzinfo=UTC),
)


def make_agreement(
    *rules: Rule, in_force_from: datetime | None = START, disengagement_from: datetime | None = None
) -> Agreement:
    zones = (
        *(Zone(id=z, kind=ZoneKind.AREA, geometry_path=f"{z}.geojson") for z in ZONES[:2]),
        Zone(
            id="disengagement",
            kind=ZoneKind.AREA,
            geometry_path="d.geojson",
            in_force_from=disengagement_from,
        ),
    )
    return Agreement(
        id="t",
        version=1,
        name="test",
        in_force_from=in_force_from,
        parties=(Party("UKR", "Ukraine", SideOfLine.WEST), Party("RUS", "Russia", SideOfLine.EAST)),
        zones=zones,
        rules=rules or (R_FIRE, R_MLRS, R_LATE),
        contact_line_path="line.geojson",
        party_areas_path="areas.geojson",
        storage_sites_path="sites.geojson",
        base_dir=Path(),
        source_text="",
    )


@dataclass(frozen=True)
class Columns:
    category: NDArray[np.int16]
    weapon_class: NDArray[np.int16]
    observed_at_s: NDArray[np.float64]


@dataclass(frozen=True)
class Placed:
    zone_ids: tuple[str, ...]
    inside: NDArray[np.bool_]
    possibly_inside: NDArray[np.bool_]
    at_storage_site: NDArray[np.bool_]
    near_storage_site: NDArray[np.bool_]


def batch(rows: Sequence[Row]) -> tuple[Columns, Placed]:
    """Rows of (category, weapon, observed_at_s, inside zones, possibly zones, site: at|near|-)."""
    cols = Columns(
        category=np.array([CATS.index(r[0]) for r in rows], dtype=np.int16),
        weapon_class=np.array([WEAPONS.index(r[1]) if r[1] else -1 for r in rows], dtype=np.int16),
        observed_at_s=np.array([r[2] for r in rows], dtype=float),
    )
    placed = Placed(
        zone_ids=ZONES,
        inside=np.array([[z in r[3] for z in ZONES] for r in rows], dtype=bool).reshape(-1, 3),
        possibly_inside=np.array([[z in r[4] for z in ZONES] for r in rows], dtype=bool).reshape(
            -1, 3
        ),
        at_storage_site=np.array([r[5] == "at" for r in rows], dtype=bool),
        near_storage_site=np.array([r[5] == "near" for r in rows], dtype=bool),
    )
    return cols, placed


def found(agreement: Agreement, rows: Sequence[Row]) -> list[tuple[int, str, str, str | None]]:
    result = evaluate_rules(agreement, *batch(rows))
    return list(
        zip(
            result.report_index.tolist(),
            result.rule_id.tolist(),
            result.certainty.tolist(),
            result.zone_id.tolist(),
            strict=True,
        )
    )


def test_fire_anywhere_after_the_ceasefire_is_certain_and_before_it_is_nothing() -> None:
    rows: list[Row] = [
        (Category.EXPLOSION, None, AFTER, set(), set(), "-"),
        (Category.EXPLOSION, None, BEFORE, set(), set(), "-"),
        (Category.ARMOUR, None, AFTER, set(), set(), "-"),
    ]
    assert found(make_agreement(), rows) == [(0, "R1", "certain", None)]


def test_a_draft_agreement_is_never_broken() -> None:
    rows: list[Row] = [(Category.EXPLOSION, None, AFTER, set(), set(), "-")]
    assert found(make_agreement(in_force_from=None), rows) == []


def test_zone_rule_is_certain_inside_possible_on_the_edge_and_needs_the_weapon_class() -> None:
    rows: list[Row] = [
        (Category.HEAVY_WEAPON, WeaponClass.MLRS, AFTER, {"withdrawal-mlrs"}, set(), "-"),
        (Category.HEAVY_WEAPON, WeaponClass.MLRS, AFTER, set(), {"withdrawal-mlrs"}, "-"),
        (Category.HEAVY_WEAPON, WeaponClass.MLRS, AFTER, set(), set(), "-"),
        (Category.HEAVY_WEAPON, WeaponClass.TANK, AFTER, {"withdrawal-mlrs"}, set(), "-"),
        (Category.HEAVY_WEAPON, None, AFTER, {"withdrawal-mlrs"}, set(), "-"),
    ]
    assert found(make_agreement(), rows) == [
        (0, "R3", "certain", "withdrawal-mlrs"),
        (1, "R3", "possible", "withdrawal-mlrs"),
    ]


def test_storage_sites_exempt_and_nearness_makes_it_only_possible() -> None:
    mlrs: tuple[Category, WeaponClass, float, set[str], set[str]] = (
        Category.HEAVY_WEAPON,
        WeaponClass.MLRS,
        AFTER,
        {"withdrawal-mlrs"},
        set(),
    )
    rows: list[Row] = [(*mlrs, "at"), (*mlrs, "near"), (*mlrs, "-")]
    assert found(make_agreement(), rows) == [
        (1, "R3", "possible", "withdrawal-mlrs"),
        (2, "R3", "certain", "withdrawal-mlrs"),
    ]


def test_rule_and_zone_start_dates_hold_back_violations() -> None:
    march_5 = datetime(2026, 3, 5, tzinfo=UTC).timestamp()
    march_9 = datetime(2026, 3, 9, tzinfo=UTC).timestamp()
    rows: list[Row] = [
        (Category.TROOP_MOVEMENT, None, march_5, {"disengagement"}, set(), "-"),
        (Category.TROOP_MOVEMENT, None, march_9, {"disengagement"}, set(), "-"),
    ]
    assert found(make_agreement(), rows) == [(1, "R5", "certain", "disengagement")]
    late_zone = make_agreement(disengagement_from=datetime(2026, 3, 20, tzinfo=UTC))
    assert found(late_zone, rows) == []


def test_violations_are_ordered_by_report_then_rule() -> None:
    both = Rule(
        id="R0",
        article="x",
        categories=frozenset({Category.EXPLOSION}),
        inside_zone="security-zone",
        severity=1,
    )
    rows: list[Row] = [
        (Category.EXPLOSION, None, AFTER, set(), set(), "-"),
        (Category.EXPLOSION, None, AFTER, {"security-zone"}, set(), "-"),
    ]
    assert found(make_agreement(R_FIRE, both), rows) == [
        (0, "R1", "certain", None),
        (1, "R1", "certain", None),
        (1, "R0", "certain", "security-zone"),
    ]


def test_a_rule_naming_a_zone_the_geography_lacks_is_an_error() -> None:
    bad = Rule(id="RX", article="x", categories=frozenset({Category.ARMOUR}), inside_zone="nope")
    rows: list[Row] = [(Category.ARMOUR, None, AFTER, set(), set(), "-")]
    with pytest.raises(AgreementError, match="unknown_zone"):
        evaluate_rules(make_agreement(bad), *batch(rows))


@given(
    st.lists(
        st.tuples(
            st.sampled_from([Category.EXPLOSION, Category.HEAVY_WEAPON, Category.ARMOUR]),
            st.sampled_from([None, WeaponClass.MLRS, WeaponClass.TANK]),
            st.sampled_from([BEFORE, AFTER]),
            st.sampled_from(["in", "edge", "out"]),
            st.sampled_from(["at", "near", "-"]),
        ),
        max_size=30,
    )
)
def test_batch_answers_equal_one_report_at_a_time(
    rows: list[tuple[Category, WeaponClass | None, float, str, str]],
) -> None:
    """Vectorising over the batch changes nothing: each report is judged on its own."""
    shaped: list[Row] = [
        (
            c,
            w,
            t,
            {"withdrawal-mlrs"} if where == "in" else set(),
            {"withdrawal-mlrs"} if where == "edge" else set(),
            site,
        )
        for c, w, t, where, site in rows
    ]
    agreement = make_agreement()
    together = found(agreement, shaped)
    alone = [
        (i, rule, certainty, zone)
        for i, row in enumerate(shaped)
        for _, rule, certainty, zone in found(agreement, [row])
    ]
    assert together == alone


def test_fire_of_a_banned_weapon_class_in_the_zone_breaks_the_withdrawal_rule() -> None:
    """A weapon that fires from the withdrawal zone stands in it (issue 18, point 4)."""
    mlrs_zone = "withdrawal-mlrs"
    rows: list[Row] = [
        (Category.MUZZLE_FLASH, WeaponClass.MLRS, AFTER, {mlrs_zone}, set(), "-"),  # inside
        (Category.MUZZLE_FLASH, WeaponClass.MLRS, AFTER, set(), {mlrs_zone}, "-"),  # edge
        (Category.MUZZLE_FLASH, WeaponClass.MLRS, AFTER, set(), set(), "-"),  # outside
        (Category.MUZZLE_FLASH, WeaponClass.TANK, AFTER, {mlrs_zone}, set(), "-"),  # not banned
        (Category.MUZZLE_FLASH, None, AFTER, {mlrs_zone}, set(), "-"),  # no class named
        (Category.MUZZLE_FLASH, WeaponClass.MLRS, BEFORE, {mlrs_zone}, set(), "-"),  # before
        (Category.EXPLOSION, WeaponClass.MLRS, AFTER, {mlrs_zone}, set(), "-"),  # maybe impact
        (Category.EXPLOSION, WeaponClass.MLRS, AFTER, set(), {mlrs_zone}, "-"),
        (Category.EXPLOSION, WeaponClass.MLRS, AFTER, set(), set(), "-"),
        (Category.EXPLOSION, WeaponClass.TANK, AFTER, {mlrs_zone}, set(), "-"),
        (Category.MUZZLE_FLASH, WeaponClass.MLRS, AFTER, {mlrs_zone}, set(), "at"),  # site
    ]
    fire_rule = Rule(
        id="R1",
        article="Art. 1",
        categories=frozenset({Category.EXPLOSION, Category.MUZZLE_FLASH}),
        anywhere=True,
        severity=2,
    )
    got = [v for v in found(make_agreement(fire_rule, R_MLRS), rows) if v[1] == "R3"]
    assert got == [
        (0, "R3", "certain", mlrs_zone),
        (1, "R3", "possible", mlrs_zone),
        (6, "R3", "possible", mlrs_zone),
        (7, "R3", "possible", mlrs_zone),
    ]


def test_fire_never_breaks_a_zone_rule_that_is_not_about_weapon_classes() -> None:
    """Troops in a disengagement area: fire there is not a troop movement."""
    rows: list[Row] = [
        (Category.MUZZLE_FLASH, WeaponClass.MLRS, AFTER, {"disengagement"}, set(), "-"),
        (Category.EXPLOSION, WeaponClass.MLRS, AFTER, {"disengagement"}, set(), "-"),
    ]
    assert found(make_agreement(R_LATE), rows) == []
