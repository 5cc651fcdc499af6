"""The live stream never skips a committed change: its cursors follow commit order, a poll
that reads while another process commits loses nothing, and a releasability label stored a
moment ago is judged with the labels as they are now, not as a cache last read them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from api_helpers import HQ, FreshHQDB, open_hq, report
from sqlalchemy import event
from test_stream_alerts import load_guarantees

from ceasefire.access.model import User
from ceasefire.api.routes_stream import Cursor, poll
from ceasefire.clock import FixedClock
from ceasefire.store.access_sql import user_by_name


def _user(hq: HQ, name: str, nation: str) -> User:
    hq.user(name, nation=nation)
    found = user_by_name(hq.state.engine, name)
    assert found is not None
    return found[0]


def _kinds(events: list[bytes]) -> list[bytes]:
    return [e.split(b"\n", 1)[0] for e in events]


@contextmanager
def _commit_during_poll(
    hq: HQ, reports: list[dict[str, Any]], tables: tuple[str, ...]
) -> Iterator[list[str]]:
    """Ingest ``reports`` (another writer, committed) right after the poll's first statement
    reading one of ``tables``, i.e. while the poll is still reading its feeds: the yielded
    list names the statement it came after (empty: the poll never read those tables)."""
    engine = hq.state.engine
    after: list[str] = []

    def listener(*args: Any) -> None:
        statement = str(args[2]).lower()
        if after or not any(f"from {t}" in statement for t in tables):
            return
        after.append(statement)
        hq.ingest(reports)

    event.listen(engine, "after_cursor_execute", listener)
    try:
        yield after
    finally:
        event.remove(engine, "after_cursor_execute", listener)


def test_an_incident_committed_while_a_poll_reads_reaches_the_next_poll(hq: HQ) -> None:
    usa = _user(hq, "usa", "USA")
    cursor = Cursor(hq.state)
    # the incident feed: incident states (re-stated incidents), or the change log
    feed = ("incident_states", "changes")
    with _commit_during_poll(hq, [report("mid", count=5)], feed) as after:
        first = poll(hq.state, usa, cursor)
    assert after, "the poll never read its change feed"
    second = poll(hq.state, usa, cursor)
    sent = b"".join(first + second)
    assert b"event: incident" in sent
    assert b'"count_best":5' in sent
    assert poll(hq.state, usa, cursor) == []


def test_an_alert_committed_while_a_poll_reads_reaches_the_next_poll(
    hq: HQ, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_guarantees(hq, tmp_path, monkeypatch)
    usa = _user(hq, "usa", "USA")
    cursor = Cursor(hq.state)
    with _commit_during_poll(hq, [report("boom", count=3)], ("ledger_entries",)) as after:
        first = poll(hq.state, usa, cursor)
    assert after, "the poll never read the ledger"
    second = poll(hq.state, usa, cursor)
    assert _kinds(first + second).count(b"event: alert") == 1
    assert poll(hq.state, usa, cursor) == []


def test_a_poll_sends_each_change_once(hq: HQ) -> None:
    usa = _user(hq, "usa", "USA")
    cursor = Cursor(hq.state)
    hq.ingest([report("a", count=2)])
    first = poll(hq.state, usa, cursor)
    assert _kinds(first) == [b"event: incident"]
    assert poll(hq.state, usa, cursor) == []
    hq.ingest([report("b", lat=48.6, count=3)])
    second = poll(hq.state, usa, cursor)
    assert _kinds(second) == [b"event: incident"]
    assert b'"count_best":3' in second[0]


def test_a_label_stored_after_the_stream_started_is_judged_as_stored_now(
    hq_db: FreshHQDB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the HQ's clock stands still: a cache renewed "once a second" is never renewed
    clock = FixedClock(datetime(2026, 3, 10, 12, tzinfo=UTC))
    folder = tmp_path / "hq"
    with open_hq(hq_db(folder), folder, clock=clock) as hq:
        load_guarantees(hq, tmp_path, monkeypatch)
        usa = _user(hq, "usa", "USA")
        cursor = Cursor(hq.state)
        assert poll(hq.state, usa, cursor) == []  # reads the labels stored so far
        # the first report ever releasable to USA fires the breach alert
        hq.ingest([report("boom", count=3, releasable_to=["USA"])])
        events = poll(hq.state, usa, cursor)
    assert b"event: incident" in _kinds(events)
    assert b"event: alert" in _kinds(events)
