"""ledger format v2: a marking, a secret salt and a salted commitment per entry; a chain head
per checkpoint (docs/ledger.md, "Format version 2" and "Migrating from version 1").

Existing v1 entries are re-committed under v2 in place, in seq order, each with a fresh
32-byte salt; their marking is coalition-wide for the coalition's own facts (``key.added``,
``pledge.status``, ``ratification.recorded``) and NULL (withheld from every nation) for
everything else, because a v1 entry such as ``report.accepted`` may name reports of several
markings at once and cannot be split without renumbering the chain. The v1 checkpoints and
signatures cannot verify under v2 (they sign v1 hashes): they are deleted, and the fact is
recorded as a ``ledger.migrated`` entry (coalition-wide) carrying the v1 entry count, the
v1 head hash and the numbers of checkpoints and signatures dropped. The HQ then checkpoints
again and nations countersign again.

The v2 computation is written out here (not imported) so that this revision stays frozen.
Written to match store/ledger.py (tests/ledger/test_ledger_store.py compares the migrated
schema with the metadata).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 15:30:00
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

import orjson
import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BODY_TAG = b"ceasefire-ledger/v2 body\x00"
_CHAIN_TAG = b"ceasefire-ledger/v2 chain\x00"
_COALITION_WIDE = '[["UNCLASSIFIED",""]]'
_COALITION_TYPES = frozenset({"key.added", "pledge.status", "ratification.recorded"})
_MARKING = 'canonical JSON [["CLASSIFICATION","releasable_to"],...]; NULL: HQ only'


def upgrade() -> None:
    conn = op.get_bind()
    dropped_checkpoints = conn.execute(sa.text("SELECT count(*) FROM ledger_checkpoints")).scalar()
    dropped_signatures = conn.execute(sa.text("SELECT count(*) FROM ledger_signatures")).scalar()
    conn.execute(sa.text("DELETE FROM ledger_signatures"))
    conn.execute(sa.text("DELETE FROM ledger_checkpoints"))
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("marking", sa.Text(), nullable=True, comment=_MARKING))
        batch_op.add_column(
            sa.Column("salt", sa.String(length=64), nullable=True, comment="32 random bytes")
        )
        batch_op.add_column(sa.Column("body", sa.String(length=64), nullable=True))
    # SQLite copies the table to change it; PostgreSQL alters it in place (a copy would drop
    # the primary key that ledger_signatures' foreign key depends on)
    recreate: Literal["always", "auto"] = "always" if conn.dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("ledger_checkpoints", schema=None, recreate=recreate) as batch_op:
        batch_op.add_column(sa.Column("head", sa.String(length=64), nullable=False))
    _recommit(conn, int(dropped_checkpoints or 0), int(dropped_signatures or 0))
    with op.batch_alter_table("ledger_entries", schema=None, recreate=recreate) as batch_op:
        batch_op.alter_column("salt", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("body", existing_type=sa.String(length=64), nullable=False)


def _recommit(conn: sa.Connection, checkpoints: int, signatures: int) -> None:
    """Re-chain every v1 entry under v2 with a fresh salt, then record the migration."""
    rows = conn.execute(
        sa.text(
            "SELECT seq, at, event_type, subject_id, payload, hash FROM ledger_entries ORDER BY seq"
        )
    ).all()
    prev = bytes(32)
    update = sa.text(
        "UPDATE ledger_entries SET marking = :marking, salt = :salt, body = :body, "
        "prev_hash = :prev, hash = :hash WHERE seq = :seq"
    )
    for seq, at, event_type, subject_id, payload, _v1_hash in rows:
        marking = _COALITION_WIDE if event_type in _COALITION_TYPES else None
        values = _commit(seq, at, event_type, subject_id, payload, marking, prev)
        conn.execute(update, values)
        prev = bytes.fromhex(str(values["hash"]))
    if not rows:
        return
    payload = orjson.dumps(
        {
            "dropped_checkpoints": checkpoints,
            "dropped_signatures": signatures,
            "from_version": 1,
            "v1_entries": len(rows),
            "v1_head": rows[-1].hash,
        },
        option=orjson.OPT_SORT_KEYS,
    ).decode()
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    seq = int(rows[-1].seq) + 1
    values = _commit(seq, at, "ledger.migrated", "ledger", payload, _COALITION_WIDE, prev)
    conn.execute(
        sa.text(
            "INSERT INTO ledger_entries (seq, at, event_type, subject_id, payload, marking, "
            "salt, body, prev_hash, hash) VALUES (:seq, :at, 'ledger.migrated', 'ledger', "
            ":payload, :marking, :salt, :body, :prev, :hash)"
        ),
        {**values, "at": at, "payload": payload},
    )


def _commit(  # noqa: PLR0917 - the columns of one row
    seq: int,
    at: str,
    event_type: str,
    subject_id: str,
    payload: str,
    marking: str | None,
    prev: bytes,
) -> dict[str, object]:
    entry = b'{"at":%s,"marking":%s,"payload":%s,"subject":%s,"type":%s}' % (
        orjson.dumps(at),
        (marking or "null").encode(),
        payload.encode(),
        orjson.dumps(subject_id),
        orjson.dumps(event_type),
    )
    salt = secrets.token_bytes(32)
    body = hashlib.sha256(_BODY_TAG + salt + entry).hexdigest()
    leaf = b'{"body":"%s","hdr":{},"seq":%d}' % (body.encode(), seq)
    leaf_hash = hashlib.sha256(b"\x00" + leaf).digest()
    chain = hashlib.sha256(_CHAIN_TAG + prev + leaf_hash).hexdigest()
    return {
        "seq": seq,
        "marking": marking,
        "salt": salt.hex(),
        "body": body,
        "prev": prev.hex(),
        "hash": chain,
    }


def downgrade() -> None:
    """Drops the v2 columns; the v1 hashes and checkpoints are gone (the upgrade says so in
    the ledger): a downgraded ledger must be re-chained before it verifies as v1."""
    with op.batch_alter_table("ledger_checkpoints", schema=None) as batch_op:
        batch_op.drop_column("head")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_column("body")
        batch_op.drop_column("salt")
        batch_op.drop_column("marking")
