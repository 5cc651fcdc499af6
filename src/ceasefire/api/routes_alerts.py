"""The alerts panel's data: the latest guarantee alerts a reader may be told of, each with the
incidents that made it true and the obligations it opened (state and time left).

Releasability is the live stream's and the CoT gateway's rule (``StreamPort.alerts_shown``):
an alert is computed from its evidence, so it is shown only to a reader who sees every report
of that evidence. Times count as of the record's horizon (``live_service.horizon``: now, or
the latest evaluation when a simulated stream runs ahead of the clock), the moment
``guarantees status`` and ``obligations`` count at, so the panel's states agree with them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from ceasefire.api.auth import CurrentUser, hq
from ceasefire.api.state import HQState
from ceasefire.api.views import json_response
from ceasefire.errors import StoreError
from ceasefire.guarantees.alerts import Alert
from ceasefire.guarantees.live_service import horizon
from ceasefire.guarantees.obligations import Obligation, ObligationEvent, status_at
from ceasefire.store.isotime import iso

router = APIRouter(prefix="/api", tags=["guarantees"])
HQ = Annotated[HQState, Depends(hq)]


class ObligationOut(BaseModel):
    """An obligation an alert opened: who owes what by when, and its state at ``at``."""

    id: str
    owner: str
    kind: str
    level: int
    text: str
    deadline: str
    state: str
    remaining_s: float


class AlertOut(BaseModel):
    """One alert: trigger, level, when, the incident ids (``/api/incidents/{id}``) of its
    evidence, and its obligations."""

    id: str
    instrument: str
    trigger: str
    kind: str
    level: str
    fired_at: str
    incidents: list[int]
    obligations: list[ObligationOut]


class AlertsOut(BaseModel):
    """The latest alerts the caller may see, newest first, as of ``at``."""

    at: str
    alerts: list[AlertOut]
    open_obligations: int


@router.get("/alerts", response_model=AlertsOut)
def alerts(
    state: HQ,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """The latest ``limit`` alerts whose every evidence report the caller sees (empty when no
    guarantees are loaded), with their obligations; ``open_obligations`` counts those still
    open among them."""
    record = state.stores.guarantees
    try:
        record.require_tables()
    except StoreError:  # a store without the guarantees tables has no alerts
        return json_response({"at": iso(state.clock.now()), "alerts": [], "open_obligations": 0})
    at = horizon(record, state.clock.now())
    latest = sorted(record.read_alerts(until=at), key=lambda a: (a.fired_at, a.id), reverse=True)
    shown: list[Alert] = []
    visible = state.visible(user)
    for start in range(0, len(latest), 4 * limit):
        page = latest[start : start + 4 * limit]
        ok = {
            x["id"] for x in state.stores.stream.alerts_shown(visible, [{"id": a.id} for a in page])
        }
        shown += [a for a in page if a.id in ok]
        if len(shown) >= limit:
            break
    shown = shown[:limit]
    ids = {a.id for a in shown}
    owed: dict[str, list[tuple[Obligation, list[ObligationEvent]]]] = {}
    for obligation, events in record.read_obligations():
        if obligation.alert_id in ids and obligation.created_at <= at:
            owed.setdefault(obligation.alert_id, []).append((obligation, events))
    items = [_item(a, owed.get(a.id, []), at) for a in shown]
    still_open = sum(1 for i in items for o in i["obligations"] if o["state"] == "open")
    return json_response({"at": iso(at), "alerts": items, "open_obligations": still_open})


def _item(
    alert: Alert, owed: list[tuple[Obligation, list[ObligationEvent]]], at: datetime
) -> dict[str, Any]:
    return {
        "id": alert.id,
        "instrument": alert.instrument_id,
        "trigger": alert.trigger_id,
        "kind": str(alert.kind),
        "level": str(alert.level),
        "fired_at": iso(alert.fired_at),
        "incidents": [int(f[2:]) for f in alert.fact_ids if f.startswith("I-")],
        "obligations": [
            {
                "id": o.id,
                "owner": o.owner,
                "kind": str(o.kind),
                "level": o.level,
                "text": o.text,
                "deadline": iso(o.deadline),
                "state": str(status_at(o, events, at).state),
                "remaining_s": (o.deadline - at).total_seconds(),
            }
            for o, events in owed
        ],
    }
