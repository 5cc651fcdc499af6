"""Cursor-on-Target in: stream framing and observation CoT → report (docs/cot.md).

Pure functions and one small state machine (:class:`CotFramer`); what the gateway sends is
built by ``interop.cot_out``, the asyncio server is ``interop.cot_server``. A CoT stream is
one ``<event>`` after another, each optionally after an ``<?xml …?>`` declaration, split or
merged arbitrarily across reads.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from ceasefire.reports.model import Category, Classification

#: Largest event accepted (bytes); pytak cannot receive more than 64 KiB, and no observation
#: needs more. Larger is cut off and quarantined.
MAX_EVENT_BYTES = 64 * 1024
#: Bytes outside any event tolerated on one connection before it is closed as garbage.
MAX_GARBAGE_BYTES = 256 * 1024
_START = b"<event"
_END = b"</event>"
_XML_DECL = re.compile(rb"<\?xml[^>]*\?>")
#: CoT "unknown" error (TAK writes 9999999 for ce/le when there is no estimate).
UNKNOWN_ERROR_M = 9_999_999.0


@dataclass
class Framed:
    """What one ``feed`` produced: whole events, and pieces thrown away (with why)."""

    events: list[bytes] = field(default_factory=list)
    rejected: list[tuple[bytes, str]] = field(default_factory=list)
    garbage_bytes: int = 0


class CotFramer:
    """Splits a byte stream into ``<event>…</event>`` units, whatever the read boundaries.

    Bytes between events (declarations, whitespace, garbage) are dropped and counted; an
    event growing past ``max_event`` bytes is rejected (its head kept for the quarantine) and
    skipped up to the next ``<event``.
    """

    def __init__(self, max_event: int = MAX_EVENT_BYTES) -> None:
        self.max_event = max_event
        self._buf = bytearray()
        self._skipping = False  # inside an oversized event: drop until its end
        self.garbage_total = 0

    def feed(self, data: bytes) -> Framed:
        out = Framed()
        self._buf += data
        while True:
            if self._skipping:
                end = self._buf.find(_END)
                nxt = self._buf.find(_START, 1)
                if end < 0 and nxt < 0:
                    keep = len(_END) - 1  # a terminator may be split across reads
                    del self._buf[: max(0, len(self._buf) - keep)]
                    return out
                cut = end + len(_END) if end >= 0 and (nxt < 0 or end < nxt) else nxt
                del self._buf[:cut]
                self._skipping = False
                continue
            start = self._buf.find(_START)
            if start < 0:
                keep = len(_START) - 1  # "<even" may end this read
                dropped = max(0, len(self._buf) - keep)
                out.garbage_bytes += self._garbage(dropped)
                del self._buf[:dropped]
                return out
            if start:
                out.garbage_bytes += self._garbage(start)
                del self._buf[:start]
            end = self._buf.find(_END)
            nxt = self._buf.find(_START, 1)
            if nxt >= 0 and (end < 0 or nxt < end):  # an unterminated event, then another
                out.rejected.append((bytes(self._buf[:nxt][:4096]), "event not terminated"))
                del self._buf[:nxt]
                continue
            if end < 0:
                if len(self._buf) > self.max_event:
                    head = bytes(self._buf[:4096])
                    out.rejected.append((head, f"event larger than {self.max_event} bytes"))
                    self._skipping = True
                    del self._buf[: len(self._buf) - (len(_END) - 1)]
                return out
            stop = end + len(_END)
            if stop > self.max_event:
                out.rejected.append(
                    (bytes(self._buf[:4096]), f"event larger than {self.max_event} bytes")
                )
            else:
                out.events.append(bytes(self._buf[:stop]))
            del self._buf[:stop]

    def _garbage(self, n: int) -> int:
        self.garbage_total += n
        return n


@dataclass(frozen=True)
class CotEvent:
    """The parts of a CoT event we use."""

    uid: str
    type: str
    how: str
    time: str
    start: str
    stale: str
    lat: float
    lon: float
    ce: float
    access: str | None
    caveat: str | None
    releasable_to: tuple[str, ...]
    callsign: str | None
    remarks: str | None
    detail: ET.Element | None


class CotError(ValueError):
    """A CoT event that cannot be read (``field`` and ``rule`` name why)."""

    def __init__(self, field_name: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.field, self.rule = field_name, rule


def parse_event(raw: bytes) -> CotEvent:
    """One ``<event>`` → :class:`CotEvent`, or :class:`CotError`. DTDs and entities are
    refused before parsing (no entity expansion from the network)."""
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise CotError("event", "dtd", "a DOCTYPE or ENTITY is not accepted")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise CotError("event", "xml", f"not well-formed XML: {exc}") from exc
    if root.tag != "event":
        raise CotError("event", "root", f"root element is <{root.tag}>, not <event>")
    point = root.find("point")
    attrs = root.attrib
    for name in ("uid", "type", "time", "start", "stale"):
        if not attrs.get(name):
            raise CotError(name, "required", f"<event> has no {name}")
    if point is None:
        raise CotError("point", "required", "<event> has no <point>")
    try:
        lat, lon = float(point.attrib["lat"]), float(point.attrib["lon"])
        ce = float(point.attrib.get("ce", UNKNOWN_ERROR_M))
    except (KeyError, ValueError) as exc:
        raise CotError("point", "number", "<point> lat, lon and ce must be numbers") from exc
    detail = root.find("detail")
    contact = None if detail is None else detail.find("contact")
    remarks = None if detail is None else detail.find("remarks")
    rel = next((attrs[k] for k in _REL_ATTRS if attrs.get(k)), "")
    return CotEvent(
        uid=attrs["uid"],
        type=attrs["type"],
        how=attrs.get("how", ""),
        time=attrs["time"],
        start=attrs["start"],
        stale=attrs["stale"],
        lat=lat,
        lon=lon,
        ce=ce,
        access=attrs.get("access") or None,
        caveat=attrs.get("caveat") or None,
        releasable_to=releasable_codes(rel),
        callsign=None if contact is None else contact.attrib.get("callsign"),
        remarks=None if remarks is None or remarks.text is None else remarks.text.strip(),
        detail=detail,
    )


#: Where a releasability list is read from: TAK Server 5.x reads ``releasableTo``
#: (``CotEventContainer.getReleaseableTo``), older TAK code wrote ``releaseableTo``, pytak
#: writes ``rel_to``.
_REL_ATTRS = ("releasableTo", "releaseableTo", "rel_to")
_REL_PREFIX = re.compile(r"^\s*REL(\s+TO)?\b", re.IGNORECASE)


def releasable_codes(text: str) -> tuple[str, ...]:
    """The codes of a releasability attribute: a list separated by commas, spaces or ``;``,
    with or without the CAPCO ``REL TO`` the gateway itself writes (``cot_out``).

    >>> releasable_codes("REL TO FRA, GBR"), releasable_codes("FRA,GBR"), releasable_codes("")
    (('FRA', 'GBR'), ('FRA', 'GBR'), ())
    """
    return tuple(c for c in re.split(r"[\s,;]+", _REL_PREFIX.sub("", text)) if c)


def is_ping(event: CotEvent) -> bool:
    """A keep-alive: ``t-x-c-t`` (ping) or a ``t-x-d-d`` without a delete link (pytak's
    ``takPing`` hello; a real delete carries ``<link uid=…>`` and ``<__forcedelete/>``)."""
    if event.type == "t-x-c-t":
        return True
    if event.type == "t-x-d-d":
        return event.detail is None or event.detail.find("link") is None
    return False


#: CoT type patterns → report category (first match wins; ``.`` is any affiliation).
#: MOOTW "b-r-.-O-…" reports (MITRE CoTtypes), ground equipment and units, air, sea.
TYPE_TABLE: tuple[tuple[str, Category], ...] = (
    (r"^b-r-.-O-V-B", Category.EXPLOSION),  # bomb
    (r"^b-r-.-O-V-Y", Category.EXPLOSION),  # booby trap
    (r"^b-r-.-O-V-S", Category.SHOTS),  # sniping
    (r"^b-r-.-O-V-D", Category.BURST_OF_FIRE),  # drive-by shooting
    (r"^b-r-.-O-V-A", Category.INFRASTRUCTURE_DAMAGE),  # arson
    (r"^b-r-.-O-V-M", Category.CIVILIAN_CASUALTY),  # murder
    (r"^b-r-.-O-V", Category.EXPLOSION),  # other violent activity
    (r"^b-r-.-O-O-M", Category.MINE),  # mine laying
    (r"^b-r-.-O-O-D", Category.MOVEMENT_RESTRICTION),  # demonstration
    (r"^b-r-.-O-O-K", Category.ATTACK_ON_MONITORS),  # kidnapping
    (r"^b-r-.-O-O-H", Category.ATTACK_ON_MONITORS),  # hijacking
    (r"^b-r-.-O-O-P", Category.TROOP_MOVEMENT),  # patrolling
    (r"^b-r-.-O-I-R", Category.OTHER),  # refugees
    (r"^b-r-f-h-c", Category.CIVILIAN_CASUALTY),  # casualty report
    (r"^a-.-G-E-W", Category.HEAVY_WEAPON),  # ground equipment: weapon
    (r"^a-.-G-E-V-A", Category.ARMOUR),  # armoured vehicle
    (r"^a-.-G-U-C-A", Category.ARMOUR),  # armour unit
    (r"^a-.-G-U-C-F", Category.HEAVY_WEAPON),  # field artillery unit
    (r"^a-.-G-E-X-M", Category.MINE),  # mines
    (r"^a-.-A-M-F-Q", Category.UAV),  # drone
    (r"^a-.-A", Category.AIRCRAFT),  # air track
    (r"^a-.-S", Category.VESSEL),  # sea surface
)
#: Affiliations whose ground units are *observed* (a friendly unit's own SA position is not a
#: report): hostile, suspect, neutral, unknown, pending, joker, faker.
_OBSERVED = re.compile(r"^a-[hsnupjk]-G-(U|E)")


def category_of(event: CotEvent) -> Category | None:
    """The report category of an observation event, or None when it is not an observation
    (friendly SA, chat, drawings, control messages). ``<ceasefire category=…>`` overrides."""
    own = _own(event)
    if own.get("category"):
        try:
            return Category(own["category"])
        except ValueError:
            return Category.OTHER  # the validator names the value; never silently dropped
    for pattern, category in TYPE_TABLE:
        if re.match(pattern, event.type):
            return category
    if _OBSERVED.match(event.type):
        return Category.TROOP_MOVEMENT
    return None


def _own(event: CotEvent) -> dict[str, str]:
    if event.detail is None:
        return {}
    el = event.detail.find("ceasefire")
    return {} if el is None else dict(el.attrib)


def _classification(access: str | None) -> str | None:
    if access is None:
        return None
    word = access.strip().upper().split()[0] if access.strip() else ""
    return word if word in {c.value for c in Classification} else access


def report_of(event: CotEvent, *, principal: str) -> dict[str, Any] | None:
    """The observation report an event carries (as the NDJSON importer reads it), or None if
    the event is not an observation. Validation (range, enums, markings) is the pipeline's."""
    category = category_of(event)
    if category is None:
        return None
    own = _own(event)
    uncertainty = None if event.ce >= UNKNOWN_ERROR_M else max(event.ce, 1.0)
    report: dict[str, Any] = {
        "id": event.uid,
        "source": f"TAK-{principal}-{event.callsign or 'unknown'}",
        "source_type": "tak",
        "reliability": own.get("reliability", "C"),
        "credibility": int(own["credibility"]) if own.get("credibility", "").isdigit() else 3,
        "observed_at": event.start,
        "lat": event.lat,
        "lon": event.lon,
        "uncertainty_m": uncertainty if uncertainty is not None else 1000.0,
        "category": category.value,
        "count": int(own["count"]) if own.get("count", "").isdigit() else 1,
    }
    if own.get("weapon_class"):
        report["weapon_class"] = own["weapon_class"]
    if event.remarks:
        report["description"] = event.remarks[:2000]
    marking = _classification(event.access)
    if marking is not None:
        report["classification"] = marking
    if event.releasable_to:
        report["releasable_to"] = list(event.releasable_to)
    return report
