"""Loading the agreement: both scenarios load; broken files fail with key path and rule."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from ceasefire.agreement import STORAGE_SITES, ZoneKind, load_agreement, parse_agreement
from ceasefire.errors import AgreementError
from ceasefire.geo import compile_geography
from ceasefire.reports.model import Category, WeaponClass
from ceasefire.scenarios import scenario_dir


@pytest.mark.parametrize("name", ["minsk-2015", "paris-2026"])
def test_scenarios_load_and_compile(name: str) -> None:
    agreement = load_agreement(scenario_dir(name) / "agreement.yaml")
    assert agreement.source_text == (scenario_dir(name) / "agreement.yaml").read_text()
    assert all(rule.article for rule in agreement.rules)
    geography = compile_geography(agreement)
    assert geography.zone_ids == agreement.zone_ids
    doc = geography.to_geojson()
    layers = {f["properties"]["layer"] for f in doc["features"]}
    assert layers == {"contact_line", "party_area", "zone", "storage_site"}


def test_minsk_facts() -> None:
    minsk = load_agreement(scenario_dir("minsk-2015") / "agreement.yaml")
    assert minsk.in_force_from == datetime(2015, 2, 14, 22, tzinfo=UTC)  # 00:00 Kyiv
    assert minsk.party_ids == ("UKR", "RBAF")
    widths = {z.id: dict(z.width_km) for z in minsk.zones if z.kind is ZoneKind.BUFFER}
    assert widths["security-zone"] == {"UKR": 15, "RBAF": 15}
    assert widths["withdrawal-artillery-ge100"] == {"UKR": 25, "RBAF": 25}
    assert widths["withdrawal-mlrs"] == {"UKR": 35, "RBAF": 35}
    assert widths["withdrawal-heavy-mlrs"] == {"UKR": 70, "RBAF": 70}
    r4 = next(r for r in minsk.rules if r.id == "R4")
    assert r4.weapon_classes == frozenset({WeaponClass.HEAVY_MLRS, WeaponClass.TACTICAL_MISSILE})
    assert r4.except_at == STORAGE_SITES
    zolote = minsk.zone("disengagement-zolote")
    assert zolote.illustrative
    r7 = next(r for r in minsk.rules if r.inside_zone == "disengagement-zolote")
    assert minsk.rule_in_force_from(r7) == datetime(2016, 9, 20, 21, tzinfo=UTC)


def test_paris_is_marked_hypothetical() -> None:
    paris = load_agreement(scenario_dir("paris-2026") / "agreement.yaml")
    assert paris.hypothetical
    assert any(Category.ATTACK_ON_FORCE in r.categories for r in paris.rules)
    assert all(z.illustrative for z in paris.zones)


@pytest.fixture
def minsk_copy(tmp_path: Path) -> Path:
    """A writable copy of the minsk-2015 scenario (YAML and geometry)."""
    target = tmp_path / "minsk"
    shutil.copytree(scenario_dir("minsk-2015") / "geo", target / "geo")
    shutil.copy(scenario_dir("minsk-2015") / "agreement.yaml", target / "agreement.yaml")
    return target


def _broken(doc: dict[str, object], change: str) -> None:
    """Apply one named breakage to the parsed YAML."""
    zones = doc["zones"]
    rules = doc["rules"]
    assert isinstance(zones, list)
    assert isinstance(rules, list)
    match change:
        case "unknown_top":
            doc["ceasefire_line"] = "x"
        case "missing_name":
            del doc["name"]
        case "naive_time":
            doc["in_force_from"] = "2015-02-15T00:00:00"
        case "width_range":
            zones[2]["width_km"]["RBAF"] = -5
        case "width_type":
            zones[2]["width_km"]["RBAF"] = "wide"
        case "width_party":
            zones[2]["width_km"]["DPR"] = 10
        case "zone_kind":
            zones[0]["kind"] = "strip"
        case "rule_zone":
            rules[1]["inside_zone"] = "nowhere"
        case "rule_category":
            rules[0]["categories"].append("gunfire")
        case "rule_weapon":
            rules[1]["weapon_classes"] = ["howitzer"]
        case "rule_severity":
            rules[0]["severity"] = 9
        case "rule_where":
            rules[0]["inside_zone"] = "security-zone"
        case "missing_geometry":
            zones[6]["geometry"] = "geo/nowhere.geojson"
        case "line_as_area":
            zones[6]["geometry"] = "geo/contact-line.geojson"
        case "duplicate_zone":
            zones[1]["id"] = "security-zone"
        case "unknown_zone_key":
            zones[0]["widths"] = 3


BROKEN = [
    ("unknown_top", "ceasefire_line", "unknown_key"),
    ("missing_name", "name", "required"),
    ("naive_time", "in_force_from", "timezone"),
    ("width_range", "zones[2].width_km.RBAF", "range"),
    ("width_type", "zones[2].width_km.RBAF", "type"),
    ("width_party", "zones[2].width_km.DPR", "unknown_party"),
    ("zone_kind", "zones[0].kind", "enum"),
    ("rule_zone", "rules[1].inside_zone", "unknown_zone"),
    ("rule_category", "rules[0].categories[5]", "unknown_category"),
    ("rule_weapon", "rules[1].weapon_classes[0]", "unknown_weaponclass"),
    ("rule_severity", "rules[0].severity", "range"),
    ("rule_where", "rules[0].inside_zone", "where"),
    ("missing_geometry", "zones[6].geometry", "missing_file"),
    ("line_as_area", "zones[6].geometry", "geometry_type"),
    ("duplicate_zone", "zones[1].id", "duplicate"),
    ("unknown_zone_key", "zones[0].widths", "unknown_key"),
]


@pytest.mark.parametrize(("change", "field", "rule"), BROKEN)
def test_broken_files_name_key_and_rule(
    minsk_copy: Path, change: str, field: str, rule: str
) -> None:
    path = minsk_copy / "agreement.yaml"
    doc = yaml.safe_load(path.read_text())
    _broken(doc, change)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(AgreementError) as caught:
        load_agreement(path)
    assert (caught.value.field, caught.value.rule) == (field, rule)
    assert field in str(caught.value)


def test_bad_party_area_file(minsk_copy: Path) -> None:
    areas = minsk_copy / "geo" / "party-areas.geojson"
    areas.write_text(areas.read_text().replace('"RBAF"', '"DPR"'))
    with pytest.raises(AgreementError) as caught:
        load_agreement(minsk_copy / "agreement.yaml")
    assert caught.value.field == "party_areas[1].party"
    assert caught.value.rule == "unknown_party"


def test_not_yaml_and_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(AgreementError) as caught:
        parse_agreement("id: [unclosed", base_dir=tmp_path)
    assert caught.value.rule == "yaml"
    with pytest.raises(AgreementError) as caught:
        parse_agreement("- just a list", base_dir=tmp_path)
    assert caught.value.rule == "type"
