"""The change log: what was written, in commit order, for consumers that keep a cursor on it.

Why not "the highest pk seen": with several writers, ids are drawn when a transaction starts
writing and become visible when it commits, and the two orders differ. A consumer that had
seen pk 200 (committed first) would never look at pk 150 (drawn earlier, committed later).
A sequence number assigned *in commit order* has no such hole: once a consumer sees ``seq``
S, every change with a smaller ``seq`` is committed and visible.

How ``seq`` follows commit order:

* PostgreSQL: the writer takes a transaction-scoped advisory lock (``COMMIT_ORDER_LOCK``)
  just before its last statements (the change rows, then the ledger entries) and holds it to
  its commit. Two writers' change rows therefore never interleave, and the one that took
  the lock first commits first: ``seq`` (an identity) ascends in commit order. The lock is
  held for the tail of a chunk only (a few hundred milliseconds per 50,000 reports); the
  chunk's bulk load runs outside it, in parallel. The ledger's chain append goes under the
  same lock, which keeps the chain one line.
  (The alternative, ``pg_xact_commit_timestamp``, needs ``track_commit_timestamp`` set on
  the server and a restart, and still lets a transaction with an earlier timestamp become
  visible after a later one: no cursor can be kept on it without a grace period.)
* SQLite: one writer at a time (the database lock); ``seq`` ascends in commit order as is.

Consumers (``fusion``: ``pipeline/fuse.py``) read the changes after their cursor, do their
work, and then move the cursor to the ``seq`` they read up to. A consumer that dies between
the two merely does the work again, which is idempotent by construction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import orjson
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Identity,
    Integer,
    String,
    Table,
    func,
    select,
    text,
)

from ceasefire.store.dialect import RawCursor, is_postgresql, json_ids
from ceasefire.store.metadata import metadata

#: Advisory lock key (any 64-bit integer, the same for every writer of a database) under which
#: change rows and ledger entries are appended: ``seq`` order is then commit order.
COMMIT_ORDER_LOCK = 0x43454153_0001
#: Session-level advisory lock key under which fusion and the guarantees refresh run: two
#: processes fusing the same reports at once would each supersede the other's incidents.
FUSION_LOCK = 0x43454153_0002

#: A newly stored report (the reports it amends or withdraws are found through it).
REPORT = "report"

changes = Table(
    "changes",
    metadata,
    Column("seq", Integer, Identity(), primary_key=True, comment="commit order"),
    Column("kind", String(16), nullable=False, comment="what changed: report"),
    Column("subject_pk", Integer, nullable=False, comment="pk of the row of that kind"),
    Column("at", String(32), nullable=False, comment="when written, ISO 8601 UTC"),
)

change_cursors = Table(
    "change_cursors",
    metadata,
    Column("consumer", String(32), primary_key=True, comment="e.g. fusion"),
    Column("seq", Integer, nullable=False, comment="changes up to this seq are consumed"),
)


def append_reports(cur: RawCursor, report_pks: list[int], at: str) -> None:
    """Log ``report_pks`` as changed, in the writer's transaction (one statement).

    On PostgreSQL this takes ``COMMIT_ORDER_LOCK`` first: call it as the last write but the
    ledger's, right before commit, so the lock is held briefly.
    """
    if cur.postgresql:
        cur.execute("SELECT pg_advisory_xact_lock(?)", (COMMIT_ORDER_LOCK,))
    if report_pks:
        cur.execute(
            "INSERT INTO changes (kind, subject_pk, at) "
            f"SELECT ?, j.value, ? FROM {json_ids(postgresql=cur.postgresql)} AS j",
            (REPORT, at, orjson.dumps(list(report_pks)).decode()),
        )


def last_seq(conn: Connection) -> int:
    """The highest ``seq`` committed so far (0: none). Every change up to it is visible to
    statements that start after this one."""
    top = conn.execute(select(func.max(changes.c.seq))).scalar()
    return int(top or 0)


def cursor_of(conn: Connection, consumer: str) -> int | None:
    """Where ``consumer`` stands (``None``: it never ran)."""
    c = change_cursors
    found = conn.execute(select(c.c.seq).where(c.c.consumer == consumer)).scalar()
    return None if found is None else int(found)


def changed_since(conn: Connection, kind: str, after: int, upto: int) -> list[int]:
    """Subject pks of ``kind`` logged with ``after < seq <= upto``, ascending, each once."""
    c = changes
    rows = conn.execute(
        select(c.c.subject_pk)
        .where(c.c.kind == kind, c.c.seq > after, c.c.seq <= upto)
        .distinct()
        .order_by(c.c.subject_pk)
    ).scalars()
    return [int(pk) for pk in rows]


def move_cursor(engine: Engine, consumer: str, seq: int) -> None:
    """Set ``consumer``'s cursor to ``seq`` (never backwards: a slower run of the same
    consumer that read less must not undo a faster one's progress)."""
    with engine.begin() as conn:
        current = cursor_of(conn, consumer)
        c = change_cursors
        if current is None:
            conn.execute(c.insert().values(consumer=consumer, seq=seq))
        elif seq > current:
            conn.execute(c.update().where(c.c.consumer == consumer).values(seq=seq))


@contextmanager
def one_at_a_time(engine: Engine, key: int) -> Iterator[None]:
    """Run the body while holding the session-level advisory lock ``key`` (PostgreSQL).

    For work that reads a consistent picture and writes from it, like fusion, which several
    processes must not do at once. On SQLite a no-op: its writers are one at a time already.
    The lock goes with the connection, so a killed process releases it.
    """
    if not is_postgresql(engine):
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()
