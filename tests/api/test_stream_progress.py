"""The live stream never skips a committed change: its cursors follow commit order, a poll
that reads while another process commits loses nothing, and a releasability label stored a
moment ago is judged with the labels as they are now, not as a cache last read them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from api_helpers import HQ, FreshHQDB, open_hq, report
from sqlalchemy import event, select
from test_stream_alerts import load_guarantees

from ceasefire.access.marking import decode_marking
from ceasefire.access.model import User
from ceasefire.api.routes_stream import Cursor, poll
from ceasefire.clock import FixedClock
from ceasefire.fusion.verification import StateChange, VerificationState
from ceasefire.store import schema
from ceasefire.store.access_sql import user_by_name
from ceasefire.store.fusion import incident_states
from ceasefire.store.fusion_sql import record_state
from ceasefire.store.queries import engine_of


def _user(hq: HQ, name: str, nation: str) -> User:
    hq.user(name, nation=nation)
    found = user_by_name(engine_of(hq.state.store), name)
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
    engine = engine_of(hq.state.store)
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


def _verify(hq: HQ, incident_pk: int, *, by: str) -> None:
    """An analyst verifies the incident (as ``POST /api/incidents/{id}/state`` records it),
    marked with the pairs of every report of it (its fusion state's marking)."""
    s = incident_states
    with engine_of(hq.state.store).connect() as conn:
        marking = conn.execute(
            select(s.c.marking).where(s.c.incident_pk == incident_pk).order_by(s.c.pk).limit(1)
        ).scalar_one()
    now = datetime.now(UTC)
    change = StateChange(
        f"I-{incident_pk}", VerificationState.REPORTED, VerificationState.VERIFIED, by, now
    )
    record_state(
        engine_of(hq.state.store),
        incident_pk,
        change,
        now.isoformat(),
        marking=decode_marking(marking),
    )


def test_a_change_committed_after_a_later_drawn_one_is_not_skipped(hq: HQ) -> None:
    # two analysts: the first one's state row (the lower pk) commits after the second's
    usa = _user(hq, "usa", "USA")
    hq.ingest([report("a", count=2), report("b", lat=48.6, count=3)])
    with engine_of(hq.state.store).connect() as conn:
        first, second = conn.execute(
            select(schema.incidents.c.pk)
            .where(schema.incidents.c.status == "active")
            .order_by(schema.incidents.c.pk)
        ).scalars()
    cursor = Cursor(hq.state)
    paused, release = threading.Event(), threading.Event()

    def hold_commit(*_: Any) -> None:  # the slow analyst's transaction waits to commit
        if threading.current_thread().name == "slow":
            paused.set()
            assert release.wait(30)

    event.listen(engine_of(hq.state.store), "commit", hold_commit)
    try:
        slow_one = threading.Thread(
            target=_verify, args=(hq, first), kwargs={"by": "slow"}, name="slow"
        )
        slow_one.start()
        assert paused.wait(30)
        quick_one = threading.Thread(target=_verify, args=(hq, second), kwargs={"by": "quick"})
        quick_one.start()
        quick_one.join(2.0)  # commits now (pk high-water marks), or waits for the slow one
        seen = poll(hq.state, usa, cursor)
        release.set()
        slow_one.join(30)
        quick_one.join(30)
    finally:
        release.set()
        event.remove(engine_of(hq.state.store), "commit", hold_commit)
    seen += poll(hq.state, usa, cursor)
    restated = {orjson.loads(e.split(b"data: ", 1)[1])["id"] for e in seen}
    assert restated == {first, second}
