"""Which intake messages of the bus are written: the ``prepare`` workers' turns.

Why in the store and not in JetStream: a batch may be written only after every earlier batch
of the stream (``bus/workers.py`` says why), and "written" is a fact of the database. The
consumer's acknowledgement floor says the same only until the server restarts: deliveries in
flight are lost, and we measured the floor of nats-server 2.9 stuck below a message that had
been written and acknowledged. A row here is added just after the batch's own transaction
committed (a worker killed in between re-does the batch, which then writes nothing but this
row), and a message quarantined as poison gets one too.

Rows are keyed by the stream's creation time (``epoch``) and the message's stream sequence:
a stream deleted and created again starts its sequence at 1 again.
"""

from __future__ import annotations

from sqlalchemy import Column, Engine, Integer, PrimaryKeyConstraint, String, Table, func, select

from ceasefire.store.dialect import raw_cursor
from ceasefire.store.metadata import metadata

bus_intake_done = Table(
    "bus_intake_done",
    metadata,
    Column("epoch", String(40), nullable=False, comment="the stream's creation time, ISO 8601"),
    Column("stream_seq", Integer, nullable=False, comment="the message's stream sequence"),
    Column("content_id", String(64), nullable=False, comment="Nats-Msg-Id (SHA-256, hex)"),
    Column("outcome", String(16), nullable=False, comment="written or poison"),
    Column("done_at", String(40), nullable=False, comment="when recorded, ISO 8601 UTC"),
    PrimaryKeyConstraint("epoch", "stream_seq"),
)


def record_done(
    engine: Engine, *, epoch: str, seq: int, content_id: str, outcome: str, at: str
) -> None:
    """Record message ``seq`` of stream ``epoch`` as settled (again: nothing changes)."""
    with engine.begin() as conn:
        raw_cursor(conn).execute(
            "INSERT INTO bus_intake_done (epoch, stream_seq, content_id, outcome, done_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (epoch, stream_seq) DO NOTHING",
            (epoch, seq, content_id, outcome, at),
        )


def is_done(engine: Engine, *, epoch: str, seq: int) -> bool:
    """Whether message ``seq`` was settled before (a re-delivery: nothing to do but ack)."""
    table = bus_intake_done
    with engine.connect() as conn:
        found = conn.execute(
            select(table.c.stream_seq).where(table.c.epoch == epoch, table.c.stream_seq == seq)
        ).first()
    return found is not None


def all_done_before(engine: Engine, *, epoch: str, first_seq: int, seq: int) -> bool:
    """Whether every message from ``first_seq`` to ``seq - 1`` is settled."""
    table = bus_intake_done
    with engine.connect() as conn:
        count = conn.execute(
            select(func.count()).where(
                table.c.epoch == epoch,
                table.c.stream_seq >= first_seq,
                table.c.stream_seq < seq,
            )
        ).scalar_one()
    return int(count) >= seq - first_seq
