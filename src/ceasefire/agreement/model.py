"""The ceasefire agreement as data (spec: ``shared/spec/agreement.md``, version 1).

One agreement *version* is one YAML file plus the GeoJSON files it names. Everything here is
immutable: a changed agreement is a new version with its own ``in_force_from``, and monitoring
results are judged against the version in force when a report was observed.

Paths in the model (``contact_line_path``, ``Zone.geometry_path``, ``Zone.baselines``) are the
strings written in the file, relative to ``Agreement.base_dir``; ``Agreement.resolve`` turns them
into paths. The verbatim YAML is kept in ``source_text`` so a store can archive each version
exactly as it was loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from ceasefire.reports.model import Category, WeaponClass

#: ``except_at`` value meaning "at any of the agreement's storage sites".
STORAGE_SITES = "storage_sites"

#: Radius of a storage site when its GeoJSON feature has no ``radius_m`` property: a
#: weapons-holding compound with its vehicle park (SMM "permanent storage sites" were
#: typically a few hundred metres across), so 500 m.
DEFAULT_STORAGE_SITE_RADIUS_M = 500.0


class SideOfLine(StrEnum):
    """Where a party stands relative to the contact line (informative; areas decide)."""

    WEST = "west"
    EAST = "east"
    NORTH = "north"
    SOUTH = "south"


class ZoneKind(StrEnum):
    """``buffer``: a band along a line into one party's side; ``area``: an explicit polygon."""

    BUFFER = "buffer"
    AREA = "area"


@dataclass(frozen=True, slots=True)
class Party:
    """A party to the agreement; ``id`` is what zones, areas and sites refer to."""

    id: str
    name: str
    side_of_line: SideOfLine


@dataclass(frozen=True, slots=True)
class Zone:
    """A zone of the agreement.

    ``width_km`` (buffer only): depth of the band on each party's side, km, measured
    geodesically from the contact line or from that party's entry in ``baselines`` (a path to
    a GeoJSON line). ``geometry_path`` (area only): a GeoJSON (Multi)Polygon.
    ``in_force_from`` is ``None`` when the zone starts with the agreement itself.
    """

    id: str
    kind: ZoneKind
    width_km: Mapping[str, float] = field(default_factory=dict)
    baselines: Mapping[str, str] = field(default_factory=dict)
    geometry_path: str | None = None
    in_force_from: datetime | None = None
    note: str | None = None
    illustrative: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    """What is forbidden where; a report breaks a rule when its category (and weapon class,
    when the rule names any) matches and it lies ``anywhere`` or inside ``inside_zone``,
    unless it lies at ``except_at`` (``storage_sites`` or a zone id).
    ``severity`` 1 (minor) .. 5 (grave); ``deadline_h`` e.g. 336 for "within 14 days".
    """

    id: str
    article: str
    categories: frozenset[Category]
    weapon_classes: frozenset[WeaponClass] | None = None
    anywhere: bool = False
    inside_zone: str | None = None
    except_at: str | None = None
    severity: int = 1
    in_force_from: datetime | None = None
    deadline_h: float | None = None
    limits: Mapping[str, object] = field(default_factory=dict)
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Agreement:
    """One version of a ceasefire agreement, validated.

    ``in_force_from`` is ``None`` while no ceasefire is in force (a draft). ``base_dir`` is the
    directory of the YAML file; relative paths resolve against it.
    """

    id: str
    version: int
    name: str
    in_force_from: datetime | None
    parties: tuple[Party, ...]
    zones: tuple[Zone, ...]
    rules: tuple[Rule, ...]
    contact_line_path: str
    party_areas_path: str
    storage_sites_path: str | None
    base_dir: Path
    source_text: str
    storage_site_radius_m: float = DEFAULT_STORAGE_SITE_RADIUS_M
    hypothetical: bool = False
    note: str | None = None

    @property
    def party_ids(self) -> tuple[str, ...]:
        """Party ids in file order (the order ``Placements.party_index`` refers to)."""
        return tuple(p.id for p in self.parties)

    @property
    def zone_ids(self) -> tuple[str, ...]:
        """Zone ids in file order."""
        return tuple(z.id for z in self.zones)

    def zone(self, zone_id: str) -> Zone:
        """The zone with this id; ``KeyError`` when there is none."""
        for zone in self.zones:
            if zone.id == zone_id:
                return zone
        raise KeyError(zone_id)

    def resolve(self, relative: str) -> Path:
        """A path written in the file, resolved against the file's directory."""
        return (self.base_dir / relative).resolve()

    def zone_in_force_from(self, zone: Zone) -> datetime | None:
        """When a zone starts to apply: the later of the agreement's and the zone's start."""
        return _later(self.in_force_from, zone.in_force_from)

    def rule_in_force_from(self, rule: Rule) -> datetime | None:
        """When a rule starts to apply: the latest of agreement, rule and its zone's start."""
        start = _later(self.in_force_from, rule.in_force_from)
        if rule.inside_zone is not None:
            start = _later(start, self.zone(rule.inside_zone).in_force_from)
        return start


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later of two optional starts; ``None`` (not in force) stays ``None`` for ``a``."""
    if a is None:
        return None
    if b is None:
        return a
    return max(a, b)
