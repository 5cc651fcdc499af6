"""A guarantee alert reaches the HQ's live stream as soon as the ingest that fired it ends."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from api_helpers import HQ, report
from typer.testing import CliRunner

from ceasefire.api.routes_stream import Cursor, poll
from ceasefire.cli.main import app
from ceasefire.store.access_sql import user_by_name
from ceasefire.store.queries import engine_of

# A consult-within-24-h promise over the mini agreement: any reported breach of severity >= 2
# (rule R1: an explosion after 1 March 2026) fires it.
GUARANTEES = """\
version: 1
ceasefire: {in_force_from: 2026-03-01T00:00:00Z}
instruments:
  - id: mini-bilateral
    title: A bilateral consultation promise over the mini agreement (test)
    parties: {guarantors: [GBR], beneficiary: UKR}
    legal_form: political
    entry_into_force:
      - {kind: ceasefire_in_force}
    triggers:
      - {id: breach, kind: breach, min_severity: 2, min_verification: reported, level: red}
    obligations:
      - {id: consult-24h, trigger: breach, owner: GBR, kind: consult, level: 0, due_h: 24,
         text: Consult within 24 hours}
"""


def load_guarantees(hq: HQ, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The consult-within-24-h promise, loaded into the HQ's store through the CLI."""
    monkeypatch.delenv("CEASEFIRE_DB", raising=False)
    path = tmp_path / "guarantees.yaml"
    path.write_text(GUARANTEES, encoding="utf-8")
    loaded = CliRunner().invoke(app, ["--db", hq.db, "guarantees", "load", str(path)])
    assert loaded.exit_code == 0, loaded.output


def test_an_alert_fired_by_an_ingest_is_streamed_without_its_evidence(
    hq: HQ, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_guarantees(hq, tmp_path, monkeypatch)
    hq.user("gbr", nation="GBR")
    found = user_by_name(engine_of(hq.state.store), "gbr")
    assert found is not None
    cursor = Cursor(hq.state)
    assert poll(hq.state, found[0], cursor) == []
    hq.ingest([report("boom", count=3)])
    events = poll(hq.state, found[0], cursor)
    alerts = [e for e in events if e.startswith(b"event: alert")]
    assert len(alerts) == 1
    data = orjson.loads(alerts[0].split(b"data: ", 1)[1])
    assert data["instrument"] == "mini-bilateral"
    assert data["trigger"] == "breach"
    assert data["level"] == "red"
    assert "facts" not in data
    assert poll(hq.state, found[0], cursor) == []


def test_an_alert_is_streamed_only_to_readers_who_see_all_its_evidence(
    hq: HQ, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_guarantees(hq, tmp_path, monkeypatch)
    users = {}
    for name, nation in (("fra", "FRA"), ("usa", "USA")):
        hq.user(name, nation=nation)
        found = user_by_name(engine_of(hq.state.store), name)
        assert found is not None
        users[name] = found[0]
    cursors = {name: Cursor(hq.state) for name in users}
    # the breach is known only from a report releasable to France
    hq.ingest([report("boom", count=3, releasable_to=["FRA"])])
    seen = {
        name: [e for e in poll(hq.state, user, cursors[name]) if e.startswith(b"event: alert")]
        for name, user in users.items()
    }
    assert len(seen["fra"]) == 1
    assert seen["usa"] == []
