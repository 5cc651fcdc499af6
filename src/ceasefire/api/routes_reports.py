"""Observation reports: submit (one, or a batch as NDJSON) and list what the caller may see.

Submissions go through the same parser, validation, quarantine and fusion as
``ceasefire ingest``, from the body's bytes (``pipeline.ingest.ingest_bytes``), so a bad
line is quarantined whole with its field and rule, and a re-sent report changes nothing.

With a bus (``CEASEFIRE_BUS``), the body is published to the intake stream instead, and the
answer (202) comes once the stream has stored it: "accepted for processing" with the content
ids, not counts, since the ``prepare`` workers decide later (docs/bus.md).

Every report is recorded as the caller's, in the key scope of the caller's nation (or
organisation): the answer depends only on that scope, never on another nation's reports, and
an amendment of a report the caller may not change is answered as one of an unknown report
(docs/spec/observation-report.md, "Ownership").
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from ceasefire.access.model import Role, User
from ceasefire.api.auth import CurrentUser, hq, require
from ceasefire.api.params import Page
from ceasefire.api.schemas import IngestOut, IntakeAcceptedOut, ReportPage
from ceasefire.api.state import HQState
from ceasefire.api.views import encode_cursor, json_response
from ceasefire.errors import InputError
from ceasefire.fusion.items import iso_s

router = APIRouter(prefix="/api", tags=["reports"])
HQ = Annotated[HQState, Depends(hq)]
Monitor = Annotated[User, Depends(require(Role.MONITOR))]
#: Largest accepted body, bytes (larger batches go through ``ceasefire ingest``).
MAX_BODY_BYTES = 64 << 20

_SUBMIT_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "description": "one observation report"}
            },
            "application/x-ndjson": {
                "schema": {"type": "string", "description": "one report per line"}
            },
        },
    }
}


def _ndjson(body: bytes, content_type: str) -> bytes:
    """The body as NDJSON lines: a JSON object becomes one line; NDJSON passes as is."""
    kind = content_type.split(";", maxsplit=1)[0].strip().lower()
    if kind in ("application/x-ndjson", "application/ndjson", "application/jsonl"):
        return body
    if kind == "application/json":
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise InputError("body", "json", f"not JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise InputError(
                "body", "object", "one report is a JSON object; send batches as NDJSON"
            )
        return orjson.dumps(value) + b"\n"
    raise InputError(
        "content-type", "media_type", "send application/json (one report) or application/x-ndjson"
    )


def _ingest(state: HQState, lines: bytes, user: User) -> dict[str, Any]:
    from ceasefire.pipeline.ingest import Quarantined, ingest_bytes  # noqa: PLC0415 - heavy
    from ceasefire.reports.parse import ReportFormat  # noqa: PLC0415

    quarantined: list[Quarantined] = []
    with state.write_lock:
        submitter = state.stores.access.submitter_of(user)
        summary = ingest_bytes(
            state.store,
            lines,
            fmt=ReportFormat.NDJSON,
            input_name="api",
            gazetteer=state.gazetteer(),
            clock=state.clock,
            submitter=submitter,
            quarantined=quarantined,
        )
    # what this request quarantined, not what the table newly stored: an identical line
    # quarantined before is answered the same as a first one
    rejected = [
        {"line": line, "field": field, "rule": rule, "message": message}
        for line, field, rule, message in quarantined
    ]
    return {
        "accepted": summary.accepted,
        "duplicates": summary.duplicates,
        "quarantined": summary.quarantined,
        "rejected": rejected,
    }


@router.post(
    "/reports",
    response_model=IngestOut,
    responses={202: {"model": IntakeAcceptedOut, "description": "on the bus, not yet processed"}},
    openapi_extra=_SUBMIT_DOC,
)
async def submit_reports(request: Request, state: HQ, user: Monitor) -> Response:
    """Submit one report (JSON) or a batch (NDJSON); bad lines are quarantined, not lost."""
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise InputError("body", "size", f"larger than {MAX_BODY_BYTES} bytes")
    if not body.strip():
        raise InputError("body", "required", "no report in the request body")
    lines = _ndjson(body, request.headers.get("content-type", ""))
    if state.publisher is not None:
        from ceasefire.bus.intake import IntakeInput  # noqa: PLC0415 - only with a bus

        answer = await state.publisher.publish(
            IntakeInput(lines, "api", "ndjson"),
            principal=user.principal,
            account_pk=user.pk,
            received_at=state.clock.now(),
        )
        response = json_response(answer.as_json())
        response.status_code = 202
        return response
    result = await run_in_threadpool(_ingest, state, lines, user)
    return json_response(result)


@router.get("/reports", response_model=ReportPage)
def list_reports(state: HQ, user: CurrentUser, query: Page) -> Response:
    """Reports the caller may see, oldest first, one page at a time."""
    rows = state.stores.read_model.report_page(state.visible(user), query)
    items = [
        {
            "pk": int(r["pk"]),
            "id": r["id"],
            "source": r["source"],
            "source_type": r["source_type"],
            "reliability": r["reliability"],
            "credibility": int(r["credibility"]),
            "observed_at": iso_s(float(r["observed_at"])),
            "category": r["category"],
            "weapon_class": r["weapon_class"],
            "count": int(r["count"]),
            "lon": r["located_lon"],
            "lat": r["located_lat"],
            "uncertainty_m": r["located_uncertainty_m"],
            "party": r["party"],
            "distance_to_line_km": r["distance_to_line_km"],
            "classification": r["classification"],
            "releasable_to": r["releasable_to"].split(";") if r["releasable_to"] else [],
            "status": r["status"],
        }
        for r in rows
    ]
    cursor = None
    if len(rows) == query.limit:
        cursor = encode_cursor(float(rows[-1]["observed_at"]), int(rows[-1]["pk"]))
    return json_response({"items": items, "next_cursor": cursor})
