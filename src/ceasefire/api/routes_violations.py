"""Violations (of incidents the caller sees whole), attribution proposals and decisions.

An analyst proposes, a Special Commission member decides; each step also moves the
guarantees' Special Commission case at once. Each record is marked with the pairs of the
incident's reports its author saw (``access.marking``); only readers of the whole incident
may propose or decide, and an id the caller may not see answers exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from ceasefire.access.model import Role, User
from ceasefire.api.auth import CurrentUser, hq, require
from ceasefire.api.params import Page, RowId
from ceasefire.api.schemas import DecisionIn, ProposalIn
from ceasefire.api.state import HQState
from ceasefire.api.views import encode_cursor, json_response
from ceasefire.assessment.attribution import Decision
from ceasefire.assessment.attribution_service import AttributionService, Author
from ceasefire.fusion.items import iso_s
from ceasefire.guarantees.refresh import link_attribution_records

router = APIRouter(prefix="/api", tags=["violations"])
HQ = Annotated[HQState, Depends(hq)]


@router.get("/violations")
def violations(state: HQ, user: CurrentUser, query: Page) -> Response:
    """Violations of incidents whose every report the caller may see (partially visible
    incidents show their re-judged rules in the incident list instead)."""
    rows = state.stores.read_model.violation_page(state.visible(user), query)
    items = [violation_item(r) for r in rows]
    cursor = None
    if len(rows) == query.limit:
        cursor = encode_cursor(float(rows[-1]["observed_at"]), int(rows[-1]["pk"]))
    return json_response({"items": items, "next_cursor": cursor})


def violation_item(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored violation row as the list gives it (also the CoT gateway's, ``interop``)."""
    return {
        "id": int(row["pk"]),
        "incident_id": int(row["incident_pk"]),
        "rule_id": row["rule_id"],
        "article": row["article"],
        "severity": int(row["severity"]),
        "certainty": row["certainty"],
        "zone_id": row["zone_id"],
        "observed_at": iso_s(float(row["observed_at"])),
    }


Analyst = Annotated[User, Depends(require(Role.ANALYST, Role.COMMISSION))]
Commission = Annotated[User, Depends(require(Role.COMMISSION))]


def _workflow(state: HQState) -> AttributionService:
    """The one attribution workflow (``assessment.attribution_service``, shared with the
    CLI) on the HQ's store, its agreement book, clock and writer lock."""
    stores = state.stores
    return AttributionService(
        stores.attributions(visible=state.visible_to),
        state.book,
        state.clock,
        advance_cases=lambda clock: link_attribution_records(stores.guarantees, clock=clock),
        write_lock=state.write_lock,
    )


def _author(state: HQState, user: User) -> Author:
    """The caller as an author: named with their principal, seeing what they may see."""
    return Author(f"{user.name} ({user.principal})", state.viewer(user))


@router.post("/violations/{violation_id}/attribution")
def propose(violation_id: RowId, body: ProposalIn, state: HQ, user: Analyst) -> dict[str, int]:
    """Propose an attribution of a violation to a party (the Special Commission decides);
    a violation the caller does not see whole answers like a missing one."""
    done = _workflow(state).propose(
        violation_id,
        _author(state, user),
        party=body.party,
        basis=body.basis,
        confidence=body.confidence,
    )
    return {"id": done.pk}


@router.post("/attributions/{attribution_id}/decision")
def decide(attribution_id: RowId, body: DecisionIn, state: HQ, user: Commission) -> dict[str, int]:
    """A Special Commission member upholds or rejects a proposed attribution; hidden, partly
    hidden and missing proposals answer alike (same status, same body)."""
    pk = _workflow(state).decide(
        attribution_id, _author(state, user), decision=Decision(body.decision), note=body.note
    )
    return {"id": pk}
