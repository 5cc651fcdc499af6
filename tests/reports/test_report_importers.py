"""UCDP GED (the real 2015-2018 rows of the minsk-2015 scenario) and ACLED (a hand-made fixture)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from report_builders import read_all

from ceasefire.reports.eventdata import ADM1_M, EXACT_PLACE_DEFAULT_M, NEAR_PLACE_M
from ceasefire.reports.model import Category, Reliability, SourceType, WeaponClass
from ceasefire.reports.parse import ParsedChunk, ReportFormat, detect_format

ROOT = Path(__file__).resolve().parents[2]
UCDP = ROOT / "scenarios" / "minsk-2015" / "events" / "ucdp_ged_2015-2018.csv"
ACLED = ROOT / "tests" / "data" / "acled_sample.csv"
KYIV = ZoneInfo("Europe/Kyiv")


@pytest.fixture(scope="module")
def ucdp() -> ParsedChunk:
    return read_all(UCDP)


@pytest.fixture(scope="module")
def ucdp_rows() -> dict[str, dict[str, str]]:
    with UCDP.open(encoding="utf-8", newline="") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


def kyiv_midnight(day: str, plus_days: int = 0) -> datetime:
    local = datetime.combine(date.fromisoformat(day) + timedelta(days=plus_days), time(0), KYIV)
    return local.astimezone(UTC)


def test_every_real_ucdp_row_is_imported(
    ucdp: ParsedChunk, ucdp_rows: dict[str, dict[str, str]]
) -> None:
    assert detect_format(UCDP) is ReportFormat.UCDP
    assert ucdp.rejected == []
    assert len(ucdp.reports) == len(ucdp_rows) == 1246
    for report in ucdp.reports:
        row = ucdp_rows[report.id]
        assert report.source == "osint:ucdp"
        assert report.source_type is SourceType.OSINT
        assert report.lat == float(row["latitude"])
        assert report.lon == float(row["longitude"])
        assert report.observed_at == kyiv_midnight(row["date_start"])
        assert report.observed_until == kyiv_midnight(row["date_end"], 1)
        assert report.uncertainty_m is not None
        assert report.uncertainty_m >= 1000
    # raws are the exact CSV records: parse them back and they are the same rows
    parsed = [next(csv.reader([raw])) for raw in ucdp.raws[:50]]
    assert [p[0] for p in parsed] == [r.id for r in ucdp.reports[:50]]


def by_id(chunk: ParsedChunk, report_id: str):  # type: ignore[no-untyped-def]
    return next(r for r in chunk.reports if r.id == report_id)


def test_ucdp_exact_place_takes_the_settlement_size(ucdp: ParsedChunk) -> None:
    # 203356: "Avdiivka town", where_prec 1, 6-7 Feb 2015, one source
    report = by_id(ucdp, "203356")
    assert (report.lat, report.lon) == (48.145278, 37.745)
    assert report.uncertainty_m == pytest.approx(2388, abs=1)  # Avdiivka, 35,826 people
    assert report.observed_at == datetime(2015, 2, 5, 22, tzinfo=UTC)
    assert report.observed_until == datetime(2015, 2, 7, 22, tzinfo=UTC)
    assert report.category is Category.BURST_OF_FIRE  # fatal, no kind of fire named
    assert (report.reliability, report.credibility) == (Reliability.B, 3)
    assert report.description is not None
    assert "Twelve killed in Ukraine" in report.description


def test_ucdp_sniper_near_shyrokyne(ucdp: ParsedChunk) -> None:
    report = by_id(ucdp, "203424")  # where_prec 2, two sources, clear
    assert report.category is Category.SHOTS
    assert report.weapon_class is WeaponClass.SMALL_ARMS
    assert report.uncertainty_m == NEAR_PLACE_M
    assert report.credibility == 2
    assert report.observed_at == datetime(2015, 3, 6, 22, tzinfo=UTC)


def test_ucdp_oblast_level_event_over_two_months(ucdp: ParsedChunk) -> None:
    report = by_id(ucdp, "203643")  # Luhansk oblast, 1 Jan - 28 Feb 2015
    assert report.uncertainty_m == ADM1_M
    assert report.observed_until == datetime(2015, 2, 28, 22, tzinfo=UTC)


def test_ucdp_summer_days_are_kyiv_summer_time(ucdp: ParsedChunk) -> None:
    summer = [r for r in ucdp.reports if r.observed_at.month == 7]
    assert summer
    assert all(r.observed_at.hour == 21 for r in summer)  # EEST = UTC+3


def test_ucdp_shelling_headlines_are_explosions(ucdp: ParsedChunk) -> None:
    shelling = [r for r in ucdp.reports if r.description and "shelling" in r.description.lower()]
    assert len(shelling) > 50
    assert {r.category for r in shelling} == {Category.EXPLOSION}


def test_ucdp_bad_rows_are_rejected_with_column_and_rule(tmp_path: Path) -> None:
    lines = UCDP.read_text(encoding="utf-8").splitlines(keepends=True)
    header, first = lines[0], lines[1]
    cols = next(csv.reader([header]))
    cells = next(csv.reader([first]))

    def variant(**changes: str) -> str:
        row = dict(zip(cols, cells, strict=True))
        row.update(changes)
        out = tmp_path / "one.csv"
        with out.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerow(row.values())
        return out.read_text(encoding="utf-8")

    bad = [
        variant(where_prec="9"),
        variant(latitude="91.5"),
        variant(date_start="2015-13-01"),
        variant(date_end="2014-01-01"),
    ]
    path = tmp_path / "ucdp.csv"
    path.write_text(header + first + "".join(bad), encoding="utf-8")
    result = read_all(path)
    assert len(result.reports) == 1
    assert [(r.field, r.rule) for r in result.rejected] == [
        ("where_prec", "enum"),
        ("lat", "range"),
        ("date_start", "date"),
        ("date_end", "order"),
    ]


def test_acled_fixture() -> None:
    assert detect_format(ACLED) is ReportFormat.ACLED
    result = read_all(ACLED)
    got = {r.id: r for r in result.reports}
    assert [(r.line_no, r.field, r.rule) for r in result.rejected] == [
        (11, "geo_precision", "enum"),
        (12, "event_date", "date"),
    ]
    assert len(got) == 9
    shelling = got["UKR90001"]
    assert shelling.source == "osint:acled"
    assert shelling.category is Category.EXPLOSION
    assert shelling.weapon_class is WeaponClass.MLRS  # Grad named beside 122 mm artillery
    assert shelling.observed_at == datetime(2026, 3, 1, 22, tzinfo=UTC)
    assert shelling.observed_until == datetime(2026, 3, 2, 22, tzinfo=UTC)
    assert shelling.uncertainty_m is not None
    assert 1000 <= shelling.uncertainty_m < 5000  # Myrnohrad's size
    assert got["UKR90002"].category is Category.BURST_OF_FIRE
    assert got["UKR90002"].uncertainty_m == NEAR_PLACE_M
    assert got["UKR90003"].category is Category.SHOTS
    drone = got["UKR90004"]
    assert (drone.category, drone.weapon_class) == (Category.EXPLOSION, WeaponClass.ATTACK_UAV)
    assert drone.observed_at == datetime(2026, 3, 1, 22, tzinfo=UTC)  # a week around 5 March
    assert drone.observed_until == datetime(2026, 3, 8, 22, tzinfo=UTC)
    month = got["UKR90005"]
    assert month.category is Category.CIVILIAN_CASUALTY
    assert month.uncertainty_m == ADM1_M
    assert month.observed_at == datetime(2026, 2, 28, 22, tzinfo=UTC)  # 1 March, Kyiv
    assert month.observed_until == datetime(2026, 3, 31, 21, tzinfo=UTC)  # 1 April, EEST
    intercept = got["UKR90006"]
    assert intercept.category is Category.PROJECTILE_IN_FLIGHT
    assert intercept.weapon_class is WeaponClass.TACTICAL_MISSILE
    assert got["UKR90007"].category is Category.OTHER
    assert got["UKR90007"].weapon_class is None
    assert got["UKR90008"].weapon_class is WeaponClass.LIGHT_WEAPON
    assert got["UKR90011"].weapon_class is WeaponClass.MORTAR_120
    assert got["UKR90004"].description is not None
    assert "fatalities: 2" in got["UKR90004"].description
    grenade_raw = result.raws[[r.id for r in result.reports].index("UKR90008")]
    assert "A grenade was thrown at a car.\nNo injuries were reported." in grenade_raw
    assert all(r.uncertainty_m is not None and r.uncertainty_m >= 1000 for r in result.reports)
    assert EXACT_PLACE_DEFAULT_M > 1000
