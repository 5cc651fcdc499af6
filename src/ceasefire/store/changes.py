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

Consumers read the changes after their cursor up to ``last_seq`` read *first* (never "the
highest seq among the rows I read", which a change committing during the read would jump),
do their work, and then move the cursor to that ``seq``. A consumer that dies between the
two merely does the work again, which is idempotent by construction. They are: fusion
(``pipeline/fuse.py``: reports), the guarantees refresh (``store/guarantee_facts.py``:
incidents, states, decisions, remedies, superseded incidents; its cursor is kept with each
evaluation) and every HQ live stream (``api/routes_stream.py``: incidents and states; its
cursor lives in the connection).
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

from ceasefire.store.dialect import RawCursor, is_postgresql, json_ids, raw_cursor
from ceasefire.store.metadata import metadata

#: Advisory lock key (any 64-bit integer, the same for every writer of a database) under which
#: change rows and ledger entries are appended: ``seq`` order is then commit order.
COMMIT_ORDER_LOCK = 0x43454153_0001
#: Session-level advisory lock key under which fusion and the guarantees refresh run: two
#: processes fusing the same reports at once would each supersede the other's incidents.
FUSION_LOCK = 0x43454153_0002

#: A newly stored report (the reports it amends or withdraws are found through it).
REPORT = "report"
#: An incident fusion stated (created, or an ingest's one-report incident it kept).
INCIDENT = "incident"
#: An incident fusion superseded (subject: the incident).
SUPERSEDED = "superseded"
#: A row of ``incident_states`` (fusion's first states, analysts' changes; subject: its pk).
STATE = "state"
#: A row of ``attribution_decisions`` (subject: its pk).
DECISION = "decision"
#: A row of ``remedies`` (subject: its pk).
REMEDY = "remedy"

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
    _lock_commit_order(cur)
    _append(cur, REPORT, report_pks, at)


def log_changes(conn: Connection, kinds: dict[str, list[int]], at: str) -> None:
    """Log ``kinds`` (kind → subject pks) as changed, in ``conn``'s transaction, one
    statement per kind: ``append_reports`` for rows written through SQLAlchemy.

    On PostgreSQL this takes ``COMMIT_ORDER_LOCK`` first (held to the commit): call it as the
    transaction's last write but the ledger's (whose lock comes second on every path, so two
    writers never wait on each other's), so the lock is held briefly.
    """
    if not any(kinds.values()):
        return
    cur = raw_cursor(conn)
    try:
        _lock_commit_order(cur)
        for kind, pks in kinds.items():
            _append(cur, kind, pks, at)
    finally:
        cur.close()


def _lock_commit_order(cur: RawCursor) -> None:
    if cur.postgresql:
        cur.execute("SELECT pg_advisory_xact_lock(?)", (COMMIT_ORDER_LOCK,))


def _append(cur: RawCursor, kind: str, pks: list[int], at: str) -> None:
    if pks:
        cur.execute(
            "INSERT INTO changes (kind, subject_pk, at) "
            f"SELECT ?, j.value, ? FROM {json_ids(postgresql=cur.postgresql)} AS j",
            (kind, at, orjson.dumps(list(pks)).decode()),
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


def changes_after(
    conn: Connection, kinds: list[str], after: int, upto: int
) -> list[tuple[str, int]]:
    """``(kind, subject pk)`` of the changes of ``kinds`` with ``after < seq <= upto``, in
    commit order (a subject changed twice is listed twice)."""
    c = changes
    rows = conn.execute(
        select(c.c.kind, c.c.subject_pk)
        .where(c.c.kind.in_(kinds), c.c.seq > after, c.c.seq <= upto)
        .order_by(c.c.seq)
    ).all()
    return [(str(kind), int(pk)) for kind, pk in rows]


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
