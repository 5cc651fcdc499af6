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
from sqlalchemy import select, tuple_

from ceasefire.access.marking import decode_marking, pairs_of, sees_marking
from ceasefire.access.model import Role, User
from ceasefire.access.releasability import Pairs
from ceasefire.api.auth import CurrentUser, hq, require
from ceasefire.api.params import Page, RowId
from ceasefire.api.schemas import DecisionIn, ProposalIn
from ceasefire.api.state import HQState
from ceasefire.api.views import encode_cursor, json_response
from ceasefire.errors import InputError, NotFoundError
from ceasefire.fusion.items import iso_s
from ceasefire.guarantees.refresh import link_attribution_records
from ceasefire.store import schema
from ceasefire.store.guarantees_sql import SqlGuarantees
from ceasefire.store.hq_queries import fully_visible_violation, visible_members

router = APIRouter(prefix="/api", tags=["violations"])
HQ = Annotated[HQState, Depends(hq)]


@router.get("/violations")
def violations(state: HQ, user: CurrentUser, query: Page) -> Response:
    """Violations of incidents whose every report the caller may see (partially visible
    incidents show their re-judged rules in the incident list instead)."""
    v = schema.violations
    stmt = select(v).where(v.c.active.is_(True), fully_visible_violation(state.visible(user)))
    if query.since_s is not None:
        stmt = stmt.where(v.c.observed_at >= query.since_s)
    if query.until_s is not None:
        stmt = stmt.where(v.c.observed_at <= query.until_s)
    if query.rule is not None:
        stmt = stmt.where(v.c.rule_id == query.rule)
    if query.after is not None:
        stmt = stmt.where(tuple_(v.c.observed_at, v.c.pk) > tuple_(*query.after))
    stmt = stmt.order_by(v.c.observed_at, v.c.pk).limit(query.limit)
    with state.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
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


def _violation_marking(state: HQState, user: User, violation_pk: int) -> Pairs:
    """The pairs of the violation's incident's reports ``user`` sees (all of them), or
    ``NotFoundError`` — the same for a violation that is hidden, partly hidden or missing."""
    v = schema.violations
    with state.engine.connect() as conn:
        found = conn.execute(
            select(v.c.incident_pk).where(
                v.c.pk == violation_pk, fully_visible_violation(state.visible(user))
            )
        ).first()
    if found is None:
        raise NotFoundError(f"no violation {violation_pk}")
    members = visible_members(state.engine, state.visible(user), [int(found[0])])
    return pairs_of((m["classification"], m["releasable_to"]) for m in members)


Analyst = Annotated[User, Depends(require(Role.ANALYST, Role.COMMISSION))]
Commission = Annotated[User, Depends(require(Role.COMMISSION))]


@router.post("/violations/{violation_id}/attribution")
def propose(violation_id: RowId, body: ProposalIn, state: HQ, user: Analyst) -> dict[str, int]:
    """Propose an attribution of a violation to a party (the Special Commission decides)."""
    from ceasefire.store.attribution_sql import add_attribution  # noqa: PLC0415
    from ceasefire.store.isotime import iso  # noqa: PLC0415

    marking = _violation_marking(state, user, violation_id)
    parties = sorted({p.id for v in state.book().versions for p in v.agreement.parties})
    if body.party not in parties:
        raise InputError("party", "enum", f"{body.party!r} is not a party: {', '.join(parties)}")
    with state.write_lock:
        pk = add_attribution(
            state.engine,
            {
                "violation_pk": violation_id,
                "party": body.party,
                "basis": f"analyst: {body.basis}",
                "confidence": body.confidence,
                "proposed_by": f"{user.name} ({user.principal})",
                "proposed_at": iso(state.clock.now()),
            },
            marking=marking,
        )
        link_attribution_records(SqlGuarantees(state.engine), clock=state.clock)
    return {"id": pk}


@router.post("/attributions/{attribution_id}/decision")
def decide(attribution_id: RowId, body: DecisionIn, state: HQ, user: Commission) -> dict[str, int]:
    """A Special Commission member upholds or rejects a proposed attribution."""
    from ceasefire.store.attribution_sql import add_decision  # noqa: PLC0415
    from ceasefire.store.fusion import attributions  # noqa: PLC0415
    from ceasefire.store.isotime import iso  # noqa: PLC0415

    # hidden, partly hidden and missing proposals answer alike: same status, same body
    missing = NotFoundError(f"no attribution {attribution_id}")
    with state.engine.connect() as conn:
        row = conn.execute(
            select(attributions.c.violation_pk, attributions.c.marking).where(
                attributions.c.pk == attribution_id
            )
        ).first()
    if row is None or not sees_marking(decode_marking(row[1]), state.viewer(user)):
        raise missing
    try:
        marking = _violation_marking(state, user, int(row[0]))
    except NotFoundError:
        raise missing from None
    with state.write_lock:
        pk = add_decision(
            state.engine,
            {
                "attribution_pk": attribution_id,
                "decision": body.decision,
                "decided_by": f"{user.name} ({user.principal})",
                "decided_at": iso(state.clock.now()),
                "note": body.note,
            },
            marking=marking,
        )
        link_attribution_records(SqlGuarantees(state.engine), clock=state.clock)
    return {"id": pk}
