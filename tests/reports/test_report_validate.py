"""parse_report: every rule of the spec gives its field and rule; good objects come out UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from report_builders import REMOVE, report_obj

from ceasefire.errors import InputError
from ceasefire.reports.model import Category, Classification, Reliability, WeaponClass
from ceasefire.reports.parse import parse_report
from ceasefire.reports.validate import validate_report


def rule_of(obj: dict[str, object]) -> tuple[str, str]:
    with pytest.raises(InputError) as info:
        parse_report(obj)
    # the generic path must agree with whatever path parse_report took
    with pytest.raises(InputError) as generic:
        validate_report(obj)
    assert (info.value.field, info.value.rule) == (generic.value.field, generic.value.rule)
    return info.value.field, info.value.rule


def test_valid_report_is_normalised_to_utc_and_typed() -> None:
    report = parse_report(report_obj())
    assert report.observed_at == datetime(2026, 3, 1, 12, 2, tzinfo=UTC)
    assert report.uncertainty_m == 500.0
    assert isinstance(report.uncertainty_m, float)
    assert report.category is Category.EXPLOSION
    assert report.weapon_class is WeaponClass.MORTAR
    assert report.reliability is Reliability.B
    assert report.classification is Classification.UNCLASSIFIED
    assert report.key == ("op-12", "op12-2026-03-01-0007")


def test_defaults_when_optional_fields_are_absent() -> None:
    obj = report_obj(reliability=REMOVE, credibility=REMOVE, count=REMOVE)
    report = parse_report(obj)
    assert (report.reliability, report.credibility, report.count) == (Reliability.F, 6, 1)
    assert report.releasable_to == ()
    assert report.withdrawn is False


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"id": REMOVE}, "id", "required"),
        ({"source": None}, "source", "required"),
        ({"category": REMOVE}, "category", "required"),
        ({"observed_at": REMOVE}, "observed_at", "required"),
        ({"source_type": REMOVE}, "source_type", "required"),
        ({"id": ""}, "id", "length"),
        ({"id": "x" * 129}, "id", "length"),
        ({"id": 7}, "id", "type"),
        ({"source_type": "drone"}, "source_type", "enum"),
        ({"category": "shelling"}, "category", "enum"),
        ({"category": ["explosion"]}, "category", "type"),
        ({"weapon_class": "howitzer"}, "weapon_class", "enum"),
        ({"fire_direction": "inbound"}, "fire_direction", "enum"),
        ({"reliability": "G"}, "reliability", "enum"),
        ({"reliability": "b"}, "reliability", "enum"),
        ({"credibility": 7}, "credibility", "range"),
        ({"credibility": 0}, "credibility", "range"),
        ({"credibility": "2"}, "credibility", "type"),
        ({"classification": "TOP SECRET"}, "classification", "enum"),
        ({"observed_at": "2026-03-01T14:02:00"}, "observed_at", "offset_required"),
        ({"observed_at": "2026-03-01"}, "observed_at", "offset_required"),
        ({"observed_at": "1 March 2026"}, "observed_at", "rfc3339"),
        ({"observed_at": "2026-02-30T14:02:00Z"}, "observed_at", "rfc3339"),
        ({"observed_at": 1772366520}, "observed_at", "type"),
        ({"observed_until": "2026-03-01T11:00:00Z"}, "observed_until", "order"),
        ({"lat": 91}, "lat", "range"),
        ({"lat": -90.5}, "lat", "range"),
        ({"lon": 180.01}, "lon", "range"),
        ({"lat": float("nan")}, "lat", "finite"),
        ({"lon": float("inf")}, "lon", "finite"),
        ({"lat": "48.1"}, "lat", "type"),
        ({"lat": True}, "lat", "type"),
        ({"uncertainty_m": 0}, "uncertainty_m", "range"),
        ({"uncertainty_m": -5.0}, "uncertainty_m", "range"),
        ({"count": 0}, "count", "range"),
        ({"count": 2.0}, "count", "type"),
        ({"count": True}, "count", "type"),
        ({"heading_deg": 361}, "heading_deg", "range"),
        ({"description": "x" * 4001}, "description", "length"),
        ({"withdrawn": True}, "withdrawn", "requires_amends"),
        ({"withdrawn": "yes", "amends": "a"}, "withdrawn", "type"),
        ({"lon": REMOVE}, "lon", "required_with"),
        ({"lat": REMOVE, "lon": REMOVE}, "location", "location_required"),
        ({"releasable_to": ["usa"]}, "releasable_to[0]", "releasability_code"),
        ({"releasable_to": "USA"}, "releasable_to", "type"),
        ({"releasable_to": []}, "releasable_to", "length"),
        (
            {"attachments": [{"sha256": "ab", "media_type": "image/jpeg", "name": "a.jpg"}]},
            "attachments[0].sha256",
            "sha256",
        ),
        (
            {"attachments": [{"sha256": "a" * 64, "media_type": "jpeg", "name": "a.jpg"}]},
            "attachments[0].media_type",
            "media_type",
        ),
        (
            {"attachments": [{"sha256": "a" * 64, "media_type": "image/jpeg"}]},
            "attachments[0].name",
            "type",
        ),
        (
            {
                "attachments": [
                    {"sha256": "a" * 64, "media_type": "image/jpeg", "name": "a", "url": "http://x"}
                ]
            },
            "attachments[0].url",
            "unknown_field",
        ),
        ({"uncertainity_m": 50}, "uncertainity_m", "unknown_field"),
    ],
)
def test_each_rule_names_field_and_rule(
    overrides: dict[str, object], field: str, rule: str
) -> None:
    assert rule_of(report_obj(**overrides)) == (field, rule)


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"bearing_deg": 135}, "observer_lat", "required_with"),
        ({"observer_lat": 48.0, "observer_lon": 37.0, "bearing_deg": 400}, "bearing_deg", "range"),
        (
            {
                "observer_lat": 48.0,
                "observer_lon": 37.0,
                "bearing_deg": 90,
                "bearing_error_deg": -1,
            },
            "bearing_error_deg",
            "range",
        ),
        (
            {
                "observer_lat": 48.0,
                "observer_lon": 37.0,
                "bearing_deg": 90,
                "distance_min_m": 5000,
                "distance_max_m": 3000,
            },
            "distance_max_m",
            "order",
        ),
        ({"distance_min_m": 3000}, "bearing_deg", "required_with"),
        ({"observer_lat": 48.0}, "observer_lon", "required_with"),
    ],
)
def test_bearing_form_rules(overrides: dict[str, object], field: str, rule: str) -> None:
    obj = report_obj(lat=REMOVE, lon=REMOVE, uncertainty_m=REMOVE, **overrides)
    assert rule_of(obj) == (field, rule)


def test_each_location_form_alone_is_enough_and_several_are_kept() -> None:
    bearing = report_obj(
        lat=REMOVE,
        lon=REMOVE,
        observer_lat=48.0,
        observer_lon=37.5,
        bearing_deg=135,
        distance_min_m=3000,
        distance_max_m=5000,
    )
    assert parse_report(bearing).bearing_error_deg is None
    place = report_obj(lat=REMOVE, lon=REMOVE, place="Авдіївка")
    assert parse_report(place).place == "Авдіївка"
    both = parse_report(report_obj(place="Avdiivka", observer_lat=48.0, observer_lon=37.5))
    assert (both.lat, both.place, both.observer_lat) == (48.1402, "Avdiivka", 48.0)


def test_bounds_are_inclusive_where_the_spec_says_so() -> None:
    report = parse_report(report_obj(lat=90, lon=-180, heading_deg=360, count=1, credibility=6))
    assert (report.lat, report.lon, report.heading_deg) == (90.0, -180.0, 360.0)


def test_null_means_absent_for_optional_fields() -> None:
    report = parse_report(report_obj(weapon_class=None, observed_until=None, place=None))
    assert report.weapon_class is None


def test_withdrawal_and_amendment() -> None:
    report = parse_report(report_obj(id="op12-8", amends="op12-2026-03-01-0007", withdrawn=True))
    assert (report.amends, report.withdrawn) == ("op12-2026-03-01-0007", True)


def test_releasability_and_attachments_are_normalised() -> None:
    sha = "AB" * 32
    report = parse_report(
        report_obj(
            releasable_to=["USA", "FRA", "MNF", "FVEY"],
            attachments=[{"sha256": sha, "media_type": "Image/JPEG", "name": "crater 1.jpg"}],
        )
    )
    assert report.releasable_to == ("USA", "FRA", "MNF", "FVEY")
    assert report.attachments[0].sha256 == sha.lower()
    assert report.attachments[0].media_type == "image/jpeg"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T14:02:00Z", datetime(2026, 3, 1, 14, 2, tzinfo=UTC)),
        ("2026-03-01t14:02:00z", datetime(2026, 3, 1, 14, 2, tzinfo=UTC)),
        ("2026-03-01 14:02:00-05:30", datetime(2026, 3, 1, 19, 32, tzinfo=UTC)),
        ("2026-03-01T14:02:00.123456789+01:00", datetime(2026, 3, 1, 13, 2, 0, 123456, UTC)),
    ],
)
def test_rfc3339_variants(text: str, expected: datetime) -> None:
    assert parse_report(report_obj(observed_at=text)).observed_at == expected


def test_not_an_object() -> None:
    with pytest.raises(InputError) as info:
        parse_report([1, 2])  # type: ignore[arg-type]
    assert (info.value.field, info.value.rule) == ("(report)", "object")
