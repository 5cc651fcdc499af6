"""What the notify worker reads: committed changes after its cursors, from the two
commit-ordered logs the store keeps.

* ``changes`` (``store/changes.py``): one row per stored report, ``seq`` in commit order.
* ``ledger_entries`` (``store/ledger.py``): the hash chain, appended under an advisory lock
  held to commit, so its ``seq`` is commit order too. Fusion's ``incident.state`` entries
  (new and superseded incidents), ``violation.recorded``, ``attribution.recorded`` and the
  guarantees' ``trigger.fired`` are there and nowhere in ``changes``.

A cursor on either log never skips a committed row: once ``seq`` S is visible, every smaller
``seq`` is committed or will never be. The cursors live in ``change_cursors`` under the names
``NOTIFY`` and ``NOTIFY_LEDGER``. Only ids and kinds are read, never payloads: the notify
worker publishes no releasable content.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from ceasefire.store.changes import changes, cursor_of, move_cursor
from ceasefire.store.ledger import ledger_entries

#: ``change_cursors`` consumer names of the notify worker, one per log.
NOTIFY = "notify"
NOTIFY_LEDGER = "notify.ledger"
#: The two logs, as ``Change.log`` names them (and the message ids carry).
CHANGES_LOG = "changes"
LEDGER_LOG = "ledger"


@dataclass(frozen=True, slots=True)
class Change:
    """One committed change: which log, its ``seq`` there, its kind and the subject's id
    (a report pk for ``changes``; a ledger subject id such as ``I-12`` or ``incidents``)."""

    log: str
    seq: int
    kind: str
    subject: str


@dataclass(frozen=True, slots=True)
class FeedCursors:
    """Where the notify worker stands on each log (0: at the beginning)."""

    changes_seq: int
    ledger_seq: int


def feed_cursors(engine: Engine, *, start_at_end: bool) -> FeedCursors:
    """The notify worker's cursors; on its first run, the logs' ends (``start_at_end``: a
    new deployment does not replay history to the HQ servers) or 0, stored at once."""
    with engine.connect() as conn:
        at_changes = cursor_of(conn, NOTIFY)
        at_ledger = cursor_of(conn, NOTIFY_LEDGER)
        top_c = conn.execute(select(func.coalesce(func.max(changes.c.seq), 0))).scalar_one()
        top_l = conn.execute(select(func.coalesce(func.max(ledger_entries.c.seq), 0))).scalar_one()
    if at_changes is None:
        at_changes = int(top_c) if start_at_end else 0
        move_cursor(engine, NOTIFY, at_changes)
    if at_ledger is None:
        at_ledger = int(top_l) if start_at_end else 0
        move_cursor(engine, NOTIFY_LEDGER, at_ledger)
    return FeedCursors(at_changes, at_ledger)


def changes_after(
    engine: Engine, cursors: FeedCursors, *, ledger_kinds: Collection[str], limit: int
) -> tuple[list[Change], FeedCursors]:
    """Up to ``limit`` changes of each log after ``cursors``, ascending, and the cursors that
    follow them. Ledger entries of kinds outside ``ledger_kinds`` are passed over (the cursor
    moves past them) but not returned: a 50,000-report chunk's ``report.accepted`` entries
    are the ``changes`` rows again."""
    c, e = changes, ledger_entries
    with engine.connect() as conn:
        logged = conn.execute(
            select(c.c.seq, c.c.kind, c.c.subject_pk)
            .where(c.c.seq > cursors.changes_seq)
            .order_by(c.c.seq)
            .limit(limit)
        ).all()
        ledger_top = conn.execute(
            select(func.max(e.c.seq)).where(
                e.c.seq > cursors.ledger_seq, e.c.seq <= cursors.ledger_seq + limit
            )
        ).scalar()
        upto = int(ledger_top) if ledger_top is not None else cursors.ledger_seq
        entries = conn.execute(
            select(e.c.seq, e.c.event_type, e.c.subject_id)
            .where(e.c.seq > cursors.ledger_seq, e.c.seq <= upto)
            .where(e.c.event_type.in_(list(ledger_kinds)))
            .order_by(e.c.seq)
        ).all()
    found = [Change(CHANGES_LOG, int(s), str(k), str(pk)) for s, k, pk in logged]
    found.extend(Change(LEDGER_LOG, int(s), str(k), str(subject)) for s, k, subject in entries)
    changes_seq = int(logged[-1][0]) if logged else cursors.changes_seq
    return found, FeedCursors(changes_seq, upto)


def store_cursors(engine: Engine, cursors: FeedCursors) -> None:
    """Record that every change up to ``cursors`` is published (never moves backwards)."""
    move_cursor(engine, NOTIFY, cursors.changes_seq)
    move_cursor(engine, NOTIFY_LEDGER, cursors.ledger_seq)
