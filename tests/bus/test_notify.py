"""The notify worker publishes each committed change once, under its topic, with ids and kinds
only; a worker that re-runs a round it already published (it died before moving its
cursors) has every copy dropped by the stream. On both backends, on the machine's NATS server
(each test has a changes stream of its own)."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from functools import cache
from pathlib import Path

import orjson
import pytest
from bus_processes import build_mini_store
from nats.js import JetStreamContext

from backend_databases import Databases, drop_url
from ceasefire.bus.changes import CHANGE_MESSAGE, ChangeNames, ensure_changes_stream
from ceasefire.bus.jetstream import connect
from ceasefire.bus.notify import NotifyStats, notify_round
from ceasefire.pipeline.ingest import ingest_files
from ceasefire.reports.gazetteer import Gazetteer
from ceasefire.reports.parse import ReportFormat
from ceasefire.settings import Settings
from ceasefire.store.base import Store, open_store
from ceasefire.store.change_feed import FeedCursors, feed_cursors
from ceasefire.store.queries import engine_of

NATS_URL = os.environ.get("CEASEFIRE_TEST_NATS", "nats://127.0.0.1:4222")
_runs = itertools.count(1)


@cache
def _gazetteer() -> Gazetteer:
    return Gazetteer.default()


@pytest.fixture
def store(backend: str, databases: Databases, tmp_path: Path) -> Iterator[Store]:
    url = databases.fresh(backend, tmp_path, key="bus-mini", build=build_mini_store)
    opened = open_store(Settings(db=url))
    try:
        yield opened
    finally:
        opened.close()
        drop_url(url)


@pytest.fixture
async def bus() -> AsyncIterator[tuple[JetStreamContext, ChangeNames]]:
    names = ChangeNames(prefix=f"CFN{os.getpid()}X{next(_runs)}")
    client = await connect(NATS_URL)
    js = client.jetstream()
    await ensure_changes_stream(js, names)
    try:
        yield js, names
    finally:
        await js.delete_stream(names.stream)
        await client.close()


def _ingest(store: Store, folder: Path) -> None:
    rows = [
        {
            "id": f"secret-{nation}",
            "source": f"OP-{nation}",
            "source_type": "observation_post",
            "reliability": "B",
            "credibility": 2,
            "observed_at": "2026-03-10T10:00:00Z",
            "lat": lat,
            "lon": 37.45,
            "uncertainty_m": 200,
            "category": "explosion",
            "count": 3,
            "releasable_to": [nation],
        }
        for nation, lat in (("FRA", 48.0), ("USA", 48.5))
    ]
    path = folder / "two.ndjson"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    ingest_files(store, [path], fmt=ReportFormat.NDJSON, gazetteer=_gazetteer(), parallel=False)


@pytest.mark.anyio
async def test_each_change_is_published_once_with_ids_only(
    store: Store, bus: tuple[JetStreamContext, ChangeNames], tmp_path: Path
) -> None:
    js, names = bus
    engine = engine_of(store)
    start = feed_cursors(engine, start_at_end=True)
    _ingest(store, tmp_path)
    stats = NotifyStats()
    cursors = start
    while (
        after := await notify_round(engine, js, names, cursors, batch=1, stats=stats)
    ) != cursors:
        cursors = after  # one change per log per round: the cursors advance in steps
    assert cursors.changes_seq > start.changes_seq
    assert cursors.ledger_seq > start.ledger_seq
    assert feed_cursors(engine, start_at_end=True) == cursors  # stored

    count = (await js.stream_info(names.stream)).state.messages
    messages = [await js.get_msg(names.stream, seq) for seq in range(1, count + 1)]
    topics = [str(m.subject).rsplit(".", 1)[1] for m in messages]
    assert topics.count("reports") == 2
    assert "incidents" in topics
    assert set(topics) <= {"reports", "incidents", "violations", "alerts"}
    ids = [(m.headers or {})["Nats-Msg-Id"] for m in messages]
    assert len(set(ids)) == len(ids)
    for message in messages:
        body = orjson.loads(message.data or b"")
        assert set(body) == {"log", "seq", "kind", "subject"}
        assert (message.headers or {})["Nats-Msg-Id"] == f"{body['log']}:{body['seq']}"
        assert (message.headers or {})["Ceasefire-Message"] == CHANGE_MESSAGE
        assert b"secret-" not in (message.data or b"")
        assert b"FRA" not in (message.data or b"")
    assert stats.published == count
    assert stats.duplicates == 0

    # a worker that died before storing its cursors runs the same round again: all copies
    again = NotifyStats()
    await notify_round(
        engine, js, names, FeedCursors(start.changes_seq, start.ledger_seq), batch=100, stats=again
    )
    assert again.published == count
    assert again.duplicates == count
    assert (await js.stream_info(names.stream)).state.messages == count
