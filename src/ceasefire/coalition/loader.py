"""Parsing and validating the coalition files: coalition, pledges and requirements YAML.

Every item is checked in full (capability in the catalogue, caveat type known, quantities not
negative, nation and area in the registry, status ladder in order, ids unique); every problem
becomes a ``LocatedError`` with file, line and rule, and a file with any problem is refused as a
whole (``RefusedFileError``), so nothing is ever half-loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from ceasefire.coalition.catalogue import AreaKind, Capability, Domain, PledgeStatus, Task
from ceasefire.coalition.caveats import Caveat, Geographic, parse_caveat
from ceasefire.coalition.model import (
    Area,
    Declaration,
    Member,
    MemberKind,
    MemberRole,
    Pledge,
    Registry,
    Requirement,
    Sourced,
    StatusChange,
    check_ladder,
)
from ceasefire.coalition.yamlfile import Fields, LocatedError, RefusedFileError, YNode, compose_file
from ceasefire.errors import InputError

T = TypeVar("T")

#: Area kinds each domain may serve in: ships at sea, aircraft anywhere, land forces ashore.
DOMAIN_AREAS: dict[Domain, frozenset[AreaKind]] = {
    Domain.LAND: frozenset({AreaKind.UKRAINE, AreaKind.NEIGHBOUR, AreaKind.HOME}),
    Domain.AIR: frozenset(AreaKind),
    Domain.MARITIME: frozenset({AreaKind.SEA}),
}


@dataclass(frozen=True, slots=True)
class CoalitionScenario:
    """A scenario's registry, pledges and CJSOR, validated together."""

    registry: Registry
    pledges: tuple[Pledge, ...]
    requirements: tuple[Requirement, ...]


def _sourced(f: Fields) -> Sourced:
    return Sourced(f.string("source"), f.day("as_of"), f.boolean("illustrative", False))


def _each(
    root: YNode, key: str, parse: Callable[[YNode], T], errors: list[LocatedError]
) -> list[tuple[T, YNode]]:
    """Parse every item of the list under ``key``, collecting errors instead of stopping."""
    try:
        node = Fields(root).child(key)
        if node is None:
            raise root.error("required", f"missing top-level key {key!r}", key)
        items = list(node.items())
    except LocatedError as exc:
        errors.append(exc)
        return []
    out: list[tuple[T, YNode]] = []
    for item in items:
        try:
            out.append((parse(item), item))
        except LocatedError as exc:
            errors.append(exc)
    return out


def _unique(
    parsed: list[tuple[T, YNode]], ids: Callable[[T], str], errors: list[LocatedError]
) -> list[T]:
    """The parsed items, with an error for every id seen before (rule ``duplicate-id``)."""
    seen: set[str] = set()
    for item, node in parsed:
        key = ids(item)
        if key in seen:
            id_node = Fields(node).child("id") or node
            errors.append(id_node.error("duplicate-id", f"id {key!r} appears twice"))
        seen.add(key)
    return [item for item, _node in parsed]


def parse_registry(path: Path) -> Registry:
    """Read ``coalition.yaml``: members, areas, declarations and default assumptions."""
    root = compose_file(path)
    errors: list[LocatedError] = []
    members = _unique(_each(root, "members", _member, errors), lambda m: m.id, errors)
    areas = _unique(_each(root, "areas", _area, errors), lambda a: a.id, errors)
    member_ids = {m.id for m in members}
    declarations = _unique(
        _each(root, "declarations", lambda n: _declaration(n, member_ids), errors),
        lambda d: d.id,
        errors,
    )
    assumptions: dict[str, bool] = {}
    fields = Fields(root)
    node = fields.child("assumptions")
    if node is not None:
        try:
            for key, child in node.mapping().items():
                value = child.value()
                if isinstance(value, dict):
                    value = value.get("value")
                if not isinstance(value, bool):
                    raise child.error("type", f"assumption {key!r} must be true or false")
                assumptions[key] = value
        except LocatedError as exc:
            errors.append(exc)
    if errors:
        raise RefusedFileError(str(path), errors)
    return Registry(tuple(members), tuple(areas), tuple(declarations), assumptions)


def _member(node: YNode) -> Member:
    f = Fields(node)
    f.unknown_keys({"id", "name", "kind", "role", "source", "as_of", "illustrative", "note"})
    return Member(
        id=f.string("id"),
        name=f.string("name"),
        kind=f.choice("kind", MemberKind, "unknown-kind"),
        role=f.choice("role", MemberRole, "unknown-role"),
        sourced=_sourced(f),
        note=f.string("note", ""),
    )


def _area(node: YNode) -> Area:
    f = Fields(node)
    f.unknown_keys(
        {
            "id",
            "name",
            "kind",
            "nato_soil",
            "distance_to_line_km",
            "source",
            "as_of",
            "illustrative",
        }
    )
    kind = f.choice("kind", AreaKind, "unknown-kind")
    distance = f.number("distance_to_line_km", minimum=0.0)
    if kind is AreaKind.UKRAINE and distance is None:
        raise node.error("required", "an area of Ukraine needs distance_to_line_km")
    return Area(
        id=f.string("id"),
        name=f.string("name"),
        kind=kind,
        nato_soil=f.boolean("nato_soil", False),
        distance_to_line_km=distance,
        sourced=_sourced(f),
    )


def _declaration(node: YNode, member_ids: Collection[str]) -> Declaration:
    f = Fields(node)
    f.unknown_keys(
        {"id", "title", "signed_on", "signatories", "source", "as_of", "illustrative", "note"}
    )
    signatories = f.strings("signatories")
    for i, code in enumerate(signatories):
        if code not in member_ids:
            child = f.child("signatories")
            assert child is not None
            raise child.error(
                "unknown-member",
                f"signatory {code!r} is not a member",
                f"{node.path}.signatories[{i}]",
            )
    return Declaration(
        id=f.string("id"),
        title=f.string("title"),
        signed_on=f.day("signed_on"),
        signatories=tuple(signatories),
        sourced=_sourced(f),
        note=f.string("note", ""),
    )


_PLEDGE_KEYS = {
    "id", "nation", "capability", "domain", "units", "personnel", "readiness_days", "rotations",
    "areas", "caveats", "status", "source", "as_of", "illustrative", "note",
}  # fmt: skip


def parse_pledges(
    path: Path,
    registry: Registry,
    *,
    display: str | None = None,
    existing_ids: Collection[str] = (),
) -> list[Pledge]:
    """Read ``pledges.yaml`` against ``registry``; refuse the whole file on any error.

    ``existing_ids`` are pledges already stored: naming one again is refused
    (``duplicate-id``), because a pledge is never overwritten — its status changes are
    appended with ``set-status`` instead.
    """
    root = compose_file(path, display)
    errors: list[LocatedError] = []

    def one(node: YNode) -> Pledge:
        pledge = parse_pledge(node, registry)
        if pledge.id in existing_ids:
            id_node = Fields(node).child("id") or node
            raise id_node.error("duplicate-id", f"pledge {pledge.id!r} is already stored")
        return pledge

    pledges = _unique(_each(root, "pledges", one, errors), lambda p: p.id, errors)
    if errors:
        raise RefusedFileError(display or str(path), errors)
    return pledges


def parse_pledge(node: YNode, registry: Registry) -> Pledge:
    """One pledge item; ``areas:`` is shorthand for a ``geographic`` caveat."""
    f = Fields(node)
    f.unknown_keys(_PLEDGE_KEYS)
    nation = f.string("nation")
    if nation not in registry.member_ids():
        raise (f.child("nation") or node).error(
            "unknown-nation", f"nation {nation!r} is not in the coalition registry"
        )
    capability = f.choice("capability", Capability, "unknown-capability")
    domain = f.choice("domain", Domain, "unknown-domain", default=capability.domain)
    if domain is not capability.domain:
        raise (f.child("domain") or node).error(
            "domain-mismatch", f"{capability} is a {capability.domain} capability, not {domain}"
        )
    units = f.integer("units", minimum=1)
    personnel = f.integer("personnel", minimum=0, default=units * capability.typical_personnel)
    known_areas = registry.area_by_id()
    caveats: list[Caveat] = []
    areas = f.strings("areas")
    if areas:
        caveats.append(Geographic(frozenset(areas)))
    cav_node = f.child("caveats")
    if cav_node is not None:
        for item in cav_node.items():
            raw = item.value()
            if not isinstance(raw, dict):
                raise item.error("type", "a caveat is a mapping with a 'type' key")
            try:
                caveats.append(parse_caveat(raw, field=item.path))
            except InputError as exc:
                raise LocatedError(item.file, item.line, exc.field, exc.rule, exc.message) from exc
    for caveat in caveats:
        if isinstance(caveat, Geographic):
            for area in sorted(caveat.areas - set(known_areas)):
                raise (f.child("areas") or cav_node or node).error(
                    "unknown-area", f"area {area!r} is not in the registry"
                )
    history = _history(f, node)
    return Pledge(
        id=f.string("id"),
        nation=nation,
        capability=capability,
        units=units,
        personnel=personnel,
        readiness_days=f.integer("readiness_days", minimum=0),
        rotations=f.integer("rotations", minimum=1, default=1),
        caveats=tuple(caveats),
        history=history,
        sourced=_sourced(f),
        note=f.string("note", ""),
    )


def _history(f: Fields, node: YNode) -> tuple[StatusChange, ...]:
    """The ``status:`` list (oldest first), or one ``intent`` rung dated ``as_of``."""
    st_node = f.child("status")
    if st_node is None:
        sourced = _sourced(f)
        at = datetime(sourced.as_of.year, sourced.as_of.month, sourced.as_of.day, tzinfo=UTC)
        return (StatusChange(PledgeStatus.INTENT, at, "registry", sourced.source),)
    changes: list[StatusChange] = []
    for item in st_node.items():
        g = Fields(item)
        g.unknown_keys({"status", "at", "by", "source", "note"})
        change = StatusChange(
            status=g.choice("status", PledgeStatus, "unknown-status"),
            at=g.instant("at"),
            by=g.string("by"),
            source=g.string("source"),
            note=g.string("note", ""),
        )
        try:
            check_ladder(tuple(changes), change)
        except InputError as exc:
            raise item.error(exc.rule, exc.message) from exc
        changes.append(change)
    if not changes:
        raise st_node.error("required", "status history must not be empty")
    return tuple(changes)


_REQ_KEYS = {
    "id", "capability", "quantity", "area", "task", "start_day", "duration_days", "priority",
    "tour_months", "source", "as_of", "illustrative", "note",
}  # fmt: skip


def parse_requirements(path: Path, registry: Registry) -> list[Requirement]:
    """Read a CJSOR file (``requirements.yaml``) against the registry's areas."""
    root = compose_file(path)
    errors: list[LocatedError] = []
    reqs = _unique(
        _each(root, "requirements", lambda n: parse_requirement(n, registry), errors),
        lambda r: r.id,
        errors,
    )
    if errors:
        raise RefusedFileError(str(path), errors)
    return reqs


def parse_requirement(node: YNode, registry: Registry) -> Requirement:
    """One CJSOR line; its area must exist and suit the capability's domain."""
    f = Fields(node)
    f.unknown_keys(_REQ_KEYS)
    capability = f.choice("capability", Capability, "unknown-capability")
    area_id = f.string("area")
    area = registry.area_by_id().get(area_id)
    if area is None:
        raise (f.child("area") or node).error(
            "unknown-area", f"area {area_id!r} is not in the registry"
        )
    if area.kind not in DOMAIN_AREAS[capability.domain]:
        raise (f.child("area") or node).error(
            "domain-area", f"a {capability.domain} capability cannot serve in a {area.kind} area"
        )
    priority = f.integer("priority", minimum=1)
    if priority > 5:
        raise (f.child("priority") or node).error("range", f"priority is 1..5, got {priority}")
    return Requirement(
        id=f.string("id"),
        capability=capability,
        quantity=f.integer("quantity", minimum=1),
        area=area_id,
        task=f.choice("task", Task, "unknown-task"),
        start_day=f.integer("start_day", minimum=0),
        duration_days=f.integer("duration_days", minimum=1),
        priority=priority,
        tour_months=f.integer("tour_months", minimum=1),
        sourced=_sourced(f),
        note=f.string("note", ""),
    )


def load_scenario(directory: Path) -> CoalitionScenario:
    """Read and cross-check a scenario's three coalition files (the demo's entry point)."""
    registry = parse_registry(directory / "coalition.yaml")
    pledges = parse_pledges(directory / "pledges.yaml", registry)
    requirements = parse_requirements(directory / "requirements.yaml", registry)
    return CoalitionScenario(registry, tuple(pledges), tuple(requirements))
