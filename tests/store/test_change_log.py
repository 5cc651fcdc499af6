"""The change log (store/changes.py): every chunk logs its reports in commit order, consumers
keep a cursor on it, and a second writer of the same report key is told to decide again."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from store_builders import T0, make_chunk, make_row, make_version

from ceasefire.errors import WriteConflictError
from ceasefire.settings import Settings
from ceasefire.store.base import Store, open_store
from ceasefire.store.changes import REPORT, changed_since, cursor_of, last_seq, move_cursor
from ceasefire.store.queries import engine_of


def _log(store: Store) -> list[tuple[int, str, int]]:
    with engine_of(store).connect() as conn:
        rows = conn.execute(text("SELECT seq, kind, subject_pk FROM changes ORDER BY seq")).all()
    return [(int(seq), str(kind), int(pk)) for seq, kind, pk in rows]


def _report_pks(store: Store) -> list[int]:
    with engine_of(store).connect() as conn:
        return [
            int(pk) for pk in conn.execute(text("SELECT pk FROM reports ORDER BY pk")).scalars()
        ]


def test_each_chunk_logs_its_reports_once_in_commit_order(store: Store) -> None:
    version_pk, _ = store.add_agreement_version(make_version())
    run = store.start_ingest_run(["a.ndjson"], T0)
    store.write_chunk(make_chunk(run, [make_row(version_pk), make_row(version_pk, id="r2")]))
    first = _report_pks(store)
    store.write_chunk(make_chunk(run, [make_row(version_pk, id="r3")]))
    log = _log(store)
    assert [kind for _, kind, _ in log] == [REPORT] * 3
    assert [pk for _, _, pk in log] == _report_pks(store)
    assert [seq for seq, _, _ in log] == sorted(seq for seq, _, _ in log)
    engine = engine_of(store)
    with engine.connect() as conn:
        upto = last_seq(conn)
        assert cursor_of(conn, "fusion-test") is None
        assert changed_since(conn, REPORT, log[1][0], upto) == [log[2][2]]
        assert changed_since(conn, REPORT, 0, log[1][0]) == first
    move_cursor(engine, "fusion-test", upto)
    move_cursor(engine, "fusion-test", 1)  # never backwards
    with engine.connect() as conn:
        assert cursor_of(conn, "fusion-test") == upto


# PostgreSQL only: SQLite has one writer, the second transaction waits for the first whole
@pytest.mark.parametrize("backend", ["postgres"])
def test_a_key_committed_by_another_writer_first_is_a_write_conflict(
    store: Store, fresh_db: str
) -> None:
    version_pk, _ = store.add_agreement_version(make_version())
    run = store.start_ingest_run(["a.ndjson"], T0)
    failures: list[WriteConflictError] = []
    stores = [store, *(open_store(Settings(db=fresh_db)) for _ in range(3))]

    def write_r9(into: Store) -> None:
        try:
            into.write_chunk(make_chunk(run, [make_row(version_pk, id="r9")]))
        except WriteConflictError as exc:
            failures.append(exc)

    writers = [threading.Thread(target=write_r9, args=(s,)) for s in stores]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    for other in stores[1:]:
        other.close()
    assert len(failures) == 3  # four writers of one key: one stored it, three were told
    assert len(_report_pks(store)) == 1
    assert _report_pks(store) == [pk for _, _, pk in _log(store)]
