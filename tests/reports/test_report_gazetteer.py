"""Gazetteer: Latin and Cyrillic names, ambiguity, sizes; and resolving reports to columns."""

from __future__ import annotations

import math

import numpy as np
import pytest
from report_builders import REMOVE, report_obj

from ceasefire.reports.columns import DEFAULT_POINT_UNCERTAINTY_M, to_columns
from ceasefire.reports.gazetteer import Gazetteer, haversine_m, normalise_name
from ceasefire.reports.model import Category, LocationForm, WeaponClass
from ceasefire.reports.parse import parse_report


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.default()


@pytest.mark.parametrize(
    ("name", "expected", "oblast"),
    [
        ("Kyiv", "Kyiv", "UA-30"),
        ("Київ", "Kyiv", "UA-30"),
        ("Kiev", "Kyiv", "UA-30"),
        ("КИЕВ", "Kyiv", "UA-30"),
        ("Avdiivka", "Avdiyivka", "UA-14"),
        ("Авдіївка", "Avdiyivka", "UA-14"),
        ("Авдеевка", "Avdiyivka", "UA-14"),
        ("Stanytsia Luhanska", "Stanytsya-Luhanska", "UA-09"),
        ("Станиця Луганська", "Stanytsya-Luhanska", "UA-09"),
        ("Kharkov", "Kharkiv", "UA-63"),
        ("Харків", "Kharkiv", "UA-63"),
        ("Mar’inka", "Mar'yinka", "UA-14"),
        ("  shchastia ", "Shchastya", "UA-09"),
        ("Lugansk", "Luhansk", "UA-09"),
    ],
)
def test_latin_and_cyrillic_lookups(
    gazetteer: Gazetteer, name: str, expected: str, oblast: str
) -> None:
    hit = gazetteer.lookup(name)
    assert hit is not None
    assert (hit.name, hit.oblast_iso) == (expected, oblast)


def test_positions_and_sizes_are_plausible(gazetteer: Gazetteer) -> None:
    kyiv = gazetteer.lookup("Kyiv")
    avdiivka = gazetteer.lookup("Avdiivka")
    assert kyiv is not None
    assert avdiivka is not None
    assert (kyiv.lat, kyiv.lon) == pytest.approx((50.45, 30.52), abs=0.02)
    # Kyiv's city area is ~839 km^2: equal-area radius 16 km; ours from population ~22 km
    assert 15_000 < kyiv.uncertainty_m < 25_000
    assert 1_500 < avdiivka.uncertainty_m < 4_000
    assert avdiivka.uncertainty_m == pytest.approx(
        1000 * math.sqrt(avdiivka.population / (2000 * math.pi))
    )


def test_ambiguous_names_resolve_by_weighted_population(gazetteer: Gazetteer) -> None:
    # dozens of Ukrainian Oleksandrivkas; Donetsk's old alternate name must not win
    oleksandrivka = gazetteer.lookup("Oleksandrivka")
    assert oleksandrivka is not None
    assert oleksandrivka.name == "Oleksandrivka"
    paris = gazetteer.lookup("Paris")
    assert paris is not None
    assert paris.country_code == "FR"
    peski = gazetteer.lookup("Peski")
    assert peski is not None
    assert peski.country_code == "UA"
    qualified = gazetteer.lookup("Peski, RU")
    assert qualified is not None
    assert qualified.country_code == "RU"
    assert gazetteer.lookup("Nowhere-on-Sea") is None


def test_lookup_many_is_aligned_and_nan_for_unknown(gazetteer: Gazetteer) -> None:
    lon, lat, unc = gazetteer.lookup_many(["Київ", None, "Nowhere-on-Sea", "Kiev", ""])
    kyiv = gazetteer.lookup("Kyiv")
    assert kyiv is not None
    np.testing.assert_array_equal(np.isnan(lon), [False, True, True, False, True])
    assert lon[0] == lon[3] == kyiv.lon
    assert lat[0] == kyiv.lat
    assert unc[3] == kyiv.uncertainty_m


def test_normalisation() -> None:
    assert normalise_name("Stanytsia-Luhans'ka") == "stanytsia luhanska"
    assert normalise_name("Mariánské Lázně") == "marianske lazne"
    assert normalise_name("Щастя") == normalise_name("щастя")


def test_nearest_radius(gazetteer: Gazetteer) -> None:
    radius = gazetteer.nearest_radius_m(
        np.array([37.745, 0.0, np.nan]), np.array([48.145278, 0.0, 1.0]), max_distance_m=5000
    )
    avdiivka = gazetteer.lookup("Avdiivka")
    assert avdiivka is not None
    assert radius[0] == avdiivka.uncertainty_m
    assert np.isnan(radius[1:]).all()


def test_haversine_one_degree_of_latitude() -> None:
    d = haversine_m(np.array([37.0]), np.array([48.0]), np.array([37.0]), np.array([49.0]))
    assert d[0] == pytest.approx(111_195, rel=1e-4)


def test_columns_pick_the_most_precise_form(gazetteer: Gazetteer) -> None:
    reports = [
        parse_report(report_obj(uncertainty_m=REMOVE)),
        parse_report(report_obj(lat=REMOVE, lon=REMOVE, place="Avdiivka", category="shots")),
        parse_report(report_obj(lat=REMOVE, lon=REMOVE, place="Nowhere-on-Sea")),
        # a point vaguer than its place: the place wins
        parse_report(
            report_obj(place="Kyiv", lat=50.0, lon=30.0, uncertainty_m=50_000, weapon_class=REMOVE)
        ),
    ]
    cols = to_columns(reports, gazetteer)
    forms = list(LocationForm)
    assert [forms[i] if i >= 0 else None for i in cols.location_form] == [
        LocationForm.POINT,
        LocationForm.PLACE,
        None,
        LocationForm.PLACE,
    ]
    assert cols.uncertainty_m[0] == DEFAULT_POINT_UNCERTAINTY_M
    avdiivka = gazetteer.lookup("Avdiivka")
    assert avdiivka is not None
    assert (cols.lon[1], cols.lat[1]) == (avdiivka.lon, avdiivka.lat)
    assert np.isnan(cols.lon[2])
    assert cols.lat[3] == pytest.approx(50.45, abs=0.01)
    assert list(cols.category) == [0, list(Category).index(Category.SHOTS), 0, 0]
    mortar = list(WeaponClass).index(WeaponClass.MORTAR)
    assert list(cols.weapon_class) == [mortar, mortar, mortar, -1]
    assert cols.observed_at_s[0] == reports[0].observed_at.timestamp()
    assert list(cols.count) == [4, 4, 4, 4]
    assert len(to_columns([], gazetteer)) == 0


def test_columns_place_bearing_reports_with_geo(gazetteer: Gazetteer) -> None:
    bearing_module = pytest.importorskip("ceasefire.geo.bearing")
    report = parse_report(
        report_obj(
            lat=REMOVE,
            lon=REMOVE,
            observer_lat=48.0,
            observer_lon=37.5,
            bearing_deg=90.0,
            distance_min_m=3000,
            distance_max_m=5000,
        )
    )
    cols = to_columns([report], gazetteer)
    lon, lat, unc = bearing_module.locate_by_bearing(
        np.array([37.5]),
        np.array([48.0]),
        np.array([90.0]),
        np.array([22.5]),
        np.array([3000.0]),
        np.array([5000.0]),
    )
    assert list(LocationForm)[cols.location_form[0]] is LocationForm.BEARING
    assert (cols.lon[0], cols.lat[0], cols.uncertainty_m[0]) == (lon[0], lat[0], unc[0])
    assert cols.lon[0] > 37.5  # east of the observer
