"""The ledger columns' comments on PostgreSQL, where comments are kept in the catalogue.

Migration 0011 (ledger format v2) added ``prev_hash``, ``hash``, ``salt`` and ``body`` to
``ledger_entries`` and ``head`` to ``ledger_checkpoints`` without the comments the table
definitions give them (``store/ledger.py``); SQLite keeps no column comments, PostgreSQL does
and shows them to anyone reading the schema (``\\d+`` in psql, QGIS's field list), so the
migrated schema equals the metadata on both backends. Written from the metadata, then frozen.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 19:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COMMENTS = (
    ("ledger_checkpoints", "head", "chain value of entry last_seq"),
    ("ledger_entries", "prev_hash", "chain value before this entry"),
    ("ledger_entries", "hash", "chain value after this entry"),
    ("ledger_entries", "salt", "32 random bytes, hex: SECRET"),
    ("ledger_entries", "body", "salted commitment, hex"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, comment in _COMMENTS:
        op.execute(f"COMMENT ON COLUMN {table}.{column} IS '{comment}'")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, _comment in _COMMENTS:
        op.execute(f"COMMENT ON COLUMN {table}.{column} IS NULL")
