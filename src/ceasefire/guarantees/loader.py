"""Load and validate a guarantees file (YAML); every error names the key path and the rule.

The format is documented in ``docs/guarantees.md``; ``scenarios/paris-2026/guarantees.yaml``
is the worked example. Unknown keys are errors (a misspelt ``due_hours`` must not silently
mean "no deadline"). Trigger references (``on``, ``of``) must name triggers of the same
instrument, and combinators may not form cycles.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import yaml
from shapely import Polygon

from ceasefire.errors import InputError
from ceasefire.guarantees.model import (
    Airspace,
    Condition,
    ConditionKind,
    Instrument,
    InstrumentSet,
    LegalForm,
    ObligationKind,
    ObligationTemplate,
    Ratification,
    RatificationStatus,
    Source,
    Termination,
)
from ceasefire.guarantees.node import Node
from ceasefire.guarantees.trigger_parse import parse_trigger
from ceasefire.guarantees.triggers import AllOf, AnyOf, Trigger


class InstrumentError(InputError):
    """A guarantees file that cannot be loaded; ``field`` is the key path."""


def load_instruments(path: Path) -> InstrumentSet:
    """Read ``path`` and validate it; ``ceasefire.agreement`` is resolved next to it.

    Raises :class:`InstrumentError` naming the key path (``instruments[1].triggers[0].k``).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InstrumentError(str(path), "readable", f"cannot read the file: {exc}") from exc
    return parse_instruments(text, base_dir=path.parent)


def parse_instruments(
    text: str,
    *,
    base_dir: Path | None = None,
    agreement_in_force_from: Callable[[str], datetime | None] | None = None,
) -> InstrumentSet:
    """Validate a guarantees document given as YAML text (see :func:`load_instruments`).

    ``ceasefire.agreement`` names an agreement file; by default its ``in_force_from`` is read
    from that file under ``base_dir``. ``agreement_in_force_from`` replaces that lookup (the
    store passes the ceasefire instant it resolved when the file was loaded).
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InstrumentError("(document)", "yaml", f"not valid YAML: {exc}") from exc
    root = Node(data, "", InstrumentError)
    root.only_keys({"version", "ceasefire", "airspaces", "instruments"})
    version = root.get("version").integer(default=1)
    if version != 1:
        root.get("version").fail("supported", "only version 1 is supported")
    ceasefire_from = _ceasefire(root.get("ceasefire"), base_dir, agreement_in_force_from)
    airspaces = tuple(_airspace(n) for n in root.get("airspaces").items(default=[]))
    _unique(root.get("airspaces"), [a.id for a in airspaces])
    airspace_ids = {a.id for a in airspaces}
    instruments_node = root.get("instruments")
    instruments = tuple(_instrument(n, airspace_ids) for n in instruments_node.items())
    _unique(instruments_node, [i.id for i in instruments])
    return InstrumentSet(instruments, airspaces, ceasefire_from)


def _ceasefire(
    node: Node, base_dir: Path | None, resolve: Callable[[str], datetime | None] | None
) -> datetime | None:
    if node.missing:
        return None
    node.only_keys({"in_force_from", "agreement"})
    agreement = node.get("agreement")
    if not agreement.missing and resolve is not None:
        return resolve(agreement.string())
    if not agreement.missing:
        if base_dir is None:
            agreement.fail("resolvable", "an agreement path needs the file's directory")
        path = base_dir / agreement.string()
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            agreement.fail("readable", f"cannot read the agreement {path}: {exc}")
        sub = Node(doc, f"{agreement.path}<{path.name}>", InstrumentError)
        return sub.get("in_force_from").opt_timestamp()
    return node.get("in_force_from").opt_timestamp()


def _source(node: Node) -> Source:
    if node.missing:
        return Source()
    if isinstance(node.value, str):
        return Source(url=node.value)
    node.only_keys({"url", "note", "illustrative"})
    return Source(
        url=node.get("url").opt_string(),
        note=node.get("note").opt_string(),
        illustrative=node.get("illustrative").boolean(default=False),
    )


def _airspace(node: Node) -> Airspace:
    node.only_keys({"id", "name", "polygon"})
    poly_node = node.get("polygon")
    ring: list[tuple[float, float]] = []
    for point in poly_node.items():
        pair = point.value
        if not (isinstance(pair, list) and len(pair) == 2):
            point.fail("lon_lat", "a vertex is [lon, lat]")
        lon, lat = point.get(0).number(), point.get(1).number()
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            point.fail("range", f"[{lon}, {lat}] is not a WGS 84 lon/lat")
        ring.append((lon, lat))
    if len(ring) < 3:
        poly_node.fail("polygon", "a polygon needs at least 3 vertices")
    polygon = Polygon(ring)
    if not polygon.is_valid or polygon.area == 0:
        poly_node.fail("valid", "the polygon is not valid (self-intersecting or empty)")
    return Airspace(node.get("id").string(), node.get("name").string(default=""), polygon)


def _instrument(node: Node, airspace_ids: set[str]) -> Instrument:
    node.only_keys(
        {
            "id",
            "title",
            "parties",
            "legal_form",
            "entry_into_force",
            "ratifications",
            "duration_months",
            "termination_notice_months",
            "terminations",
            "triggers",
            "obligations",
            "special_commission",
            "as_reported",
            "sources",
        }
    )
    parties = node.get("parties")
    parties.only_keys({"guarantors", "beneficiary"})
    guarantors = tuple(n.string() for n in parties.get("guarantors").items())
    if not guarantors:
        parties.get("guarantors").fail("non_empty", "at least one guarantor")
    triggers_node = node.get("triggers")
    triggers = tuple(parse_trigger(n, airspace_ids) for n in triggers_node.items(default=[]))
    _unique(triggers_node, [t.id for t in triggers])
    _check_references(triggers_node, triggers)
    trigger_ids = {t.id for t in triggers}
    obligations_node = node.get("obligations")
    obligations = tuple(_obligation(n, trigger_ids) for n in obligations_node.items(default=[]))
    _unique(obligations_node, [o.id for o in obligations])
    ratifications = tuple(_ratification(n) for n in node.get("ratifications").items(default=[]))
    conditions = tuple(_condition(n) for n in node.get("entry_into_force").items())
    return Instrument(
        id=node.get("id").string(),
        title=node.get("title").string(),
        guarantors=guarantors,
        beneficiary=parties.get("beneficiary").string(),
        legal_form=node.get("legal_form").enum(LegalForm),
        conditions=conditions,
        ratifications=ratifications,
        duration_months=node.get("duration_months").opt_integer(minimum=1),
        termination_notice_months=node.get("termination_notice_months").opt_integer(minimum=0),
        terminations=tuple(_termination(n) for n in node.get("terminations").items(default=[])),
        triggers=triggers,
        obligations=obligations,
        special_commission=node.get("special_commission").boolean(default=False),
        as_reported=node.get("as_reported").boolean(default=False),
        sources=tuple(_source(n) for n in node.get("sources").items(default=[])),
    )


def _condition(node: Node) -> Condition:
    node.only_keys({"kind", "parties", "quorum"})
    kind = node.get("kind").enum(ConditionKind)
    parties = tuple(n.string() for n in node.get("parties").items(default=[]))
    if kind is ConditionKind.RATIFICATION and not parties:
        node.get("parties").fail("non_empty", "a ratification condition names its parties")
    quorum = node.get("quorum").opt_integer(minimum=1)
    if quorum is not None and quorum > len(parties):
        node.get("quorum").fail("range", f"quorum {quorum} exceeds the {len(parties)} parties")
    return Condition(kind, parties, quorum)


def _ratification(node: Node) -> Ratification:
    node.only_keys({"party", "status", "date", "source"})
    status = node.get("status").enum(RatificationStatus)
    when = node.get("date").opt_timestamp()
    if status is RatificationStatus.RATIFIED and when is None:
        node.get("date").fail("required", "a ratified status needs its date")
    return Ratification(node.get("party").string(), status, when, _source(node.get("source")))


def _termination(node: Node) -> Termination:
    node.only_keys({"party", "notice_given", "source"})
    notice = node.get("notice_given").timestamp()
    return Termination(node.get("party").string(), notice, _source(node.get("source")))


def _obligation(node: Node, trigger_ids: set[str]) -> ObligationTemplate:
    # The key is ``trigger``, not ``on``: YAML 1.1 reads a bare ``on`` as the boolean true.
    node.only_keys({"id", "trigger", "owner", "kind", "level", "due_h", "text", "source"})
    on = node.get("trigger").string()
    if on not in trigger_ids:
        node.get("trigger").fail("reference", f"no trigger {on!r} in this instrument")
    return ObligationTemplate(
        id=node.get("id").string(),
        on=on,
        owner=node.get("owner").string(),
        kind=node.get("kind").enum(ObligationKind),
        level=node.get("level").integer(default=0, minimum=0, maximum=3),
        due_h=node.get("due_h").number(minimum=0.0),
        text=node.get("text").string(default=""),
        source=_source(node.get("source")),
    )


def _unique(node: Node, ids: list[str]) -> None:
    seen: set[str] = set()
    for i, item_id in enumerate(ids):
        if item_id in seen:
            node.get(i).get("id").fail("unique", f"duplicate id {item_id!r}")
        seen.add(item_id)


def _check_references(node: Node, triggers: tuple[Trigger, ...]) -> None:
    """Combinators name existing triggers of the same instrument and form no cycle."""
    by_id = {t.id: t for t in triggers}
    for i, trigger in enumerate(triggers):
        if isinstance(trigger, AllOf | AnyOf):
            for j, child in enumerate(trigger.of):
                if child not in by_id:
                    node.get(i).get("of").get(j).fail("reference", f"no trigger {child!r}")
    for i, trigger in enumerate(triggers):
        stack, seen = [trigger.id], set[str]()
        while stack:
            current = by_id[stack.pop()]
            if isinstance(current, AllOf | AnyOf):
                for child in current.of:
                    if child == trigger.id:
                        node.get(i).get("of").fail("acyclic", f"{trigger.id!r} refers to itself")
                    if child not in seen:
                        seen.add(child)
                        stack.append(child)
