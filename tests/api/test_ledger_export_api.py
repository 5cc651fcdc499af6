"""``GET /api/ledger/export``: each caller gets the ledger as their nation and clearance may
receive it, verifiable offline, and nothing of what they may not read."""

from __future__ import annotations

import io
from pathlib import Path

from api_helpers import HQ, report

from ceasefire.access.model import Role
from ceasefire.clock import SystemClock
from ceasefire.ledger.export import export_ledger
from ceasefire.ledger.keys import generate_key, load_private_key, load_trusted_key
from ceasefire.ledger.marking import nation_viewer, release_rule
from ceasefire.ledger.model import KeyRole
from ceasefire.ledger.service import create_checkpoint, register_key
from ceasefire.ledger.verify import split_lines, verify_bytes
from ceasefire.reports.model import Classification
from ceasefire.store.access_sql import load_release_groups
from ceasefire.store.ledger import SqlLedger
from ceasefire.store.queries import engine_of


def _checkpointed(hq: HQ, keys: Path) -> list[Path]:
    hq.ingest(
        [
            report("secret-fra", source="FRA-POST", classification="SECRET", releasable_to=["FRA"]),
            report("open-1", source="OSCE-CAM", minute=30, lon=37.40, lat=48.2),
            report("usa-only", source="USA-UAV", minute=50, lon=37.42, lat=48.4,
                   releasable_to=["USA"]),
        ]
    )  # fmt: skip
    ledger, clock = SqlLedger(engine_of(hq.state.store)), SystemClock()
    key = generate_key("HQ", KeyRole.HQ, keys, created_at="2026-01-06T00:00:00.000000Z")
    register_key(ledger, key.public, clock=clock)
    assert create_checkpoint(ledger, load_private_key(key.private_path), clock=clock) is not None
    return [key.public_path]


def test_a_caller_gets_their_nations_export_and_it_verifies(hq: HQ, tmp_path: Path) -> None:
    trusted = [load_trusted_key(p) for p in _checkpointed(hq, tmp_path / "keys")]
    fra = hq.user("fra-liaison", nation="FRA", clearance=Classification.RESTRICTED,
                  roles=[Role.LIAISON])  # fmt: skip
    usa = hq.user("usa-liaison", nation="USA", clearance=Classification.SECRET,
                  roles=[Role.LIAISON])  # fmt: skip

    answer = hq.client.get("/api/ledger/export", headers=fra)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/jsonl"
    body = answer.content
    verdict = verify_bytes(body, trusted=trusted)
    assert verdict.ok, verdict.failure
    assert verdict.withheld > 0
    assert b"open-1" in body
    for hidden in (b"secret-fra", b"FRA-POST", b"usa-only", b"USA-UAV"):
        assert hidden not in body

    # the same bytes as `ceasefire ledger export --for FRA --clearance RESTRICTED`
    groups = load_release_groups(engine_of(hq.state.store))
    viewer = nation_viewer("FRA", Classification.RESTRICTED, groups)
    cli = io.BytesIO()
    export_ledger(SqlLedger(engine_of(hq.state.store)), cli, release=release_rule(viewer))
    assert body == cli.getvalue()

    theirs = hq.client.get("/api/ledger/export", headers=usa).content
    assert verify_bytes(theirs, trusted=trusted).ok
    assert b"usa-only" in theirs
    assert b"secret-fra" not in theirs
    signed = [line for line in split_lines(body) if b'"kind":"checkpoint"' in line]
    assert signed == [line for line in split_lines(theirs) if b'"kind":"checkpoint"' in line]


def test_the_export_needs_a_token(hq: HQ) -> None:
    answer = hq.client.get("/api/ledger/export")
    assert answer.status_code == 401
    assert b'"kind"' not in answer.content
