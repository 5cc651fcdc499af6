"""Load and validate an agreement YAML file (spec: ``shared/spec/agreement.md``).

Validation is strict, because an agreement decides what counts as a violation: unknown keys,
unknown parties, zones, categories or weapon classes, naive timestamps, widths out of range,
missing or wrongly typed geometry files all raise ``AgreementError`` naming the key path
(``zones[2].width_km.RUS``) and the rule. Project extensions to the spec (all optional) are
documented in ``docs/agreement.md``: ``note``, ``hypothetical``, ``storage_site_radius_m`` at
the top; ``note``, ``illustrative`` on zones; ``note`` on rules.

>>> from ceasefire.scenarios import scenario_dir
>>> load_agreement(scenario_dir("minsk-2015") / "agreement.yaml").party_ids
('UKR', 'RBAF')
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml

from ceasefire.agreement.fields import Fields, check_number
from ceasefire.agreement.geofiles import GeometryKind, read_features
from ceasefire.agreement.model import (
    DEFAULT_STORAGE_SITE_RADIUS_M,
    STORAGE_SITES,
    Agreement,
    Party,
    Rule,
    SideOfLine,
    Zone,
    ZoneKind,
)
from ceasefire.errors import AgreementError
from ceasefire.reports.model import Category, WeaponClass

_TOP_KEYS = [
    "id",
    "name",
    "version",
    "in_force_from",
    "parties",
    "contact_line",
    "party_areas",
    "zones",
    "storage_sites",
    "storage_site_radius_m",
    "rules",
    "note",
    "hypothetical",
]
_PARTY_KEYS = ("id", "name", "side_of_line")
_ZONE_KEYS = ("id", "kind", "width_km", "baseline", "geometry", "in_force_from", "note")
_ZONE_KEYS_EXT = (*_ZONE_KEYS, "illustrative")
_RULE_KEYS = [
    "id",
    "article",
    "categories",
    "weapon_classes",
    "anywhere",
    "inside_zone",
    "except_at",
    "severity",
    "in_force_from",
    "deadline_h",
    "limits",
    "note",
]
_E = TypeVar("_E", Category, WeaponClass)

#: Widest band any real agreement drew was Minsk II's 140 km (70 per side); 500 leaves room.
MAX_WIDTH_KM = 500.0


def load_agreement(path: Path) -> Agreement:
    """Read, validate and return the agreement in ``path`` (GeoJSON files relative to it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AgreementError("<file>", "unreadable", f"cannot read {path}: {exc}") from exc
    return parse_agreement(text, base_dir=path.resolve().parent)


def parse_agreement(text: str, *, base_dir: Path) -> Agreement:
    """Validate agreement YAML ``text``; relative geometry paths resolve against ``base_dir``."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AgreementError("<file>", "yaml", f"not valid YAML: {exc}") from exc
    top = Fields(raw, "")
    top.check_keys(_TOP_KEYS)
    parties = _parties(top)
    party_ids = tuple(p.id for p in parties)
    contact_line = top.string("contact_line")
    read_features(base_dir / contact_line, kind=GeometryKind.LINE, key="contact_line")
    party_areas = top.string("party_areas")
    _check_party_areas(base_dir / party_areas, party_ids)
    radius_m = DEFAULT_STORAGE_SITE_RADIUS_M
    if top.has("storage_site_radius_m"):
        radius_m = top.number("storage_site_radius_m", low=0.0, high=50_000.0, low_open=True)
    storage_sites = top.opt_string("storage_sites")
    if storage_sites is not None:
        _check_storage_sites(base_dir / storage_sites, party_ids)
    zones = _zones(top, party_ids, base_dir)
    rules = _rules(top, tuple(z.id for z in zones), has_sites=storage_sites is not None)
    return Agreement(
        id=top.string("id"),
        version=top.integer("version", low=1, high=1_000_000),
        name=top.string("name"),
        in_force_from=top.opt_datetime("in_force_from"),
        parties=parties,
        zones=zones,
        rules=rules,
        contact_line_path=contact_line,
        party_areas_path=party_areas,
        storage_sites_path=storage_sites,
        base_dir=base_dir,
        source_text=text,
        storage_site_radius_m=radius_m,
        hypothetical=top.boolean("hypothetical", False),
        note=top.opt_string("note"),
    )


def _parties(top: Fields) -> tuple[Party, ...]:
    items = top.sequence("parties", required=True)
    if len(items) < 2:
        raise AgreementError("parties", "range", "an agreement needs at least two parties")
    parties: list[Party] = []
    for i, item in enumerate(items):
        f = Fields(item, f"parties[{i}]")
        f.check_keys(_PARTY_KEYS)
        pid = f.string("id")
        if any(p.id == pid for p in parties):
            raise AgreementError(f.at("id"), "duplicate", f"party id {pid!r} is used twice")
        side = f.string("side_of_line")
        if side not in set(SideOfLine):
            raise AgreementError(
                f.at("side_of_line"), "enum", f"{side!r} is not one of {', '.join(SideOfLine)}"
            )
        parties.append(Party(pid, f.string("name"), SideOfLine(side)))
    return tuple(parties)


def _zones(top: Fields, party_ids: tuple[str, ...], base_dir: Path) -> tuple[Zone, ...]:
    zones: list[Zone] = []
    for i, item in enumerate(top.sequence("zones", required=False)):
        f = Fields(item, f"zones[{i}]")
        f.check_keys(_ZONE_KEYS_EXT)
        zid = f.string("id")
        if zid == STORAGE_SITES or any(z.id == zid for z in zones):
            raise AgreementError(f.at("id"), "duplicate", f"zone id {zid!r} is taken")
        kind_text = f.string("kind")
        if kind_text not in set(ZoneKind):
            raise AgreementError(f.at("kind"), "enum", f"{kind_text!r} is not buffer or area")
        kind = ZoneKind(kind_text)
        width: dict[str, float] = {}
        baselines: dict[str, str] = {}
        geometry: str | None = None
        if kind is ZoneKind.BUFFER:
            widths = f.mapping("width_km")
            if widths is None:
                raise AgreementError(f.at("width_km"), "required", "a buffer zone needs width_km")
            for party, value in widths.raw.items():
                key = widths.at(str(party))
                _known_party(str(party), party_ids, key)
                width[str(party)] = check_number(
                    value, key, low=0.0, high=MAX_WIDTH_KM, low_open=True
                )
            lines = f.mapping("baseline")
            for party, value in lines.raw.items() if lines else ():
                key = f"{f.at('baseline')}.{party}"
                _known_party(str(party), party_ids, key)
                if not isinstance(value, str):
                    raise AgreementError(key, "type", "must be a path to a GeoJSON line")
                read_features(base_dir / value, kind=GeometryKind.LINE, key=key)
                baselines[str(party)] = value
            if f.has("geometry"):
                raise AgreementError(
                    f.at("geometry"), "not_allowed", "buffer zones take no geometry"
                )
        else:
            for key in ("width_km", "baseline"):
                if f.has(key):
                    raise AgreementError(f.at(key), "not_allowed", f"area zones take no {key}")
            geometry = f.string("geometry")
            read_features(base_dir / geometry, kind=GeometryKind.POLYGON, key=f.at("geometry"))
        zones.append(
            Zone(
                id=zid,
                kind=kind,
                width_km=width,
                baselines=baselines,
                geometry_path=geometry,
                in_force_from=f.opt_datetime("in_force_from"),
                note=f.opt_string("note"),
                illustrative=f.boolean("illustrative", False),
            )
        )
    return tuple(zones)


def _rules(top: Fields, zone_ids: tuple[str, ...], *, has_sites: bool) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for i, item in enumerate(top.sequence("rules", required=True)):
        f = Fields(item, f"rules[{i}]")
        f.check_keys(_RULE_KEYS)
        rid = f.string("id")
        if any(r.id == rid for r in rules):
            raise AgreementError(f.at("id"), "duplicate", f"rule id {rid!r} is used twice")
        categories = _enum_set(f, "categories", Category, required=True)
        assert categories is not None  # required=True never yields None
        weapons = _enum_set(f, "weapon_classes", WeaponClass, required=False)
        anywhere = f.boolean("anywhere", False)
        inside = f.opt_string("inside_zone")
        if inside is not None and inside not in zone_ids:
            raise AgreementError(f.at("inside_zone"), "unknown_zone", f"no zone {inside!r}")
        if anywhere == (inside is not None):
            raise AgreementError(
                f.at("inside_zone"), "where", "give exactly one of anywhere: true or inside_zone"
            )
        except_at = f.opt_string("except_at")
        if except_at is not None:
            if except_at == STORAGE_SITES and not has_sites:
                raise AgreementError(
                    f.at("except_at"), "unknown_zone", "except_at storage_sites needs storage_sites"
                )
            if except_at != STORAGE_SITES and except_at not in zone_ids:
                raise AgreementError(f.at("except_at"), "unknown_zone", f"no zone {except_at!r}")
        limits = f.mapping("limits")
        rules.append(
            Rule(
                id=rid,
                article=f.string("article"),
                categories=categories,
                weapon_classes=weapons,
                anywhere=anywhere,
                inside_zone=inside,
                except_at=except_at,
                severity=f.integer("severity", low=1, high=5),
                in_force_from=f.opt_datetime("in_force_from"),
                deadline_h=(
                    f.number("deadline_h", low=0.0, high=100_000.0) if f.has("deadline_h") else None
                ),
                limits={str(k): v for k, v in limits.raw.items()} if limits else {},
                note=f.opt_string("note"),
            )
        )
    return tuple(rules)


def _enum_set(f: Fields, key: str, enum: type[_E], *, required: bool) -> frozenset[_E] | None:
    if not f.has(key) and not required:
        return None
    items = f.sequence(key, required=True)
    if not items:
        raise AgreementError(f.at(key), "empty", f"{key} must not be empty")
    values: set[_E] = set()
    for j, item in enumerate(items):
        if not isinstance(item, str) or item not in set(enum):
            raise AgreementError(
                f"{f.at(key)}[{j}]", "unknown_" + enum.__name__.lower(), f"unknown {key} {item!r}"
            )
        values.add(enum(item))
    return frozenset(values)


def _known_party(party: str, party_ids: tuple[str, ...], key: str) -> None:
    if party not in party_ids:
        raise AgreementError(key, "unknown_party", f"no party {party!r} (parties: {party_ids})")


def _check_party_areas(path: Path, party_ids: tuple[str, ...]) -> None:
    features = read_features(path, kind=GeometryKind.POLYGON, key="party_areas")
    seen = set()
    for i, feature in enumerate(features):
        party = feature.properties.get("party")
        _known_party(str(party), party_ids, f"party_areas[{i}].party")
        seen.add(str(party))
    for pid in party_ids:
        if pid not in seen:
            raise AgreementError("party_areas", "required", f"party {pid!r} has no area")


def _check_storage_sites(path: Path, party_ids: tuple[str, ...]) -> None:
    features = read_features(path, kind=GeometryKind.POINT, key="storage_sites")
    for i, feature in enumerate(features):
        party = feature.properties.get("party")
        if party is not None:
            _known_party(str(party), party_ids, f"storage_sites[{i}].party")
        radius = feature.properties.get("radius_m")
        if radius is not None:
            check_number(radius, f"storage_sites[{i}].radius_m", low=0, high=50_000, low_open=True)
