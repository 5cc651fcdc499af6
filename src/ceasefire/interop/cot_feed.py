"""What the gateway sends a client: the incidents, violations and guarantee alerts its user may
see, read through the HQ's own code, each with the marking of what that user is shown.

One :class:`ViewerFeed` per distinct viewer (``HQState.viewer``: nation, groups, clearance)
follows the store's change feed as ``/api/stream`` does (``api.routes_stream``): incidents new
or re-stated above its cursors, violations above its violation cursor, superseded incidents
and fired alerts from the ledger; so the cost of a change is that of the change, not of the
whole picture. A client that connects is first sent a snapshot: the newest ``limit``
incidents and violations observed since ``since_s`` and the alerts fired since then.

Releasability is the HQ's: incidents are the items of ``/api/incidents`` (whole or through a
tearline), violations those of ``/api/violations`` (incidents seen whole), alerts those the
HQ stream tells the reader of (``store.hq_queries.alerts_shown``: every report of the
evidence visible). A marking (:class:`~ceasefire.interop.cot_out.CotMarking`) is the highest
classification of the reports behind what is shown and the codes that may see every one of
them: for each report, its ``releasable_to`` codes with release groups replaced by their
members (none: the coalition), intersected over the reports.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from ceasefire.access.marking import decode_marking, sees_marking
from ceasefire.access.model import User, Viewer
from ceasefire.access.releasability import COALITION, SEPARATOR, Pairs, releasable
from ceasefire.api.routes_violations import violation_item
from ceasefire.api.state import HQState
from ceasefire.guarantees.alerts import Alert
from ceasefire.interop.cot_out import ALERT_UID, INCIDENT_UID, VIOLATION_UID, CotMarking
from ceasefire.interop.layers import Feature, read_features, violation_features
from ceasefire.reports.model import Classification
from ceasefire.store.guarantees import _alert_payload
from ceasefire.store.hq_queries import PageQuery
from ceasefire.store.ports import ReportFilter

#: One thing a client may be sent: ``kind`` (incident, violation, alert), the item as the HQ
#: gives it, its position, marking and (alerts) linked incidents. Compared as JSON to skip
#: re-sending what the client already holds.
Entry = dict[str, Any]
_CHUNK = 500
#: How long a changed incident the read model does not list yet is asked for again, s (one
#: the user may not see is asked for that long too: a few rows, for a minute).
UNREAD_RETRY_S = 60.0


def marking_of(pairs: Pairs, groups: Mapping[str, frozenset[str]]) -> CotMarking:
    """The CoT marking of something made of reports with these ``(classification,
    releasable_to)`` pairs: highest classification, codes that see every report.

    >>> g = {"COALITION": frozenset({"FRA", "GBR", "UKR"}), "MNF": frozenset({"FRA", "GBR"})}
    >>> marking_of((("RESTRICTED", "MNF"), ("SECRET", "FRA;USA"), ("UNCLASSIFIED", "")), g)
    CotMarking(classification='SECRET', releasable_to=('FRA',))
    """
    level = max((Classification(c) for c, _ in pairs), key=lambda c: c.rank)
    codes: set[str] | None = None
    for _, label in pairs:
        names = label.split(SEPARATOR) if label else [COALITION]
        reach = {m for n in names for m in groups.get(n, frozenset({n}))}
        codes = reach if codes is None else codes & reach
    return CotMarking(level.value, tuple(sorted(codes or ())))


def shown_pairs(pairs: Pairs, viewer: Viewer) -> Pairs:
    """The pairs of an incident's reports ``viewer`` sees (its tearline; all when whole)."""
    return tuple(
        (c, label)
        for c, label in pairs
        if viewer.sees_classification(c) and releasable(label or None, viewer)
    )


@dataclass
class Changes:
    """What changed in one viewer's picture since the last look."""

    entries: dict[str, Entry] = field(default_factory=dict)
    superseded: list[int] = field(default_factory=list)  # incident pks no longer shown


class ViewerFeed:
    """One viewer's cursors on the change feed, and its reads (blocking: run in a thread)."""

    def __init__(self, state: HQState, user: User) -> None:
        self.state, self.user = state, user
        self.viewer = state.viewer(user)
        self.change_seq, self.ledger_seq = state.stores.stream.tops()
        #: changed incidents not listed when read (pk → when first asked, monotonic s)
        self._unread: dict[int, float] = {}

    def snapshot(self, *, since_s: float, limit: int) -> dict[str, Entry]:
        """The newest ``limit`` incidents and violations observed since ``since_s``, and the
        alerts fired since then, that the user sees."""
        query = PageQuery(since_s=since_s, limit=5000)
        incidents = deque(read_features(self.state, self.user, "incidents", query), limit)
        violations = deque(read_features(self.state, self.user, "violations", query), limit)
        fired = [
            _payload(a)
            for a in self.state.stores.stream.alerts()
            if a.fired_at.timestamp() >= since_s
        ]
        visible = self.state.stores.read_model.visible_filter(
            self.viewer, self.state.stores.access.labels()
        )
        return {**self._entries(incidents, violations), **self._alerts(fired, visible)}

    def changes(self) -> Changes:
        """Incidents new or re-stated, new violations, superseded incidents and fired alerts
        since the last call (or the feed's creation), as the user sees them."""
        state, viewer = self.state, self.viewer
        before = self.change_seq
        changed, self.change_seq = state.stores.stream.changes_since(
            self.change_seq,
            seen=lambda marking: sees_marking(decode_marking(marking), viewer),
        )
        superseded, alerts, self.ledger_seq = state.stores.stream.ledger_changes(self.ledger_seq)
        # the reports behind these changes were committed before they were read, so their
        # labels are among those stored now (``HQState.visible`` re-reads labels only once a
        # second: a report with a label new to the store would read as hidden, and a change
        # is seen only once)
        visible = state.stores.read_model.visible_filter(viewer, state.stores.access.labels())
        now = time.monotonic()
        wanted = sorted(set(changed) | set(self._unread))
        incidents: list[Feature] = []
        for start in range(0, len(wanted), _CHUNK):
            part = wanted[start : start + _CHUNK]
            query = PageQuery(pks=part, limit=len(part))
            incidents += read_features(state, self.user, "incidents", query)
        # a change read before fusion stated it in the read model is not listed yet: asked
        # again at the next polls (a cursor passes a change once), for a while
        read = {int(f["id"]) for f in incidents} | set(superseded)
        self._unread = {
            pk: self._unread.get(pk, now)
            for pk in wanted
            if pk not in read and now - self._unread.get(pk, now) < UNREAD_RETRY_S
        }
        out = Changes(self._entries(incidents, self._new_violations(visible, before)))
        out.entries.update(self._alerts(alerts, visible))
        out.superseded = state.stores.stream.visible_among(visible, superseded)
        return out

    def _new_violations(self, visible: ReportFilter, after_seq: int) -> list[Feature]:
        """Active violations the user sees of the incidents fusion stated between the change
        log's ``after_seq`` and this feed's cursor (fusion writes an incident's violations
        with it; commit order, so none committed out of pk order is skipped)."""
        rows = self.state.stores.stream.stated_violations(
            visible, after_seq=after_seq, until_seq=self.change_seq
        )
        return violation_features(self.state, self.user, [violation_item(r) for r in rows])

    def _entries(
        self, incidents: Iterable[Feature], violations: Iterable[Feature]
    ) -> dict[str, Entry]:
        """Entries of incident and violation features (those without a position skipped)."""
        incidents = [f for f in incidents if f["geometry"] is not None]
        violations = [f for f in violations if f["geometry"] is not None]
        pks = {int(f["id"]) for f in incidents}
        pks |= {int(f["properties"]["incident_id"]) for f in violations}
        pairs = self._pairs(pks)
        out: dict[str, Entry] = {}
        for kind, prefix, feats, key in (
            ("incident", INCIDENT_UID, incidents, "id"),
            ("violation", VIOLATION_UID, violations, "incident_id"),
        ):
            for feat in feats:
                shown = shown_pairs(pairs.get(int(feat["properties"][key]), ()), self.viewer)
                if not shown:
                    continue  # no report of it reads as visible here: send nothing
                lon, lat = feat["geometry"]["coordinates"]
                out[f"{prefix}{feat['id']}"] = {
                    "kind": kind,
                    "item": feat["properties"],
                    "lon": lon,
                    "lat": lat,
                    "marking": self._marking(shown),
                }
        return out

    def _alerts(self, alerts: Sequence[dict[str, Any]], visible: ReportFilter) -> dict[str, Entry]:
        """Entries of the alerts the user may be told of, at the centre of their evidence
        incidents (an alert without a placed incident is not sent: CoT needs a point)."""
        shown = self.state.stores.stream.alerts_shown(visible, alerts)
        facts = {a["id"]: _incident_pks(a.get("facts") or ()) for a in shown}
        places = _places({pk for pks in facts.values() for pk in pks}, self.state)
        pairs = self._pairs(set(places))
        out: dict[str, Entry] = {}
        for alert in shown:
            pks = [pk for pk in facts[alert["id"]] if pk in places]
            every = tuple({p for pk in pks for p in shown_pairs(pairs.get(pk, ()), self.viewer)})
            if not pks or not every:
                continue
            out[f"{ALERT_UID}{alert['id']}"] = {
                "kind": "alert",
                "item": {k: alert.get(k) for k in _ALERT_KEYS},
                "lon": sum(places[pk][0] for pk in pks) / len(pks),
                "lat": sum(places[pk][1] for pk in pks) / len(pks),
                "incidents": pks,
                "marking": self._marking(every),
            }
        return out

    def _pairs(self, incident_pks: Iterable[int]) -> dict[int, Pairs]:
        return self.state.stores.stream.incident_markings(sorted(incident_pks))

    def _marking(self, pairs: Pairs) -> list[Any]:
        marking = marking_of(pairs, self.state.groups())
        return [marking.classification, list(marking.releasable_to)]


_ALERT_KEYS = ("id", "instrument", "trigger", "kind", "level", "fired_at")


def _payload(alert: Alert) -> dict[str, Any]:
    """A stored alert as the ledger entry of its firing gives it (``ledger_changes``)."""
    return {**_alert_payload(alert), "id": alert.id}


def _incident_pks(facts: Iterable[str]) -> list[int]:
    """Incident pks of an alert's ``I-<pk>`` facts (other facts have no place)."""
    return [int(f[2:]) for f in facts if f.startswith("I-") and f[2:].isdigit()]


def _places(pks: set[int], state: HQState) -> dict[int, tuple[float, float]]:
    """Stored positions of incidents (any status: an alert's evidence may since have been
    re-fused; the reader sees all its reports, so its place tells nothing hidden)."""
    return state.stores.stream.incident_places(pks)


def entry_key(entry: Entry) -> bytes:
    """What two sends of an entry are compared by."""
    return orjson.dumps(entry, option=orjson.OPT_SERIALIZE_NUMPY)
