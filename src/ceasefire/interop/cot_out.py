"""Cursor-on-Target out: incidents, violations and guarantee alerts as CoT events (docs/cot.md).

Pure builders: an item as the HQ API gives it to one reader, and the marking of what that
reader is shown, become one ``<event>`` (with an ``<?xml …?>`` declaration, as TAK clients
send them). Every event is a point with a few short details, far below pytak's 64 KiB
receive limit; an alert links at most ``MAX_ALERT_LINKS`` incidents for the same reason.

The marking is written where TAK Server reads it (``CotEventContainer``: root attributes
``access``, ``caveat``, ``releasableTo``; its classification service asks about
``access//caveat//releasableTo``), so ``access="SECRET"`` and ``releasableTo="REL TO FRA,
GBR"`` read as the banner ``SECRET//REL TO FRA, GBR``; a ``<marking>`` detail repeats it,
because TAK protocol v1 (protobuf) drops ``caveat`` and ``releasableTo`` but keeps unknown
detail elements.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ceasefire.interop.cot import UNKNOWN_ERROR_M

#: CoT uids of what the gateway sends: these prefixes and the HQ id.
INCIDENT_UID = "ceasefire-incident-"
VIOLATION_UID = "ceasefire-violation-"
ALERT_UID = "ceasefire-alert-"
#: A guarantee alert: MITRE CoTtypes 1.80 "Alarm/Security" (``b-l``, the alarm branch MITRE
#: moved out of the overloaded ``b-a``). Not ATAK's ``b-a-o-…`` emergency beacons: those
#: ring every device as a 911 call, which a guarantee alert is not.
ALERT_TYPE = "b-l-l"
#: Incidents linked from one alert event at most (a rate alert may rest on hundreds).
MAX_ALERT_LINKS = 50

#: Incident category → CoT type (MOOTW "b-r-.-O-…", affiliation ``u``: who fired is for
#: attribution, not for the map symbol). Categories absent here are ``b-r-u-O``.
COT_TYPE = {
    "explosion": "b-r-u-O-V-B",
    "projectile_in_flight": "b-r-u-O-V",
    "muzzle_flash": "b-r-u-O-V",
    "illumination_flare": "b-r-u-O-V",
    "burst_of_fire": "b-r-u-O-V-D",
    "shots": "b-r-u-O-V-S",
    "mine": "b-r-u-O-O-M",
    "civilian_casualty": "b-r-u-O-V-M",
    "infrastructure_damage": "b-r-u-O-V-A",
    "attack_on_monitors": "b-r-u-O-O-K",
    "attack_on_force": "b-r-u-O-V",
    "heavy_weapon": "a-u-G-E-W",
    "armour": "a-u-G-E-V-A",
    "troop_movement": "a-u-G-U-C",
    "aircraft": "a-u-A",
    "uav": "a-u-A-M-F-Q",
    "vessel": "a-u-S",
}


@dataclass(frozen=True)
class CotMarking:
    """The marking of what one reader is sent: the highest classification of the reports
    behind it and the codes that may see every one of them (``interop.cot_feed``).

    >>> m = CotMarking("SECRET", ("FRA", "GBR"))
    >>> m.rel_to, m.banner
    ('REL TO FRA, GBR', 'SECRET//REL TO FRA, GBR')
    """

    classification: str
    releasable_to: tuple[str, ...]

    @property
    def rel_to(self) -> str:
        """The ``releasableTo`` attribute (CAPCO "REL TO", codes comma-separated)."""
        return f"REL TO {', '.join(self.releasable_to)}" if self.releasable_to else ""

    @property
    def banner(self) -> str:
        """``access//releasableTo`` as TAK Server joins them for its classification service."""
        return "//".join(p for p in (self.classification, self.rel_to) if p)


def sidc_of(cot_type: str) -> str | None:
    """The MIL-STD-2525B/C letter SIDC of a CoT type (15 characters), or None.

    >>> sidc_of("a-f-G-U-C-I"), sidc_of("b-r-h-O-V-S"), sidc_of("t-x-c-t")
    ('SFGPUCI--------', 'OHVPS----------', None)
    """
    parts = cot_type.split("-")
    if len(parts) >= 3 and parts[0] == "a" and re.fullmatch(r"[puafnshjkox]", parts[1]):
        aff = "U" if parts[1] in "ox" else parts[1].upper()
        fn = "".join(p for p in parts[3:] if len(p) == 1 and p.isupper())
        return f"S{aff}{parts[2]}P{fn[:6]:-<6}-----"
    if len(parts) >= 5 and parts[:2] == ["b", "r"] and parts[3] == "O":
        fn = "".join(parts[5:])
        return f"O{parts[2].upper()}{parts[4]}P{fn[:6]:-<6}-----"
    return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _event(
    uid: str,
    cot_type: str,
    *,
    how: str,
    now: datetime,
    start: str | None = None,
    stale_after: timedelta,
    point: tuple[float, float, float] = (0.0, 0.0, UNKNOWN_ERROR_M),
    marking: CotMarking | None = None,
) -> tuple[ET.Element, ET.Element]:
    """An ``<event>`` with its ``<point>`` (lon, lat, ce) and an empty ``<detail>``."""
    ev = ET.Element(
        "event",
        {
            "version": "2.0",
            "uid": uid,
            "type": cot_type,
            "how": how,
            "time": _iso(now),
            "start": start or _iso(now),
            "stale": _iso(now + stale_after),
        },
    )
    if marking is not None:
        ev.set("access", marking.classification)
        if marking.rel_to:
            ev.set("releasableTo", marking.rel_to)
    lon, lat, ce = point
    ET.SubElement(
        ev,
        "point",
        {
            "lat": repr(float(lat)),
            "lon": repr(float(lon)),
            "hae": "9999999.0",
            "ce": repr(float(ce)),
            "le": "9999999.0",
        },
    )
    detail = ET.SubElement(ev, "detail")
    if marking is not None:
        ET.SubElement(
            detail,
            "marking",
            {
                "classification": marking.classification,
                "releasableTo": " ".join(marking.releasable_to),
            },
        ).text = marking.banner
    return ev, detail


def _texts(detail: ET.Element, callsign: str, remarks: str) -> None:
    ET.SubElement(detail, "contact", {"callsign": callsign})
    ET.SubElement(detail, "remarks").text = remarks


def incident_event(
    item: dict[str, Any],
    *,
    now: datetime,
    stale_after: timedelta,
    marking: CotMarking | None = None,
) -> bytes:
    """An incident item (as ``/api/incidents`` gives it to the reader) as a CoT event."""
    cot_type = COT_TYPE.get(str(item["category"]), "b-r-u-O")
    ce = item.get("uncertainty_m") or UNKNOWN_ERROR_M
    ev, detail = _event(
        f"{INCIDENT_UID}{item['id']}",
        cot_type,
        how="m-f",  # fused
        now=now,
        start=item["observed_at"],
        stale_after=stale_after,
        point=(float(item["lon"]), float(item["lat"]), float(ce)),
        marking=marking,
    )
    rules = item.get("rules") or []
    sidc = sidc_of(cot_type)
    if sidc:
        ET.SubElement(detail, "__milsym", {"id": sidc})
    ET.SubElement(
        detail,
        "ceasefire",
        {
            "incident": str(item["id"]),
            "state": str(item.get("state")),
            "count": str(item.get("count_best")),
            "rules": ";".join(rules),
            "severity": "" if item.get("severity") is None else str(item["severity"]),
            "partial": "true" if item.get("partial") else "false",
        },
    )
    _texts(
        detail,
        f"INC {item['id']} {item['category']}" + (f" ({', '.join(rules)})" if rules else ""),
        f"{item['category']} x{item.get('count_best')} at {item['observed_at']}, "
        f"state {item.get('state')}, sources {item.get('sources')}"
        + (f", rules {', '.join(rules)}" if rules else ""),
    )
    return _declared(ev)


def violation_event(
    item: dict[str, Any],
    *,
    lon: float,
    lat: float,
    now: datetime,
    stale_after: timedelta,
    marking: CotMarking | None = None,
) -> bytes:
    """A violation item (as ``/api/violations`` gives it) at its incident's position."""
    ev, detail = _event(
        f"{VIOLATION_UID}{item['id']}",
        "b-r-u-O-V",
        how="m-f",
        now=now,
        start=item["observed_at"],
        stale_after=stale_after,
        point=(lon, lat, UNKNOWN_ERROR_M),
        marking=marking,
    )
    ET.SubElement(detail, "__milsym", {"id": "OUVP-----------"})
    ET.SubElement(
        detail,
        "ceasefire",
        {
            "violation": str(item["id"]),
            "incident": str(item["incident_id"]),
            "rule": str(item["rule_id"]),
            "article": str(item.get("article") or ""),
            "severity": str(item["severity"]),
            "certainty": str(item["certainty"]),
            "zone": str(item.get("zone_id") or ""),
        },
    )
    _link(detail, [int(item["incident_id"])])
    _texts(
        detail,
        f"VIOL {item['rule_id']} sev {item['severity']} ({item['certainty']})",
        f"rule {item['rule_id']} (article {item.get('article')}) broken by incident "
        f"{item['incident_id']}, severity {item['severity']}, {item['certainty']}",
    )
    return _declared(ev)


def _link(detail: ET.Element, incident_ids: Sequence[int]) -> None:
    for pk in incident_ids[:MAX_ALERT_LINKS]:
        ET.SubElement(
            detail, "link", {"uid": f"{INCIDENT_UID}{pk}", "relation": "p-p", "type": "b-r-u-O"}
        )


def alert_event(
    alert: dict[str, Any],
    *,
    lon: float,
    lat: float,
    incident_ids: Sequence[int],
    now: datetime,
    stale_after: timedelta,
    marking: CotMarking | None = None,
) -> bytes:
    """A fired guarantee alert (its ledger payload: ``id``, ``instrument``, ``trigger``,
    ``kind``, ``level``, ``fired_at``) at the centre of its evidence incidents, linking them
    (``relation="p-p"``: the incidents are its parents); never its report evidence."""
    ev, detail = _event(
        f"{ALERT_UID}{alert['id']}",
        ALERT_TYPE,
        how="m-f",
        now=now,
        start=str(alert["fired_at"]),
        stale_after=stale_after,
        point=(lon, lat, UNKNOWN_ERROR_M),
        marking=marking,
    )
    ET.SubElement(
        detail,
        "ceasefire",
        {
            "alert": str(alert["id"]),
            "instrument": str(alert.get("instrument")),
            "trigger": str(alert.get("trigger")),
            "kind": str(alert.get("kind")),
            "level": str(alert.get("level")),
            "incidents": str(len(incident_ids)),
        },
    )
    _link(detail, incident_ids)
    _texts(
        detail,
        f"ALERT {alert.get('level')} {alert.get('instrument')}/{alert.get('trigger')}",
        f"guarantee alert {alert['id']}: trigger {alert.get('trigger')} ({alert.get('kind')}) "
        f"of {alert.get('instrument')} fired at {alert['fired_at']}, level {alert.get('level')}, "
        f"on {len(incident_ids)} incident(s)",
    )
    return _declared(ev)


def delete_event(uid: str, *, now: datetime) -> bytes:
    """``t-x-d-d`` with a link and ``__forcedelete``: clients remove marker ``uid``."""
    ev, detail = _event(
        f"{uid}-delete", "t-x-d-d", how="m-g", now=now, stale_after=timedelta(minutes=1)
    )
    ET.SubElement(detail, "link", {"uid": uid, "relation": "none", "type": "none"})
    ET.SubElement(detail, "__forcedelete")
    return _declared(ev)


def pong_event(*, now: datetime) -> bytes:
    """The answer to a ``t-x-c-t`` ping."""
    ev, _ = _event(
        "takPong", "t-x-c-t-r", how="h-g-i-g-o", now=now, stale_after=timedelta(seconds=20)
    )
    return _declared(ev)


def _declared(ev: ET.Element) -> bytes:
    body: bytes = ET.tostring(ev, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body
