"""Incidents: the filtered list (JSON or GeoJSON), one incident in full, analyst verdicts.

A verdict is marked with the pairs of the incident's reports its author sees
(``access.marking``). A reader of the whole incident decides its state (``/verify``, ...); a
reader who sees only part of it may not, and records a verdict on their own tearline instead
(``/tearline/verify``, ...): shown to readers who see every report kind its author saw, never
the incident's own state (docs/hq-api.md, Verdicts and markings).
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Response

from ceasefire.access.marking import decode_marking, pairs_of, sees_marking
from ceasefire.access.model import Role, User
from ceasefire.api.auth import CurrentUser, hq, require
from ceasefire.api.params import Page, RowId
from ceasefire.api.schemas import IncidentDetailOut, IncidentPage, NoteIn
from ceasefire.api.state import HQState
from ceasefire.api.views import encode_cursor, json_response, torn_lines, visible_items
from ceasefire.errors import ForbiddenError, NotFoundError
from ceasefire.fusion.items import iso_s
from ceasefire.store.hq_queries import PageQuery

router = APIRouter(prefix="/api", tags=["incidents"])
HQ = Annotated[HQState, Depends(hq)]


def visible_page(state: HQState, user: User, query: PageQuery) -> tuple[list[bytes], str | None]:
    """One page of incident items the user may see (JSON each), and the next page's cursor."""
    items, after = visible_items(state, user, query)
    return items, None if after is None else encode_cursor(*after)


def _feature(item: dict[str, Any]) -> dict[str, Any]:
    geometry = None
    if item["lon"] is not None and item["lat"] is not None:
        geometry = {"type": "Point", "coordinates": [item["lon"], item["lat"]]}
    return {"type": "Feature", "id": item["id"], "geometry": geometry, "properties": item}


@router.get("/incidents", response_model=IncidentPage)
async def list_incidents(
    state: HQ,
    user: CurrentUser,
    query: Page,
    fmt: Annotated[str, Query(alias="format", pattern="^(json|geojson)$")] = "json",
) -> Response:
    """Active incidents visible to the caller, oldest first, one page at a time.

    ``async`` although it blocks: the page is CPU work of a few milliseconds on an indexed
    read, and running it on the event loop instead of the thread pool served 50 concurrent
    clients with less CPU per request (bench/api.py; docs/hq-api.md, Speed).
    """
    items, cursor = visible_page(state, user, query)
    if fmt == "geojson":
        body: dict[str, Any] = {
            "type": "FeatureCollection",
            "features": [_feature(orjson.loads(i)) for i in items],
            "next_cursor": cursor,
        }
        return json_response(body, media_type="application/geo+json")
    # the stored items are JSON already: joined, not parsed and serialised again
    page = b'{"items":[' + b",".join(items) + b'],"next_cursor":' + orjson.dumps(cursor) + b"}"
    return Response(page, media_type="application/json")


def _actions(user: User, partial: bool) -> list[str]:
    actions = []
    if user.may(Role.ANALYST):
        actions += ["verify", "dispute", "reject"]
        if not partial:
            actions.append("propose")
    if user.may(Role.COMMISSION) and not partial:
        actions.append("decide")
    return actions


def incident_view(state: HQState, user: User, pk: int) -> dict[str, Any]:
    """One incident as the caller may see it (404 if not at all: existence is not leaked)."""

    found, _ = visible_items(state, user, PageQuery(pks=[pk], limit=1))
    if not found:
        raise NotFoundError(f"no incident {pk}")
    item = orjson.loads(found[0])
    detail = state.stores.incidents.detail(pk)
    head = detail["incident"]
    members = state.stores.read_model.visible_members(state.visible(user), [pk])
    violations = [
        {
            "id": int(v["pk"]),
            "rule_id": v["rule_id"],
            "article": v["article"],
            "severity": int(v["severity"]),
            "certainty": v["certainty"],
            "zone_id": v["zone_id"],
        }
        for v in detail["violations"]
        if v["active"]
    ]
    viewer = state.viewer(user)
    history = [
        {
            "state": h["state"],
            "by": h["author"],
            "at": h["at"],
            "note": h["note"],
            "marking": [list(p) for p in marking],
            "tearline": bool(h["tearline"]),
        }
        for h in detail["history"]
        if sees_marking(marking := decode_marking(h["marking"]), viewer)
    ]
    attributions = [
        _attribution(a, decided=sees_marking(decode_marking(a["decision_marking"]), viewer))
        for a in detail["attributions"]
        if sees_marking(decode_marking(a["marking"]), viewer)
    ]
    ellipse = None
    if head.get("semi_major_m") is not None:
        ellipse = {
            "semi_major_m": float(head["semi_major_m"]),
            "semi_minor_m": float(head["semi_minor_m"] or head["semi_major_m"]),
            "angle_deg": float(head["orientation_deg"] or 0.0),
        }
    if item["partial"]:
        _, members, judged = torn_lines(state, user, [pk])[pk]
        violations = [
            {"id": None, "rule_id": r, "article": a, "severity": s, "certainty": c, "zone_id": z}
            for r, a, s, c, z in judged
        ]
        attributions, ellipse = [], None  # they name the whole incident's violations
    inside, possibly = _zones(state, members)
    return {
        **item,
        "members": [
            {
                "id": m["id"],
                "source": m["source"],
                "source_type": m["source_type"],
                "reliability": m["reliability"],
                "credibility": int(m["credibility"]),
                "observed_at": iso_s(float(m["observed_at"])),
                "category": m["category"],
                "count": int(m["count"]),
                "lon": m["located_lon"],
                "lat": m["located_lat"],
                "uncertainty_m": m["located_uncertainty_m"],
            }
            for m in members
        ],
        "ellipse": ellipse,
        "zones_inside": inside,
        "zones_possibly_inside": possibly,
        "party": _party(members),
        "violations": violations,
        "history": history,
        "attributions": attributions,
        "actions": _actions(user, bool(item["partial"])),
    }


def _attribution(a: dict[str, Any], *, decided: bool) -> dict[str, Any]:
    """A proposal as the panel shows it; its decision only if its marking is seen."""
    return {
        "id": int(a["pk"]),
        "violation_id": int(a["violation_pk"]),
        "party": a["party"],
        "basis": a["basis"],
        "confidence": float(a["confidence"]),
        "proposed_by": a["proposed_by"],
        "proposed_at": a["proposed_at"],
        "marking": [list(p) for p in decode_marking(a["marking"])],
        "decision": a["decision"] if decided else None,
        "decided_by": a["decided_by"] if decided else None,
        "decided_at": a["decided_at"] if decided else None,
        "note": a["note"] if decided else None,
    }


def _zones(state: HQState, members: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Zones the visible reports lie in (bits of the masks → zone ids of their version)."""
    inside: set[str] = set()
    possibly: set[str] = set()
    names = state.stores.read_model.zone_bits()
    for m in members:
        ids = names.get(int(m.get("agreement_version_pk") or 0), {})
        for bit, zone in ids.items():
            if int(m.get("zones_inside") or 0) >> bit & 1:
                inside.add(zone)
            elif int(m.get("zones_possibly_inside") or 0) >> bit & 1:
                possibly.add(zone)
    return sorted(inside), sorted(possibly)


def _party(members: list[dict[str, Any]]) -> str | None:
    parties = {m.get("party") for m in members if m.get("party")}
    return next(iter(parties)) if len(parties) == 1 else None


@router.get("/incidents/{incident_id}", response_model=IncidentDetailOut)
def show_incident(incident_id: RowId, state: HQ, user: CurrentUser) -> Response:
    """One incident in full: reports, grades, ellipse, zones, rules, history, attribution."""
    return json_response(incident_view(state, user, incident_id))


Analyst = Annotated[User, Depends(require(Role.ANALYST))]


def _verdict(
    state: HQState, user: User, pk: int, target: str, note: str | None, *, on_tearline: bool
) -> Response:
    from ceasefire.fusion.verification import VerificationState, decide  # noqa: PLC0415
    from ceasefire.pipeline.fuse import tearline_judge  # noqa: PLC0415
    from ceasefire.store.isotime import iso  # noqa: PLC0415

    verb = {"verified": "verify", "disputed": "dispute", "rejected": "reject"}[target]
    with state.write_lock:
        shown = incident_view(state, user, pk)  # 404 unless visible to the analyst
        partial = bool(shown["partial"])
        # the refusals say only what the panel shows this reader (``partial``)
        if partial and not on_tearline:
            raise ForbiddenError(
                "you see only part of this incident, so you may not change its state for "
                "readers of the whole; record your verdict on your own tearline with "
                f"POST /api/incidents/{pk}/tearline/{verb}"
            )
        if on_tearline and not partial:
            raise ForbiddenError(
                "you see every report of this incident: decide its state with "
                f"POST /api/incidents/{pk}/{verb}"
            )
        members = state.stores.read_model.visible_members(state.visible(user), [pk])
        marking = pairs_of((m["classification"], m["releasable_to"]) for m in members)
        now = state.clock.now()
        current = shown["state"] if on_tearline else state.stores.incidents.current_state(pk)
        change = decide(
            str(pk),
            VerificationState(current) if current else VerificationState.REPORTED,
            VerificationState(target),
            by=f"{user.name} ({user.principal})",
            at=now,
            note=note,
        )
        state.stores.incidents.record_state(
            pk,
            change,
            iso(now),
            marking=marking,
            tearline=on_tearline,
            judge=tearline_judge(state.book()),
        )
    return show_incident(pk, state, user)


@router.post("/incidents/{incident_id}/verify", response_model=IncidentDetailOut)
def verify(incident_id: RowId, body: NoteIn, state: HQ, user: Analyst) -> Response:
    """An analyst who sees every report verifies the incident (its history, the ledger)."""
    return _verdict(state, user, incident_id, "verified", body.note, on_tearline=False)


@router.post("/incidents/{incident_id}/dispute", response_model=IncidentDetailOut)
def dispute(incident_id: RowId, body: NoteIn, state: HQ, user: Analyst) -> Response:
    """An analyst who sees every report disputes the incident."""
    return _verdict(state, user, incident_id, "disputed", body.note, on_tearline=False)


@router.post("/incidents/{incident_id}/reject", response_model=IncidentDetailOut)
def reject(incident_id: RowId, body: NoteIn, state: HQ, user: Analyst) -> Response:
    """An analyst who sees every report rejects the incident."""
    return _verdict(state, user, incident_id, "rejected", body.note, on_tearline=False)


@router.post("/incidents/{incident_id}/tearline/verify", response_model=IncidentDetailOut)
def verify_tearline(incident_id: RowId, body: NoteIn, state: HQ, user: Analyst) -> Response:
    """An analyst who sees part of the incident verifies what they see (their tearline)."""
    return _verdict(state, user, incident_id, "verified", body.note, on_tearline=True)


@router.post("/incidents/{incident_id}/tearline/dispute", response_model=IncidentDetailOut)
def dispute_tearline(incident_id: RowId, body: NoteIn, state: HQ, user: Analyst) -> Response:
    """An analyst who sees part of the incident disputes what they see."""
    return _verdict(state, user, incident_id, "disputed", body.note, on_tearline=True)


@router.post("/incidents/{incident_id}/tearline/reject", response_model=IncidentDetailOut)
def reject_tearline(incident_id: RowId, body: NoteIn, state: HQ, user: Analyst) -> Response:
    """An analyst who sees part of the incident rejects what they see."""
    return _verdict(state, user, incident_id, "rejected", body.note, on_tearline=True)
