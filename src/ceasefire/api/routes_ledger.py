"""``GET /api/ledger/export``: the ledger as the caller's nation may receive it.

The same file ``ceasefire ledger export --for NATION --clearance LEVEL`` writes for the
caller's nation (or organisation) and clearance: entries the caller may not read in full are
withheld lines (a salted commitment, nothing else), and the file verifies offline with
``ceasefire ledger verify`` against the same signatures as every other nation's export.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from ceasefire.api.auth import CurrentUser, hq
from ceasefire.api.state import HQState
from ceasefire.ledger.export import export_lines
from ceasefire.ledger.marking import release_rule

router = APIRouter(prefix="/api", tags=["ledger"])
HQ = Annotated[HQState, Depends(hq)]
JSONL = "application/jsonl"


@router.get(
    "/ledger/export",
    response_class=StreamingResponse,
    responses={200: {"content": {JSONL: {}}, "description": "docs/ledger.md, format v2"}},
)
def ledger_export(state: HQ, user: CurrentUser) -> StreamingResponse:
    """The checkpointed ledger for the caller's nation and clearance (JSON Lines)."""
    lines, _summary = export_lines(state.stores.ledger, release=release_rule(state.viewer(user)))
    name = f"ledger-{user.principal or 'none'}-{user.clearance}.jsonl"
    return StreamingResponse(
        lines,
        media_type=JSONL,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
