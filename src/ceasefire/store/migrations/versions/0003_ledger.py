"""ledger: hash-chained entries, public keys, checkpoints and their signatures.

Written to match store/ledger.py (tests/ledger/test_store.py compares the migrated schema with
the metadata), then frozen; later changes go into new revisions. All tables are append-only.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_info",
        sa.Column("id", sa.Integer(), nullable=False, comment="always 1: one ledger per database"),
        sa.Column("ledger_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_info")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("seq", _SEQ, autoincrement=False, nullable=False),
        sa.Column(
            "at", sa.String(length=27), nullable=False, comment="canonical UTC timestamp, as hashed"
        ),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=256), nullable=False),
        sa.Column(
            "payload", sa.Text(), nullable=False, comment="canonical JSON (RFC 8785), as hashed"
        ),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_entries")),
    )
    op.create_index(
        op.f("ix_ledger_entries_subject_id"), "ledger_entries", ["subject_id"], unique=False
    )
    op.create_table(
        "ledger_keys",
        sa.Column(
            "fingerprint",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the raw public key",
        ),
        sa.Column("owner", sa.String(length=32), nullable=False, comment="HQ or ISO 3166 alpha-3"),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column(
            "public_key",
            sa.String(length=64),
            nullable=False,
            comment="raw Ed25519 public key, hex",
        ),
        sa.Column("created_at", sa.String(length=27), nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_ledger_keys")),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ledger_id", sa.String(length=64), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column(
            "root", sa.String(length=64), nullable=False, comment="RFC 6962 Merkle root, hex"
        ),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.String(length=27), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_checkpoints")),
        sa.UniqueConstraint("hash", name=op.f("uq_ledger_checkpoints_hash")),
    )
    op.create_table(
        "ledger_signatures",
        sa.Column("checkpoint_seq", sa.Integer(), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("signer", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("at", sa.String(length=27), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False, comment="Ed25519, hex"),
        sa.ForeignKeyConstraint(
            ["checkpoint_seq"],
            ["ledger_checkpoints.seq"],
            name=op.f("fk_ledger_signatures_checkpoint_seq_ledger_checkpoints"),
        ),
        sa.ForeignKeyConstraint(
            ["key_fingerprint"],
            ["ledger_keys.fingerprint"],
            name=op.f("fk_ledger_signatures_key_fingerprint_ledger_keys"),
        ),
        sa.PrimaryKeyConstraint(
            "checkpoint_seq", "key_fingerprint", name=op.f("pk_ledger_signatures")
        ),
    )


def downgrade() -> None:
    op.drop_table("ledger_signatures")
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_keys")
    op.drop_index(op.f("ix_ledger_entries_subject_id"), table_name="ledger_entries")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_info")
